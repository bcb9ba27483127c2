"""The link-rot report as data (pure): its shapes, grouping, per-host figures and JSON form.

Owns: ``LinkRow``/``LinkReport``, the order of groups (section, then chapter, as
the document orders them), which rows are newly dead, recovered or soft 404s,
the per-host figures, and ``report_json`` with the contract's field names
(``summary`` state → count; ``links`` with ``url``, ``state``, ``reason``,
``http_status``, ``final_url``, ``suggested_url``, ``archive_url``,
``consecutive_failures``, ``first_failure_at``, ``last_ok_at``, ``topics``).
Does not own: querying (``tracker.services.report``) or Markdown/HTML
(``report_render``).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tracker.bulk import gc_paused
from tracker.links.model import STATES

__all__ = ["Place", "LinkRow", "HostFigures", "RunInfo", "LinkReport", "Group", "groups",
           "host_figures", "report_json", "UNPLACED"]

UNPLACED = "Not placed in the document"
_STATE_ORDER = {name: i for i, name in enumerate(("dead", "failing", "blocked", "redirected",
                                                  "alive", "unchecked"))}


@dataclass(frozen=True)
class Place:
    """A topic citing the link, with its section and chapter."""

    slug: str
    section_slug: str
    section_title: str
    section_position: int
    chapter_slug: str | None = None
    chapter_title: str | None = None
    chapter_position: int = -1


@dataclass(frozen=True)
class LinkRow:
    """One link with its state and where the document cites it."""

    url: str
    canonical_url: str
    title: str
    host: str
    state: str
    reason: str = ""
    http_status: int | None = None
    final_url: str | None = None
    suggested_url: str | None = None
    archive_url: str | None = None
    archived_at: datetime | None = None
    consecutive_failures: int = 0
    first_failure_at: datetime | None = None
    last_ok_at: datetime | None = None
    last_checked_at: datetime | None = None
    state_since: datetime | None = None
    previous_state: str | None = None
    soft404: bool = False
    elapsed_ms: int = 0
    places: tuple[Place, ...] = ()
    newly_dead: bool = False
    recovered: bool = False

    @property
    def topics(self) -> list[str]:
        return [p.slug for p in self.places]


@dataclass(frozen=True)
class HostFigures:
    host: str
    links: int
    counts: dict[str, int]
    median_ms: int | None


@dataclass(frozen=True)
class RunInfo:
    id: int
    started_at: datetime
    inconclusive: bool
    links: int
    requests: int
    elapsed_ms: int


@dataclass(frozen=True)
class LinkReport:
    generated_at: datetime
    since: datetime
    rows: tuple[LinkRow, ...]
    last_run: RunInfo | None = None
    summary: dict[str, int] = field(default_factory=dict)

    @property
    def newly_dead(self) -> list[LinkRow]:
        return [r for r in self.rows if r.newly_dead]

    @property
    def recovered(self) -> list[LinkRow]:
        return [r for r in self.rows if r.recovered]

    @property
    def soft404s(self) -> list[LinkRow]:
        return [r for r in self.rows if r.soft404 and r.state in ("dead", "failing")]

    @property
    def problems(self) -> list[LinkRow]:
        return [r for r in self.rows if r.state in ("dead", "failing", "blocked", "redirected")]


def summarise(rows: Sequence[LinkRow]) -> dict[str, int]:
    counts = {name: 0 for name in STATES}
    for r in rows:
        counts[r.state] = counts.get(r.state, 0) + 1
    return counts


@dataclass(frozen=True)
class Group:
    """The problem links of one section (``chapter`` None: cited in the section itself)."""

    section: str
    chapter: str | None
    rows: tuple[LinkRow, ...]


def groups(rows: Sequence[LinkRow], states: Sequence[str] = ("dead", "failing", "blocked",
                                                              "redirected")) -> Iterator[Group]:
    """Rows in ``states`` grouped by section and chapter, in document order; a link cited
    in several chapters is listed under each, unplaced links come last."""
    buckets: dict[tuple[int, str, int, str | None], list[LinkRow]] = defaultdict(list)
    for row in rows:
        if row.state not in states:
            continue
        if not row.places:
            buckets[(1 << 30, UNPLACED, -1, None)].append(row)
        for p in row.places:
            buckets[(p.section_position, p.section_title, p.chapter_position, p.chapter_title)].append(row)
    for key in sorted(buckets, key=lambda k: (k[0], k[1], k[2], k[3] or "")):
        members = sorted(buckets[key], key=lambda r: (_STATE_ORDER.get(r.state, 9), r.url))
        yield Group(key[1], key[3], tuple(members))


def host_figures(rows: Sequence[LinkRow]) -> list[HostFigures]:
    """Per host: links, count by state, median response time of the last check."""
    by_host: dict[str, list[LinkRow]] = defaultdict(list)
    for r in rows:
        by_host[r.host].append(r)
    out = []
    for host, members in by_host.items():
        times = [r.elapsed_ms for r in members if r.last_checked_at is not None]
        out.append(HostFigures(host, len(members), summarise(members),
                               int(statistics.median(times)) if times else None))
    bad = ("dead", "failing", "blocked")
    return sorted(out, key=lambda h: (-sum(h.counts[s] for s in bad), -h.links, h.host))


def _link_json(r: LinkRow) -> dict[str, Any]:
    first = r.places[0] if r.places else None
    return {
        "url": r.url, "state": r.state, "reason": r.reason, "http_status": r.http_status,
        "final_url": r.final_url, "suggested_url": r.suggested_url, "archive_url": r.archive_url,
        "consecutive_failures": r.consecutive_failures, "first_failure_at": r.first_failure_at,
        "last_ok_at": r.last_ok_at, "topics": r.topics,
        "canonical_url": r.canonical_url, "title": r.title, "host": r.host,
        "soft404": r.soft404, "archived_at": r.archived_at, "last_checked_at": r.last_checked_at,
        "state_since": r.state_since, "previous_state": r.previous_state,
        "newly_dead": r.newly_dead, "recovered": r.recovered,
        "section": first.section_slug if first else None,
        "chapter": first.chapter_slug if first else None,
    }


def report_json(report: LinkReport) -> dict[str, Any]:
    """The report as JSON-ready data (datetimes are left for the CLI's encoder)."""
    with gc_paused():  # a dict per link
        return _report_json(report)


def _report_json(report: LinkReport) -> dict[str, Any]:
    run = report.last_run
    return {
        "generated_at": report.generated_at,
        "inconclusive": run is not None and run.inconclusive,
        "since": report.since,
        "last_run": None if run is None else {
            "id": run.id, "started_at": run.started_at, "inconclusive": run.inconclusive,
            "links": run.links, "requests": run.requests, "elapsed_ms": run.elapsed_ms},
        "summary": report.summary,
        "newly_dead": [r.url for r in report.newly_dead],
        "recovered": [r.url for r in report.recovered],
        "soft404": [r.url for r in report.soft404s],
        "hosts": [{"host": h.host, "links": h.links, **h.counts, "median_ms": h.median_ms}
                  for h in host_figures(report.rows)],
        "links": [_link_json(r) for r in report.rows],
    }
