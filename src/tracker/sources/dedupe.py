"""One item per real thing (pure): identity keys and the merge rule.

Owns: ``identity(url)`` → the de-duplication key (arXiv id without version,
YouTube video id, else the canonical URL; the per-source GUID is the fallback the
repository applies when the link changed), and ``merge`` — how a stored item and a
newly seen entry combine. The rule is a total order, so feeding the same entries
in any order gives the same stored items:

1. an entry from the source that owns the identity (``authority``) beats one that
   only links to it (an arXiv feed beats a blog post linking to the paper);
2. then the higher arXiv version wins (a ``replace`` announcement of v3 updates v1);
3. then the newer ``updated``/``published`` date, then the title as a tie-break.

The winner's non-empty fields replace the stored ones; the loser only fills empty
fields. ``published_at`` keeps the earliest date, ``updated_at`` the latest, and
categories are a union. Does not own: storage or what counts as a candidate.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from tracker.sources.model import Item
from tracker.urls import CanonicalURL, InvalidURL, canonicalize

__all__ = ["Identity", "identity", "item_kind", "Merge", "merge", "precedence"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_CONTENT = ("url", "title", "authors", "summary", "primary_category", "announce_type", "doi",
            "channel_id", "kind", "version", "authority")


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


def safe_identity(url: str) -> Identity | None:
    try:
        return identity(url)
    except InvalidURL:
        return None


def precedence(item: Item) -> tuple[int, int, datetime, str]:
    """Sort key of the merge rule (higher wins)."""
    when = item.updated_at or item.published_at or _EPOCH
    return (item.authority, item.version or 0, when, item.title)


@dataclass(frozen=True)
class Merge:
    """The merged item and what changed in a way a reader would call an update."""

    item: Item
    changed: bool  # any stored field differs
    updated: bool  # title or version changed (reported as "updated")
    version_bumped: bool
    old_title: str
    old_version: int | None


def _empty(value: Any) -> bool:
    return value in (None, "", ())


def merge(stored: Item, incoming: Item) -> Merge:
    """Combine ``stored`` with ``incoming`` (same canonical id) by the rule in the module doc."""
    winner, loser = (incoming, stored) if precedence(incoming) > precedence(stored) else (stored, incoming)
    values: dict[str, Any] = {}
    for name in _CONTENT:
        mine = getattr(winner, name)
        values[name] = getattr(loser, name) if _empty(mine) else mine
    dates = [d for d in (stored.published_at, incoming.published_at) if d is not None]
    values["published_at"] = min(dates) if dates else None
    updates = [d for d in (stored.updated_at, incoming.updated_at) if d is not None]
    values["updated_at"] = max(updates) if updates else None
    values["categories"] = tuple(sorted(set(stored.categories) | set(incoming.categories)))
    merged = replace(stored, **values)
    bumped = (merged.version or 0) > (stored.version or 0)
    return Merge(
        item=merged,
        changed=merged != stored,
        updated=bumped or merged.title != stored.title,
        version_bumped=bumped,
        old_title=stored.title,
        old_version=stored.version,
    )
