"""One item per real thing (pure): identity keys and the merge rule.

Owns: ``local_host`` (is a link's host inside our own network?), ``identity(url)`` → the de-duplication key (arXiv id without version,
YouTube video id, else the canonical URL; the per-source GUID is the fallback the
crawler applies when a link changed), and ``merge`` — how a stored item and a
newly seen entry combine. The rule picks a *winner* by a total order, so feeding
the same entries in any order leaves the same stored item:

1. an entry from the source that owns the identity (``authority``) beats one that
   only links to it (an arXiv feed beats a blog post linking to the paper, a site's
   own feed beats another site's feed announcing its post);
2. then the higher arXiv version (a ``replace`` announcement of v3 updates v1; a
   late v1 never downgrades v3);
3. then the newer ``updated``/``published`` date, then title, URL and summary.

The winner's descriptive fields are taken whole (title, URL, authors, summary,
dates, version, announce type). Fields only some feeds carry are combined by
order-free rules: categories are a union (its first ``MAX_CATEGORIES`` in sorted
order); DOI, primary category and channel id
keep the greatest non-empty value. Does not own: storage or candidates.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from tracker.sources.model import Item
from tracker.urls import CanonicalURL, InvalidURL, canonicalize

__all__ = ["Identity", "identity", "item_kind", "Merge", "merge", "precedence", "local_host", "MAX_CATEGORIES"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SUPPLEMENTARY = ("doi", "primary_category", "channel_id")
#: categories kept per item (arXiv papers have a handful, blog posts a few tags): the
#: first in sorted order, so a feed inventing new ones at every poll cannot grow a row
MAX_CATEGORIES = 64


@dataclass(frozen=True)
class Identity:
    canonical_id: str
    canonical_url: str
    kind: str  # paper, video or blog


def item_kind(target: CanonicalURL) -> str:
    """Item kinds are coarse: a paper, a video, or a post (everything else a feed links to)."""
    return target.kind if target.kind in ("paper", "video") else "blog"


def identity(url: str) -> Identity:
    """The de-duplication key of a link; raises ``InvalidURL`` for non-http(s) links."""
    target = canonicalize(url)
    ext = target.external_id or ""
    if ext.startswith(("arxiv:", "youtube:")):
        return Identity(ext, target.canonical, item_kind(target))
    return Identity(target.canonical, target.canonical, item_kind(target))


MAX_KEY_CHARS = 2000  # item keys are indexed columns (String(2048))


def safe_identity(url: str) -> Identity | None:
    """``identity(url)``, or ``None`` for a link that is not http(s) or absurdly long."""
    if len(url) > MAX_KEY_CHARS:
        return None
    try:
        found = identity(url)
    except InvalidURL:
        return None
    return found if len(found.canonical_url) <= MAX_KEY_CHARS else None


_LOCAL_NAMES = ("localhost", ".localhost", ".local", ".internal", ".home.arpa")
_NUMERIC_HOST = re.compile(r"^[0-9a-fA-FxX.]+$")


def local_host(host: str) -> bool:
    """``host`` names our own network: a loopback, private, shared, link-local or otherwise
    non-global address in any form a browser reads as one (``127.1``, ``0x7f000001``,
    ``2130706433``, ``[::ffff:127.0.0.1]``), or a local name (``localhost``, ``*.local``…)."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(_LOCAL_NAMES[1:]):
        return True
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(name)
    except ValueError:
        if not name or not _NUMERIC_HOST.match(name):
            return False
        try:  # the shorthand IPv4 forms inet_aton (and browsers) accept
            ip = ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def precedence(item: Item) -> tuple[int, int, datetime, str, str, str]:
    """Sort key of the merge rule (higher wins); built only from fields the winner keeps."""
    when = item.updated_at or item.published_at or _EPOCH
    return (item.authority, item.version or 0, when, item.title, item.url, item.summary)


@dataclass(frozen=True)
class Merge:
    """The merged item and what changed in a way a reader would call an update."""

    item: Item
    changed: bool  # any stored field differs
    updated: bool  # title or version changed (reported as "updated")
    version_bumped: bool
    old_title: str
    old_version: int | None


def merge(stored: Item, incoming: Item) -> Merge:
    """Combine ``stored`` with ``incoming`` (same canonical id) by the rule in the module doc."""
    winner = incoming if precedence(incoming) > precedence(stored) else stored
    values: dict[str, Any] = {
        name: max(getattr(stored, name), getattr(incoming, name)) for name in _SUPPLEMENTARY
    }
    values["categories"] = tuple(sorted(set(stored.categories) | set(incoming.categories))[:MAX_CATEGORIES])
    merged = replace(winner, canonical_id=stored.canonical_id, canonical_url=stored.canonical_url,
                     guid=stored.guid, **values)
    bumped = (merged.version or 0) > (stored.version or 0)
    return Merge(
        item=merged,
        changed=merged != stored,
        updated=bumped or merged.title != stored.title,
        version_bumped=bumped,
        old_title=stored.title,
        old_version=stored.version,
    )
