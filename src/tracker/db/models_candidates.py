"""Schema of the candidates area: candidates (feed items scored against topics) and decisions.

``candidates``: one row per feed item and document — its status (``queued``,
``overflow`` (on topic, beyond the week's budget: kept, may be queued later), ``off_topic``, ``in_document``, ``duplicate``, ``deferred``, ``accepted``,
``rejected``), the ISO week it is queued for, its assigned topic, its top topics
with scores (``scores``, JSON ``[{slug, score}]`` best first), the reason (matched
words), its ``priority`` and ``rank`` within its week's budget, the ranking
``signals`` (fit, corroboration, source prior, freshness) and which document
version's profiles scored it. ``topic_calibrations``: the off-topic threshold
calibrated on one document version's own held-out links. ``candidate_decisions``:
every decision ever taken, with who, when and why (the candidate row holds the
latest one), what the candidate looked like before it (``before``, so it can be
undone) and when it was undone. An accepted candidate points at the ``Resource`` it became.
Does not score or decide: ``candidates`` and ``services.review`` do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db.base import Base, UTCDateTime

__all__ = ["Candidate", "CandidateDecision", "TopicCalibration", "STATUSES", "PENDING", "DECIDED", "UNDECIDED"]

STATUSES = ("queued", "overflow", "deferred", "off_topic", "in_document", "duplicate", "accepted", "rejected")
PENDING = ("queued", "deferred")  # shown in a week's queue
DECIDED = ("accepted", "rejected")  # final: never queued again
UNDECIDED = ("queued", "overflow", "deferred", "off_topic")  # may still be decided or re-scored


class Candidate(Base):
    """A feed item proposed for one document, and where it stands."""

    __tablename__ = "candidates"
    __table_args__ = (
        UniqueConstraint("document_id", "item_id"),
        Index("ix_candidates_document_status_week", "document_id", "status", "week"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("feed_items.id", ondelete="CASCADE"))
    canonical_url: Mapped[str] = mapped_column(String(2048), index=True)
    status: Mapped[str] = mapped_column(String(20))
    week: Mapped[str] = mapped_column(String(10))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"))
    score: Mapped[float] = mapped_column(Float, default=0.0)
    scores: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    rank: Mapped[int | None] = mapped_column(Integer)
    signals: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    scored_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("document_versions.id", ondelete="SET NULL"))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id", ondelete="SET NULL"))
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class CandidateDecision(Base):
    """One decision on a candidate: accept, reject, defer, move or undo — who, when, why."""

    __tablename__ = "candidate_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"))
    topic_slug: Mapped[str] = mapped_column(String(200), default="")
    week: Mapped[str] = mapped_column(String(10), default="")
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TopicCalibration(Base):
    """The off-topic threshold calibrated on one document version (computed once, then read)."""

    __tablename__ = "topic_calibrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id", ondelete="CASCADE"),
                                            unique=True)
    threshold: Mapped[float] = mapped_column(Float)
    samples: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
