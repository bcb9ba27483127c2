"""Feed sources (pure): what each source kind means, its request URL, its parser.

Modules: ``model`` (Item, ParsedFeed), ``text`` (encoding and HTML hygiene),
``rss`` (RSS/Atom/JSON Feed), ``arxiv`` (API and listings), ``youtube``
(channel/playlist feeds), ``dedupe`` (identity and merge rule), ``schedule``
(next poll, back-off, parking). This module dispatches on the source kind.
Nothing here does I/O: bytes and ``now`` come in, values go out.
"""

from __future__ import annotations

import re

from tracker.config import Settings
from tracker.errors import InputError
from tracker.sources import arxiv, rss, youtube
from tracker.sources.model import ARXIV, ARXIV_LISTING, FEED, SOURCE_KINDS, YOUTUBE, Item, ParsedFeed
from tracker.urls import InvalidURL, canonicalize

__all__ = [
    "SOURCE_KINDS", "Item", "ParsedFeed", "normalize_kind", "normalize_target", "request_url",
    "parse_body", "default_name", "validate_name",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,99}$")


def normalize_kind(kind: str) -> str:
    value = kind.strip().lower()
    if value not in SOURCE_KINDS:
        raise InputError(f"unknown source kind {kind!r}; choose one of {', '.join(SOURCE_KINDS)}")
    return value


def normalize_target(kind: str, target: str) -> str:
    """Validate ``target`` for ``kind`` and return its stored form; ``InputError`` if bad."""
    if kind == ARXIV:
        return arxiv.normalize_query(target)
    if kind == ARXIV_LISTING:
        return arxiv.normalize_categories(target)
    if kind == YOUTUBE:
        return youtube.normalize_target(target)
    text = target.strip()
    try:
        canonicalize(text)
    except InvalidURL as exc:
        raise InputError(f"a feed source needs an http(s) feed URL: {exc}") from None
    return text


def validate_name(name: str) -> str:
    if not _NAME.match(name):
        raise InputError(
            f"invalid source name {name!r}: use letters, digits, '.', '_' or '-' (at most 100, "
            "starting with a letter or digit)"
        )
    return name


def default_name(kind: str, target: str) -> str:
    """A readable name derived from the target (``lilianweng.github.io``, ``arxiv-cs.CL-cs.LG``)."""
    if kind == FEED:
        parts = canonicalize(target)
        path = re.sub(r"(?:/(?:feed|rss|atom|index)(?:\.xml|\.rss|\.json)?|\.xml)/?$", "", target.split("?")[0])
        tail = path.split(parts.host, 1)[-1].strip("/").replace("/", "-")
        base = parts.host.removeprefix("www.") + (f"-{tail}" if tail else "")
    elif kind == ARXIV_LISTING:
        base = "arxiv-" + target.replace("+", "-")
    elif kind == YOUTUBE:
        base = f"youtube-{target}"
    else:
        words = re.sub(r"[^A-Za-z0-9.]+", "-", target.replace("cat:", "")).strip("-").lower()
        base = f"arxiv-q-{words}"
    base = re.sub(r"[^A-Za-z0-9._\-]+", "-", base).strip("-._")[:100] or kind
    return base


def request_url(kind: str, target: str, settings: Settings) -> str:
    """The URL to poll, built from the configurable endpoints (``[arxiv]``, ``[youtube]``)."""
    if kind == ARXIV:
        return arxiv.api_url(settings.arxiv.api_url, target, settings.arxiv.max_results)
    if kind == ARXIV_LISTING:
        return arxiv.listing_url(settings.arxiv.listing_url, target)
    if kind == YOUTUBE:
        return youtube.feed_url(settings.youtube.feed_url, target)
    return target


def parse_body(kind: str, body: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """Parse a response body with the parser of ``kind`` (pure; never raises on bad input)."""
    if kind == ARXIV:
        return arxiv.parse_api(body, url, content_type)
    if kind == ARXIV_LISTING:
        return arxiv.parse_listing(body, url, content_type)
    if kind == YOUTUBE:
        return youtube.parse_youtube(body, url, content_type)
    return rss.parse_feed(body, url, content_type)
