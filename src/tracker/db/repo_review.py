"""Queries for undoing decisions and listing recent ones.

Owns: finding a candidate's latest decision that can still be undone, the recent
decisions of a document (for the web page's "decided recently" list), whether a
resource an accept created is still used by anything else, and removing it.
Does not decide whether an undo is allowed (``services.review``).
"""

from __future__ import annotations

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session

from tracker.db.models_candidates import Candidate, CandidateDecision
from tracker.db.models_core import Placement, Resource
from tracker.db.models_feeds import FeedItem

__all__ = ["latest_undoable", "recent_decisions", "resource_unused", "delete_resource", "RecentRow"]

UNDOABLE = ("accept", "reject", "defer", "move")
RecentRow = tuple[CandidateDecision, Candidate, FeedItem]


def latest_undoable(session: Session, candidate_id: int) -> CandidateDecision | None:
    """The candidate's newest decision that has not been undone (undo rows themselves excluded)."""
    return session.scalars(
        select(CandidateDecision)
        .where(CandidateDecision.candidate_id == candidate_id, CandidateDecision.action.in_(UNDOABLE),
               CandidateDecision.undone_at.is_(None))
        .order_by(CandidateDecision.id.desc()).limit(1)).first()


def recent_decisions(session: Session, document_id: int, limit: int = 10) -> list[RecentRow]:
    """The document's newest decisions not undone, newest first, one per candidate."""
    newest = (select(func.max(CandidateDecision.id))
              .join(Candidate, Candidate.id == CandidateDecision.candidate_id)
              .where(Candidate.document_id == document_id, CandidateDecision.action.in_(UNDOABLE),
                     CandidateDecision.undone_at.is_(None))
              .group_by(CandidateDecision.candidate_id))
    rows = session.execute(
        select(CandidateDecision, Candidate, FeedItem)
        .join(Candidate, Candidate.id == CandidateDecision.candidate_id)
        .join(FeedItem, FeedItem.id == Candidate.item_id)
        .where(CandidateDecision.id.in_(newest))
        .order_by(CandidateDecision.id.desc()).limit(limit))
    return [(d, c, i) for d, c, i in rows]


def resource_unused(session: Session, resource_id: int, candidate_id: int) -> bool:
    """True when a candidate-made resource is cited by no version and held by no other candidate."""
    resource = session.get(Resource, resource_id)
    if resource is None or resource.origin != "candidate":
        return False
    cited = session.scalar(select(exists().where(Placement.resource_id == resource_id)))
    held = session.scalar(select(exists().where(Candidate.resource_id == resource_id,
                                                Candidate.id != candidate_id)))
    return not cited and not held


def delete_resource(session: Session, resource_id: int) -> None:
    session.execute(delete(Resource).where(Resource.id == resource_id))
