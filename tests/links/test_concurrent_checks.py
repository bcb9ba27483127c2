"""Two ``tracker check`` processes at once on one database: both finish, each link is
fetched once in total, and every link ends with exactly one status row (issue 12:
the second run failed with ``duplicate key … "pk_link_status"``)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import CLI
from tests.links import server as srv
from tests.links.seed import make_settings, seed
from tests.twins import run_twins
from tracker.db import plain_links
from tracker.db.models_links import CheckRun, LinkClaim, LinkObservation, LinkStatus
from tracker.db.session import Database
from tracker.services.linkcheck import check_links

ENV = {"TRACKER_NOW": "2026-11-23T09:00:00Z", "TRACKER_CHECK__HOST_INTERVAL": "0",
       "TRACKER_CHECK__BACKOFF_BASE": "0.01", "TRACKER_CHECK__TIMEOUT": "15",
       "TRACKER_CHECK__HOST_CONCURRENCY": "8"}
LINKS = 100


def test_two_checks_at_once_fetch_each_link_once(db: Database, db_url: str) -> None:
    words = "<p>" + " ".join(f"w{i}" for i in range(100)) + "</p>"
    paths = [f"/post/{i}" for i in range(LINKS)]
    pages = {p: srv.html_page(f"Post {i} | site", f"<h1>Post {i}</h1>{words}") for i, p in enumerate(paths)}
    with srv.FaultServer("127.0.0.1", routes=pages) as site:  # any other path: 404 (sibling probes)
        ids = seed(db, [site.url(p) for p in paths])
        runs = run_twins(db_url, ["check", "--format", "json"], ENV)
        hits = Counter(h.path for h in site.hits())
    for run in runs:
        assert run.code == 0, run.stderr
    assert {p: hits[p] for p in paths} == {p: 1 for p in paths}  # the server saw each link once
    reports = [json.loads(run.stdout) for run in runs]
    assert sum(r["checked"] for r in reports) == LINKS  # between them, every link was checked
    with db.transaction() as s:
        rows = dict(s.execute(select(LinkStatus.resource_id, LinkStatus.state)).all())
        observed = Counter(s.scalars(select(LinkObservation.resource_id)))
        assert s.scalar(select(func.count()).select_from(LinkStatus)) == LINKS
    assert rows == {rid: "alive" for rid in ids.values()}
    assert observed == Counter(ids.values())  # one observation per link: nothing discarded, nothing twice


def _claim(db: Database, resource_id: int, holder: str, until: datetime) -> None:
    with db.transaction() as s:
        s.add(LinkClaim(resource_id=resource_id, claimed_by=holder, claimed_until=until))


def test_a_link_another_run_holds_is_skipped_until_its_lease_ends(db: Database, db_url: str) -> None:
    ids = seed(db, ["https://a.example/1", "https://a.example/2", "https://b.example/3"])
    held = ids["https://a.example/2"]
    asked: list[str] = []

    def site(request: httpx.Request) -> httpx.Response:
        if str(request.url) not in ids:  # sibling probes: a real 404
            return httpx.Response(404, html="<title>Not found</title>")
        asked.append(str(request.url))
        return httpx.Response(200, html=f"<title>{request.url.path}</title><p>hello {request.url.path}</p>")

    wall = datetime(2025, 1, 1, tzinfo=timezone.utc)  # the lease clock, not TRACKER_NOW
    _claim(db, held, "check-elsewhere", wall + timedelta(minutes=5))
    report = check_links(db, make_settings(db_url), transport=httpx.MockTransport(site), lease_clock=lambda: wall)
    assert "https://a.example/2" not in asked and report.skipped == 1 and report.checked == 2
    with db.transaction() as s:
        assert s.get(LinkStatus, held) is None  # untouched: the other run owns it
        claims = dict(s.execute(select(LinkClaim.resource_id, LinkClaim.claimed_by)).all())
    assert claims == {held: "check-elsewhere"}  # ours were released, theirs kept

    asked.clear()  # the other run died: once its lease has ended the link is ours
    later = check_links(db, make_settings(db_url), transport=httpx.MockTransport(site),
                        lease_clock=lambda: wall + timedelta(minutes=6))
    assert asked == ["https://a.example/2"] and later.checked == 1 and later.skipped == 0
    with db.transaction() as s:
        assert s.get(LinkStatus, held) is not None and s.scalar(select(func.count()).select_from(LinkClaim)) == 0


def test_a_link_checked_since_the_page_was_read_is_not_fetched_again(db: Database, db_url: str) -> None:
    """The claim reads due-ness again: a run that finished a link between our page read
    and our claim has moved its next check on (``LinkTables.claim`` returns only due links),
    whichever way the statements reach the database."""
    ids = seed(db, ["https://a.example/1", "https://a.example/2"])
    settings = make_settings(db_url)
    check_links(db, settings, transport=httpx.MockTransport(lambda r: httpx.Response(200, html="<p>x</p>")))
    wall = datetime(2025, 1, 1, tzinfo=timezone.utc)
    for tables in (plain_links.open_tables(db_url), plain_links.through(db)):
        assert tables is not None
        got = tables.claim(sorted(ids.values()), "check-late", wall, wall + timedelta(hours=1), settings.now(),
                           all_links=False)
        tables.release("check-late")
        tables.close()
        assert got == set()
    # a due link is claimed and returned (the test above would pass if nothing were ever returned)
    later = settings.now() + timedelta(days=400)
    for holder, tables in (("a", plain_links.open_tables(db_url)), ("b", plain_links.through(db))):
        assert tables is not None
        got = tables.claim(sorted(ids.values()), f"check-{holder}", wall, wall + timedelta(hours=1), later,
                           all_links=False)
        tables.release(f"check-{holder}")
        tables.close()
        assert got == set(ids.values())


def test_a_check_says_which_links_it_left_to_another_run(run: CLI, db: Database) -> None:
    """A second ``tracker check`` started while the first was running printed '274 of 274
    links due', then 'checked 0 of 274 links with 0 requests' and exited 0: nothing said the
    links were the other run's, so the maintainer thought the checker was broken."""
    with srv.FaultServer("127.0.0.1", routes={"/a": srv.html_page("A", "<p>" + "a " * 80 + "</p>"),
                                              "/b": srv.html_page("B", "<p>" + "b " * 80 + "</p>")}) as s:
        ids = seed(db, [s.url("/a"), s.url("/b")])
        _claim(db, ids[s.url("/b")], "check-elsewhere", datetime(2999, 1, 1, tzinfo=timezone.utc))
        result = run("check", env=ENV)
    assert result.exit_code == 0, result.stderr
    assert "checked 1 of 2 links" in result.stderr
    assert "1 link left to another check running now" in result.stderr, result.stderr


