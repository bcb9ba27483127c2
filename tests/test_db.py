"""Schema management: automatic upgrade of a new database, drift detection, transactions."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from tests.conftest import CLI, NEWEST_HANDBOOK
from tracker.db.models import Document
from tracker.db.session import open_database
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
