"""A glance at the link tables without SQLAlchemy: the questions of a check with nothing due.

``tracker check`` with nothing to do must start fast (issue 11: under 0.5 s), and
importing SQLAlchemy, its ORM and the models costs more than that on its own. This
module opens the database through the plain DB-API driver — the standard library's
``sqlite3``, or ``psycopg`` for PostgreSQL — with the settings ``db.session`` gives
its engine (SQLite: the same file, timeout and pragmas; PostgreSQL: the same
host/port/user/password/dbname keywords), and answers, inside one transaction:

- the schema revision (``alembic_version``), compared with ``SCHEMA_HEAD``;
- how many links there are and how many are due (``repo_links.count_links``: the same
  statement, the same bound time);
- whether a dead link wants an archive look-up (``repo_links.dead_links`` read through
  ``links.archive.archive_due``, the one rule);
- the counts by state (``repo_links.state_counts``);

and writes the ``check_runs`` row exactly as ``services.linkcheck.check_links`` leaves
it for a run with nothing due. Tests prove each answer equal to the SQLAlchemy one.

Owns: ``SCHEMA_HEAD`` (the newest migration; ``db.session`` re-exports it, so a new
migration bumps it here), understanding a database URL well enough to open it
without SQLAlchemy, and those statements. Only a URL it understands completely is
opened; anything else (a query string, percent-escapes, ``~``, ``:memory:``, a SQLite
URI, several hosts, another driver) is ``None``: the caller takes the normal path.
Does not own: deciding anything from the answers (``services.linkcheck_glance``), the
schema (models and migrations), or any other query.
"""

from __future__ import annotations

import contextlib
import os
import re
from datetime import datetime, timezone
from collections.abc import Callable, Iterable
from typing import Any, Literal
from urllib.parse import quote

from tracker.config import redact
from tracker.errors import DatabaseError
from tracker.links.archive import archive_due

__all__ = ["SCHEMA_HEAD", "GLANCE_LOCK_TIMEOUT", "Glance", "NotUnderstood", "open_glance", "driver_errors",
           "sqlite_file", "postgresql_params", "any_archive_due", "describe", "cannot_open", "connect_postgresql",
           "connect_sqlite", "sqlite_time", "bind_time", "read_time",
           "COUNT_LINKS", "COUNT_DUE", "LINKS_WITH_STATUS", "DUE", "DEAD_AWAITING_ARCHIVE", "STATE_COUNTS",
           "INSERT_RUN"]

#: The newest migration. Checked against Alembic by a test (tests/test_db.py); lets every
#: command confirm the schema with one query instead of importing Alembic (~0.3 s).
SCHEMA_HEAD = "0014"

Kind = Literal["sqlite", "postgresql"]

#: what ``db.session`` passes SQLite (``connect_args`` and ``_sqlite_pragmas``)
SQLITE_TIMEOUT = 30.0
SQLITE_PRAGMAS = ("PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=30000", "PRAGMA journal_mode=WAL")
#: seconds the glance waits for a lock another connection holds (SQLite's busy timeout,
#: PostgreSQL's ``lock_timeout``) before it steps aside: the normal path then waits its own
#: ``SQLITE_TIMEOUT`` (or as long as the server makes it), so a locked database costs the
#: command about one normal wait, not the glance's wait and then the normal one
GLANCE_LOCK_TIMEOUT = 0.5

# the only URL shapes opened here; everything else goes the normal way
_SQLITE_URL = re.compile(r"sqlite(?:\+pysqlite)?:///(?P<path>[^?#%~][^?#%]*)")
_PG_URL = re.compile(r"postgresql(?:\+psycopg)?://(?:(?P<user>[^:/@?#%\[\],]+)(?::(?P<password>[^@/?#%\[\],]*))?@)?"
                     r"(?P<host>[^:/@?#%\[\],]+)(?::(?P<port>[0-9]{1,5}))?/(?P<dbname>[^/?#%@\[\],]+)")
# how SQLAlchemy writes a DateTime on SQLite, and the text it reads back without guessing
_SQLITE_STORED = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{6})?")


# the statements the glance and a run's own (``db.plain_links``) share: one text of each
COUNT_LINKS = "SELECT count(resources.id) FROM resources"
#: resources with their status row, if any
LINKS_WITH_STATUS = "FROM resources LEFT OUTER JOIN link_status ON link_status.resource_id = resources.id"
#: a link due at the bound time (``repo_links._due_filter``)
DUE = ("(link_status.resource_id IS NULL OR link_status.next_check_at IS NULL "
       "OR link_status.next_check_at <= ?)")
#: dead links whose archive answer ``archive_due`` may still want (outcome, retry time)
DEAD_AWAITING_ARCHIVE = (
    "SELECT link_status.archive_outcome, link_status.archive_retry_at "
    "FROM link_status JOIN resources ON resources.id = link_status.resource_id "
    "WHERE link_status.state = 'dead' "
    "AND (link_status.archive_outcome IS NULL OR link_status.archive_outcome = 'retry')")