def test_an_interrupted_run_records_what_it_did(db: Database, db_url: str) -> None:
    """Ctrl-C in the middle of ``tracker check --all`` left the run's row as it was written
    at the start — every due link, 0 requests, 0.0 s — so the link report said 'Last check
    run #8: 274 links, 0 requests, 0.0 s' of a run that checked 93 of them."""
    import signal

    import pytest

    from tracker.db.models_links import CheckRun

    ids = seed(db, [f"https://a.example/{i}" for i in range(40)])
    asked: list[str] = []

    def site(request: httpx.Request) -> httpx.Response:
        if str(request.url) not in ids:
            return httpx.Response(404, html="<title>Not found</title>")
        asked.append(str(request.url))
        if len(asked) == 13:
            signal.raise_signal(signal.SIGINT)  # Ctrl-C: the runner cancels the run and raises
        return httpx.Response(200, html=f"<title>{request.url.path}</title><p>hello {request.url.path}</p>")

    with pytest.raises(KeyboardInterrupt):
        check_links(db, make_settings(db_url), all_links=True, transport=httpx.MockTransport(site))
    with db.transaction() as s:
        row = s.scalars(select(CheckRun)).one()
        recorded = s.scalar(select(func.count(func.distinct(LinkObservation.resource_id))))
    assert row.links == recorded < 40 and row.requests >= 12
    assert row.note.startswith("interrupted after")


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])  # Ctrl-C; a service manager or a cron timeout
def test_ctrl_c_in_tracker_check_says_what_was_kept_and_what_to_do(db: Database, db_url: str, run: CLI,
                                                                   how: str) -> None:
    """Ctrl-C during `tracker check` said only "Error: aborted", though the links recorded
    so far are kept: it says how far the run got, how many results it saved and what to run
    for the rest (exit 1, as an interrupted `tracker review`; nothing on stdout)."""
    import os
    import re
    import signal
    import subprocess
    import sys
    import threading

    fast, slow = 55, 5  # a run records in batches of 50 once every link is queued: 5 are in none
    lock, answered, hanging, answer = threading.Lock(), threading.Event(), threading.Event(), threading.Event()
    asked: list[str] = []
    post = srv.html_page("Post | site", "<p>" + " ".join(f"w{i}" for i in range(50)) + "</p>")

    def page(h: Any) -> None:
        post(h)
        with lock:
            asked.append(h.path)
            if len([p for p in asked if p.startswith("/p/")]) == fast:
                answered.set()

    def hang_then_answer(h: Any) -> None:
        with lock:
            asked.append(h.path)
            if len([p for p in asked if p.startswith("/s/")]) == slow:
                hanging.set()
        answer.wait(60)
        srv.html_page("Late | site", "<p>late but here</p>")(h)

    with srv.FaultServer("127.0.0.1", routes={f"/p/{i}": page for i in range(fast)}) as quick, \
            srv.FaultServer("127.0.0.2", routes={f"/s/{i}": hang_then_answer for i in range(slow)}) as late:
        seed(db, [quick.url(f"/p/{i}") for i in range(fast)] + [late.url(f"/s/{i}") for i in range(slow)])
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
        env.update(ENV, TRACKER_CHECK__TIMEOUT="60")
        proc = subprocess.Popen([sys.executable, "-m", "tracker", "--db", db_url, "check", "--format", "json"],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stderr is not None
            assert proc.stderr.readline() == f"{fast + slow} of {fast + slow} links due\n"
            # under way: every quick link answered, the slow ones asked for
            assert answered.wait(60) and hanging.wait(60), asked
            proc.send_signal(getattr(signal, how))
            out, err = proc.communicate(timeout=60)
        finally:
            answer.set()
            if proc.poll() is None:
                proc.kill()
        with db.transaction() as s:
            row = s.scalars(select(CheckRun)).one()
            saved = s.scalar(select(func.count(func.distinct(LinkObservation.resource_id))))
        assert proc.returncode == 1 and out == "", (proc.returncode, out, err)
        [line] = err.strip().splitlines()  # after a newline: the terminal's ^C ends its own line
        # how far the run got and what its recorder had written is a race: the line says which
        stop = re.fullmatch(r"Error: interrupted after (\d+) of 60 due links(?:; (\d+) checked links? (?:is|are) "
                            r"saved; run `tracker check` again for the other (\d+)|, before any result was saved; "
                            r"run `tracker check` again)", line)
        assert stop is not None, line
        done, kept, rest = int(stop[1]), int(stop[2] or 0), int(stop[3] or 60)
        # every link judged before the Ctrl-C is saved, in a batch or not (Checker.save_checked)
        assert done <= fast and kept == saved == row.links == done and rest == 60 - kept
        assert row.note == f"interrupted after {done} of 60 due links"
        again = run("check", "--format", "json", env=ENV)  # the step it names: the rest, and no more
        assert again.exit_code == 0, again.stderr
        assert f"{rest} of 60 links due" in again.stderr and json.loads(again.stdout)["checked"] == rest


@pytest.mark.parametrize("stop,said", [
    ((93, 274, 50, False), "interrupted after 93 of 274 due links; 50 checked links are saved; "
                           "run `tracker check` again for the other 224"),
    ((93, 274, 50, True), "interrupted after 93 of 274 links; 50 checked links are saved; run `tracker check "
                          "--all` again to check every link, or `tracker check` for those of the other 224 that "
                          "are due"),
    ((1, 2, 1, False), "interrupted after 1 of 2 due links; 1 checked link is saved; "
                       "run `tracker check` again for the other 1"),
    ((274, 274, 274, True), "interrupted after checking all 274 links, during the archive look-ups; their "
                            "results are saved; run `tracker check` again for the look-ups"),
    ((12, 274, 0, False), "interrupted after 12 of 274 due links, before any result was saved; "
                          "run `tracker check` again"),
    ((12, 274, None, False), "interrupted after 12 of 274 due links; the links recorded before are saved; "
                             "run `tracker check` again for the rest"),
    ((0, 0, 0, False), "interrupted during the archive look-ups; run `tracker check` again for them"),
], ids=["due", "all", "one", "archive", "none-saved", "row-unwritten", "archive-only"])
def test_an_interrupted_check_words_what_it_kept(run: CLI, monkeypatch: pytest.MonkeyPatch,
                                                 stop: tuple[int, int, int | None, bool], said: str) -> None:
    from tracker.services import linkcheck, linkcheck_glance

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise linkcheck.CheckInterrupted(*stop)

    monkeypatch.setattr(linkcheck_glance, "nothing_due", lambda *a, **k: None)
    monkeypatch.setattr(linkcheck, "check_links", interrupted)
    result = run("check", *(["--all"] if stop[3] else []), "--format", "json", env=ENV)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"Error: {said}"]


