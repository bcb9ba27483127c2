"""Read-only queries behind the web page's figures.

Owns: candidates' summaries by id, the check runs and every stored observation
(for the link-state history), and per-source item sightings and decisions (for
source health). Does not compute any figure: ``services.dashboard`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.db.models_candidates import Candidate
from tracker.db.models_feeds import FeedItem, FeedItemSource, FeedSource
from tracker.db.models_links import CheckRun, LinkObservation

__all__ = ["summaries", "check_runs", "observations", "sightings", "decided_by_source", "ObservationRow"]

CHUNK = 500
ObservationRow = tuple[int, int, datetime, str, str, int | None, str | None, str | None, bool, bool]


def summaries(session: Session, candidate_ids: Sequence[int]) -> dict[int, str]:
    """Candidate id → its item's raw summary."""
    out: dict[int, str] = {}
    ids = sorted(set(candidate_ids))
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(select(Candidate.id, FeedItem.summary)
                               .join(FeedItem, FeedItem.id == Candidate.item_id)
                               .where(Candidate.id.in_(ids[start:start + CHUNK])))
        out.update({cid: summary or "" for cid, summary in rows})
    return out


def check_runs(session: Session, limit: int) -> list[CheckRun]:
    """The newest ``limit`` check runs, oldest first."""
    newest = list(session.scalars(select(CheckRun).order_by(CheckRun.started_at.desc(), CheckRun.id.desc())
                                  .limit(limit)))
    return newest[::-1]


def observations(session: Session, until: datetime) -> list[ObservationRow]:
    """Every observation up to ``until``: ``(run id, resource id, observed at, outcome, reason,
    status, final URL, suggested URL, soft 404, counted)``, oldest first."""
    rows = session.execute(
        select(LinkObservation.run_id, LinkObservation.resource_id, LinkObservation.observed_at,
               LinkObservation.outcome, LinkObservation.reason, LinkObservation.http_status,
               LinkObservation.final_url, LinkObservation.suggested_url, LinkObservation.soft404,
               LinkObservation.counted)
        .where(LinkObservation.observed_at <= until)
        .order_by(LinkObservation.observed_at, LinkObservation.id))
    return [tuple(r) for r in rows]


def sightings(session: Session, since: datetime) -> list[tuple[str, datetime]]:
    """``(source name, first seen)`` of every item a source delivered since ``since``."""
    rows = session.execute(select(FeedSource.name, FeedItemSource.first_seen_at).select_from(FeedItemSource)
                           .join(FeedSource, FeedSource.id == FeedItemSource.source_id)
                           .where(FeedItemSource.first_seen_at >= since))
    return [(sid, seen) for sid, seen in rows]


def decided_by_source(session: Session) -> list[tuple[str, str]]:
    """``(source name, status)`` of every accepted or rejected candidate, per source that delivered it."""
    rows = session.execute(select(FeedSource.name, Candidate.status).select_from(FeedItemSource)
                           .join(Candidate, Candidate.item_id == FeedItemSource.item_id)
                           .join(FeedSource, FeedSource.id == FeedItemSource.source_id)
                           .where(Candidate.status.in_(("accepted", "rejected"))))
    return [(sid, status) for sid, status in rows]
