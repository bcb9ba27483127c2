"""Writing what a link check saw: the database half of recording one batch of judged links.

Owns: the observation rows of a batch (``add_observations``: ``COPY`` on PostgreSQL,
one executemany on SQLite), the recent counted history the policy reads
(``recent_observations``, plain rows), the ``link_status`` rows of a batch created where
missing and write-locked in id order (``lock_status_rows``) and their changed columns
written back by ``UPDATE`` executemany (``write_status_rows``), and changed pages stored as
resource versions (``add_check_versions``). A batch costs a handful of statements, each
built once and run over all its links: no ORM objects, no SQL compiled per batch (a check of
10,000 links records 20 batches in its worker thread, beside the event loop that fetches).
Does not own: any decision (``tracker.links.policy`` gives the new state; the caller,
``services.linkcheck_store``, applies it) or the planning and report queries
(``repo_links``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import String, Table, bindparam, func, insert, literal, select, type_coerce, update
from sqlalchemy.orm import Session

from tracker.db.models_core import Resource, ResourceVersion
from tracker.db.models_links import LinkObservation, LinkStatus
from tracker.db.sets import insert_rows, is_postgres, one_of
from tracker.db.upsert import insert_for

__all__ = ["OBSERVATION_WINDOW", "OBSERVATION_COLUMNS", "STATUS_WRITTEN", "STATUS_READ", "recent_observations",
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
    tuples of ``resource_id`` and the ``OBSERVATION_COLUMNS`` (no ORM objects: a batch of 500
    links reads up to 20,000 of them). One cached statement per batch (``one_of``)."""
    table = LinkObservation.__table__
    wanted = [table.c.resource_id, table.c.id, *(table.c[name] for name in OBSERVATION_COLUMNS)]
    rank = func.row_number().over(partition_by=table.c.resource_id,
                                  order_by=(table.c.observed_at.desc(), table.c.id.desc())).label("rank")
    out: dict[int, list[Any]] = defaultdict(list)
    connection = session.connection()
    # ``observed_at`` read as the driver gives it and converted once per distinct value: the
    # observations of one run share their time, so a batch's history holds few distinct times
    convert = table.c.observed_at.type.dialect_impl(connection.dialect).result_processor(connection.dialect, None)
    times: dict[Any, Any] = {}
    for cond in one_of(session, table.c.resource_id, resource_ids):
        ranked = select(*wanted, rank).where(cond, table.c.counted.is_(True)).subquery()
        rows = connection.execute(
            select(ranked.c.resource_id, type_coerce(ranked.c.observed_at, String()),
                   *(ranked.c[name] for name in OBSERVATION_COLUMNS[1:]))
            .where(ranked.c.rank <= window)
            .order_by(ranked.c.resource_id, ranked.c.observed_at, ranked.c.id))
        for rid, raw, *rest in rows.all():
            at = times.get(raw)
            if at is None:
                at = times[raw] = convert(raw) if convert is not None else raw
            out[rid].append((rid, at, *rest))
    return out


