"""The link check's own statements, in plain SQL: its run row, its pages of due links, its claims.

A big ``tracker check`` must start fetching at once (issue 11: lychee sends its first
request ~0.1 s after it starts), and importing SQLAlchemy, its ORM and the models costs
~0.5 s before the first query. So the side of a run that plans and fetches speaks to
the database through the plain DB-API driver — the standard library's ``sqlite3``, or
``psycopg`` — opened as ``db.glance`` opens it (same file, pragmas and timeout; same
server keywords), and the recording side (``services.linkcheck_recorder``, for a big
run a process of its own) loads the ORM on the other core while the first answers
arrive. These statements are the only ones a run uses for its row, its pages and its
claims, whichever way the database was opened: a URL this module does not understand
(or a schema not at ``SCHEMA_HEAD``) runs the same SQL through an opened
``db.session.Database`` (``through``).

Owns: ``DueLink``; ``LinkTables`` — each method one transaction: ``begin_run`` (count
what is due, write the run's row), ``due_page`` (keyset paging by id), ``claim`` (the
lease upsert, then due-ness read again), ``release``, ``archive_wanted``, ``finish_run``
(the row's figures, then the counts by state). Times are bound as ``UTCDateTime`` binds
them (``db.glance``); tests prove every answer equal to what the ORM reads.
Does not own: the schema (models, migrations), recording observations or states
(``services.linkcheck_store``), anything the run decides.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from tracker.db import glance

if TYPE_CHECKING:
    from tracker.db.session import Database

__all__ = ["DueLink", "LinkTables", "open_tables", "through", "tables_for"]

#: ids per ``IN (…)`` list (SQLite allows 32,766 parameters; PostgreSQL 65,535)
CHUNK = 500


@dataclass(frozen=True)
class DueLink:
    """What the checker needs of one due link: no ORM objects, so a page of them is small."""

    resource_id: int
    url: str
    canonical_url: str
    state: str | None
    content_type: str
    content_hash: str | None
    etag: str | None
    last_modified: str | None
    #: the content hash last judged OK beside an answered sibling probe (``link_status.probed_hash``)
    probed_hash: str | None = None


class _Tx(Protocol):
    def rows(self, sql: str, *params: object) -> list[tuple[Any, ...]]: ...

    def many(self, sql: str, params: Sequence[tuple[object, ...]]) -> None: ...


class _Cursor:
    """Statements of one transaction on a DB-API connection (``?`` marks, as SQLite writes them)."""

    def __init__(self, conn: Any, mark: str) -> None:
        self._conn, self._mark = conn, mark

    def rows(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        cursor = self._conn.cursor()
        try:
            cursor.execute(sql.replace("?", self._mark), params)
            return list(cursor.fetchall()) if cursor.description is not None else []
        finally:
            cursor.close()

    def many(self, sql: str, params: Sequence[tuple[object, ...]]) -> None:
        cursor = self._conn.cursor()
        try:
            cursor.executemany(sql.replace("?", self._mark), params)
        finally:
            cursor.close()


class _Session:
    """Statements of one transaction of an opened ``Database`` (SQLAlchemy passes the SQL to the driver)."""

    def __init__(self, connection: Any, mark: str) -> None:
        self._conn, self._mark = connection, mark

    def rows(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        result = self._conn.exec_driver_sql(sql.replace("?", self._mark), params)
        return [tuple(r) for r in result.fetchall()] if result.returns_rows else []

    def many(self, sql: str, params: Sequence[tuple[object, ...]]) -> None:
        self._conn.exec_driver_sql(sql.replace("?", self._mark), list(params))


_FROM = glance.LINKS_WITH_STATUS


class LinkTables:
    """The link check's statements over one way into the database; each call one transaction."""

    def __init__(self, kind: glance.Kind, transaction: Callable[[bool], contextlib.AbstractContextManager[_Tx]],
                 close: Callable[[], None] = lambda: None) -> None:
        self.kind = kind
        self._transaction, self._close = transaction, close

    # -- values as ``UTCDateTime`` binds and returns them
    def _time(self, when: datetime) -> object:
        if when.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware UTC datetime")
        return glance.bind_time(self.kind, when)

    def _due(self, now: datetime, all_links: bool) -> tuple[str, tuple[object, ...]]:
        return ("", ()) if all_links else (" AND " + glance.DUE, (self._time(now),))

    # -- the statements
    def begin_run(self, now: datetime, all_links: bool) -> tuple[int, int, int]:
        """Count the links and those due at ``now`` (all of them with ``all_links``) and write
        the run's ``check_runs`` row (started and finished at ``now``, ``links`` = due, every
        other figure 0): (run id, links, due)."""
        with self._transaction(True) as tx:
            total = int(tx.rows(glance.COUNT_LINKS)[0][0] or 0)
            due = total if all_links else int(tx.rows(glance.COUNT_DUE, self._time(now))[0][0] or 0)
            run_id = tx.rows(glance.INSERT_RUN, self._time(now), self._time(now), all_links, False, due,
                             0, 0, 0, 0, "")[0][0]
        return int(run_id), total, due

    def due_page(self, now: datetime, all_links: bool, after_id: int, limit: int) -> list[DueLink]:
        """The next ``limit`` due links with ids above ``after_id`` (keyset paging, by id)."""
        where, params = self._due(now, all_links)
        with self._transaction(False) as tx:
            rows = tx.rows(
                "SELECT resources.id, resources.url, resources.canonical_url, link_status.state, "
                "link_status.content_type, link_status.content_hash, link_status.etag, link_status.last_modified, "
                f"link_status.probed_hash {_FROM} WHERE resources.id > ?{where} ORDER BY resources.id LIMIT ?",
                after_id, *params, limit)
        return [DueLink(int(r[0]), r[1], r[2], r[3], r[4] or "", r[5], r[6], r[7], r[8]) for r in rows]

    def claim(self, resource_ids: Sequence[int], holder: str, lease_now: datetime, until: datetime,
              now: datetime, all_links: bool) -> set[int]:
        """Claim the links of ``resource_ids`` that no other run holds (a lease until ``until``;
        a lease that ended before ``lease_now`` is free) and return those still due at ``now``.

        One upsert takes the claims (in id order, so two PostgreSQL transactions lock rows in
        the same order and cannot deadlock); the due-ness is read again *after* it, in the same
        transaction, because a run that finished and released a link between our page read and
        our claim has already moved its ``next_check_at``: we must not fetch it again.
        """
        ids = sorted(set(resource_ids))
        if not ids:
            return set()
        until_v, lease_v = self._time(until), self._time(lease_now)
        where, params = self._due(now, all_links)
        due: set[int] = set()
        with self._transaction(True) as tx:
            tx.many("INSERT INTO link_claims (resource_id, claimed_by, claimed_until) VALUES (?, ?, ?) "
                    "ON CONFLICT (resource_id) DO UPDATE SET claimed_by = excluded.claimed_by, "
                    "claimed_until = excluded.claimed_until "
                    "WHERE link_claims.claimed_until <= ? OR link_claims.claimed_by = ?",
                    [(rid, holder, until_v, lease_v, holder) for rid in ids])
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start:start + CHUNK]
                marks = ", ".join("?" * len(chunk))
                due.update(int(r[0]) for r in tx.rows(
                    f"SELECT resources.id {_FROM} WHERE resources.id IN (SELECT link_claims.resource_id "
                    f"FROM link_claims WHERE link_claims.claimed_by = ? AND link_claims.resource_id IN ({marks}))"
                    f"{where}", holder, *chunk, *params))
        return due

    def release(self, holder: str) -> None:
        """End every claim of ``holder``."""
        with self._transaction(True) as tx:
            tx.rows("DELETE FROM link_claims WHERE claimed_by = ?", holder)

    def archive_wanted(self, now: datetime) -> bool:
        """Whether any dead link wants an archive look-up at ``now`` (``links.archive.archive_due``,
        the one rule, over the rows ``services.linkcheck_store.archive_wanted`` reads)."""
        with self._transaction(False) as tx:
            rows = tx.rows(glance.DEAD_AWAITING_ARCHIVE)
        return glance.any_archive_due(rows, self._read_time, now)

    def _read_time(self, value: object) -> datetime:
        read = glance.read_time(self.kind, value)
        if read is None:
            raise ValueError(f"a stored time in a shape tracker does not write: {value!r}")
        return read

    def finish_run(self, run_id: int, *, inconclusive: bool, hosts: int, requests: int, links: int,
                   network_failures: int, elapsed_ms: int, note: str | None) -> dict[str, int]:
        """Write the run's figures on its row (``note`` only when given), then the counts by
        state (``repo_links.state_counts``), in one transaction."""
        with self._transaction(True) as tx:
            tx.rows("UPDATE check_runs SET inconclusive = ?, hosts = ?, requests = ?, links = ?, "
                    "network_failures = ?, elapsed_ms = ? WHERE id = ?",
                    inconclusive, hosts, requests, links, network_failures, elapsed_ms, run_id)
            if note is not None:
                tx.rows("UPDATE check_runs SET note = ? WHERE id = ?", note, run_id)
            return {str(state): int(n) for state, n in tx.rows(glance.STATE_COUNTS)}

    def interrupted_run(self, run_id: int, *, hosts: int, requests: int, elapsed_ms: int, note: str) -> int:
        """Write an interrupted run's figures on its row: ``links`` becomes the links it recorded
        (its row said every due link, with 0 requests, until ``finish_run``); returns that."""
        with self._transaction(True) as tx:
            tx.rows("UPDATE check_runs SET hosts = ?, requests = ?, elapsed_ms = ?, note = ?, links = "
                    "(SELECT COUNT(DISTINCT resource_id) FROM link_observations WHERE run_id = ?) WHERE id = ?",
                    hosts, requests, elapsed_ms, note, run_id, run_id)
            return int(tx.rows("SELECT links FROM check_runs WHERE id = ?", run_id)[0][0])

    def close(self) -> None:
        self._close()


