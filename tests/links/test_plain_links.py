"""The link check's own statements in plain SQL (``db.plain_links``): a big run plans and
claims before SQLAlchemy would have loaded (issue 11: start-up), so every answer must be
what the ORM reads — on our own connection and through an opened ``Database`` alike —
and the fetching process of a big run must never load SQLAlchemy."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from sqlalchemy import select, text

from tests.links import server as srv
from tests.links.seed import T0, days, seed
from tests.links.test_glance import _fill, row_strategy
from tracker.db import plain_links, repo_links
from tracker.db.models_core import Resource
from tracker.db.models_links import CheckRun, LinkClaim, LinkStatus
from tracker.db.plain_links import DueLink, LinkTables
from tracker.db.session import Database
from tracker.services.linkcheck_store import archive_wanted

NOWS = [T0, T0 + timedelta(microseconds=1), T0 + timedelta(seconds=0.5)]


def _both(db: Database) -> Iterator[tuple[str, LinkTables]]:
    """Our own connection, then the same statements through the opened ``Database``."""
    own = plain_links.open_tables(db.url)
    assert own is not None  # the test databases' URLs are the plain ones it understands
    for name, tables in (("own", own), ("through", plain_links.through(db))):
        try:
            yield name, tables
        finally:
            tables.close()


def _orm_due(db: Database, now: datetime, all_links: bool) -> list[DueLink]:
    """The due links as the ORM reads them, by id."""
    query = (select(Resource.id, Resource.url, Resource.canonical_url, LinkStatus.state, LinkStatus.content_type,
                    LinkStatus.content_hash, LinkStatus.etag, LinkStatus.last_modified, LinkStatus.probed_hash)
             .outerjoin(LinkStatus, LinkStatus.resource_id == Resource.id).order_by(Resource.id))
    if not all_links:
        query = query.where(LinkStatus.resource_id.is_(None) | LinkStatus.next_check_at.is_(None)
                            | (LinkStatus.next_check_at <= now))
    with db.transaction() as s:
        return [DueLink(r[0], r[1], r[2], r[3], r[4] or "", r[5], r[6], r[7], r[8]) for r in s.execute(query)]


def _claims(db: Database) -> dict[int, tuple[str, datetime]]:
    with db.transaction() as s:
        return {c.resource_id: (c.claimed_by, c.claimed_until) for c in s.scalars(select(LinkClaim))}


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row_strategy, max_size=8), now=st.sampled_from(NOWS), all_links=st.booleans())
def test_counts_pages_and_claims_are_what_the_orm_reads(db: Database, rows: list[dict[str, Any]], now: datetime,
                                                        all_links: bool) -> None:
    _fill(db, rows, now)
    with db.transaction() as s:
        counted = repo_links.count_links(s, now, all_links)
    due = _orm_due(db, now, all_links)
    held = {rid for rid, (by, until) in _claims(db).items() if by == "another-run" and until > now}
    for name, tables in _both(db):
        # counts, and the run's row (read back by the ORM: the times bound as ``UTCDateTime`` binds them)
        run_id, total, n_due = tables.begin_run(now, all_links)
        assert (total, n_due) == counted, name
        with db.transaction() as s:
            row = s.get(CheckRun, run_id)
            assert row is not None
            assert (row.started_at, row.finished_at, row.all_links, row.inconclusive, row.links, row.note) == \
                (now, now, all_links, False, n_due, "")
        # pages by id, two links at a time
        pages: list[DueLink] = []
        while page := tables.due_page(now, all_links, pages[-1].resource_id if pages else 0, 2):
            assert len(page) <= 2
            pages.extend(page)
        assert pages == due, name
        # claims: what no other run holds, and still due; another run's live lease untouched
        before = _claims(db)
        mine = tables.claim([d.resource_id for d in due] + [d.resource_id for d in due[:1]], f"me-{name}", now,
                            now + days(1), now, all_links)
        assert mine == {d.resource_id for d in due} - held, name
        after = _claims(db)
        assert {rid for rid, (by, _) in after.items() if by == f"me-{name}"} == mine
        assert {rid: c for rid, c in after.items() if rid in held} == {rid: before[rid] for rid in held}
        # claimed again by the same run: the same links (a lease is its holder's to renew)
        assert tables.claim(sorted(mine), f"me-{name}", now, now + days(2), now, all_links) == mine
        tables.release(f"me-{name}")  # ends our claims, including the run-out leases we took over
        assert _claims(db) == {rid: c for rid, c in before.items() if rid not in mine}, name


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row_strategy, max_size=8), now=st.sampled_from(NOWS))
def test_archive_wanted_and_the_counts_by_state_are_the_orms(db: Database, rows: list[dict[str, Any]],
                                                            now: datetime) -> None:
    _fill(db, rows, now)
    wanted = bool(archive_wanted(db, now))
    with db.transaction() as s:
        states = repo_links.state_counts(s)
    for name, tables in _both(db):
        assert tables.archive_wanted(now) == wanted, name
        run_id, _, _ = tables.begin_run(now, False)
        counts = tables.finish_run(run_id, inconclusive=True, hosts=3, requests=7, links=5, network_failures=2,
                                   elapsed_ms=1234, note="our side looks down")
        assert counts == states, name
        with db.transaction() as s:
            row = s.get(CheckRun, run_id)
            assert row is not None
            assert (row.inconclusive, row.hosts, row.requests, row.links, row.network_failures, row.elapsed_ms,
                    row.note) == (True, 3, 7, 5, 2, 1234, "our side looks down")
        run_id, _, _ = tables.begin_run(now, False)
        tables.finish_run(run_id, inconclusive=False, hosts=1, requests=1, links=1, network_failures=0,
                          elapsed_ms=1, note=None)
        with db.transaction() as s:
            assert s.get(CheckRun, run_id).note == ""  # type: ignore[union-attr]  # no note: left as written


def test_it_steps_aside_for_what_it_does_not_understand(db: Database, tmp_path: Any) -> None:
    assert plain_links.open_tables(db.url + "?x=1" if db.url.startswith("postgresql") else
                                   db.url.replace("sqlite:///", "sqlite:///file:") + "?uri=true") is None
    missing = tmp_path / "nope.db"
    assert plain_links.open_tables(f"sqlite:///{missing}") is None and not missing.exists()
    with db.transaction() as s:
        s.execute(text("UPDATE alembic_version SET version_num = '0012'"))
    assert plain_links.open_tables(db.url) is None  # a schema behind: opening the normal way upgrades or says so
    calls: list[str] = []

    def opened() -> Database:
        calls.append("opened")
        return db

    tables = plain_links.tables_for(db.url, opened)
    tables.close()
    assert calls == ["opened"]


_WATCH = """
import atexit, sys
atexit.register(lambda: sys.stderr.write("loaded: " + " ".join(
    m for m in ("sqlalchemy", "sqlalchemy.orm", "tracker.db.session") if m in sys.modules) + "\\n"))