#: links due at the bound time
COUNT_DUE = f"SELECT count(resources.id) {LINKS_WITH_STATUS} WHERE {DUE}"
STATE_COUNTS = "SELECT link_status.state, count(*) FROM link_status GROUP BY link_status.state"
#: a ``check_runs`` row from its ten figures, answering its id
INSERT_RUN = ("INSERT INTO check_runs (started_at, finished_at, all_links, inconclusive, links, hosts, requests, "
              "network_failures, elapsed_ms, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id")


def any_archive_due(rows: Iterable[tuple[Any, Any]], read_time: Callable[[object], datetime],
                    now: datetime) -> bool:
    """Whether any of the ``DEAD_AWAITING_ARCHIVE`` rows (outcome, stored retry time) wants an
    archive look-up at ``now``: ``archive_due``, the one rule, with times read by ``read_time``."""
    return any(archive_due("dead", outcome, None if retry_at is None else read_time(retry_at), now)
               for outcome, retry_at in rows)


def describe(exc: BaseException) -> str:
    """The first line of a driver's message (``exc``, or the driver error SQLAlchemy wrapped),
    passwords redacted."""
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return redact(lines[0]) if lines else exc.__class__.__name__


def cannot_open(url: str, exc: BaseException) -> DatabaseError:
    """The one-line error for a database that cannot be opened: the URL and ``describe(exc)``.
    The same words whichever way in met it (``db.session``, this module, ``db.plain_links``)."""
    return DatabaseError(f"cannot open database {redact(url)}: {describe(exc)}")


def connect_postgresql(url: str, params: dict[str, Any]) -> Any:
    """``psycopg.connect(**params)``; a server that cannot be reached or refuses us raises
    ``cannot_open`` at once: the normal way in would only try again, the same way (and
    each try at an unreachable host waits out the system's connect timeout)."""
    import psycopg

    try:
        return psycopg.connect(**params)
    except psycopg.OperationalError as exc:
        raise cannot_open(url, exc) from None


class NotUnderstood(Exception):
    """The glance cannot answer this (a value it would have to guess at): take the normal path."""


def driver_errors() -> tuple[type[BaseException], ...]:
    """The DB-API errors of the drivers loaded so far (a driver never imported raised nothing)."""
    import sys

    out: list[type[BaseException]] = []
    for name in ("sqlite3", "psycopg"):
        module = sys.modules.get(name)
        if module is not None:
            out.append(module.Error)
    return tuple(out)


def sqlite_time(when: datetime) -> str:
    """``when`` as SQLAlchemy's SQLite ``DateTime`` binds it (naive UTC, microseconds always,
    a four-digit year: ``%Y`` would write ``999``)."""
    d = when.astimezone(timezone.utc)
    return (f"{d.year:04d}-{d.month:02d}-{d.day:02d} {d.hour:02d}:{d.minute:02d}:{d.second:02d}"
            f".{d.microsecond:06d}")


def bind_time(kind: Kind, when: datetime) -> object:
    """An aware ``when`` as ``UTCDateTime`` binds it: text on SQLite, naive UTC on PostgreSQL."""
    return sqlite_time(when) if kind == "sqlite" else when.astimezone(timezone.utc).replace(tzinfo=None)


def read_time(kind: Kind, value: object) -> datetime | None:
    """A stored time as ``UTCDateTime`` returns it (aware UTC), or ``None`` for a value in
    another shape than SQLAlchemy writes (not guessed at)."""
    if isinstance(value, str) and kind == "sqlite" and _SQLITE_STORED.fullmatch(value):
        return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
    if isinstance(value, datetime) and kind == "postgresql" and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return None