def _direct(conn: Any, kind: glance.Kind, reconnect: Callable[[], Any] | None = None) -> LinkTables:
    """Statements on a connection of our own: SQLite in autocommit mode with explicit
    ``BEGIN`` (``IMMEDIATE`` for writes, so a transaction never has to upgrade its lock),
    psycopg with its implicit transaction ended by ``commit``. With ``reconnect`` (psycopg),
    each transaction first pings the server and opens a new connection when the old one
    was dropped (a server restart mid-run), as the engine's ``pool_pre_ping`` does: the
    run goes on, and its claims can always be released.

    One transaction at a time: a run reads its pages in worker threads, and after a second
    Ctrl-C its claims are released while a worker may still be reading — on the same
    connection, a second ``BEGIN`` failed ("cannot start a transaction within a
    transaction") and the claims stayed held until their lease ran out. The release now
    waits for the read (milliseconds)."""
    mark = "?" if kind == "sqlite" else "%s"
    held = [conn]
    one_at_a_time = threading.Lock()

    def live() -> Any:
        if reconnect is None:
            return held[0]
        try:
            held[0].execute("SELECT 1").close()  # opens the transaction the statements run in
        except glance.driver_errors():
            if not held[0].closed:  # not dropped: a failure of the server's own to report
                raise
            held[0] = reconnect()
        return held[0]

    @contextlib.contextmanager
    def transaction(write: bool) -> Iterator[_Tx]:
        with one_at_a_time:
            conn = live()
            if kind == "sqlite":
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN").close()
            try:
                yield _Cursor(conn, mark)
                conn.commit()
            except BaseException:  # a failed commit too: the transaction never stays open
                with contextlib.suppress(*glance.driver_errors()):
                    conn.rollback()
                raise

    def close() -> None:
        with contextlib.suppress(*glance.driver_errors()):
            held[0].close()

    return LinkTables(kind, transaction, close)


