"""Writing what a link check saw: the database half of recording one batch of judged links.

Owns: the observation rows of a batch (``add_observations``: ``COPY`` on PostgreSQL,
one executemany on SQLite), the recent counted history the policy reads
(``recent_observations``, plain rows), the ``link_status`` rows of a batch created where
missing and write-locked in id order (``lock_status_rows``) and written back in one
``UPDATE`` executemany (``write_status_rows``), and changed pages stored as resource
versions (``add_check_versions``). A batch costs a fixed number of statements, each built
once and run over all its links: no ORM objects, no SQL compiled per batch (a check of
10,000 links records 20 batches in its worker thread, beside the event loop that fetches).
Does not own: any decision (``tracker.links.policy`` gives the new state; the caller,
``services.linkcheck_store``, applies it) or the planning and report queries
(``repo_links``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, literal, select, update
from sqlalchemy.orm import Session

from tracker.db.models_core import Resource, ResourceVersion
from tracker.db.models_links import LinkObservation, LinkStatus
from tracker.db.sets import insert_rows, one_of
from tracker.db.upsert import insert_for

__all__ = ["OBSERVATION_WINDOW", "OBSERVATION_COLUMNS", "STATUS_WRITTEN", "recent_observations",
           "add_observations", "add_resource_version", "add_check_versions", "lock_status_rows",
           "write_status_rows"]

#: how many of a link's latest observations the policy looks at (far more than a streak needs)
OBSERVATION_WINDOW = 40

#: the observation columns the policy reads (``links.model.Observation``'s fields, in its order)
OBSERVATION_COLUMNS = ("observed_at", "outcome", "reason", "http_status", "final_url", "suggested_url",
                       "soft404", "counted")


def recent_observations(session: Session, resource_ids: Sequence[int],
                        window: int = OBSERVATION_WINDOW) -> dict[int, list[Any]]:
    """The latest ``window`` counted observations of each resource, oldest first, as plain
    rows of ``resource_id`` and the ``OBSERVATION_COLUMNS`` (no ORM objects: a batch of 500
    links reads up to 20,000 of them). One cached statement per batch (``one_of``)."""
    table = LinkObservation.__table__
    wanted = [table.c.resource_id, table.c.id, *(table.c[name] for name in OBSERVATION_COLUMNS)]
    rank = func.row_number().over(partition_by=table.c.resource_id,
                                  order_by=(table.c.observed_at.desc(), table.c.id.desc())).label("rank")
    out: dict[int, list[Any]] = defaultdict(list)
    connection = session.connection()
    for cond in one_of(session, table.c.resource_id, resource_ids):
        ranked = select(*wanted, rank).where(cond, table.c.counted.is_(True)).subquery()
        rows = connection.execute(
            select(ranked.c.resource_id, *(ranked.c[name] for name in OBSERVATION_COLUMNS))
            .where(ranked.c.rank <= window)
            .order_by(ranked.c.resource_id, ranked.c.observed_at, ranked.c.id))
        for row in rows.all():
            out[row[0]].append(row)
    return out


def add_observations(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert a batch of ``link_observations`` rows (``COPY`` on PostgreSQL, one Core
    executemany on SQLite: no ORM object, no statement compiled per batch)."""
    insert_rows(session, LinkObservation, rows)


def add_resource_version(session: Session, resource_id: int, label: str, title: str,
                         old_title: str, seen_at: datetime) -> bool:
    """Record a changed page as a resource version (origin ``check``); False if the label exists
    (one upsert: a concurrent writer of the same label is not an error)."""
    return add_check_versions(session, [dict(resource_id=resource_id, label=label, title=title,
                                             old_title=old_title, seen_at=seen_at)]) == 1