def test_ctrl_c_while_a_batch_asks_the_canaries_saves_that_batch(db: Database, db_url: str) -> None:
    """The recording loop takes a batch off the queue, and when it looks offline asks the
    canaries (a request of its own, seconds on a bad connection: just when a maintainer
    presses Ctrl-C). Interrupted there, the batch was in no queue Checker.save_checked
    reads: its links counted as checked and were saved nowhere."""
    import signal

    from tracker.db.models_links import CheckRun

    ids = seed(db, [f"https://h{i}.example/" for i in range(20)])

    def site(request: httpx.Request) -> httpx.Response:
        if request.url.host == "canary.example":  # the batch looks offline: Ctrl-C while it asks
            signal.raise_signal(signal.SIGINT)
            return httpx.Response(200)
        raise httpx.ConnectError("no route", request=request)

    settings = make_settings(db_url, check={"canary_urls": ["https://canary.example/"], "retries": 0})
    with pytest.raises(KeyboardInterrupt) as stop:
        check_links(db, settings, all_links=True, transport=httpx.MockTransport(site), record_in="thread")
    with db.transaction() as s:
        row = s.scalars(select(CheckRun)).one()
        saved = s.scalar(select(func.count(func.distinct(LinkObservation.resource_id))))
        states = set(s.scalars(select(LinkStatus.state)))
    assert stop.value.done == len(ids) == saved == row.links == stop.value.recorded  # type: ignore[attr-defined]
    assert states <= {"unchecked"}  # stored uncounted: no canary answered, nothing moved


def test_a_failed_run_is_not_recorded_as_interrupted(db: Database, db_url: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that ends on an error keeps its figures like an interrupted one, but its row
    said 'interrupted after 0 of 3 due links': no one pressed Ctrl-C; the error ended it."""
    from tracker.services import linkcheck_store

    seed(db, [f"https://f.example/{i}" for i in range(3)])

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(linkcheck_store, "record_batch", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        check_links(db, make_settings(db_url), all_links=True, record_in="thread",
                    transport=httpx.MockTransport(lambda r: httpx.Response(200, html="<title>x</title>")))
    with db.transaction() as s:
        row = s.scalars(select(CheckRun)).one()
    assert row.note == "stopped by an error after 3 of 3 due links", row.note
