"""``tracker check`` with nothing due, answered without SQLAlchemy (``db.glance``,
``services.linkcheck_glance``): the same answers as the repository queries, the same
output and ``check_runs`` row as the normal path, and the normal path whenever the
glance cannot be sure (issue 11)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import Result
from hypothesis import HealthCheck, example, given, settings as hsettings, strategies as st
from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from tests.conftest import CLI, TEST_NOW
from tests.links.seed import T0, add_unplaced, at, days, make_settings, seed
from tracker.db import glance, repo_links
from tracker.db.models_core import Resource
from tracker.db.models_links import CheckRun, LinkClaim, LinkStatus
from tracker.db.session import SCHEMA_HEAD, Database
from tracker.services import linkcheck, linkcheck_glance
from tracker.services.linkcheck_report import CheckReport
from tracker.services.linkcheck_store import archive_wanted

# times around ``now`` as the rows store them: days, a second, a microsecond either side
OFFSETS = [None, -days(3), timedelta(seconds=-1), timedelta(microseconds=-1), timedelta(0),
           timedelta(microseconds=1), timedelta(seconds=1), days(3)]
STATES = ["alive", "redirected", "failing", "dead", "blocked"]
OUTCOMES = [None, "found", "retry", "none", "missing"]

row_strategy = st.fixed_dictionaries({
    "status": st.booleans(), "state": st.sampled_from(STATES), "next": st.sampled_from(OFFSETS),
    "outcome": st.sampled_from(OUTCOMES), "retry": st.sampled_from(OFFSETS),
    "claim": st.sampled_from([None, "held", "expired"]),
})


def _status(rid: int, state: str, next_check_at: datetime | None, **extra: Any) -> LinkStatus:
    return LinkStatus(resource_id=rid, state=state, state_since=T0, reason="", soft404=False,
                      consecutive_failures=0, elapsed_ms=0, content_type="", title="",
                      next_check_at=next_check_at, **extra)


def _fill(db: Database, rows: list[dict[str, Any]], now: datetime) -> None:
    """Only these resources, status rows and claims (claims by other runs, held or run out)."""
    with db.transaction() as s:
        for table in (LinkClaim, LinkStatus, Resource):
            s.execute(delete(table))
    with db.transaction() as s:
        for n, row in enumerate(rows):
            res = Resource(canonical_url=f"https://h{n}.example.org/p", url=f"https://h{n}.example.org/p",
                           kind="page", host=f"h{n}.example.org", title="", created_at=T0)
            s.add(res)
            s.flush()
            if row["status"]:
                s.add(_status(res.id, row["state"], None if row["next"] is None else now + row["next"],
                              archive_outcome=row["outcome"],
                              archive_retry_at=None if row["retry"] is None else now + row["retry"]))
            if row["claim"] is not None:
                until = now + (days(1) if row["claim"] == "held" else -days(1))
                s.add(LinkClaim(resource_id=res.id, claimed_by="another-run", claimed_until=until))


def _glanced(url: str, now: datetime) -> tuple[tuple[int, int], bool, dict[str, int], list[str]]:
    look = glance.open_glance(url)
    assert look is not None
    try:
        return look.count_links(now), look.archive_wanted(now), look.state_counts(), look.schema_revisions()
    finally:
        look.close()


def _runs(db: Database) -> list[dict[str, Any]]:
    with db.transaction() as s:
        return [{c.name: getattr(r, c.name) for c in CheckRun.__table__.columns}
                for r in s.scalars(select(CheckRun).order_by(CheckRun.id))]


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row_strategy, max_size=8),
       now=st.sampled_from([T0, T0 + timedelta(microseconds=1), T0 + timedelta(seconds=0.5)]))
def test_the_glance_answers_as_the_repository_queries(db: Database, rows: list[dict[str, Any]],
                                                      now: datetime) -> None:
    _fill(db, rows, now)
    with db.transaction() as s:
        counted = repo_links.count_links(s, now, False)
        states = repo_links.state_counts(s)
    wanted = bool(archive_wanted(db, now))
    assert _glanced(db.url, now) == (counted, wanted, states, [SCHEMA_HEAD])

    # and the service answers only when the normal path would do nothing, with its report
    before = _runs(db)
    report = linkcheck_glance.nothing_due(at(make_settings(db.url), now))
    if counted[1] or wanted:
        assert report is None and _runs(db) == before  # stepped aside, nothing written
    else:
        assert report is not None
        assert (report.total, report.checked, report.requests, report.started_at) == (counted[0], 0, 0, now)
        assert sum(report.summary.values()) == counted[0]
        assert {k: v for k, v in report.summary.items() if k != "unchecked" and v} == states
        after = _runs(db)
        assert len(after) == len(before) + 1 and after[-1]["id"] == report.run_id


def test_claims_by_other_runs_still_count_as_due(db: Database) -> None:
    """``count_links`` counts a link another run holds as due (the normal path skips it):
    the glance must step aside for it, not call it "nothing due"."""
    _fill(db, [{"status": True, "state": "alive", "next": -days(1), "outcome": None, "retry": None,
                "claim": "held"}], T0)
    assert _glanced(db.url, T0)[0] == (1, 1)
    assert linkcheck_glance.nothing_due(make_settings(db.url)) is None


# ------------------------------------------------------------------ URLs

@pytest.mark.parametrize("url", [
    "sqlite://", "sqlite:///:memory:", "sqlite:///x.db?timeout=3", "sqlite:///~/x.db", "sqlite:///a%20b.db",
    "sqlite:///file:x.db?uri=true", "sqlite+aiosqlite:///x.db", "sqlite:///x.db#frag",
    "postgresql://h/d?sslmode=require", "postgresql://u:p%40@h/d", "postgresql://h1,h2/d",
    "postgresql://[::1]/d", "postgresql+asyncpg://h/d", "postgresql://h/", "postgresql://h:port/d",
    "postgresql://a@b:pw@h/d", "postgresql:///d", "mysql://h/d", "tracker.db", "",
])
def test_urls_it_does_not_fully_understand_go_the_normal_way(url: str) -> None:
    assert glance.sqlite_file(url) is None and glance.postgresql_params(url) is None
    assert glance.open_glance(url) is None


_URL_TEXT = st.text(alphabet="abcdez019:/@%?#[],.~+-_ ", max_size=14)


@hsettings(max_examples=1500, deadline=None)
@given(scheme=st.sampled_from(["sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg"]),
       rest=_URL_TEXT)
@example(scheme="postgresql", rest="0:0/0")  # port 0: SQLAlchemy passes no port
def test_a_url_it_opens_means_what_it_means_to_sqlalchemy(scheme: str, rest: str) -> None:
    url = f"{scheme}://{rest}"
    path, params = glance.sqlite_file(url), glance.postgresql_params(url)
    if path is None and params is None:
        return
    parsed = make_url(url)
    if path is not None:
        assert SQLiteDialect_pysqlite().create_connect_args(parsed) == ([path], {"check_same_thread": False})
    else:
        try:
            _args, theirs = PGDialect_psycopg().create_connect_args(parsed)
        except (ArgumentError, ValueError):
            pytest.fail(f"{url!r}: SQLAlchemy cannot read it, the glance does")
        assert {k: v for k, v in theirs.items() if k != "context"} == params


# ------------------------------------------------------------------ the command

def _seed_nothing_due(db: Database) -> None:
    """Six links in every state, none due, no archive look-up wanted (one dead link was
    found in the archive, another waits for its retry time)."""
    ids = list(seed(db, [f"https://h{i}.example.org/p" for i in range(6)]).values())
    with db.transaction() as s:
        s.add_all([_status(ids[0], "alive", T0 + days(7)), _status(ids[1], "redirected", T0 + days(7)),
                   _status(ids[2], "failing", T0 + days(1)), _status(ids[3], "blocked", T0 + days(7)),
                   _status(ids[4], "dead", T0 + days(7), archive_outcome="found"),
                   _status(ids[5], "dead", T0 + days(7), archive_outcome="retry", archive_retry_at=T0 + days(2))])


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Which path each ``tracker check`` took ("glance" or "normal"), on a still clock (both
    report ``in 0.00 s`` and ``elapsed_ms`` 0, however loaded the machine is)."""
    taken: list[str] = []
    still = SimpleNamespace(monotonic=lambda: 1000.0)
    monkeypatch.setattr(linkcheck_glance, "time", still)
    monkeypatch.setattr(linkcheck, "time", still)
    glance_answer, normal = linkcheck_glance.nothing_due, linkcheck.check_links

    def spied_glance(*args: Any, **kwargs: Any) -> CheckReport | None:
        report = glance_answer(*args, **kwargs)
        if report is not None:
            taken.append("glance")
        return report

    def spied_normal(*args: Any, **kwargs: Any) -> CheckReport:
        taken.append("normal")
        return normal(*args, **kwargs)

    monkeypatch.setattr(linkcheck_glance, "nothing_due", spied_glance)
    monkeypatch.setattr(linkcheck, "check_links", spied_normal)
    yield taken


