"""Queries and writes for candidates and decisions.

Owns: reading what topic profiles are built from (active topics, the latest
version's placements with resource titles, accepted candidates), the feed
items not yet proposed, the pending queue, decisions, and
``accepted_candidates`` — the hand-over to the changelog/export work: accepted
candidates whose resource the latest document version does not cite yet — and
``hold_document``, the write lock that makes two concurrent ``propose`` runs of
one document take turns (the second sees the first's candidates).
Does not score, decide or render anything.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session

from tracker.db import repo_documents
from tracker.db.models_candidates import DECIDED, PENDING, Candidate, CandidateDecision, TopicCalibration
from tracker.db.models_core import Document, Placement, Resource, Topic
from tracker.db.upsert import insert_for
from tracker.db.models_feeds import FeedItem, FeedItemSource, FeedSource
from tracker.types import AcceptedCandidate

__all__ = [
    "profile_rows", "decided_examples", "unproposed_items", "candidates_by_url", "rescore_needed",
    "get_candidate", "item_of", "source_names", "add_decision", "moved_topics", "queue_rows",
    "accepted_candidates", "cited_resource_ids", "QueueRow", "citation_rows", "item_sources",
    "decided_items", "week_pool", "week_queue", "overflow_rows", "get_calibration", "save_calibration",
    "hold_document",
]

QueueRow = Row[Any]
"""One queue listing row: plain columns (no ORM objects), named as on ``Candidate`` plus the item's
``url``, ``canonical_id``, ``title``, ``kind``, ``published_at``, ``authors`` and ``first_source_id``."""
# The queue page lists ~1,000 candidates: loading them as Core rows of the columns it shows
# (not three ORM entities per row with an identity map and every JSON column) halves its cost.
_QUEUE_COLUMNS = (Candidate.id, Candidate.status, Candidate.rank, Candidate.priority, Candidate.signals,
                  Candidate.topic_id, Candidate.score, Candidate.scores, Candidate.reason, Candidate.week,
                  FeedItem.url, FeedItem.canonical_id, FeedItem.title, FeedItem.kind, FeedItem.published_at,
                  FeedItem.authors, FeedItem.first_source_id)
SUMMARY_CHARS = 1000
CHUNK = 500
_TAG = re.compile(r"<[^<>]*>")


def _plain(text: str, limit: int) -> str:
    """Feed HTML as one line of text (the changelog shows it; scoring cleans its own copy)."""
    text = _TAG.sub(" ", html.unescape(_TAG.sub(" ", text[:20 * limit])))
    return " ".join(text.split())[:limit]


def profile_rows(session: Session, document_id: int
                 ) -> tuple[list[Topic], list[tuple[str, str, str, str, str]], int | None]:
    """Active topics, the latest version's links as ``(topic slug, url, anchor, sentence,
    resource title)`` in document order, and that version's id."""
    topics = repo_documents.topics_of(session, document_id)
    slug_of = {t.id: t.slug for t in topics}
    version = repo_documents.latest_version(session, document_id)
    if version is None:
        return topics, [], None
    rows = session.execute(
        select(Placement.topic_id, Placement.url, Placement.anchor_text, Placement.sentence, Resource.title)
        .join(Resource, Resource.id == Placement.resource_id)
        .where(Placement.version_id == version.id).order_by(Placement.position))
    links = [(slug_of[tid], url, anchor, sentence, title)
             for tid, url, anchor, sentence, title in rows if tid in slug_of]
    return topics, links, version.id


def decided_examples(session: Session, document_id: int) -> list[tuple[str, str, str, str | None]]:
    """``(title, url, summary, slug)`` of every accepted (slug) or rejected (``None``) candidate."""
    rows = session.execute(
        select(FeedItem.title, FeedItem.url, FeedItem.summary, Candidate.status, Topic.slug)
        .join(Candidate, Candidate.item_id == FeedItem.id)
        .outerjoin(Topic, Topic.id == Candidate.topic_id)
        .where(Candidate.document_id == document_id, Candidate.status.in_(("accepted", "rejected")))
        .order_by(Candidate.id))
    return [(title, url, summary, slug if status == "accepted" else None)
            for title, url, summary, status, slug in rows]


def unproposed_items(session: Session, document_id: int) -> list[FeedItem]:
    """Feed items that have no candidate row for this document yet, oldest first."""
    done = select(Candidate.item_id).where(Candidate.document_id == document_id)
    return list(session.scalars(select(FeedItem).where(FeedItem.id.not_in(done))
                                .order_by(FeedItem.first_seen_at, FeedItem.id)))


def candidates_by_url(session: Session, document_id: int, urls: Sequence[str]) -> dict[str, int]:
    """Canonical URL → id of the first candidate already holding it."""
    found: dict[str, int] = {}
    ordered = sorted(set(urls))
    for start in range(0, len(ordered), CHUNK):
        rows = session.execute(select(Candidate.canonical_url, Candidate.id)
                               .where(Candidate.document_id == document_id,
                                      Candidate.canonical_url.in_(ordered[start:start + CHUNK]))
                               .order_by(Candidate.id))
        for url, cid in rows:
            found.setdefault(url, cid)
    return found