from tracker.cli import main
sys.argv[0] = "tracker"
main()
"""


@pytest.mark.parametrize("case", ["alive", "dead wanting the archive"])
def test_a_run_fetches_and_finishes_without_loading_sqlalchemy(db: Database, db_url: str, case: str) -> None:
    """The fetching process of a run from the command line, however small (six links here),
    never imports SQLAlchemy (the recorder's child does); only a dead link wanting an archive
    look-up brings the ORM in, to read it. (A small run used to take a recorder thread,
    which loaded the ORM before the first request: start-up 0.46 s at 1,000 links.)"""
    pages = {f"/p/{i}": srv.html_page(f"Page {i}", f"<p>{' '.join(f'w{i}x{j}' for j in range(60))}</p>")
             for i in range(6)}
    with srv.FaultServer("127.0.0.1", routes=pages) as site:  # any other path: 404 (sibling probes)
        ids = seed(db, [site.url(p) for p in pages])
        if case != "alive":
            with db.transaction() as s:
                s.add(LinkStatus(resource_id=ids[site.url("/p/0")], state="dead", state_since=T0, reason="",
                                 soft404=False, consecutive_failures=3, elapsed_ms=0, content_type="", title="",
                                 next_check_at=T0 + days(7), first_failure_at=T0 - days(9)))
        env = {"TRACKER_NOW": T0.isoformat(), "TRACKER_DATABASE_URL": db_url, "TRACKER_CHECK__HOST_INTERVAL": "0",
               "TRACKER_WAYBACK__API_URL": site.url("/wayback/available"), "TRACKER_CHECK__TIMEOUT": "5",
               "PATH": "/usr/bin:/bin"}
        done = subprocess.run([sys.executable, "-c", _WATCH, "check", "--format", "json"], env=env,
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = [line for line in done.stderr.splitlines() if line.startswith("loaded:")]
    with db.transaction() as s:
        states = dict(s.execute(select(LinkStatus.resource_id, LinkStatus.state)).all())
        runs = s.scalars(select(CheckRun)).all()
    assert len(runs) == 1 and runs[0].links == 5 + (case == "alive")  # the run's row, written in plain SQL
    assert sorted(states.values()).count("alive") == 5 + (case == "alive")  # recorded by the child
    if case == "alive":
        assert loaded == ["loaded: "], done.stderr
    else:
        assert loaded == ["loaded: sqlalchemy sqlalchemy.orm tracker.db.session"], done.stderr