class Glance:
    """One open connection, one transaction: ask, then ``add_check_run`` and ``commit``, or
    ``close`` without committing (which rolls everything back)."""

    def __init__(self, connection: Any, kind: Kind) -> None:
        self._conn = connection
        self.kind: Kind = kind
        self._mark = "?" if kind == "sqlite" else "%s"

    def _time(self, when: datetime) -> object:
        """A bound time as ``UTCDateTime`` binds it: naive UTC (text on SQLite); a naive
        ``when``, which ``UTCDateTime`` refuses, is not guessed at."""
        if when.tzinfo is None:
            raise NotUnderstood("a naive datetime")
        return bind_time(self.kind, when)

    def _read_time(self, value: object) -> datetime:
        """A stored time as ``UTCDateTime`` returns it (aware UTC); text in another shape
        than SQLAlchemy writes is not guessed at."""
        read = read_time(self.kind, value)
        if read is None:
            raise NotUnderstood(f"a stored time {value!r}")
        return read

    def _rows(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        cursor = self._conn.cursor()
        try:
            cursor.execute(sql.replace("?", self._mark), params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def schema_revisions(self) -> list[str]:
        """Every row of ``alembic_version`` (one at the head, on a tracker database)."""
        return [str(r[0]) for r in self._rows("SELECT version_num FROM alembic_version")]

    def count_links(self, now: datetime) -> tuple[int, int]:
        """(all resources, resources due at ``now``): ``repo_links.count_links`` without ``all_links``."""
        total = self._rows(COUNT_LINKS)[0][0]
        due = self._rows(COUNT_DUE, self._time(now))[0][0]
        return int(total or 0), int(due or 0)

    def archive_wanted(self, now: datetime) -> bool:
        """Whether any dead link wants an archive look-up at ``now``: the rows
        ``repo_links.dead_links`` reads (narrowed to answers ``archive_due`` can accept),
        through ``archive_due`` itself."""
        return any_archive_due(self._rows(DEAD_AWAITING_ARCHIVE), self._read_time, now)

    def state_counts(self) -> dict[str, int]:
        """state → status rows in it: ``repo_links.state_counts``."""
        return {str(state): int(n) for state, n in self._rows(STATE_COUNTS)}

    def add_check_run(self, now: datetime, elapsed_ms: int) -> int:
        """The ``check_runs`` row of a run that found nothing due (started and finished at
        ``now``, every count 0, no note); its id."""
        values = (self._time(now), self._time(now), False, False, 0, 0, 0, 0, elapsed_ms, "")
        run_id = self._rows(INSERT_RUN, *values)[0][0]
        return int(run_id)

    def commit(self) -> None:
        self._conn.commit()

    def close(self) -> None:
        """Close the connection; what was not committed is rolled back."""
        with contextlib.suppress(*driver_errors()):  # closing throws the transaction away anyway
            if self.kind == "sqlite" and self._conn.in_transaction:
                self._conn.rollback()
            self._conn.close()


def sqlite_file(url: str) -> str | None:
    """The file a SQLite URL names, as SQLAlchemy's pysqlite dialect opens it (absolute), or
    ``None`` when the URL is not one of the plain ``sqlite:///PATH`` forms this module opens."""
    found = _SQLITE_URL.fullmatch(url)
    if found is None or found["path"] == ":memory:" or found["path"].startswith("file:"):
        return None
    return os.path.abspath(found["path"])


def postgresql_params(url: str) -> dict[str, Any] | None:
    """The keywords SQLAlchemy's psycopg dialect hands ``psycopg.connect`` for a plain
    ``postgresql://[user[:password]@]host[:port]/dbname`` URL; ``None`` for any other URL."""
    found = _PG_URL.fullmatch(url)
    if found is None:
        return None
    params: dict[str, Any] = {"host": found["host"], "dbname": found["dbname"]}
    if found["port"] and int(found["port"]):  # port 0 is left out, as SQLAlchemy leaves it out
        params["port"] = int(found["port"])
    if found["user"]:  # empty ones are left out, as SQLAlchemy leaves them out
        params["user"] = found["user"]
    if found["password"]:
        params["password"] = found["password"]
    return params


def connect_sqlite(path: str, lock_timeout: float, check_same_thread: bool = True) -> Any:
    """A ``sqlite3`` connection to the existing file ``path`` with the engine's pragmas (but
    ``lock_timeout`` as its wait for a lock), in autocommit mode: the caller says ``BEGIN``."""
    import sqlite3

    # the file SQLAlchemy would open, but never created: a missing file is the normal
    # path's error to report
    uri = "file:" + quote(path, safe="/") + "?mode=rw"
    conn = sqlite3.connect(uri, uri=True, timeout=lock_timeout, isolation_level=None,
                           check_same_thread=check_same_thread)
    busy = f"PRAGMA busy_timeout={max(0, round(lock_timeout * 1000))}"
    pragmas = [busy if p.startswith("PRAGMA busy_timeout=") else p for p in SQLITE_PRAGMAS]
    try:
        for pragma in pragmas:
            conn.execute(pragma).close()
    except BaseException:
        conn.close()
        raise
    return conn


def _open_sqlite(path: str, lock_timeout: float) -> Glance:
    conn = connect_sqlite(path, lock_timeout)
    try:
        # the writer's lock before the first read: the answers and the row are one snapshot
        conn.execute("BEGIN IMMEDIATE").close()
    except BaseException:
        conn.close()
        raise
    return Glance(conn, "sqlite")


def _open_postgresql(url: str, params: dict[str, Any], lock_timeout: float) -> Glance:
    conn = connect_postgresql(url, params)
    try:
        # for this transaction only: a table another session has locked ends the glance's wait
        # with an error (LockNotAvailable) instead of holding the command
        conn.execute(f"SET LOCAL lock_timeout = {max(1, round(lock_timeout * 1000))}").close()
    except BaseException:
        conn.close()
        raise
    return Glance(conn, "postgresql")


def open_glance(url: str, lock_timeout: float = GLANCE_LOCK_TIMEOUT) -> Glance | None:
    """A glance at ``url`` in a new transaction, or ``None`` for a URL this module does not
    understand completely. Raises the driver's error when the database cannot be opened
    (``cannot_open`` when a PostgreSQL server cannot be reached or refuses us), or when
    another connection holds a lock the glance needs for longer than ``lock_timeout``
    seconds (SQLite: "database is locked"; PostgreSQL: ``LockNotAvailable``); the glance
    never waits longer than that for a lock."""
    path = sqlite_file(url)
    if path is not None:
        return _open_sqlite(path, lock_timeout)
    params = postgresql_params(url)
    if params is not None:
        return _open_postgresql(url, params, lock_timeout)
    return None
