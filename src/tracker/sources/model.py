"""The shapes the feed parsers hand to the crawler (frozen, no behaviour beyond helpers).

Owns: ``Item`` (one entry of a feed, already cleaned and keyed) and ``ParsedFeed``
(the result of parsing one response body: items, bozo flag, TTL, or an error when
nothing usable came back), plus the source kinds and item kinds.
Does not own: parsing, HTTP, storage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "SOURCE_KINDS", "ITEM_KINDS", "ARXIV", "ARXIV_LISTING", "FEED", "YOUTUBE",
    "Item", "ParsedFeed",
]

ARXIV = "arxiv"
ARXIV_LISTING = "arxiv-listing"
FEED = "feed"
YOUTUBE = "youtube"
SOURCE_KINDS = (ARXIV, ARXIV_LISTING, FEED, YOUTUBE)
ITEM_KINDS = ("paper", "video", "blog")


@dataclass(frozen=True)
class Item:
    """One feed entry, cleaned: text without markup, UTC datetimes, a de-duplication key.

    ``canonical_id`` is ``arxiv:<id without version>``, ``youtube:<video id>`` or the
    canonical URL; ``authority`` is 1 when the item comes from the source that owns
    its identity (an arXiv source for a paper, a YouTube feed for a video, a site's
    own feed for its pages), which
    lets its metadata win over a blog that merely links to it.
    """

    canonical_id: str
    canonical_url: str
    url: str
    title: str
    kind: str
    guid: str = ""
    authors: tuple[str, ...] = ()
    summary: str = ""
    published_at: datetime | None = None
    updated_at: datetime | None = None
    categories: tuple[str, ...] = ()
    primary_category: str = ""
    announce_type: str = ""
    version: int | None = None
    doi: str = ""
    channel_id: str = ""
    authority: int = 0


@dataclass(frozen=True)
class ParsedFeed:
    """What one response body yielded. ``error`` set means nothing usable came back."""

    items: tuple[Item, ...] = ()
    title: str = ""
    bozo: bool = False
    bozo_reason: str = ""
    ttl_minutes: int | None = None
    rejected: int = 0
    error: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def usable(self) -> bool:
        return not self.error
