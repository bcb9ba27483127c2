"""Several commands at once on a brand-new database (three `tracker db upgrade`, three first
imports, the scheduler's job beside a maintainer's command): the schema upgrade is serialised
between processes, so every one exits 0 and the schema ends at head (second reading, finding 1).

Real processes on a fresh SQLite file, or a fresh PostgreSQL database when
``TRACKER_TEST_POSTGRES_URL`` is set (``empty_db_url``), released together by
``tests.twins.run_together``."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from tests.conftest import NEWEST_HANDBOOK, TEST_NOW
from tests.twins import run_together
from tracker.db.glance import SCHEMA_HEAD
from tracker.db.models import Document, DocumentVersion
from tracker.db.session import open_database


def _at_head(url: str) -> None:
    db = open_database(url, ensure_schema=False)
    try:
        assert db.current_revision() == SCHEMA_HEAD
        assert db.check() == []  # every table there, as the models say
    finally:
        db.dispose()


def test_three_upgrades_at_once_on_a_new_database_all_succeed(empty_db_url: str) -> None:
    runs = run_together(empty_db_url, [["db", "upgrade"]] * 3, {"TRACKER_NOW": TEST_NOW})
    for run in runs:
        assert run.code == 0, run.stderr
        assert "Error" not in run.stderr
    assert [run.stderr.strip().splitlines()[-1] for run in runs] == [f"database at revision {SCHEMA_HEAD}"] * 3
    _at_head(empty_db_url)


def test_three_first_imports_at_once_make_one_document_with_one_version(empty_db_url: str) -> None:
    runs = run_together(empty_db_url, [["import", str(NEWEST_HANDBOOK), "--format", "json"]] * 3,
                        {"TRACKER_NOW": TEST_NOW})
    for run in runs:
        assert run.code == 0, run.stderr
    _at_head(empty_db_url)
    db = open_database(empty_db_url)
    try:
        with db.transaction() as s:
            assert s.scalar(select(func.count()).select_from(Document)) == 1
            assert s.scalar(select(func.count()).select_from(DocumentVersion)) == 1  # the same content once
    finally:
        db.dispose()


def test_the_schedulers_job_and_a_maintainers_commands_at_once_on_a_new_database(empty_db_url: str) -> None:
    """The database exists and holds no schema yet (on PostgreSQL it is created empty; on
    SQLite an empty file): `run crawl` refuses a SQLite file that does not exist at all (a
    typo in --db), so without the file whether it ran would depend on which process started
    first (CI's faketime stage once saw it refused)."""
    if empty_db_url.startswith("sqlite:///"):
        Path(empty_db_url.removeprefix("sqlite:///")).touch()
    runs = run_together(empty_db_url, [["run", "crawl"], ["import", str(NEWEST_HANDBOOK)], ["db", "upgrade"]],
                        {"TRACKER_NOW": TEST_NOW})
    for run in runs:
        assert run.code == 0, run.stderr
    _at_head(empty_db_url)
