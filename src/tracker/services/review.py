"""Use cases: the weekly queue and decisions on candidates.

``queue()`` lists the pending candidates of a week (the budgeted queue
``propose`` filled, and deferred ones due by then), grouped by section and
chapter in document order, best first; with ``all_`` the overflow (on topic,
held back beyond the budget) follows. Each row carries its ``rank`` and
readable ``reasons`` (``reasons_of``). ``decide()`` records one
decision — accept, reject, defer or move — in its own transaction, with who
(``--by`` or ``$USER``), when (``Settings.now()``) and why (the note); an
interrupted review therefore never leaves half a decision behind. Accepting
creates (or reuses) the ``Resource`` with origin ``candidate``, placed in the
chosen topic and pending until a document version cites it. ``undo()`` puts a
candidate back as it was before its latest decision (each decision stores what
it replaced), until a document version cites what an accept added.
Owns: the rules of deciding; not the terminal dialogue (``cli.candidates``).
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker.db import Session

from tracker.candidates.weeks import next_week, parse_week, week_of
from tracker.config import Settings
from tracker.db import repo_candidates as repo
from tracker.db import repo_documents, repo_review
from tracker.db.models_candidates import DECIDED, PENDING, Candidate
from tracker.db.models_core import Topic
from tracker.db.session import Database
from tracker.errors import ConflictError, Hint, InputError, NotFoundError
from tracker.services.catalog import resolve_document, resolve_topic, topic_subtree
from tracker.urls import InvalidURL, canonicalize

__all__ = ["ACTIONS", "Decision", "queue", "decide", "undo", "recent_decisions", "default_reviewer",
           "candidate_row", "reasons_of", "seen_state"]

ACTIONS = ("accept", "reject", "defer", "move")


@dataclass(frozen=True)
class Decision:
    """A stored decision, as the CLI reports it."""

    candidate_id: int
    action: str
    status: str
    topic: str | None
    week: str
    by: str
    note: str
    resource_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def default_reviewer() -> str:
    """Who decides when ``--by`` is not given: ``$USER``, else the login name."""
    user = os.environ.get("USER") or os.environ.get("USERNAME")
    if user:
        return user
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def reasons_of(candidate: Candidate | repo.QueueRow, topic: Topic | None, budget: int) -> list[str]:
    """What a maintainer reads to trust the rank: fit and its words, sources, prior, age, budget."""
    signals = dict(candidate.signals or {})
    where = topic.title if topic is not None else "no chapter"
    fit = float(signals.get("fit", candidate.score) or 0.0)
    threshold = float(signals.get("threshold") or 0.0)
    times = f", {fit / threshold:.1f}× the off-topic threshold" if threshold > 0 else ""
    terms = list(signals.get("terms") or [])
    words = f": {', '.join(terms)}" if terms else ""
    scores = list(candidate.scores or [])
    best = str(scores[0].get("slug") or "") if scores else ""
    if topic is not None and best and best != topic.slug:  # moved by a reviewer: fit and words are best's
        own = next((float(s.get("score") or 0.0) for s in scores if s.get("slug") == topic.slug), None)
        here = f" (its fit there: {own:.3f})" if own is not None else ""
        out = [f"moved to {where}{here}; it fits {best} best ({fit:.3f}{times}){words}"]
    else:
        out = [f"fits {where} ({fit:.3f}{times}){words}"]
    if signals.get("placement"):
        out.append(f"placed by {signals['placement']}")
    sources = list(signals.get("sources") or [])
    if len(sources) > 1:
        out.append(f"corroborated by {len(sources)} independent sources: {', '.join(sources)}")
    elif sources:
        out.append(f"one source: {sources[0]}")
    if "prior" in signals:
        basis = "; ".join(signals.get("prior_basis") or []) or "no history yet"
        out.append(f"source prior ×{float(signals['prior']):.2f} ({basis})")
    if "freshness" in signals:
        out.append(f"freshness ×{float(signals['freshness']):.2f}")
    if candidate.rank is not None:
        out.append(f"#{candidate.rank} of this week's budget of {budget} (priority {candidate.priority:.2f})")
    elif candidate.status == "overflow":
        out.append(f"held back: beyond this week's budget of {budget} (priority {candidate.priority:.2f})")
    return out


def candidate_row(row: repo.QueueRow, topics: dict[int, Topic], sources: dict[int, str],
                  budget: int = 0) -> dict[str, Any]:
    """One candidate in the JSON contract's shape, plus the queue's display fields."""
    topic = topics.get(row.topic_id) if row.topic_id is not None else None
    section = topics.get(topic.parent_id) if topic is not None and topic.parent_id else None
    return {
        "id": row.id, "url": row.url, "canonical_id": row.canonical_id, "title": row.title,
        "source": sources.get(row.first_source_id or -1, ""), "kind": row.kind,
        "published_at": row.published_at, "topics": list(row.scores or []),
        "status": row.status, "rank": row.rank, "priority": row.priority,
        "signals": dict(row.signals or {}), "reasons": reasons_of(row, topic, budget),
        "topic": topic.slug if topic else None, "score": row.score,
        "reason": row.reason, "week": row.week, "authors": list(row.authors or []),
        "section": section.title if section else (topic.title if topic and topic.kind in ("section", "front") else None),
        "chapter": topic.title if topic else None,
    }


def queue(db: Database, settings: Settings, *, week: str | None = None, topic: str | None = None,
          document: str | None = None, all_: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """``(week, rows)``: the week's pending candidates grouped by section and chapter, best first;
    with ``all_`` the overflow follows (best first)."""
    from tracker.services.propose import load_profiles, rescore, reselect  # scoring: scikit-learn

    label = parse_week(week) if week else week_of(settings.now())
    with db.transaction() as session:
        doc = resolve_document(session, settings, document)
        all_topics = repo_documents.topics_of(session, doc.id, active_only=False)
        active = [t for t in all_topics if t.active]
        allowed = topic_subtree(active, resolve_topic(active, topic)) if topic else None
        latest = repo_documents.latest_version(session, doc.id)
        if repo.rescore_needed(session, doc.id, latest.id if latest else None):  # build profiles only then
            profiles = load_profiles(session, doc.id, settings)
            if rescore(session, settings, doc.id, profiles):
                reselect(session, settings, doc.id, profiles)
        rows = repo.queue_rows(session, doc.id, label, allowed)
        held = repo.overflow_rows(session, doc.id, allowed) if all_ else []
        by_id = {t.id: t for t in all_topics}
        sources = repo.source_names(session, [r.first_source_id for r in rows + held])
        budget = settings.candidates.weekly_budget

        def order(row: repo.QueueRow) -> tuple[int, int, float, int]:
            t = by_id.get(row.topic_id) if row.topic_id is not None else None
            section = by_id.get(t.parent_id) if t is not None and t.parent_id else t
            return (section.position if section else 1 << 30, t.position if t else 1 << 30,
                    -row.score, row.id)

        shown = sorted(rows, key=order) + sorted(held, key=lambda r: (-r.priority, r.id))
        return label, [candidate_row(r, by_id, sources, budget) for r in shown]


def _chapter(session: Session, document_id: int, slug: str, action: str) -> Topic:
    """The topic ``slug`` as a place for a candidate: a chapter, or a section without chapters
    (``profiles.targets``: where ``propose`` puts them too, and where ``export --apply`` adds a
    line). A section with chapters is refused, naming them: the export cannot place it."""
    topics = repo_documents.topics_of(session, document_id)
    topic = resolve_topic(topics, slug)
    if topic.kind == "front":
        raise InputError(f"topic {slug!r} is front matter, not a chapter", hint=Hint("list_topics"))
    chapters = [t.slug for t in topics if t.parent_id == topic.id]
    if chapters:
        raise InputError(f"topic {slug!r} is a {topic.kind}, not a chapter; its chapters are "
                         f"{', '.join(chapters)}", hint=Hint("choose_topic", {"action": action}))
    return topic


def _accept(session: Session, candidate: Candidate, topic: Topic, settings: Settings) -> int:
    item = repo.item_of(session, candidate)
    try:
        canon = canonicalize(item.url)
    except (InvalidURL, ValueError):
        raise InputError(f"candidate {candidate.id} has an unusable URL {item.url!r}") from None
    ids, _created = repo_documents.ensure_resources(session, {canon.canonical: dict(
        canonical_url=canon.canonical, url=item.url, kind=canon.kind, host=canon.host,
        external_id=canon.external_id, title=" ".join(item.title.split())[:1000], origin="candidate",
        created_at=settings.now())})
    return ids[canon.canonical]


def seen_state(status: str, week: str, topic: str | None) -> str:
    """A candidate as a page showed it (``queued 2026-W48 tokenization``): what a decision form
    sends back as ``expect``, so a stale page or a second click decides nothing."""
    return f"{status} {week} {topic or '-'}"


def decide(db: Database, settings: Settings, candidate_id: int, action: str, *, topic: str | None = None,
           note: str = "", by: str | None = None, expect: str | None = None) -> Decision:
    """Record one decision on candidate ``candidate_id`` in its own transaction. ``expect``:
    the ``seen_state`` the caller showed (a web page); when the candidate changed since —
    another reviewer moved or deferred it, or the same form was sent twice — nothing is
    decided."""
    if action not in ACTIONS:
        raise InputError(f"unknown action {action!r}; choose one of {', '.join(ACTIONS)}")
    if action == "move" and not topic:
        raise InputError("moving a candidate needs a topic", hint=Hint("choose_topic", {"action": "move"}))
    if action in ("reject", "defer") and topic:
        raise InputError(f"a topic does not apply to {action}; only accept and move take one")
    reviewer = (by or default_reviewer()).strip()[:200] or "unknown"
    now = settings.now()
    with db.transaction() as session:
        candidate = repo.get_candidate(session, candidate_id)
        if candidate is None:
            raise NotFoundError(f"no candidate with id {candidate_id}", hint=Hint("list_candidates"))
        if candidate.status in DECIDED:
            raise ConflictError(f"candidate {candidate_id} was already {candidate.status} "
                                f"by {candidate.decided_by} on {candidate.decided_at:%Y-%m-%d}",
                                hint=Hint("undo", {"candidate": candidate_id}))
        if candidate.status not in PENDING + ("overflow", "off_topic"):
            raise ConflictError(f"candidate {candidate_id} is {candidate.status.replace('_', ' ')}, "
                                "not in the queue; nothing to decide")
        if not repo.hold_undecided(session, candidate_id, candidate.status):
            raise ConflictError(f"candidate {candidate_id} was decided by someone else a moment ago; "
                                "nothing was changed", hint=Hint("reload"))
        session.refresh(candidate)  # as committed when the lock was granted: a move may have landed
        current = session.get(Topic, candidate.topic_id) if candidate.topic_id else None
        if expect is not None and expect != seen_state(candidate.status, candidate.week,
                                                       current.slug if current else None):
            where = f" in {current.slug}" if current else ""
            raise ConflictError(f"candidate {candidate_id} changed since this page was shown: it is now "
                                f"{candidate.status}{where} for {candidate.week}; nothing was changed",
                                hint=Hint("reload"))
        chosen = _chapter(session, candidate.document_id, topic, action) if topic else current
        if action == "accept" and (chosen is None or not chosen.active):
            raise InputError(f"candidate {candidate_id} has no current topic",
                             hint=Hint("choose_topic", {"action": "accept"}))
        week = ""
        before = _snapshot(candidate)
        if action == "accept":
            assert chosen is not None
            candidate.resource_id = _accept(session, candidate, chosen, settings)
            candidate.status, candidate.topic_id = "accepted", chosen.id
        elif action == "reject":
            candidate.status = "rejected"
        elif action == "defer":
            week = next_week(max(candidate.week, week_of(now)))
            candidate.status, candidate.week = "deferred", week
        else:
            assert chosen is not None
            candidate.topic_id = chosen.id
            if candidate.status in ("off_topic", "overflow"):
                candidate.status = "queued"
                candidate.week = max(candidate.week, week_of(now))
        if action != "move":
            candidate.decided_at, candidate.decided_by, candidate.note = now, reviewer, note
        repo.add_decision(session, candidate, action, reviewer, now, note, chosen, week).before = before
        session.flush()
        return Decision(candidate.id, action, candidate.status, chosen.slug if chosen else None,
                        candidate.week, reviewer, note, candidate.resource_id)


def _snapshot(candidate: Candidate) -> dict[str, Any]:
    """What a decision may change on the candidate row, to put back on undo."""
    return {"status": candidate.status, "week": candidate.week, "topic_id": candidate.topic_id,
            "resource_id": candidate.resource_id, "decided_by": candidate.decided_by,
            "note": candidate.note,
            "decided_at": candidate.decided_at.isoformat() if candidate.decided_at else None}


def undo(db: Database, settings: Settings, candidate_id: int, *, by: str | None = None,
         expect: str | None = None) -> Decision:
    """Reverse candidate ``candidate_id``'s latest decision, in its own transaction.

    An accept can be undone until a document version cites the resource it added;
    the resource goes too when nothing else uses it. ``expect``: the status the caller
    saw (a web page), so an undo never reverses a decision someone else took since."""
    reviewer = (by or default_reviewer()).strip()[:200] or "unknown"
    now = settings.now()
    with db.transaction() as session:
        candidate = repo.get_candidate(session, candidate_id)
        if candidate is None:
            raise NotFoundError(f"no candidate with id {candidate_id}", hint=Hint("list_candidates"))
        if expect is not None and candidate.status != expect:
            raise ConflictError(f"candidate {candidate_id} is now {candidate.status} "
                                f"(by {candidate.decided_by or 'someone'}); nothing was undone")
        last = repo_review.latest_undoable(session, candidate_id)
        if last is None or last.before is None:
            raise ConflictError(f"candidate {candidate_id} has no decision to undo"
                                + (" (it was decided before undo existed)" if last is not None else ""))
        if not repo.hold_undecided(session, candidate_id, candidate.status):
            raise ConflictError(f"candidate {candidate_id} was changed by someone else a moment ago; "
                                "nothing was undone", hint=Hint("reload"))
        if last.action == "accept" and candidate.resource_id is not None:
            latest = repo_documents.latest_version(session, candidate.document_id)
            if candidate.resource_id in repo.cited_resource_ids(session, latest.id if latest else None):
                raise ConflictError(f"candidate {candidate_id} is in the document since version "
                                    f"{latest.label if latest else '?'}; remove the link there instead")
        before = last.before
        added = candidate.resource_id if last.action == "accept" else None
        candidate.status, candidate.week = str(before["status"]), str(before["week"])
        candidate.topic_id, candidate.resource_id = before["topic_id"], before["resource_id"]
        candidate.decided_by, candidate.note = str(before["decided_by"] or ""), str(before["note"] or "")
        candidate.decided_at = datetime.fromisoformat(before["decided_at"]) if before["decided_at"] else None
        if added is not None and added != candidate.resource_id and \
                repo_review.resource_unused(session, added, candidate_id):
            repo_review.delete_resource(session, added)
        last.undone_at = now
        topic = session.get(Topic, candidate.topic_id) if candidate.topic_id else None
        repo.add_decision(session, candidate, "undo", reviewer, now, f"undid {last.action} by {last.decided_by}",
                          topic, candidate.week)
        session.flush()
        return Decision(candidate.id, "undo", candidate.status, topic.slug if topic else None, candidate.week,
                        reviewer, f"undid {last.action}", candidate.resource_id)


def recent_decisions(db: Database, settings: Settings, *, document: str | None = None,
                     limit: int = 10) -> list[dict[str, Any]]:
    """The newest decisions that can still be undone, newest first, one per candidate."""
    with db.transaction() as session:
        doc = resolve_document(session, settings, document)
        return [{"candidate_id": c.id, "action": d.action, "status": c.status, "title": i.title,
                 "url": i.url, "by": d.decided_by, "at": d.decided_at, "topic": d.topic_slug, "week": d.week}
                for d, c, i in repo_review.recent_decisions(session, doc.id, limit)]