def _normal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(linkcheck_glance, "nothing_due", lambda *a, **k: None)


def _stepped_aside(run: CLI, paths: list[str], monkeypatch: pytest.MonkeyPatch) -> Result:
    """``tracker check`` as it runs, then with the normal path only: the glance stepped aside
    (both took the normal path) and the two printed the same; the first result."""
    fast = run("check")
    with monkeypatch.context() as m:
        _normal_only(m)
        slow = run("check")
    assert paths == ["normal", "normal"]
    assert (fast.exit_code, fast.stdout, fast.stderr) == (slow.exit_code, slow.stdout, slow.stderr)
    return fast


def _run_both(run: CLI, paths: list[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[Any, Any]:
    fast = run("check", *args)
    assert paths == ["glance"], fast.stderr
    with monkeypatch.context() as m:
        _normal_only(m)
        slow = run("check", *args)
    assert paths == ["glance", "normal"]
    return fast, slow


@pytest.mark.parametrize("args, code", [((), 0), (("--format", "json"), 0), (("--fail-on", "dead"), 2),
                                        (("--format", "json", "--fail-on", "unchecked,blocked"), 2),
                                        (("--fail-on", "unchecked"), 0)], ids=str)
def test_nothing_due_prints_and_records_what_the_normal_path_does(
        run: CLI, db: Database, paths: list[str], monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...],
        code: int) -> None:
    _seed_nothing_due(db)
    fast, slow = _run_both(run, paths, monkeypatch, *args)
    assert (fast.exit_code, fast.stderr) == (slow.exit_code, slow.stderr)
    assert fast.exit_code == code
    assert fast.stderr == "0 of 6 links due\nchecked 0 of 6 links with 0 requests in 0.00 s\n"
    first, second = _runs(db)
    if "json" in args:
        ours, theirs = json.loads(fast.stdout), json.loads(slow.stdout)
        assert (ours.pop("run"), theirs.pop("run")) == (first["id"], second["id"])
        assert ours == theirs
        assert ours["summary"] == {"alive": 1, "redirected": 1, "failing": 1, "dead": 2, "blocked": 1,
                                   "unchecked": 0}
    else:
        assert fast.stdout == slow.stdout and "dead         2" in fast.stdout
    # the rows agree column for column, both ways, but for their ids
    assert {k: v for k, v in first.items() if k != "id"} == {k: v for k, v in second.items() if k != "id"}
    assert first["started_at"] == first["finished_at"] == T0 and first["note"] == ""
    # and a glance after the normal path still writes what it wrote
    again = run("check", *args)
    assert paths == ["glance", "normal", "glance"]
    assert (again.exit_code, again.stderr) == (fast.exit_code, fast.stderr)
    assert {k: v for k, v in _runs(db)[2].items() if k != "id"} == {k: v for k, v in second.items() if k != "id"}


def test_an_empty_database_is_nothing_due(run: CLI, paths: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("db", "upgrade").exit_code == 0
    fast, slow = _run_both(run, paths, monkeypatch, "--format", "json")
    assert fast.exit_code == slow.exit_code == 0 and fast.stderr == slow.stderr
    assert json.loads(fast.stdout)["run"] == 1 and json.loads(slow.stdout)["run"] == 2


@pytest.mark.parametrize("case", ["due", "never checked", "archive retry due", "archive never asked", "all"])
def test_anything_to_do_goes_the_normal_way_and_the_glance_writes_nothing(
        run: CLI, db: Database, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    _seed_nothing_due(db)
    extra = add_unplaced(db, "https://extra.example.org/")
    with db.transaction() as s:
        if case == "due":
            s.add(_status(extra, "alive", T0))  # its time is exactly now
        elif case == "archive retry due":
            s.add(_status(extra, "dead", T0 + days(7), archive_outcome="retry", archive_retry_at=T0))
        elif case == "archive never asked":
            s.add(_status(extra, "dead", T0 + days(7)))
        elif case == "all":
            s.add(_status(extra, "alive", T0 + days(7)))
    seen: list[int] = []

    def stub(db_: Database, settings: Any, *, all_links: bool = False, **_: Any) -> CheckReport:
        seen.append(len(_runs(db)))  # what the glance left behind: nothing
        return CheckReport(41, T0, False, 7, 0, 0, 0, 0.0, summary={"alive": 7})

    monkeypatch.setattr(linkcheck, "check_links", stub)
    result = run("check", *(["--all"] if case == "all" else []), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["run"] == 41 and seen == [0] and _runs(db) == []


def test_a_schema_behind_is_todays_error(run: CLI, db: Database, paths: list[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    _seed_nothing_due(db)
    with db.transaction() as s:
        s.execute(text("UPDATE alembic_version SET version_num = '0012'"))
    result = run("check")
    # the glance stepped aside; the normal path opened the database as it needed it, and that failed
    assert result.exit_code == 1 and paths == ["normal"]
    assert result.stderr == ("Error: database schema is at revision 0012 but tracker needs "
                             f"{SCHEMA_HEAD}; run `tracker db upgrade`\n")
    assert _runs(db) == []


def test_a_missing_table_is_todays_error_and_the_glance_changes_nothing(
        run: CLI, db: Database, paths: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    _seed_nothing_due(db)
    with db.transaction() as s:
        s.execute(text("DROP TABLE link_claims"))
        s.execute(text("DROP TABLE archive_lookups"))
        s.execute(text("DROP TABLE link_observations"))
        s.execute(text("DROP TABLE link_status"))
    fast = _stepped_aside(run, paths, monkeypatch)
    assert fast.exit_code == 1 and fast.stderr.startswith("Error: database error: ")
    assert "tracker db upgrade" in fast.stderr
    assert _runs(db) == []  # neither path left a run behind (the normal one rolled back)


def test_a_missing_sqlite_file_is_todays_error_and_is_not_created(
        tmp_path: Any, clean_env: None, paths: list[str]) -> None:
    missing = tmp_path / "nope.db"
    result = CLI(f"sqlite:///{missing}", tmp_path)("check")
    assert result.exit_code == 1 and paths == ["normal"]  # which opened the file as it needed it: refused
    assert result.stderr.startswith(f"Error: no tracker database at {missing}")
    assert not missing.exists()


def test_a_url_with_options_goes_the_normal_way(db_url: str, db: Database, tmp_path: Any, clean_env: None,
                                                paths: list[str]) -> None:
    _seed_nothing_due(db)
    option = "?timeout=5" if db_url.startswith("sqlite") else "?connect_timeout=5"  # pysqlite's / libpq's
    result = CLI(db_url + option, tmp_path)("check", "--format", "json")
    assert result.exit_code == 0 and paths == ["normal"]
    assert json.loads(result.stdout)["total"] == 6


def test_the_glance_needs_no_clock_but_the_one_it_is_given(db: Database) -> None:
    _seed_nothing_due(db)
    # a week on, everything is due: stepping aside is decided by TRACKER_NOW, not by the day
    assert linkcheck_glance.nothing_due(at(make_settings(db.url), T0 + days(8))) is None
    report = linkcheck_glance.nothing_due(make_settings(db.url))
    assert report is not None and report.started_at == T0 == datetime.fromisoformat(TEST_NOW)


def test_a_failing_write_is_todays_error(run: CLI, db: Database, db_url: str, paths: list[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The glance's last step (the run's row) fails: it steps aside, and the normal path
    meets the same failure and reports it as it always has."""
    _seed_nothing_due(db)
    with db.transaction() as s:
        s.execute(text("DROP TABLE link_observations"))
        s.execute(text("DROP TABLE check_runs"))
    fast = _stepped_aside(run, paths, monkeypatch)
    assert fast.exit_code == 1 and fast.stderr.startswith("Error: database error: ") and "check_runs" in fast.stderr


def test_a_naive_time_is_not_guessed_at(db: Database) -> None:
    look = glance.open_glance(db.url)
    assert look is not None
    try:
        with pytest.raises(glance.NotUnderstood):
            look.count_links(datetime(2026, 11, 23, 9))
    finally:
        look.close()


@pytest.mark.parametrize("when", [datetime(999, 12, 31, 23, 59, 59, 5, tzinfo=timezone.utc),
                                  datetime(1, 1, 1, tzinfo=timezone.utc),
                                  datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=-7)))])
def test_a_time_is_bound_as_sqlalchemy_binds_it_on_sqlite(when: datetime) -> None:
    """Years before 1000 too: ``%Y`` writes ``999``, SQLAlchemy ``0999`` (the stored text and
    the due comparison, which is text on SQLite, would differ)."""
    from sqlalchemy import DateTime

    dialect = SQLiteDialect_pysqlite()
    bind = dialect.type_descriptor(DateTime()).bind_processor(dialect)
    assert bind is not None
    assert glance.sqlite_time(when) == bind(when.astimezone(timezone.utc).replace(tzinfo=None))


# ------------------------------------------------------------------ a locked database

@contextlib.contextmanager
def _locked(db: Database) -> Iterator[Callable[[], None]]:
    """Another connection holds the lock a check needs (SQLite: the write lock of
    ``BEGIN IMMEDIATE``; PostgreSQL: ``check_runs`` locked), until the callable it yields
    releases it (or the block ends)."""
    url = db.url
    if url.startswith("sqlite"):
        path = glance.sqlite_file(url)
        assert path is not None
        holder: Any = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
    else:
        import psycopg

        params = glance.postgresql_params(url.replace("+psycopg", ""))
        assert params is not None
        holder = psycopg.connect(**params)
        holder.execute("LOCK TABLE check_runs IN ACCESS EXCLUSIVE MODE")
    try:
        yield holder.rollback
    finally:
        holder.rollback()
        holder.close()


def _lock_wait_of(look: glance.Glance) -> float:
    """The seconds this glance's connection waits for a lock (as the driver reports it)."""
    conn: Any = look._conn
    if look.kind == "sqlite":
        return int(conn.execute("PRAGMA busy_timeout").fetchone()[0]) / 1000
    shown = str(conn.execute("SHOW lock_timeout").fetchone()[0])
    assert shown.endswith("ms"), shown
    return int(shown[:-2]) / 1000


def test_the_glance_waits_briefly_for_a_lock_and_the_normal_path_as_long_as_ever(db: Database) -> None:
    assert 0 < glance.GLANCE_LOCK_TIMEOUT <= 1
    for given in (None, 0.05):
        look = glance.open_glance(db.url) if given is None else glance.open_glance(db.url, given)
        assert look is not None
        try:
            assert _lock_wait_of(look) == (glance.GLANCE_LOCK_TIMEOUT if given is None else given)
        finally:
            look.close()
    if db.url.startswith("sqlite"):  # the engine's own connections keep their usual wait
        with db.transaction() as s:
            assert s.execute(text("PRAGMA busy_timeout")).scalar() == glance.SQLITE_TIMEOUT * 1000


def test_a_locked_database_makes_the_glance_step_aside(db: Database) -> None:
    """Another connection holds the lock: the glance gives up after the wait it was given
    (the driver's lock error, or ``None`` from the service), having written nothing."""
    _seed_nothing_due(db)
    settings = make_settings(db.url)
    with _locked(db):
        with pytest.raises(glance.driver_errors()) as raised:
            look = glance.open_glance(db.url, 0.05)
            assert look is not None
            try:  # PostgreSQL: reading goes on; the run's row is what waits for the lock
                look.add_check_run(T0, 0)
            finally:
                look.close()
        assert "lock" in str(raised.value).lower()
        assert linkcheck_glance.nothing_due(settings, lock_timeout=0.05) is None
    assert _runs(db) == []
    assert linkcheck_glance.nothing_due(settings, lock_timeout=0.05) is not None  # the lock gone: it answers


def test_a_locked_database_gives_the_command_one_wait_and_the_same_result(
        run: CLI, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """``tracker check`` on a locked database: the glance steps aside after its short wait,
    then the normal path takes the lock once it is free (released here as soon as the glance
    has stepped aside: no sleeping) and prints and records what it prints and records
    without a glance."""
    _seed_nothing_due(db)
    still = SimpleNamespace(monotonic=lambda: 1000.0)  # both print "in 0.00 s", however loaded the machine
    monkeypatch.setattr(linkcheck_glance, "time", still)
    monkeypatch.setattr(linkcheck, "time", still)
    original = linkcheck_glance.nothing_due
    steps: list[str] = []
    with _locked(db) as release:
        def glance_then_release(*args: Any, **kwargs: Any) -> CheckReport | None:
            report = original(*args, **{**kwargs, "lock_timeout": 0.05})
            steps.append("glance answered" if report is not None else "glance stepped aside")
            release()
            return report

        monkeypatch.setattr(linkcheck_glance, "nothing_due", glance_then_release)
        locked = run("check", "--format", "json")
    assert steps == ["glance stepped aside"]
    with monkeypatch.context() as m:
        _normal_only(m)
        normal = run("check", "--format", "json")
    assert (locked.exit_code, locked.stderr) == (normal.exit_code, normal.stderr) == (
        0, "0 of 6 links due\nchecked 0 of 6 links with 0 requests in 0.00 s\n")
    ours, theirs = json.loads(locked.stdout), json.loads(normal.stdout)
    first, second = _runs(db)
    assert (ours.pop("run"), theirs.pop("run")) == (first["id"], second["id"])
    assert ours == theirs
    assert {k: v for k, v in first.items() if k != "id"} == {k: v for k, v in second.items() if k != "id"}
