"""Set-based building blocks for queries over many rows, on SQLite and PostgreSQL.

Owns: "this column is one of these N values" without an ``IN (…)`` list that grows
with N (on PostgreSQL one array parameter, ``= ANY(:values)``: one statement whatever
N is, and a statement text psycopg can prepare once; on SQLite one JSON parameter read by
``json_each``, or short ``IN`` lists), idempotent inserts (``INSERT … ON CONFLICT DO
NOTHING``), and bulk inserts (``COPY`` on PostgreSQL, Core ``executemany`` in bounded
batches on SQLite). Does not know any table.

Why not plain ``IN``: psycopg prepares a statement on the server after it ran five
times; a 500-parameter ``IN`` run hundreds of times during an import then costs ten
times more than the array form (30,000 URLs: 42–46 s against 4 s, see issue 15).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, Table, any_, bindparam, func, insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import InstrumentedAttribute, Session

from tracker.db.upsert import insert_for

__all__ = ["CHUNK", "chunks", "is_postgres", "one_of", "insert_rows", "insert_missing", "insert_returning_ids"]

#: values per ``IN`` list on SQLite (more go as one JSON parameter), rows per executemany batch
CHUNK = 500
BATCH = 2000
#: json_each is built into SQLite from 3.38
_SQLITE_JSON = sqlite3.sqlite_version_info >= (3, 38)


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def one_of(session: Session, column: InstrumentedAttribute[Any] | ColumnElement[Any],
           values: Iterable[Any]) -> Iterator[ColumnElement[bool]]:
    """Conditions that together say "``column`` is one of ``values``": run the query once
    per condition and combine the rows. On PostgreSQL one condition, an array parameter
    (``= ANY(:values)``); on SQLite one condition too, the values as one JSON parameter
    (``IN (SELECT value FROM json_each(:values))``), or ``IN`` lists of ``CHUNK`` values
    where SQLite has no JSON functions. None when ``values`` is empty."""
    wanted = list(dict.fromkeys(values))
    if not wanted:
        return
    if is_postgres(session):
        from sqlalchemy.dialects import postgresql  # not imported on SQLite (~40 ms)

        yield column == any_(bindparam("one_of", wanted, type_=postgresql.ARRAY(column.type), unique=True))
        return
    if len(wanted) > CHUNK and _SQLITE_JSON:
        each = func.json_each(bindparam("one_of", json.dumps(wanted), unique=True)).table_valued("value")
        yield column.in_(select(each.c.value))
        return
    for chunk in chunks(wanted):
        yield column.in_(list(chunk))


def insert_rows(session: Session, table: Table | Any, rows: Sequence[dict[str, Any]],
                size: int = BATCH) -> None:
    """Insert ``rows`` (dicts with the same keys): PostgreSQL ``COPY … FROM STDIN`` (one
    stream, no statement per row), SQLite Core executemany in batches (the ORM path
    costs ~0.3 ms a row). Columns a row leaves out get their scalar default, as an
    ``INSERT`` through SQLAlchemy would give them."""
    if not rows:
        return
    target = table if isinstance(table, Table) else table.__table__
    if is_postgres(session):
        _copy_rows(session, target, rows)
        return
    connection = session.connection()
    for chunk in chunks(rows, size):
        connection.execute(insert(target), list(chunk))


def _copy_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]], into: str | None = None) -> list[str]:
    """COPY ``rows`` into ``table`` (or into the table named ``into`` with the same columns);
    returns the quoted column names written."""
    names = list(rows[0])
    defaults = {c.name: c.default.arg for c in table.columns  # type: ignore[attr-defined]
                if c.name not in rows[0] and c.default is not None and c.default.is_scalar}
    dialect = session.get_bind().dialect
    columns = names + list(defaults)
    processors = [table.c[name].type.bind_processor(dialect) for name in columns]
    fixed = tuple(defaults.values())
    raw: Any = session.connection().connection.dbapi_connection
    quoted = [dialect.identifier_preparer.quote(name) for name in columns]
    target = into or dialect.identifier_preparer.format_table(table)
    statement = f"COPY {target} ({', '.join(quoted)}) FROM STDIN"
    dbapi_error = dialect.loaded_dbapi.Error
    pick = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    plain = all(p is None for p in processors)  # most tables: each row is one C-level itemgetter call
    try:
        with raw.cursor() as cursor:
            with cursor.copy(statement) as copy:
                write = copy.write_row
                if plain:
                    for row in rows:
                        write(pick(row) + fixed)
                else:  # a column at a time, each distinct value converted once (a timestamp per import)
                    for values in zip(*(_bound(p, column) for p, column in
                                        zip(processors, [*zip(*map(pick, rows)), *([f] * len(rows) for f in fixed)]))):
                        write(values)
    except dbapi_error as exc:  # the driver's own error, raised as SQLAlchemy raises every other
        raise DBAPIError.instance(statement, None, exc, dbapi_error) from exc
    return quoted


def _bound(processor: Any, column: Sequence[Any]) -> Sequence[Any]:
    """``column`` through the bind ``processor`` (if any), each distinct value once."""
    if processor is None:
        return column
    try:
        done = {value: processor(value) for value in set(column)}
    except TypeError:  # unhashable values (JSON): one call each
        return [processor(value) for value in column]
    return [done[value] for value in column]


def insert_returning_ids(session: Session, table: Table | Any, rows: Sequence[dict[str, Any]], key: str,
                         ) -> tuple[dict[Any, int], set[Any]] | None:
    """PostgreSQL, more than ``CHUNK`` rows: insert the ``rows`` whose ``key`` (a unique
    column) is not stored yet (``ON CONFLICT DO NOTHING``) and return ``key`` → ``id`` of
    every row given, with the keys inserted now. ``COPY`` into a temporary table, one
    ``INSERT … SELECT … RETURNING`` and one join back: no array parameter of the keys,
    which psycopg writes value by value in Python. ``None`` elsewhere (the caller looks
    the keys up and uses ``insert_missing``)."""
    if not rows or len(rows) <= CHUNK or not is_postgres(session):
        return None
    target = table if isinstance(table, Table) else table.__table__
    dialect = session.get_bind().dialect
    name = dialect.identifier_preparer.format_table(target)
    load = f"_tracker_load_{target.name}"
    column = dialect.identifier_preparer.quote(key)
    connection = session.connection()
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {load}")
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {load} ON COMMIT DROP AS "
                               f"SELECT * FROM {name} WITH NO DATA")
    quoted = ", ".join(_copy_rows(session, target, rows, into=load))
    created = set(connection.exec_driver_sql(
        f"INSERT INTO {name} ({quoted}) SELECT {quoted} FROM {load} "
        f"ON CONFLICT ({column}) DO NOTHING RETURNING {column}").scalars())
    ids: dict[Any, int] = {value: rid for value, rid in connection.exec_driver_sql(
        f"SELECT t.{column}, r.id FROM {load} t JOIN {name} r ON r.{column} = t.{column}")}
    connection.exec_driver_sql(f"DROP TABLE {load}")
    return ids, created


def insert_missing(session: Session, table: Table | Any, rows: Sequence[dict[str, Any]],
                   keys: Sequence[str], size: int = BATCH) -> None:
    """Insert ``rows``, skipping those whose ``keys`` (a unique constraint) already exist
    (``ON CONFLICT (keys) DO NOTHING``), so a concurrent import of the same rows cannot
    fail the transaction. PostgreSQL, more than ``CHUNK`` rows: ``COPY`` into a temporary
    table, then one ``INSERT … SELECT … ON CONFLICT``; else executemany in batches."""
    if not rows:
        return
    target = table if isinstance(table, Table) else table.__table__
    postgres = is_postgres(session)
    if postgres and len(rows) > CHUNK:  # a few rows (a version adding a link) skip the temporary table
        dialect = session.get_bind().dialect
        name = dialect.identifier_preparer.format_table(target)
        load = f"_tracker_load_{target.name}"
        connection = session.connection()
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {load}")
        connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {load} ON COMMIT DROP AS "
                                   f"SELECT * FROM {name} WITH NO DATA")
        quoted = ", ".join(_copy_rows(session, target, rows, into=load))
        conflict = ", ".join(dialect.identifier_preparer.quote(k) for k in keys)
        connection.exec_driver_sql(f"INSERT INTO {name} ({quoted}) SELECT {quoted} FROM {load} "
                                   f"ON CONFLICT ({conflict}) DO NOTHING")
        connection.exec_driver_sql(f"DROP TABLE {load}")
        return
    stmt = insert_for(session, target).on_conflict_do_nothing(index_elements=list(keys))
    connection = session.connection()
    for chunk in chunks(rows, size):
        connection.execute(stmt, list(chunk))