def through(db: Database) -> LinkTables:
    """The same statements run through an opened ``Database`` (its own transactions)."""
    kind: glance.Kind = "sqlite" if db.engine.dialect.name == "sqlite" else "postgresql"
    mark = "?" if kind == "sqlite" else "%s"

    @contextlib.contextmanager
    def transaction(write: bool) -> Iterator[_Tx]:
        with db.transaction() as session:
            yield _Session(session.connection(), mark)

    return LinkTables(kind, transaction)


def open_tables(url: str) -> LinkTables | None:
    """Our own connection to ``url`` when this module understands the URL completely and the
    schema is at ``SCHEMA_HEAD``; ``None`` otherwise, and when it cannot be opened (the
    normal way of opening it then upgrades the schema or says what is wrong, in its words)."""
    path = glance.sqlite_file(url)
    params = glance.postgresql_params(url) if path is None else None
    if path is None and params is None:
        return None
    reconnect: Callable[[], Any] | None = None
    try:
        if path is not None:
            conn: Any = glance.connect_sqlite(path, glance.SQLITE_TIMEOUT, check_same_thread=False)
            kind: glance.Kind = "sqlite"
        else:  # a server that cannot be reached is said once (``glance.connect_postgresql``)
            reconnect = functools.partial(glance.connect_postgresql, url, params or {})
            conn = reconnect()
            kind = "postgresql"
    except Exception as exc:
        if isinstance(exc, (ImportError, sqlite3.Error, *glance.driver_errors())):
            return None
        raise
    tables = _direct(conn, kind, reconnect)
    try:
        with tables._transaction(False) as tx:
            head = [str(r[0]) for r in tx.rows("SELECT version_num FROM alembic_version")]
    except glance.driver_errors():
        head = []
    if head != [glance.SCHEMA_HEAD]:
        tables.close()
        return None
    return tables


def tables_for(url: str, opened: Callable[[], Database]) -> LinkTables:
    """The run's way into the database: our own connection, else through ``opened()``."""
    return open_tables(url) or through(opened())
