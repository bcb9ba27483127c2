"""Schema management: automatic upgrade of a new database, drift detection, transactions."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text

from tests.conftest import CLI, NEWEST_HANDBOOK
from tracker.db.models import Document
from tracker.db.glance import SCHEMA_HEAD
from tracker.db.session import Database, open_database
from tracker.errors import DatabaseError, SchemaDriftError


def test_new_database_is_upgraded_on_first_use(empty_db_url: str, clean_env: None) -> None:
    run = CLI(empty_db_url, None)  # type: ignore[arg-type]
    result = run("import", str(NEWEST_HANDBOOK))
    assert result.exit_code == 0, result.stderr
    db = open_database(empty_db_url, ensure_schema=False)
    assert db.current_revision() == db.head_revision()
    db.dispose()


def test_db_check_passes_on_migrated_schema_and_fails_on_drift(empty_db_url: str, clean_env: None) -> None:
    run = CLI(empty_db_url, None)  # type: ignore[arg-type]
    if empty_db_url.startswith("sqlite:///"):  # no file yet: refused, not created (issue: db check made one)
        missing = Path(empty_db_url.removeprefix("sqlite:///"))
        refused = run("db", "check")
        assert refused.exit_code == 1 and "no tracker database at" in refused.stderr and not missing.exists()
        missing.touch()  # an empty file is an empty SQLite database
    result = run("db", "check")
    assert result.exit_code == 1 and "run `tracker db upgrade`" in result.stderr
    assert run("db", "upgrade").exit_code == 0
    ok = run("db", "check")
    assert ok.exit_code == 0, ok.stderr
    db = open_database(empty_db_url, ensure_schema=False)
    with db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE resources ADD COLUMN surprise INTEGER"))
    db.dispose()
    drift = run("db", "check")
    assert drift.exit_code == 1
    assert drift.stderr.startswith("Error: models and migrations differ") and "surprise" in drift.stderr


def test_check_raises_schema_drift(db_url: str) -> None:
    db = open_database(db_url)
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE stray (id INTEGER PRIMARY KEY)"))
    with pytest.raises(SchemaDriftError, match="stray"):
        db.check()
    db.dispose()


def test_a_database_behind_the_code_must_be_upgraded_explicitly(db_url: str) -> None:
    db = open_database(db_url)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    with pytest.raises(DatabaseError, match="run `tracker db upgrade`"):
        db.ensure_schema()
    db.dispose()


def test_foreign_tables_without_version_are_refused(empty_db_url: str) -> None:
    db = open_database(empty_db_url, ensure_schema=False)
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE someone_elses (id INTEGER PRIMARY KEY)"))
    with pytest.raises(DatabaseError, match="no tracker schema version"):
        db.ensure_schema()
    db.dispose()


def test_transaction_rolls_back_everything_on_error(db_url: str) -> None:
    db = open_database(db_url)
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with pytest.raises(RuntimeError):
        with db.transaction() as session:
            session.add(Document(name="half", location="", layout="markdown", created_at=now))
            session.flush()
            raise RuntimeError("boom")
    with db.transaction() as session:
        assert session.query(Document).count() == 0
        session.add(Document(name="whole", location="", layout="markdown", created_at=now))
    with db.transaction() as session:
        doc = session.query(Document).one()
        assert doc.created_at == now and doc.created_at.tzinfo is not None
    db.dispose()


def test_schema_head_constant_is_alembics_head(db_url: str) -> None:
    from tracker.db.session import SCHEMA_HEAD

    db = open_database(db_url)
    assert db.head_revision() == SCHEMA_HEAD == db.current_revision()
    db.dispose()


def test_upgrade_refuses_foreign_and_newer_databases(empty_db_url: str, clean_env: None) -> None:
    run = CLI(empty_db_url, None)  # type: ignore[arg-type]
    db = open_database(empty_db_url, ensure_schema=False)
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE foo (id INTEGER PRIMARY KEY)"))
    result = run("db", "upgrade")
    assert result.exit_code == 1 and "has tables but no tracker schema version" in result.stderr
    with db.engine.connect() as conn:
        assert "alembic_version" not in {r[0] for r in conn.execute(text(
            "SELECT table_name FROM information_schema.tables" if db.engine.dialect.name == "postgresql"
            else "SELECT name FROM sqlite_master"))}
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE foo"))
    assert run("db", "upgrade").exit_code == 0
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    newer = run("db", "upgrade")
    assert newer.exit_code == 1 and "written by a newer tracker" in newer.stderr
    assert len(newer.stderr.strip().splitlines()) == 1
    listing = run("topics")
    assert listing.exit_code == 1 and "written by a newer tracker" in listing.stderr
    db.dispose()


def _link_status_schema(db: Database) -> tuple[list[str], list[tuple[str, tuple[str, ...]]], list[Any], Any]:
    """``link_status`` as the database describes it: columns, indexes, foreign keys, primary key."""
    with db.engine.connect() as conn:
        look = inspect(conn)
        columns = [c["name"] for c in look.get_columns("link_status")]
        indexes = sorted((str(i["name"]), tuple(str(c) for c in i["column_names"]))
                         for i in look.get_indexes("link_status"))
        fks = sorted((str(f["name"]), tuple(f["constrained_columns"]), f["referred_table"],
                      f.get("options", {}).get("ondelete")) for f in look.get_foreign_keys("link_status"))
        return columns, indexes, fks, look.get_pk_constraint("link_status")["constrained_columns"]


def test_migration_0014_adds_and_drops_probed_hash_keeping_rows_and_indexes(empty_db_url: str) -> None:
    from alembic import command

    db = open_database(empty_db_url, ensure_schema=False)
    cfg = db._alembic_config()
    command.upgrade(cfg, "0013")
    before = _link_status_schema(db)
    assert "probed_hash" not in before[0]
    now = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO resources (id, canonical_url, url, kind, host, title, origin, created_at) "
                          "VALUES (1, 'https://a.example/p', 'https://a.example/p', 'web', 'a.example', '', "
                          "'document', :now)"), {"now": now})
        conn.execute(text("INSERT INTO link_status (resource_id, state, state_since, reason, soft404, "
                          "consecutive_failures, elapsed_ms, content_type, content_hash, title) "
                          "VALUES (1, 'alive', :now, '200 OK', false, 0, 5, 'text/html', 'h1', 'A page')"),
                     {"now": now})

    command.upgrade(cfg, "0014")
    assert db.current_revision() == "0014" == SCHEMA_HEAD
    after = _link_status_schema(db)
    assert after[0] == [*before[0], "probed_hash"] and after[1:] == before[1:]
    assert db.check() == []  # the models agree with the migrated schema
    with db.engine.begin() as conn:
        assert conn.execute(text("SELECT state, content_hash, probed_hash FROM link_status")).all() == \
            [("alive", "h1", None)]  # existing rows start NULL: their next check probes
        conn.execute(text("UPDATE link_status SET probed_hash = 'h1'"))

    command.downgrade(cfg, "0013")
    assert db.current_revision() == "0013"
    assert _link_status_schema(db) == before  # the same table: indexes and foreign keys kept
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT state, content_hash, title FROM link_status")).all() == \
            [("alive", "h1", "A page")]

    command.upgrade(cfg, "head")
    assert db.check() == [] and _link_status_schema(db) == after
    db.dispose()
