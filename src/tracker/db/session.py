"""Engines, transactions and migrations.

Owns: turning a database URL into an engine (SQLite pragmas, clear errors when
it cannot be opened), the ``transaction()`` unit of work every service uses, and
running Alembic (``upgrade``, drift ``check``). A new, empty database is upgraded
automatically on first use; an existing one that is behind must be upgraded with
``tracker db upgrade``. Upgrades are serialised between processes (an advisory lock on
PostgreSQL, the write lock on SQLite), so commands started together on a new database
all succeed.
Does not define tables or queries.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from tracker.config import redact
from tracker.db.glance import SCHEMA_HEAD, SQLITE_PRAGMAS, SQLITE_TIMEOUT, cannot_open, describe
from tracker.db.models import Base
from tracker.errors import DatabaseError, SchemaDriftError
from tracker.packaged import migrations_dir

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["Database", "open_database", "MIGRATIONS_DIR", "SCHEMA_HEAD", "DATABASE_FAILURES", "database_error"]

#: the PostgreSQL advisory lock key that serialises schema upgrades (one per database;
#: "tracker" in ASCII, so it is unlikely to meet another program's key)
UPGRADE_LOCK_KEY = int.from_bytes(b"tracker", "big")

#: exceptions that mean "the database failed" (locked, gone, constraint, schema missing)
DATABASE_FAILURES: tuple[type[BaseException], ...] = (SQLAlchemyError,)

MIGRATIONS_DIR = migrations_dir()  # installed with the package, never the source tree
# SCHEMA_HEAD, the newest migration, lives in ``db.glance`` (which answers a check with
# nothing due without SQLAlchemy, so it must not import this module): bump it there.


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:  # shared with ``db.glance``, which opens SQLite without us
        cursor.execute(pragma)
    cursor.close()


def _make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number, a broken [host]
        raise DatabaseError(
            f"cannot parse database URL {redact(url)!r}; use e.g. sqlite:///tracker.db or "
            "postgresql+psycopg://user@host/dbname"
        ) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseError(
            f"cannot open database {redact(url)}: tracker keeps its data in SQLite or PostgreSQL, not "
            f"{parsed.get_backend_name()}; use e.g. sqlite:///tracker.db or postgresql+psycopg://user@host/dbname"
        )
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            folder = Path(database).expanduser().resolve().parent
            if not folder.is_dir():
                raise DatabaseError(
                    f"cannot open database {redact(url)}: folder {folder} does not exist; "
                    "create it or pass another --db"
                )
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_TIMEOUT})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except (ArgumentError, ImportError, SQLAlchemyError) as exc:
        raise DatabaseError(f"cannot open database {redact(url)}: {redact(str(exc))}") from None


def _begin_immediate(conn: Connection) -> None:
    """Begin a SQLite transaction by taking the write lock (pysqlite leaves BEGIN to us)."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _revision_on(conn: Connection) -> str | None:
    """The schema revision ``conn`` sees (``None``: no tracker schema yet)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    revision: str | None = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return revision


def sqlite_file_missing(url: str) -> Path | None:
    """The file a ``sqlite:///`` URL names when it does not exist yet (else ``None``)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # not parseable: opening it says so, in one line
        return None
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" \
            or database.startswith("file:"):
        return None
    path = Path(database).expanduser()
    return None if path.exists() else path


def database_error(exc: BaseException) -> DatabaseError:
    """A one-line ``DatabaseError`` for a failure no service turned into one itself."""
    hint = ""
    text = describe(exc)
    if "no such table" in text or "does not exist" in text:
        hint = "; the schema may be incomplete: run `tracker db upgrade`"
    return DatabaseError(f"database error: {text}{hint}")


