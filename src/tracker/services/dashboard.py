"""Use cases behind the web page's figures (read-only).

Owns: the text each candidate was scored on (cleaned, for display), the history
of link states per check run — replayed from the stored observations with the
same policy ``tracker check`` applies, so the chart and the report can never
disagree — and each source's items per week and acceptance rate.
Does not own: deciding (``services.review``), the link report
(``services.report``) or the source listing (``services.sources``).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tracker.candidates.text import clean_text
from tracker.candidates.weeks import week_of, week_start
from tracker.config import Settings
from tracker.db import repo_dashboard as repo
from tracker.db import repo_documents
from tracker.db.session import Database
from tracker.links.model import Observation, Outcome
from tracker.links.policy import state_of
from tracker.services.catalog import resolve_document

__all__ = ["candidate_texts", "chapter_choices", "link_history", "RunStates", "source_figures", "SourceFigures",
           "TEXT_CHARS", "HISTORY_RUNS"]

TEXT_CHARS = 1200
HISTORY_RUNS = 30


@functools.lru_cache(maxsize=8192)
def _plain(raw: str, limit: int) -> str:
    """Cleaning is the costly part of a queue page; summaries rarely change, so it is cached
    by the text itself (a changed summary is a new key)."""
    return clean_text(raw[:limit * 8], limit)


def candidate_texts(db: Database, candidate_ids: Sequence[int], limit: int = TEXT_CHARS) -> dict[int, str]:
    """Candidate id → the summary it was scored on, as plain text (at most ``limit`` characters)."""
    with db.transaction() as session:
        raw = repo.summaries(session, candidate_ids)
    return {cid: _plain(text, limit) for cid, text in raw.items()}


def chapter_choices(db: Database, settings: Settings, document: str | None = None) -> list[tuple[str, str]]:
    """``(slug, title)`` of the topics a candidate can be moved to, in document order: chapters
    and sections without chapters (``review.decide`` refuses the others)."""
    with db.transaction() as session:
        doc = resolve_document(session, settings, document)
        topics = repo_documents.topics_of(session, doc.id)
        parents = {t.parent_id for t in topics}
        return [(t.slug, t.title) for t in topics if t.kind != "front" and t.id not in parents]


@dataclass(frozen=True)
class RunStates:
    """How many links were in each state right after one check run."""

    run_id: int
    at: datetime
    inconclusive: bool
    counts: dict[str, int]


def link_history(db: Database, settings: Settings, runs: int = HISTORY_RUNS) -> list[RunStates]:
    """Link states after each of the newest ``runs`` check runs, oldest first."""
    now = settings.now()
    with db.transaction() as session:
        chosen = [r for r in repo.check_runs(session, runs) if r.started_at <= now]
        rows = repo.observations(session, now) if chosen else []
    by_run: dict[int, datetime] = {}
    for run_id, _rid, seen, *_rest in rows:
        by_run[run_id] = max(seen, by_run.get(run_id, seen))
    history: dict[int, list[Observation]] = defaultdict(list)
    out: list[RunStates] = []
    position = 0
    for run in chosen:
        until = by_run.get(run.id, run.finished_at or run.started_at)
        while position < len(rows) and rows[position][2] <= until:
            _run, rid, seen, outcome, reason, status, final, suggested, soft, counted = rows[position]
            history[rid].append(Observation(seen, Outcome(outcome), reason, status, final, suggested, soft,
                                            counted))
            position += 1
        counts: dict[str, int] = defaultdict(int)
        for observed in history.values():
            counts[state_of(observed, until, settings.links).state] += 1
        out.append(RunStates(run.id, run.started_at, run.inconclusive, dict(counts)))
    return out


@dataclass
class SourceFigures:
    """Items a source delivered per ISO week (newest last) and its decided candidates."""

    weeks: dict[str, int] = field(default_factory=dict)
    accepted: int = 0
    rejected: int = 0

    @property
    def acceptance(self) -> float | None:
        decided = self.accepted + self.rejected
        return self.accepted / decided if decided else None


def source_figures(db: Database, settings: Settings, weeks: int = 6) -> tuple[list[str], dict[str, SourceFigures]]:
    """The last ``weeks`` ISO week labels and, per source name, its figures."""
    now = settings.now()
    labels = [week_of(now - timedelta(weeks=n)) for n in range(weeks - 1, -1, -1)]
    since = week_start(labels[0])
    figures: dict[str, SourceFigures] = defaultdict(SourceFigures)
    with db.transaction() as session:
        for source_id, seen in repo.sightings(session, since):
            label = week_of(seen)
            if label in labels:
                weeks_of = figures[source_id].weeks
                weeks_of[label] = weeks_of.get(label, 0) + 1
        for source_id, status in repo.decided_by_source(session):
            if status == "accepted":
                figures[source_id].accepted += 1
            else:
                figures[source_id].rejected += 1
    return labels, dict(figures)
