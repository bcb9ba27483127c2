"""Schema of the links area: check runs, observations, per-link status, archive lookups.

``link_observations`` is the history (one row per link per run, never updated);
``link_status`` is the policy's latest answer per resource, cached so due-ness
and reports are single queries (its ``probed_hash`` is the content hash of the page
as last judged OK beside an answered sibling probe: when set, it equals
``content_hash``; ``services.linkcheck_looks`` says when it is set, kept and cleared); ``archive_lookups`` records every Wayback
question and answer; ``link_claims`` says which run is fetching a link right now
(a lease, so two concurrent checks never fetch the same link). Decisions live in
``tracker.links``, not here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db.base import Base, UTCDateTime

__all__ = ["CheckRun", "LinkObservation", "LinkStatus", "ArchiveLookup", "LinkClaim"]


class CheckRun(Base):
    """One ``tracker check``: when, how much, and whether its results count."""

    __tablename__ = "check_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    all_links: Mapped[bool] = mapped_column(Boolean, default=False)
    inconclusive: Mapped[bool] = mapped_column(Boolean, default=False)
    links: Mapped[int] = mapped_column(Integer, default=0)
    hosts: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    network_failures: Mapped[int] = mapped_column(Integer, default=0)
    elapsed_ms: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")


class LinkObservation(Base):
    """What one check of one link saw (``counted`` is False for inconclusive runs)."""

    __tablename__ = "link_observations"
    __table_args__ = (Index("ix_link_observations_resource_observed", "resource_id", "observed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("check_runs.id", ondelete="CASCADE"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    method: Mapped[str] = mapped_column(String(8))
    http_status: Mapped[int | None] = mapped_column(Integer)
    final_url: Mapped[str | None] = mapped_column(Text)
    redirects: Mapped[str] = mapped_column(Text, default="[]")
    error_class: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    soft404: Mapped[bool] = mapped_column(Boolean, default=False)
    suggested_url: Mapped[str | None] = mapped_column(Text)
    elapsed_ms: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    content_type: Mapped[str] = mapped_column(String(200), default="")
    content_hash: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text, default="")
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    counted: Mapped[bool] = mapped_column(Boolean, default=True)


class LinkStatus(Base):
    """The latest state of one resource's link, as the policy derived it."""

    __tablename__ = "link_status"
    # dead links awaiting an archive answer (``repo_links.archive_candidates``)
    __table_args__ = (Index("ix_link_status_archive_due", "state", "archive_outcome", "archive_retry_at"),)

    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"),
                                             primary_key=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    previous_state: Mapped[str | None] = mapped_column(String(20))
    state_since: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")
    http_status: Mapped[int | None] = mapped_column(Integer)
    final_url: Mapped[str | None] = mapped_column(Text)
    suggested_url: Mapped[str | None] = mapped_column(Text)
    soft404: Mapped[bool] = mapped_column(Boolean, default=False)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    elapsed_ms: Mapped[int] = mapped_column(Integer, default=0)
    content_type: Mapped[str] = mapped_column(String(200), default="")
    content_hash: Mapped[str | None] = mapped_column(String(64))
    #: the content hash of the page at the last check that judged it OK beside an answered
    #: sibling probe; a fresh page with this hash sends no probe (``linkcheck_looks``)
    probed_hash: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text, default="")
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    archive_outcome: Mapped[str | None] = mapped_column(String(20))
    archive_url: Mapped[str | None] = mapped_column(Text)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    archive_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    archive_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ArchiveLookup(Base):
    """One question to the Wayback Machine and its answer (found / none / retry)."""

    __tablename__ = "archive_lookups"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    requested_timestamp: Mapped[str] = mapped_column(String(14))
    looked_up_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(20))
    http_status: Mapped[int | None] = mapped_column(Integer)
    archive_url: Mapped[str | None] = mapped_column(Text)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    detail: Mapped[str] = mapped_column(Text, default="")


class LinkClaim(Base):
    """A run's lease on one link: while ``claimed_until`` lies ahead (on the wall clock), no
    other run fetches it. Released when the run ends; a crashed run's lease just expires."""

    __tablename__ = "link_claims"

    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"),
                                             primary_key=True, autoincrement=False)
    claimed_by: Mapped[str] = mapped_column(String(64), index=True)
    claimed_until: Mapped[datetime] = mapped_column(UTCDateTime())