@contextmanager
def unit_of_work(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session from ``sessions`` that commits on success and rolls back everything on
    any exception (the one transaction shape of every store)."""
    session = sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class Database:
    """An opened database: an engine, a session factory and the migration tools."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.safe_url = redact(url)  # the URL for messages and logs
        self.engine = _make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    # -- transactions -------------------------------------------------
    def transaction(self) -> AbstractContextManager[Session]:
        """One unit of work: commits on success, rolls back everything on any exception."""
        return unit_of_work(self._sessions)

    def dispose(self) -> None:
        self.engine.dispose()

    # -- migrations ---------------------------------------------------
    def _alembic_config(self) -> Config:
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.attributes["engine"] = self.engine
        return cfg

    def current_revision(self) -> str | None:
        try:
            with self.engine.connect() as conn:
                return _revision_on(conn)
        except SQLAlchemyError as exc:
            raise cannot_open(self.url, exc) from None

    def head_revision(self) -> str | None:
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(self._alembic_config()).get_current_head()

    def upgrade(self) -> None:
        """Apply every pending migration (``tracker db upgrade``); refuses a database that
        belongs to something else or to a newer tracker.

        Serialised between processes (three commands on a brand-new database at once):
        the revision is read again and the migrations run inside one transaction that holds
        the upgrade lock (``_upgrade_lock``), so the others wait, then find the schema at
        head and carry on."""
        from alembic import command
        from alembic.util import CommandError

        current = self.current_revision()  # outside the lock: nothing to do takes no lock
        head = self.head_revision()
        if current is not None:
            self._refuse_unknown_revision(current)
        if current == head:
            return
        try:
            with self._upgrade_lock() as conn:
                current = _revision_on(conn)  # again, inside the lock: another may have upgraded
                if current is None:
                    self._refuse_foreign_tables(conn)
                else:
                    self._refuse_unknown_revision(current)
                if current != head:
                    cfg = self._alembic_config()
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
        except OperationalError as exc:
            raise DatabaseError(f"cannot upgrade database {self.safe_url}: {describe(exc)}") from None
        except CommandError as exc:
            raise DatabaseError(f"cannot upgrade database {self.safe_url}: {exc}") from None

    @contextmanager
    def _upgrade_lock(self) -> Iterator[Connection]:
        """A connection in a transaction that holds the schema-upgrade lock, committed when
        the block ends (rolled back on an exception). PostgreSQL: a transaction-level
        advisory lock (``pg_advisory_xact_lock``), released by the commit, and DDL is
        transactional. SQLite: the write lock (``BEGIN IMMEDIATE``) on a connection of its
        own engine whose transactions pysqlite leaves to us (the SQLAlchemy recipe for
        pysqlite: ``isolation_level=None`` and a ``begin`` hook), so the migrations' DDL is
        in the transaction too; waits up to the busy timeout. An in-memory database has one
        process: the plain engine."""
        url = self.engine.url
        database = url.database or ""
        if url.get_backend_name() == "sqlite" and database and database != ":memory:" \
                and "mode=memory" not in str(url):
            engine = create_engine(url, connect_args={"timeout": SQLITE_TIMEOUT, "isolation_level": None},
                                   poolclass=NullPool)
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _begin_immediate)
            try:
                with engine.begin() as conn:
                    yield conn
            finally:
                engine.dispose()
            return
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK_KEY})
            yield conn

    def _refuse_unknown_revision(self, current: str) -> None:
        from alembic.script import ScriptDirectory
        from alembic.util import CommandError

        try:
            ScriptDirectory.from_config(self._alembic_config()).get_revision(current)
        except CommandError:
            raise DatabaseError(
                f"database {self.safe_url} is at schema revision {current!r}, which this tracker does not "
                "know: it was written by a newer tracker; upgrade tracker instead") from None

    def _refuse_foreign_tables(self, conn: Connection) -> None:
        tables = set(inspect(conn).get_table_names())
        if tables - {"alembic_version"}:
            raise DatabaseError(
                f"database {self.safe_url} has tables but no tracker schema version; "
                "point --db at a tracker database or a new file"
            )

    def check(self) -> list[str]:
        """Differences between the models and the migrated schema; raises if any."""
        if self.current_revision() != self.head_revision():
            raise SchemaDriftError(
                f"database is at revision {self.current_revision()}, migrations end at "
                f"{self.head_revision()}; run `tracker db upgrade`"
            )
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext

        with self.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(ctx, Base.metadata)
        if diffs:
            lines = "; ".join(str(d) for d in diffs[:10])
            raise SchemaDriftError(
                f"models and migrations differ ({len(diffs)} changes: {lines}); "
                "write an Alembic migration for the model change"
            )
        return []

    def ensure_schema(self) -> None:
        """Upgrade an empty database; refuse to work on one that is behind."""
        current = self.current_revision()
        if current == SCHEMA_HEAD:
            return
        head = self.head_revision()
        if current == head:
            return
        if current is None:
            self.upgrade()  # a new database (upgrade refuses one holding other tables)
            return
        self._refuse_unknown_revision(current)
        raise DatabaseError(
            f"database schema is at revision {current} but tracker needs {head}; "
            "run `tracker db upgrade`"
        )


def open_database(url: str, *, ensure_schema: bool = True) -> Database:
    """Open ``url``; by default create/upgrade the schema of a new database."""
    db = Database(url)
    if ensure_schema:
        db.ensure_schema()
    return db
