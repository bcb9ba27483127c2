"""The coordination store: where the scheduler lease and run heartbeats are written.

Owns: an engine for short coordination transactions that never queue behind a job's
long write. On PostgreSQL that is the database itself, through its own small pool
whose sessions set ``lock_timeout`` and ``statement_timeout``, so a renewal fails fast
instead of waiting. On SQLite it is a sidecar file next to the database
(``tracker.db-coord``; WAL, a short busy timeout, ``BEGIN IMMEDIATE``), because SQLite
allows one writer per file and a crawl may hold that writer for a minute. The
sidecar holds only transient state (who leads, which runs are alive), created on
first use; deleting it while nothing runs loses nothing.
Does not own the queries (``repo_jobs``) or any decision about leases or runs.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tracker.db.base import Base
from tracker.db.models_jobs import COORDINATION_TABLES
from tracker.db.session import Database, unit_of_work

__all__ = ["Coordination", "DEFAULT_TIMEOUT"]

DEFAULT_TIMEOUT = 2.0  # seconds a coordination statement may wait for a lock


def _sqlite_engine(path: str, timeout: float) -> Engine:
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": timeout, "isolation_level": None})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:  # take the write lock up front: no snapshot to upgrade later
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Coordination:
    """Short transactions on the coordination tables of ``db`` (see the module docstring)."""

    def __init__(self, db: Database, timeout: float = DEFAULT_TIMEOUT) -> None:
        url = db.engine.url
        self.sidecar = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not str(url.database).startswith("file:")
        if self.sidecar:
            self.path = f"{url.database}-coord"
            self.engine = _sqlite_engine(self.path, timeout)
        elif url.get_backend_name() == "postgresql":
            ms = max(1, int(timeout * 1000))
            self.engine = create_engine(url, pool_size=2, max_overflow=2, pool_pre_ping=True, connect_args={
                "connect_timeout": max(1, int(timeout + 0.999)),
                "options": f"-c lock_timeout={ms} -c statement_timeout={ms * 2} "
                           f"-c idle_in_transaction_session_timeout={ms * 4}"})
        else:  # an in-memory SQLite database: one engine for everything
            self.engine = db.engine
        self._owned = self.engine is not db.engine
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._ready = not self.sidecar  # the sidecar's tables are created on first use

    def _create_tables(self) -> None:
        try:
            with self.engine.begin() as conn:
                Base.metadata.create_all(conn, tables=list(COORDINATION_TABLES))
        except OperationalError as exc:
            if "already exists" not in str(exc):  # another process created it meanwhile
                raise
        self._ready = True

    def transaction(self) -> AbstractContextManager[Session]:
        """One short unit of work; raises (``UNAVAILABLE``) instead of waiting long."""
        if not self._ready:
            self._create_tables()
        return unit_of_work(self._sessions)

    def exists(self) -> bool:
        """Whether there is anything to read: False only for a sidecar file that no process
        has created yet (a look that writes nothing must not create it)."""
        return not self.sidecar or os.path.exists(self.path)

    def dispose(self) -> None:
        if self._owned:
            self.engine.dispose()
