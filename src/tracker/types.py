"""Frozen shapes passed between areas (no behaviour, no imports of ours).

These are the hand-over points between the link-health, candidate and
changelog work, so each area can be built and tested on its own.
Does not depend on any other module of tracker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["AcceptedCandidate", "LinkStatus"]


@dataclass(frozen=True)
class AcceptedCandidate:
    """A candidate a maintainer accepted: a resource pending for the next document version."""

    candidate_id: int
    resource_id: int
    url: str
    canonical_url: str
    title: str
    kind: str
    topic_slug: str
    decided_at: datetime
    note: str = ""
    source: str = ""
    authors: str = ""
    summary: str = ""


@dataclass(frozen=True)
class LinkStatus:
    """The current judgement on one resource's link (derived from its observations)."""

    resource_id: int
    state: str  # unchecked, alive, redirected, failing, dead, blocked
    reason: str = ""
    http_status: int | None = None
    final_url: str | None = None
    suggested_url: str | None = None
    archive_url: str | None = None
    archive_timestamp: datetime | None = None
    consecutive_failures: int = 0
    first_failure_at: datetime | None = None
    last_ok_at: datetime | None = None
    changed_at: datetime | None = None
