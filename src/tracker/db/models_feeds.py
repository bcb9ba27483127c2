"""Schema of the feeds area: sources, feed items and which source saw which item.

``feed_sources``: one polled source (arXiv query, arXiv listing, blog feed, YouTube
channel/playlist) with its validators (ETag/Last-Modified exactly as sent, and
``validated_error``: why the body they belong to was unusable, so a later 304 for a
broken feed stays an error) and its health (consecutive errors, last error,
parked, next poll, Retry-After) and which crawl holds its poll right now (a lease).
``feed_items``: one real thing per row, keyed by ``canonical_id`` (``arxiv:<id>``,
``youtube:<video>``, else the canonical URL) — the stored shape candidate scoring
reads. ``feed_item_sources``: the many-to-many link, with the GUID each source
used (the de-duplication fallback when a link changes).
Does not fetch or parse feeds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db.base import Base, UTCDateTime

__all__ = ["FeedSource", "FeedItem", "FeedItemSource"]


class FeedSource(Base):
    """A feed tracker polls, and how that has been going."""

    __tablename__ = "feed_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(Text)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(default=True)
    origin: Mapped[str] = mapped_column(String(200), default="cli")
    feed_title: Mapped[str] = mapped_column(Text, default="")
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    validated_error: Mapped[str] = mapped_column(Text, default="")
    consecutive_errors: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_outcome: Mapped[str] = mapped_column(String(20), default="")
    bozo: Mapped[str] = mapped_column(Text, default="")
    parked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    retry_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # the crawl polling this source right now, until when (a lease: two crawls never poll it twice)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FeedItem(Base):
    """One paper, video or post seen in any feed (one row per real thing)."""

    __tablename__ = "feed_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    canonical_id: Mapped[str] = mapped_column(String(2048), unique=True)
    canonical_url: Mapped[str] = mapped_column(String(2048), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    primary_category: Mapped[str] = mapped_column(String(40), default="")
    announce_type: Mapped[str] = mapped_column(String(20), default="")
    version: Mapped[int | None] = mapped_column(Integer)
    doi: Mapped[str] = mapped_column(String(200), default="")
    channel_id: Mapped[str] = mapped_column(String(40), default="")
    authority: Mapped[int] = mapped_column(Integer, default=0)
    in_document: Mapped[bool] = mapped_column(default=False, index=True)
    resource_id: Mapped[int | None] = mapped_column(
        ForeignKey("resources.id", ondelete="SET NULL"), index=True
    )
    first_source_id: Mapped[int | None] = mapped_column(ForeignKey("feed_sources.id", ondelete="SET NULL"))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def as_dict(self) -> dict[str, Any]:
        return {c.name: getattr(self, c.name) for c in self.__table__.columns}


class FeedItemSource(Base):
    """Source S saw item I (under GUID G), first and last when."""

    __tablename__ = "feed_item_sources"
    __table_args__ = (
        UniqueConstraint("item_id", "source_id"),
        Index("ix_feed_item_sources_source_guid", "source_id", "guid_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("feed_items.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("feed_sources.id", ondelete="CASCADE"))
    guid: Mapped[str] = mapped_column(Text, default="")
    guid_hash: Mapped[str] = mapped_column(String(64), default="")
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