def cited_resource_ids(session: Session, version_id: int | None) -> set[int]:
    if version_id is None:
        return set()
    return set(session.scalars(select(Placement.resource_id).where(Placement.version_id == version_id)))


def rescore_needed(session: Session, document_id: int, version_id: int | None) -> list[tuple[Candidate, FeedItem]]:
    """Undecided candidates scored against another version, or whose topic is gone."""
    active = select(Topic.id).where(Topic.document_id == document_id, Topic.active.is_(True))
    stale = (Candidate.scored_version_id.is_(None) | (Candidate.scored_version_id != version_id)
             | Candidate.topic_id.is_(None) | Candidate.topic_id.not_in(active))
    rows = session.execute(select(Candidate, FeedItem).join(FeedItem, FeedItem.id == Candidate.item_id)
                           .where(Candidate.document_id == document_id,
                                  Candidate.status.in_(PENDING + ("overflow", "off_topic")), stale)
                           .order_by(Candidate.id))
    return [(c, i) for c, i in rows]


def get_candidate(session: Session, candidate_id: int) -> Candidate | None:
    """The candidate, or ``None`` — also for an id no 64-bit column holds (typed by a user:
    SQLite's driver raised OverflowError on it)."""
    if not -(1 << 63) <= candidate_id < 1 << 63:
        return None
    return session.get(Candidate, candidate_id)


def hold_undecided(session: Session, candidate_id: int, status: str) -> bool:
    """Write-lock the candidate while it still has ``status``; False when another decision
    changed it since it was read. PostgreSQL re-checks the condition after waiting for the
    row lock, SQLite after waiting for the write lock, so two reviewers never both decide."""
    result = session.execute(update(Candidate).where(Candidate.id == candidate_id, Candidate.status == status)
                             .values(status=status).execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def item_of(session: Session, candidate: Candidate) -> FeedItem:
    item = session.get(FeedItem, candidate.item_id)
    assert item is not None  # the foreign key cascades: a candidate always has its item
    return item


def source_names(session: Session, source_ids: Sequence[int | None]) -> dict[int, str]:
    ids = sorted({s for s in source_ids if s is not None})
    if not ids:
        return {}
    return {sid: name for sid, name in session.execute(
        select(FeedSource.id, FeedSource.name).where(FeedSource.id.in_(ids)))}


def add_decision(session: Session, candidate: Candidate, action: str, by: str, at: datetime,
                 note: str = "", topic: Topic | None = None, week: str = "") -> CandidateDecision:
    decision = CandidateDecision(candidate_id=candidate.id, action=action, decided_by=by, decided_at=at,
                                 note=note, topic_id=topic.id if topic else None,
                                 topic_slug=topic.slug if topic else "", week=week)
    session.add(decision)
    return decision


def moved_topics(session: Session, candidate_ids: Sequence[int]) -> dict[int, int]:
    """Candidate id → the topic its latest ``move`` decision (not undone) chose."""
    moved: dict[int, int] = {}
    ids = sorted(set(candidate_ids))
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(select(CandidateDecision.candidate_id, CandidateDecision.topic_id)
                               .where(CandidateDecision.candidate_id.in_(ids[start:start + CHUNK]),
                                      CandidateDecision.action == "move",
                                      CandidateDecision.undone_at.is_(None))
                               .order_by(CandidateDecision.id))
        for cid, tid in rows:
            if tid is not None:
                moved[cid] = tid
    return moved


def queue_rows(session: Session, document_id: int, week: str, topic_ids: set[int] | None = None) -> list[QueueRow]:
    """Pending candidates due by ``week`` (deferred ones wait for theirs), as ``QueueRow`` rows."""
    stmt = (select(*_QUEUE_COLUMNS).join(FeedItem, FeedItem.id == Candidate.item_id)
            .where(Candidate.document_id == document_id, Candidate.status.in_(PENDING),
                   Candidate.week <= week))
    if topic_ids is not None:
        stmt = stmt.where(Candidate.topic_id.in_(sorted(topic_ids)))
    return list(session.execute(stmt).all())


def accepted_candidates(session: Session, document_id: int) -> list[AcceptedCandidate]:
    """Accepted candidates not yet cited by the latest document version, oldest decision first."""
    latest = repo_documents.latest_version(session, document_id)
    cited = cited_resource_ids(session, latest.id if latest else None)
    rows = session.execute(
        select(Candidate, FeedItem, Resource, Topic)
        .join(FeedItem, FeedItem.id == Candidate.item_id)
        .join(Resource, Resource.id == Candidate.resource_id)
        .outerjoin(Topic, Topic.id == Candidate.topic_id)
        .where(Candidate.document_id == document_id, Candidate.status == "accepted")
        .order_by(Candidate.decided_at, Candidate.id))
    found = [(c, i, r, t) for c, i, r, t in rows if r.id not in cited]
    sources = source_names(session, [i.first_source_id for _c, i, _r, _t in found])
    return [AcceptedCandidate(
        candidate_id=c.id, resource_id=r.id, url=i.url, canonical_url=r.canonical_url,
        title=_plain(i.title, 500) or r.title, kind=r.kind, topic_slug=t.slug if t else "",
        decided_at=c.decided_at or c.created_at, note=c.note,
        source=sources.get(i.first_source_id or -1, ""), authors=", ".join(i.authors or []),
        summary=_plain(i.summary, SUMMARY_CHARS)) for c, i, r, t in found]


def citation_rows(session: Session, version_id: int | None
                  ) -> list[tuple[str, str, str, str, str, str]]:
    """``(url, canonical url, external id, kind, resource title, anchor)`` of every link the
    version cites."""
    if version_id is None:
        return []
    rows = session.execute(
        select(Placement.url, Resource.canonical_url, Resource.external_id, Resource.kind, Resource.title,
               Placement.anchor_text)
        .join(Resource, Resource.id == Placement.resource_id)
        .where(Placement.version_id == version_id).order_by(Placement.position))
    return [(u, c, e or "", k, t or "", a or "") for u, c, e, k, t, a in rows]


def item_sources(session: Session, item_ids: Sequence[int]) -> dict[int, list[tuple[str, str, str]]]:
    """Item id → ``(name, kind, target)`` of every source that saw it, oldest link first."""
    found: dict[int, list[tuple[str, str, str]]] = {}
    ids = sorted(set(item_ids))
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(FeedItemSource.item_id, FeedSource.name, FeedSource.kind, FeedSource.target)
            .join(FeedSource, FeedSource.id == FeedItemSource.source_id)
            .where(FeedItemSource.item_id.in_(ids[start:start + CHUNK]))
            .order_by(FeedItemSource.item_id, FeedItemSource.id))
        for item_id, name, kind, target in rows:
            found.setdefault(item_id, []).append((name, kind, target))
    return found


