"""Retrospective evaluation of the weekly queue (pure): did it show what the maintainers later added?

Inputs are plain records: per week, what the queue held (identity → chapter and
rank) and what the stream announced; per commit of the document, the links it
added (identity → chapter) and when. A link *counts* when the stream announced
it in some week before the commit that added it (a link the stream never
carried says nothing about the queue). It is a *hit* when it was inside the
budgeted queue of one of those weeks; the hit's chapter is *right* when the
queue placed it in the chapter the maintainers chose.

Owns: those definitions and the figures — recall within the budget, chapter
accuracy, queue size per week. Does not import, crawl or propose
(``services.evaluate`` replays the weeks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["WeekRecord", "Added", "QueueEvalReport", "score_weeks"]


@dataclass(frozen=True)
class WeekRecord:
    week: str
    start: datetime
    version: str  # label of the document version imported for the week
    items: int  # items the stream announced that week
    stream: frozenset[str]  # their identities
    queued: Mapping[str, str | None]  # identity → chapter slug, inside the budget
    held_back: int


@dataclass(frozen=True)
class Added:
    """A link a commit added: its identity, URL, chapter and the commit's date."""

    key: str
    url: str
    topic: str
    at: datetime


@dataclass
class QueueEvalReport:
    weeks: list[dict[str, Any]] = field(default_factory=list)
    counted: int = 0
    hits: int = 0
    right_chapter: int = 0
    links: list[dict[str, Any]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return round(self.hits / self.counted, 4) if self.counted else 0.0

    @property
    def chapter_accuracy(self) -> float:
        return round(self.right_chapter / self.hits, 4) if self.hits else 0.0

    def as_dict(self) -> dict[str, Any]:
        sizes = [w["queued"] for w in self.weeks]
        return {"weeks": self.weeks, "added_in_stream": self.counted, "in_queue": self.hits,
                "recall_within_budget": self.recall, "chapter_accuracy": self.chapter_accuracy,
                "queue_size": {"min": min(sizes, default=0), "max": max(sizes, default=0),
                               "mean": round(sum(sizes) / len(sizes), 2) if sizes else 0.0},
                "links": self.links}


def score_weeks(weeks: Sequence[WeekRecord], added: Sequence[Added]) -> QueueEvalReport:
    """The figures of the module docstring."""
    report = QueueEvalReport()
    for week in weeks:
        report.weeks.append({"week": week.week, "version": week.version, "items": week.items,
                             "queued": len(week.queued), "held_back": week.held_back})
    for link in added:
        before = [w for w in weeks if w.start < link.at and link.key in w.stream]
        if not before:
            continue
        report.counted += 1
        shown = next((w for w in before if link.key in w.queued), None)
        chapter = shown.queued[link.key] if shown is not None else None
        report.hits += shown is not None
        report.right_chapter += shown is not None and chapter == link.topic
        report.links.append({"url": link.url, "topic": link.topic, "added_at": link.at,
                             "announced": before[0].week, "queued_in": shown.week if shown else None,
                             "queued_topic": chapter})
    return report
