"""Queries of the links area: what to check, observation history, status rows, topics.

Owns: reading resources with their cached link status, the recent observations
the policy needs, writing runs/observations/status/archive lookups, and the
topics (section, chapter) each resource is placed in by the latest version of
its document (recording a batch, with status rows created by
upsert and locked in ``lock_status_rows``, is ``repo_linkstore``'s: its names are
re-exported here; a run's own row, pages of due links and claims are
``db.plain_links``'s plain SQL, which a big check runs before SQLAlchemy is loaded). Also the set-based planning queries a check needs (what is
due, how many links there are, counts by state, dead links awaiting an archive
answer): each is one index-backed query (``explain_planning`` shows the plans),
so a check with nothing due costs milliseconds however many links are stored.
Does not own: any decision (``tracker.links``) or HTTP.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from tracker.db.models_core import Placement, Resource, Topic
from tracker.db.models_links import ArchiveLookup, CheckRun, LinkStatus
from tracker.db.plain_links import DueLink
from tracker.db.repo_linkstore import (OBSERVATION_WINDOW, add_resource_version, lock_status_rows,
                                       recent_observations)
from tracker.db.sets import is_postgres, one_of
from tracker.types import LinkStatus as LinkStatusView

__all__ = ["Session", "TopicRef", "resources_with_status", "recent_observations", "topics_by_resource",
           "add_resource_version", "latest_run", "status_rows", "OBSERVATION_WINDOW", "DueLink",
           "lock_status_rows", "count_resources", "due_resource_ids", "state_counts",
           "archive_candidates", "resources_by_id", "report_rows", "explain_planning"]

@dataclass(frozen=True)
class TopicRef:
    """Where a resource is cited: its topic and the section/chapter it belongs to."""

    slug: str
    title: str
    kind: str
    section_slug: str
    section_title: str
    section_position: int
    chapter_slug: str | None
    chapter_title: str | None
    chapter_position: int


def resources_with_status(session: Session, resource_ids: Iterable[int] | None = None
                          ) -> list[tuple[Resource, LinkStatus | None]]:
    """Every resource (document or candidate origin) with its status row, by id; with
    ``resource_ids``, only those (e.g. the ``due_resource_ids``)."""
    query = select(Resource, LinkStatus).outerjoin(LinkStatus, LinkStatus.resource_id == Resource.id)
    if resource_ids is None:
        return [(r, s) for r, s in session.execute(query.order_by(Resource.id)).all()]
    out: list[tuple[Resource, LinkStatus | None]] = []
    for cond in one_of(session, Resource.id, resource_ids):
        out += [(r, s) for r, s in session.execute(query.where(cond)).all()]
    return sorted(out, key=lambda pair: pair[0].id)


def status_rows(session: Session, resource_ids: Iterable[int] | None = None) -> dict[int, LinkStatus]:
    query = select(LinkStatus)
    if resource_ids is None:
        return {s.resource_id: s for s in session.scalars(query)}
    out: dict[int, LinkStatus] = {}
    for cond in one_of(session, LinkStatus.resource_id, resource_ids):
        out.update((s.resource_id, s) for s in session.scalars(query.where(cond)))
    return out


def resources_by_id(session: Session, resource_ids: Iterable[int]) -> dict[int, Resource]:
    """The resources with these ids (a few: e.g. the dead links awaiting an archive answer)."""
    out: dict[int, Resource] = {}
    for cond in one_of(session, Resource.id, resource_ids):
        out.update((r.id, r) for r in session.scalars(select(Resource).where(cond)))
    return out


def count_resources(session: Session) -> int:
    """How many resources (links) are tracked: the ``total`` of a check."""
    return session.scalar(select(func.count()).select_from(Resource)) or 0


def _due_queries(now: datetime) -> list[tuple[str, Select[Any]]]:
    """The three parts of "due", each answered by an index: a status whose time has come
    (``ix_link_status_next_check_at``, a range), a status without a time (the same index),
    and a resource never checked (an anti-join on ``link_status``'s primary key)."""
    return [
        ("due: next_check_at <= now", select(LinkStatus.resource_id).where(LinkStatus.next_check_at <= now)),
        ("due: next_check_at IS NULL", select(LinkStatus.resource_id).where(LinkStatus.next_check_at.is_(None))),
        ("due: never checked", select(Resource.id).where(
            ~exists().where(LinkStatus.resource_id == Resource.id))),
    ]


def due_resource_ids(session: Session, now: datetime) -> list[int]:
    """Ids of the resources due for a check at ``now``, ascending: never checked, or whose
    ``next_check_at`` is unset or has come (the same rule as ``linkcheck._plan``). Reads
    ids only; with nothing due it returns ``[]`` after three index lookups."""
    ids: set[int] = set()
    for _title, query in _due_queries(now):
        ids.update(session.scalars(query))
    return sorted(ids)


def state_counts(session: Session) -> dict[str, int]:
    """state → how many status rows are in it (resources without a row are ``unchecked``:
    ``count_resources`` minus the sum)."""
    return {state: int(n) for state, n in session.execute(
        select(LinkStatus.state, func.count()).group_by(LinkStatus.state))}


def _archive_query(now: datetime | None = None) -> Select[Any]:
    retry = LinkStatus.archive_outcome == "retry"
    if now is not None:  # only those whose retry time has come (``ix_link_status_archive_due``)
        retry = retry & or_(LinkStatus.archive_retry_at.is_(None), LinkStatus.archive_retry_at <= now)
    return select(LinkStatus).where(LinkStatus.state == "dead", or_(LinkStatus.archive_outcome.is_(None), retry))


def archive_candidates(session: Session, now: datetime | None = None) -> dict[int, LinkStatus]:
    """Status rows of dead links never asked about, or whose last archive answer was
    "retry" (with ``now``: whose retry time has come), by ``ix_link_status_archive_due``.
    ``links.archive.archive_due`` stays the rule; this only narrows the rows it reads."""
    query = _archive_query(now).order_by(LinkStatus.resource_id)
    return {st.resource_id: st for st in session.scalars(query)}


def report_rows(session: Session) -> list[Any]:
    """Every resource with its status columns (``None`` when never checked), by id, as plain
    rows (no ORM objects: 50,000 of them would cost seconds). Status columns are prefixed
    ``st_`` where a resource column has the same name (``st_title``); ``services.report``
    unpacks them in this order (read through Core: no ORM result processing per row)."""
    return list(session.connection().execute(
        select(Resource.id, Resource.url, Resource.canonical_url, Resource.title, Resource.host,
               LinkStatus.resource_id.label("status_id"), LinkStatus.state, LinkStatus.previous_state,
               LinkStatus.state_since, LinkStatus.reason, LinkStatus.http_status, LinkStatus.final_url,
               LinkStatus.suggested_url, LinkStatus.soft404, LinkStatus.consecutive_failures,
               LinkStatus.first_failure_at, LinkStatus.last_ok_at, LinkStatus.last_checked_at,
               LinkStatus.elapsed_ms, LinkStatus.title.label("st_title"), LinkStatus.archive_url,
               LinkStatus.archived_at)
        .outerjoin(LinkStatus, LinkStatus.resource_id == Resource.id).order_by(Resource.id)
    ).all())


def explain_planning(session: Session, now: datetime) -> list[tuple[str, list[str]]]:
    """The database's plan for each planning and state query (``EXPLAIN QUERY PLAN`` on
    SQLite, ``EXPLAIN`` on PostgreSQL): benchmarks print them, tests assert the indexes."""
    queries: list[tuple[str, Any]] = [*_due_queries(now)]
    queries.append(("state counts", select(LinkStatus.state, func.count()).group_by(LinkStatus.state)))
    queries.append(("archive candidates", _archive_query(now)))
    queries.append(("placements of a version", select(Placement.resource_id).where(
        Placement.version_id == 1).order_by(Placement.position)))
    prefix = "EXPLAIN " if is_postgres(session) else "EXPLAIN QUERY PLAN "
    dialect = session.get_bind().dialect
    out = []
    for title, query in queries:
        compiled = query.compile(dialect=dialect)
        params = compiled.construct_params()
        for key, value in list(params.items()):  # bind through the column types (aware UTC → naive)
            processor = compiled.binds[key].type.bind_processor(dialect)
            params[key] = processor(value) if processor else value
        args: Any = tuple(params[k] for k in compiled.positiontup) if compiled.positiontup else params
        rows = session.connection().exec_driver_sql(prefix + str(compiled), args)
        out.append((title, [str(row[-1]) for row in rows]))
    return out


def topics_by_resource(session: Session, resource_ids: Iterable[int] | None = None) -> dict[int, list[TopicRef]]:
    """Topics of each resource's placements in the latest version of its document."""
    parent = aliased(Topic)
    query = (
        select(Placement.resource_id, Topic.id, Topic.slug, Topic.title, Topic.kind, Topic.position,
               parent.id.label("parent_id"), parent.slug.label("parent_slug"),
               parent.title.label("parent_title"), parent.position.label("parent_position"))
        .where(Placement.version_id.in_(_latest_version_ids()))
        .join(Topic, Topic.id == Placement.topic_id)
        .outerjoin(parent, parent.id == Topic.parent_id)
        .order_by(Placement.resource_id, Placement.position)
    )
    conditions: list[Any] = [None]
    if resource_ids is not None:
        conditions = list(one_of(session, Placement.resource_id, resource_ids))
        if not conditions:
            return {}
    out: dict[int, list[TopicRef]] = defaultdict(list)
    seen: set[tuple[int, int]] = set()
    refs: dict[int, TopicRef] = {}  # one TopicRef per topic, shared by its resources
    for cond in conditions:
        rows = session.connection().execute(query if cond is None else query.where(cond))  # Core: plain rows
        for rid, tid, slug, title, kind, position, par_id, par_slug, par_title, par_position in rows:
            if (rid, tid) in seen:
                continue
            seen.add((rid, tid))
            ref = refs.get(tid)
            if ref is None:
                if kind == "chapter" and par_id is not None:
                    ref = TopicRef(slug, title, kind, par_slug, par_title, par_position, slug, title, position)
                else:
                    ref = TopicRef(slug, title, kind, slug, title, position, None, None, -1)
                refs[tid] = ref
            out[rid].append(ref)
    return out


def latest_run(session: Session) -> CheckRun | None:
    return session.scalars(select(CheckRun).order_by(CheckRun.id.desc()).limit(1)).first()


def archive_lookups(session: Session, resource_id: int) -> list[ArchiveLookup]:
    return list(session.scalars(select(ArchiveLookup).where(ArchiveLookup.resource_id == resource_id)
                                .order_by(ArchiveLookup.id)))


def record_archive_answer(session: Session, resource_id: int, outcome: str, checked_at: datetime,
                          retry_at: datetime | None, archive_url: str | None,
                          archived_at: datetime | None) -> None:
    """Store a Wayback answer on the link's status, touching only the archive columns."""
    values: dict[str, object] = {"archive_outcome": outcome, "archive_checked_at": checked_at,
                                 "archive_retry_at": retry_at}
    if archive_url is not None:
        values.update(archive_url=archive_url, archived_at=archived_at)
    session.execute(update(LinkStatus).where(LinkStatus.resource_id == resource_id).values(**values)
                    .execution_options(synchronize_session=False))


def as_link_status(row: LinkStatus | Any) -> LinkStatusView:
    """A stored status row (the ORM object, or a plain row with the same column names) as
    the ``tracker.types.LinkStatus`` hand-over other areas read."""
    return LinkStatusView(
        resource_id=row.resource_id, state=row.state, reason=row.reason, http_status=row.http_status,
        final_url=row.final_url, suggested_url=row.suggested_url, archive_url=row.archive_url,
        archive_timestamp=row.archived_at, consecutive_failures=row.consecutive_failures,
        first_failure_at=row.first_failure_at, last_ok_at=row.last_ok_at, changed_at=row.state_since)


def _due_filter(now: datetime, all_links: bool) -> list[object]:
    if all_links:
        return []
    return [(LinkStatus.resource_id.is_(None)) | (LinkStatus.next_check_at.is_(None))
            | (LinkStatus.next_check_at <= now)]


def count_links(session: Session, now: datetime, all_links: bool) -> tuple[int, int]:
    """(all resources, due resources)."""
    total = session.scalar(select(func.count(Resource.id))) or 0
    due = session.scalar(select(func.count(Resource.id))
                         .outerjoin(LinkStatus, LinkStatus.resource_id == Resource.id)
                         .where(*_due_filter(now, all_links))) or 0  # type: ignore[arg-type]
    return int(total), int(due)


def dead_links(session: Session) -> list[tuple[LinkStatus, str]]:
    """Status rows in state ``dead`` with their resource's URL (archive look-ups pick from these)."""
    rows = session.execute(select(LinkStatus, Resource.url).join(Resource, Resource.id == LinkStatus.resource_id)
                           .where(LinkStatus.state == "dead").order_by(LinkStatus.resource_id)).all()
    return [(st, url) for st, url in rows]


def answered_urls(session: Session, limit: int = 200) -> list[str]:
    """URLs that gave an HTTP answer on their latest check, most recently checked first."""
    rows = session.execute(
        select(Resource.url, LinkStatus.final_url).join(Resource, Resource.id == LinkStatus.resource_id)
        .where(LinkStatus.http_status.is_not(None))
        .order_by(LinkStatus.last_checked_at.desc(), LinkStatus.resource_id).limit(limit)).all()
    return [final or url for url, final in rows]


def _latest_version_ids() -> Any:
    """``repo_documents.latest_version_ids`` (imported on first use: a link check needs it only
    for reports, and the documents repository brings the import machinery with it)."""
    from tracker.db.repo_documents import latest_version_ids

    return latest_version_ids()