def decided_items(session: Session, document_id: int) -> list[tuple[int, bool]]:
    """``(item id, accepted)`` of every decided candidate of the document."""
    rows = session.execute(select(Candidate.item_id, Candidate.status)
                           .where(Candidate.document_id == document_id, Candidate.status.in_(DECIDED)))
    return [(item_id, status == "accepted") for item_id, status in rows]


def week_pool(session: Session, document_id: int, week: str, start: datetime, end: datetime
              ) -> list[tuple[Candidate, FeedItem]]:
    """Everything competing for ``week``: queued and overflow candidates (any week), deferred
    ones due by then, and candidates decided during it (they used their slots)."""
    competing = Candidate.status.in_(("queued", "overflow"))
    due = (Candidate.status == "deferred") & (Candidate.week <= week)
    decided = (Candidate.status.in_(DECIDED) & (Candidate.decided_at >= start) & (Candidate.decided_at < end)
               & (Candidate.week == week))
    rows = session.execute(select(Candidate, FeedItem).join(FeedItem, FeedItem.id == Candidate.item_id)
                           .where(Candidate.document_id == document_id, competing | due | decided)
                           .order_by(Candidate.id))
    return [(c, i) for c, i in rows]


def overflow_rows(session: Session, document_id: int, topic_ids: set[int] | None = None) -> list[QueueRow]:
    """Candidates held back beyond a week's budget, as ``QueueRow`` rows."""
    stmt = (select(*_QUEUE_COLUMNS).join(FeedItem, FeedItem.id == Candidate.item_id)
            .where(Candidate.document_id == document_id, Candidate.status == "overflow"))
    if topic_ids is not None:
        stmt = stmt.where(Candidate.topic_id.in_(sorted(topic_ids)))
    return list(session.execute(stmt).all())


def get_calibration(session: Session, version_id: int) -> TopicCalibration | None:
    return session.scalar(select(TopicCalibration).where(TopicCalibration.version_id == version_id))


def save_calibration(session: Session, version_id: int, threshold: float, samples: int,
                     at: datetime) -> None:
    session.execute(insert_for(session, TopicCalibration).values(
        version_id=version_id, threshold=threshold, samples=samples, computed_at=at,
    ).on_conflict_do_nothing(index_elements=["version_id"]))  # computed meanwhile elsewhere: same answer


def week_queue(session: Session, week: str) -> dict[str, str | None]:
    """Item identity → chapter slug of every candidate queued for ``week`` (any document)."""
    rows = session.execute(select(FeedItem.canonical_id, Topic.slug)
                           .join(Candidate, Candidate.item_id == FeedItem.id)
                           .outerjoin(Topic, Topic.id == Candidate.topic_id)
                           .where(Candidate.status == "queued", Candidate.week == week))
    return {key: slug for key, slug in rows}


def hold_document(session: Session, document_id: int) -> None:
    """Write-lock the document row until the transaction ends (a no-op UPDATE: PostgreSQL
    takes the row lock, SQLite the database's write lock, both waiting for a holder to
    finish). Taken before anything is read, so what is read afterwards includes every
    candidate a concurrent ``propose`` of the same document committed."""
    session.execute(update(Document).where(Document.id == document_id).values(id=Document.id)
                    .execution_options(synchronize_session=False))