def add_check_versions(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Record changed pages as resource versions (origin ``check``), each row with
    ``resource_id``, ``label``, ``title``, ``old_title``, ``seen_at``: one cached
    ``INSERT … ON CONFLICT (resource_id, label) DO NOTHING RETURNING`` executemany.
    Returns how many were new (a label that exists, even one a concurrent writer just
    stored, is skipped without error)."""
    if not rows:
        return 0
    stmt = _statement(session, "versions")
    params = [{**row, "origin": "check"} for row in rows]
    return len(session.connection().execute(stmt, params).all())


#: the ``link_status`` columns a recorded batch reads and writes back (the archive answer's
#: own columns, written by ``record_archive_answer``, are left alone)
STATUS_WRITTEN = ("state", "previous_state", "state_since", "reason", "http_status", "final_url",
                  "suggested_url", "soft404", "consecutive_failures", "first_failure_at", "last_ok_at",
                  "last_checked_at", "next_check_at", "elapsed_ms", "content_type", "etag", "last_modified",
                  "archive_outcome", "content_hash", "title")


def _build(session: Session, name: str) -> Any:
    status, versions = cast(Table, LinkStatus.__table__), cast(Table, ResourceVersion.__table__)
    if name == "versions":
        return (insert_for(session, versions)
                .on_conflict_do_nothing(index_elements=["resource_id", "label"]).returning(versions.c.id))
    if name == "status_update":  # SET columns: the keys of the parameter sets (``STATUS_WRITTEN``)
        return update(status).where(status.c.resource_id == bindparam("rid_"))
    raise KeyError(name)


_STATEMENTS: dict[tuple[str, str], Any] = {}
#: statement text, parameter names, bind processors and paramstyle, per dialect and statement
_DRIVER: dict[tuple[str, str], tuple[str, list[str], list[Any], bool]] = {}


def _statement(session: Session, name: str) -> Any:
    """One statement object per dialect and name, built once: executed with a list of
    parameter sets, SQLAlchemy compiles it once and reuses the compiled form."""
    dialect = session.get_bind().dialect.name
    key = (dialect, name)
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        stmt = _STATEMENTS[key] = _build(session, name)
    return stmt


def lock_status_rows(session: Session, resource_ids: Sequence[int], now: datetime) -> dict[int, dict[str, Any]]:
    """The status rows of ``resource_ids`` (``resource_id`` and the ``STATUS_WRITTEN``
    columns, as dicts to change and hand to ``write_status_rows``), created (state
    ``unchecked``) where missing by one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` (the ids
    as one parameter, ``one_of``), then
    read and write-locked in id order (``FOR UPDATE`` on PostgreSQL; SQLite's writer already
    holds the database lock): two writers of one link's status queue behind each other
    instead of failing on a duplicate key."""
    ids = sorted(set(resource_ids))
    if not ids:
        return {}
    connection = session.connection()
    table = cast(Table, LinkStatus.__table__)
    # the placeholders, set-based: one statement, one parameter for the ids (no row per link to bind)
    fixed = {c.name: c.default.arg for c in table.columns  # type: ignore[attr-defined]
             if c.default is not None and c.default.is_scalar}
    fixed.update(state="unchecked")
    names = ["resource_id", "state_since", *fixed]
    for cond in one_of(session, Resource.id, ids):  # inserted in id order, as they are locked below
        source = (select(Resource.id, bindparam("now_", now, type_=table.c.state_since.type),
                         *(literal(value, type_=table.c[name].type) for name, value in fixed.items()))
                  .where(cond).order_by(Resource.id))
        connection.execute(insert_for(session, table).from_select(names, source)
                           .on_conflict_do_nothing(index_elements=["resource_id"]))
    columns = [table.c.resource_id, *(table.c[name] for name in STATUS_WRITTEN)]
    out: dict[int, dict[str, Any]] = {}
    for cond in one_of(session, table.c.resource_id, ids):
        rows = connection.execute(select(*columns).where(cond).order_by(table.c.resource_id).with_for_update())
        out.update((row[0], dict(row._mapping)) for row in rows.all())
    return out


def write_status_rows(session: Session, rows: Iterable[dict[str, Any]]) -> None:
    """Write back status rows from ``lock_status_rows`` (changed in place): one
    ``UPDATE link_status SET … WHERE resource_id = ?`` over the ``STATUS_WRITTEN`` columns,
    compiled once, run by the driver's executemany."""
    rows = list(rows)
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    key = (dialect.name, "status_update")
    prepared = _DRIVER.get(key)
    if prepared is None:  # compiled once: the SQL text and, per parameter, its column's bind processor
        table = cast(Table, LinkStatus.__table__)
        compiled = _statement(session, "status_update").compile(dialect=dialect, column_keys=list(STATUS_WRITTEN))
        names = list(compiled.positiontup or compiled.binds)
        processors = [table.c[n if n != "rid_" else "resource_id"].type.bind_processor(dialect) for n in names]
        prepared = _DRIVER[key] = (str(compiled), names, processors, bool(compiled.positiontup))
    sql, names, processors, positional = prepared
    # the driver's executemany with each value passed through its type as SQLAlchemy would (aware
    # UTC → naive); a value that repeats in the batch (its ``now``, next check times) is converted once
    memo: dict[tuple[int, Any], Any] = {}
    params: list[Any] = []
    for row in rows:
        values = []
        for i, (name, process) in enumerate(zip(names, processors)):
            value = row["resource_id" if name == "rid_" else name]
            if process is not None and value is not None:
                cached = memo.get((i, value), memo)
                if cached is memo:
                    cached = memo[(i, value)] = process(value)
                value = cached
            values.append(value)
        params.append(tuple(values) if positional else dict(zip(names, values)))
    connection.exec_driver_sql(sql, params)
