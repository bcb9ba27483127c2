"""Shared test fixtures: a real database per test (SQLite file, or PostgreSQL when
``TRACKER_TEST_POSTGRES_URL`` names a server), the shared fixtures folder, a CLI runner.

On PostgreSQL a migrated template database is built once per session and each
test gets ``CREATE DATABASE … TEMPLATE`` of it, so every test starts clean.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tracker.config import Settings, load_settings
from tracker.db.session import Database, open_database

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(os.environ.get("TRACKER_FIXTURES", REPO.parent / "shared" / "fixtures"))
HANDBOOK = FIXTURES / "genai-handbook"
HANDBOOK_VERSIONS = ["2024-05-21_2d07718", "2024-09-11_12f50f2", "2026-02-02_a7c5287"]
NEWEST_HANDBOOK = HANDBOOK / HANDBOOK_VERSIONS[-1]
FEEDS = FIXTURES / "feeds"

# The date every test runs at unless it says otherwise (Monday of 2026-W48): the CLI
# helper passes it as TRACKER_NOW and the ``settings`` fixture as ``now``, so no test
# depends on the day it runs (.ci/run runs the suite again under libfaketime in 2032).
TEST_NOW = "2026-11-23T09:00:00Z"

# Hypothesis, for the whole suite alike (here, before any test module is collected): no
# per-example deadline and no "too slow" health check — both time examples on the wall clock,
# so a loaded machine would fail tests that a quiet one passes. A module's own settings go on
# its tests (``@settings(...)``), never through ``load_profile``, which would change the tests
# collected after it.
hypothesis_settings.register_profile("tracker", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("tracker")

_PG_ADMIN = os.environ.get("TRACKER_TEST_POSTGRES_URL", "")
_counter = itertools.count()


def pytest_report_header() -> str:
    return f"tracker database backend: {'postgresql' if _PG_ADMIN else 'sqlite'}"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    if not FIXTURES.is_dir():
        pytest.fail(f"shared fixtures not found at {FIXTURES}; clone ../shared beside the project")
    return FIXTURES


def _pg_url(name: str) -> str:
    return make_url(_PG_ADMIN).set(drivername="postgresql+psycopg", database=name).render_as_string(
        hide_password=False
    )


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str | None]:
    if not _PG_ADMIN:
        yield None
        return
    admin = create_engine(_pg_url("postgres"), isolation_level="AUTOCOMMIT")
    name = f"tracker_tpl_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = open_database(_pg_url(name))
    db.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _fresh_pg(template: str, empty: bool) -> tuple[str, Any]:
    admin = create_engine(_pg_url("postgres"), isolation_level="AUTOCOMMIT")
    name = f"tracker_t{os.getpid()}_{next(_counter)}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if empty:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        else:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return _pg_url(name), drop


@pytest.fixture
def db_url(tmp_path: Path, _pg_template: str | None) -> Iterator[str]:
    """A migrated, empty database for this test only."""
    if _pg_template:
        url, drop = _fresh_pg(_pg_template, empty=False)
        yield url
        drop()
    else:
        yield f"sqlite:///{tmp_path / 'tracker.db'}"


@pytest.fixture
def empty_db_url(tmp_path: Path, _pg_template: str | None) -> Iterator[str]:
    """A database with no schema at all (to test upgrades)."""
    if _pg_template:
        url, drop = _fresh_pg(_pg_template, empty=True)
        yield url
        drop()
    else:
        yield f"sqlite:///{tmp_path / 'empty.db'}"


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Default settings on this test's database and clock (``TEST_NOW``), ignoring the
    caller's environment."""
    return load_settings(env={}, overrides={"database_url": db_url, "now": TEST_NOW})


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TRACKER_") and name not in ("TRACKER_FIXTURES",):
            monkeypatch.delenv(name, raising=False)


class CLI:
    """Runs ``tracker`` in-process against one database; returns click's ``Result``.
    The clock is ``TEST_NOW`` unless ``env`` sets its own ``TRACKER_NOW``."""

    def __init__(self, db_url: str, tmp_path: Path) -> None:
        self.db_url = db_url
        self.tmp_path = tmp_path

    def __call__(self, *args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        from tracker.cli import cli

        runner = CliRunner()
        env = {"TRACKER_NOW": TEST_NOW, **(env or {})}
        return runner.invoke(cli, ["--db", self.db_url, *args], env=env, input=input,
                             catch_exceptions=False)


@pytest.fixture
def run(db_url: str, tmp_path: Path, clean_env: None) -> CLI:
    """``run("import", path)`` → click Result (stdout in ``.stdout``, stderr in ``.stderr``)."""
    return CLI(db_url, tmp_path)


@pytest.fixture(autouse=True)
def _fresh_politeness_gates() -> Iterator[None]:
    """The process-wide host gates remember pauses and spacing: not across tests."""
    from tracker.fetch.gate import reset_shared_gates

    reset_shared_gates()
    yield
    reset_shared_gates()