def add_observations(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert a batch of ``link_observations`` rows (dicts with the same keys): ``COPY`` on
    PostgreSQL, one driver executemany on SQLite (no ORM object, nothing compiled per batch)."""
    if not rows:
        return
    if is_postgres(session):
        insert_rows(session, LinkObservation, rows)
        return
    names = tuple(rows[0])
    table = _table(LinkObservation)
    _executemany(session, ("observations", *names), lambda: insert(table), names, {}, rows)


def add_resource_version(session: Session, resource_id: int, label: str, title: str,
                         old_title: str, seen_at: datetime) -> bool:
    """Record a changed page as a resource version (origin ``check``); False if the label exists
    (one upsert: a concurrent writer of the same label is not an error)."""
    return add_check_versions(session, [dict(resource_id=resource_id, label=label, title=title,
                                             old_title=old_title, seen_at=seen_at)]) == 1


_VERSIONS: dict[str, Any] = {}


def add_check_versions(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Record changed pages as resource versions (origin ``check``), each row with
    ``resource_id``, ``label``, ``title``, ``old_title``, ``seen_at``: one cached
    ``INSERT … ON CONFLICT (resource_id, label) DO NOTHING RETURNING`` executemany.
    Returns how many were new (a label that exists, even one a concurrent writer just
    stored, is skipped without error)."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    stmt = _VERSIONS.get(dialect)
    if stmt is None:  # built once: SQLAlchemy's compiled cache then serves every batch
        versions = _table(ResourceVersion)
        stmt = _VERSIONS[dialect] = (insert_for(session, versions)
                                     .on_conflict_do_nothing(index_elements=["resource_id", "label"])
                                     .returning(versions.c.id))
    params = [{**row, "origin": "check"} for row in rows]
    return len(session.connection().execute(stmt, params).all())


#: the ``link_status`` columns a recorded batch writes (the archive answer's own columns,
#: written by ``record_archive_answer``, are left alone)
STATUS_WRITTEN = ("state", "previous_state", "state_since", "reason", "http_status", "final_url",
                  "suggested_url", "soft404", "consecutive_failures", "first_failure_at", "last_ok_at",
                  "last_checked_at", "next_check_at", "elapsed_ms", "content_type", "etag", "last_modified",
                  "archive_outcome", "content_hash", "probed_hash", "title")
#: those it reads first: the rest the policy derives afresh (or, ``previous_state`` and
#: ``state_since``, are set only when the state changes), so they are written, not read
STATUS_READ = ("state", "content_type", "etag", "last_modified", "archive_outcome", "content_hash", "probed_hash",
               "title")


def lock_status_rows(session: Session, resource_ids: Sequence[int], now: datetime) -> dict[int, dict[str, Any]]:
    """The status rows of ``resource_ids`` (``resource_id`` and the ``STATUS_READ`` columns,
    as dicts: copy, change and hand both to ``write_status_rows``), created (state
    ``unchecked``) where missing by one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` (the ids
    as one parameter, ``one_of``; in id order), then read and write-locked in id order
    (``FOR UPDATE`` on PostgreSQL; SQLite's writer already holds the database lock): two
    writers of one link's status queue behind each other instead of failing on a
    duplicate key."""
    ids = sorted(set(resource_ids))
    if not ids:
        return {}
    connection = session.connection()
    table = _table(LinkStatus)
    # the placeholders, set-based: one statement, one parameter for the ids (no row per link to bind)
    fixed = {c.name: c.default.arg for c in table.columns  # type: ignore[attr-defined]
             if c.default is not None and c.default.is_scalar}
    fixed.update(state="unchecked")
    names = ["resource_id", "state_since", *fixed]
    for cond in one_of(session, Resource.id, ids):
        source = (select(Resource.id, bindparam("now_", now, type_=table.c.state_since.type),
                         *(literal(value, type_=table.c[name].type) for name, value in fixed.items()))
                  .where(cond).order_by(Resource.id))
        connection.execute(insert_for(session, table).from_select(names, source)
                           .on_conflict_do_nothing(index_elements=["resource_id"]))
    columns = [table.c.resource_id, *(table.c[name] for name in STATUS_READ)]
    out: dict[int, dict[str, Any]] = {}
    for cond in one_of(session, table.c.resource_id, ids):
        rows = connection.execute(select(*columns).where(cond).order_by(table.c.resource_id).with_for_update())
        out.update((row[0], dict(row._mapping)) for row in rows.all())
    return out


def write_status_rows(session: Session, read: Mapping[int, Mapping[str, Any]],
                      written: Iterable[Mapping[str, Any]]) -> None:
    """Write back status rows: ``read`` as ``lock_status_rows`` returned them, ``written``
    the same rows with new values. Of the ``STATUS_WRITTEN`` columns a row holds, those not
    read are set, and those read only if they changed (as the ORM's unit of work did: an
    unchanged ``state`` costs no index update), by one ``UPDATE link_status SET … WHERE
    resource_id = ?`` per set of columns (one or two in a batch), each compiled once and
    run by the driver's executemany."""
    groups: dict[tuple[str, ...], list[Mapping[str, Any]]] = defaultdict(list)
    for row in written:
        before = read[row["resource_id"]]
        names = tuple(name for name in STATUS_WRITTEN
                      if name in row and (name not in before or row[name] != before[name]))
        if names:
            groups[names].append(row)
    table = _table(LinkStatus)
    for names, rows in groups.items():
        key = ("status_update", *names)
        _executemany(session, key, lambda: update(table).where(table.c.resource_id == bindparam("rid_")),
                     names, {"rid_": "resource_id"}, rows)


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


#: per dialect and statement: its text, parameter names, the column each reads, bind processors, paramstyle
_DRIVER: dict[tuple[str, tuple[str, ...]], tuple[str, list[str], list[str], list[Any], bool]] = {}


def _executemany(session: Session, key: tuple[str, ...], build: Callable[[], Any], names: Sequence[str],
                 aliases: Mapping[str, str], rows: Sequence[Mapping[str, Any]]) -> None:
    """Run the statement ``build()`` makes (an INSERT or UPDATE of ``names``; ``aliases``:
    other parameters → the row key they take) once per row, by the driver's executemany.
    Compiled once per dialect and ``key``; each value goes through its column type's bind
    processor as SQLAlchemy would (aware UTC → naive), and a value that repeats in the
    batch (its ``now``, the next check times) is converted once. A fraction of the cost of
    SQLAlchemy's executemany, which builds and processes every parameter set in Python."""
    connection = session.connection()
    dialect = connection.dialect
    prepared = _DRIVER.get((dialect.name, key))
    if prepared is None:
        stmt = build()
        compiled = stmt.compile(dialect=dialect, column_keys=list(names))
        params = list(compiled.positiontup or compiled.binds)
        columns = [aliases.get(p, p) for p in params]
        table = stmt.table
        # the dialect's own type (SQLite's DATETIME writes the same text as every other statement)
        processors = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
        if len(_DRIVER) > 256:  # unusual column sets: keep the cache bounded
            _DRIVER.clear()
        prepared = _DRIVER[(dialect.name, key)] = (str(compiled), params, columns, processors,
                                                  bool(compiled.positiontup))
    sql, params, columns, processors, positional = prepared
    memo: dict[tuple[int, Any], Any] = {}
    out: list[Any] = []
    for row in rows:
        values = []
        for i, (name, process) in enumerate(zip(columns, processors)):
            value = row[name]
            if process is not None and value is not None:
                cached = memo.get((i, value), memo)
                if cached is memo:
                    cached = memo[(i, value)] = process(value)
                value = cached
            values.append(value)
        out.append(tuple(values) if positional else dict(zip(params, values)))
    connection.exec_driver_sql(sql, out)
