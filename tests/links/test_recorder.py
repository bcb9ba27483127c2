"""Recording a run's batches in a process of its own (``services.linkcheck_recorder``) writes
exactly what the worker thread writes, hands errors back, and never leaves the run waiting
on a child that died."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select, text

from tests.conftest import CLI
from tests.links import server as srv
from tests.links.seed import T0, days, make_settings, seed
from tracker.db.models_core import Resource
from tracker.db.models_links import CheckRun, LinkObservation, LinkStatus
from tracker.db.session import Database
from tracker.errors import DatabaseError
from tracker.fetch import runner
from tracker.fetch.model import FetchResult
from tracker.links.model import Outcome, Verdict
from tracker.db import session as session_module
from tracker.services import linkcheck_recorder, linkcheck_store
from tracker.services.linkcheck import check_links
from tracker.services.linkcheck_recorder import ProcessRecorder, Recorder, RecorderLost, ThreadRecorder
from tracker.services.linkcheck_store import BatchOutcome, Seen

#: a status column's value that depends on which link it is, not on how it was recorded
_IDENTITY = ("resource_id", "final_url")


def _seen(rid: int, url: str, outcome: Outcome, status: int | None) -> Seen:
    res = FetchResult(url=url, method="GET", status=status, final_url=url, elapsed=0.5,
                      headers={"content-type": "text/html"} if status else {})
    ok = outcome is Outcome.OK
    chash = "h-" + url[-1] if ok else None
    return Seen(rid, url, url, res, Verdict(outcome, f"{outcome.value} {status}"), chash, "T" if ok else "",
                chash if status == 200 else None)  # as if judged beside an answered probe


def _run_id(db: Database, now: datetime) -> int:
    with db.transaction() as s:
        run = CheckRun(started_at=now)
        s.add(run)
        s.flush()
        return run.id


def _drive(recorder: Recorder, *batches: list[Seen]) -> list[BatchOutcome]:
    """Record ``batches`` at once on a loop of their own, then close and reap ``recorder``
    however that ended (as ``run_check`` does)."""
    async def go() -> list[BatchOutcome]:
        try:
            return list(await asyncio.gather(*(recorder.record(batch, True) for batch in batches)))
        finally:
            await recorder.aclose()
    try:
        return runner.run(go())
    finally:
        recorder.reap()


def _record(recorder_of: Any, db: Database, url: str, batches: list[tuple[datetime, list[Seen]]]) -> list[Any]:
    outcomes = []
    for now, batch in batches:
        recorder: Recorder = recorder_of(db, url, make_settings(url, now), _run_id(db, now), now)
        (outcome,) = _drive(recorder, batch)
        outcomes.append((outcome.changes, outcome.new_versions))
    return outcomes


def _statuses(db: Database, ids: list[int]) -> list[dict[str, Any]]:
    with db.transaction() as s:
        rows = s.execute(select(LinkStatus.__table__).where(LinkStatus.resource_id.in_(ids))
                         .order_by(LinkStatus.resource_id)).mappings()
        return [{k: v for k, v in row.items() if k not in _IDENTITY} for row in rows]


def _history(twin: str, ids: dict[str, int]) -> list[tuple[datetime, list[Seen]]]:
    """Four checks of four links: alive → failing → dead, blocked, recovering, 304."""
    u = {k: f"https://{twin}.example/{k}" for k in "abcd"}
    return [
        (T0, [_seen(ids[u["a"]], u["a"], Outcome.OK, 200), _seen(ids[u["b"]], u["b"], Outcome.BLOCKED, 403),
              _seen(ids[u["c"]], u["c"], Outcome.TRANSIENT, 503), _seen(ids[u["d"]], u["d"], Outcome.OK, 200)]),
        (T0 + days(1), [_seen(ids[u["a"]], u["a"], Outcome.HARD, 404), _seen(ids[u["c"]], u["c"], Outcome.OK, 200),
                        _seen(ids[u["d"]], u["d"], Outcome.OK, 304)]),
        (T0 + days(5), [_seen(ids[u["a"]], u["a"], Outcome.HARD, 404), _seen(ids[u["b"]], u["b"], Outcome.BLOCKED, 403)]),
        (T0 + days(9), [_seen(ids[u["a"]], u["a"], Outcome.HARD, 404)]),
    ]


def test_a_process_records_exactly_what_a_thread_records(db: Database, db_url: str) -> None:
    ids = seed(db, [f"https://{twin}.example/{k}" for twin in ("thread", "fork") for k in "abcd"])
    by_thread = _record(lambda d, url, st, run, now: ThreadRecorder(d, st, run, now), db, db_url,
                        _history("thread", ids))
    by_process = _record(lambda d, url, st, run, now: ProcessRecorder(url, st, run, now), db, db_url,
                         _history("fork", ids))
    strip = [[[{k: v for k, v in ch.items() if k != "url"} for ch in changes], versions]
             for changes, versions in by_thread]
    assert strip == [[[{k: v for k, v in ch.items() if k != "url"} for ch in changes], versions]
                     for changes, versions in by_process]
    assert [ch["to"] for ch in by_process[3][0]] == ["dead"]  # the story did move the states
    thread_ids = sorted(v for k, v in ids.items() if "thread" in k)
    fork_ids = sorted(v for k, v in ids.items() if "fork" in k)
    assert _statuses(db, thread_ids) == _statuses(db, fork_ids)
    # what the run decided of each page's probe crosses to the process too
    assert [row["probed_hash"] for row in _statuses(db, fork_ids)] == [None, None, "h-c", None]
    with db.transaction() as s:
        count = s.scalar(select(func.count()).select_from(LinkObservation).where(
            LinkObservation.resource_id.in_(fork_ids)))
    assert count == 10


def test_an_error_in_the_recording_process_is_raised_here_and_its_batch_is_rolled_back(
        db: Database, db_url: str) -> None:
    ids = seed(db, ["https://e.example/a"])
    rid = ids["https://e.example/a"]
    batch = [_seen(rid, "https://e.example/a", Outcome.OK, 200), _seen(rid + 999, "https://e.example/x", Outcome.OK, 200)]
    recorder = ProcessRecorder(db_url, make_settings(db_url), _run_id(db, T0), T0)
    with pytest.raises(Exception) as raised:  # the foreign key of a resource that does not exist
        _drive(recorder, batch)
    assert not isinstance(raised.value, RecorderLost)
    assert "FOREIGN KEY" in str(raised.value).upper() or "foreign key" in str(raised.value)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(LinkObservation)) == 0  # the whole batch rolled back


def test_a_recording_process_that_dies_is_reported_and_reaped(db: Database, db_url: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    ids = seed(db, ["https://d.example/a"])
    monkeypatch.setattr(linkcheck_store, "record_batch", lambda *a: os._exit(3))  # only the child calls it
    recorder = ProcessRecorder(db_url, make_settings(db_url), _run_id(db, T0), T0)
    pid = recorder.pid
    with pytest.raises(RecorderLost, match="recording process ended"):
        _drive(recorder, [_seen(ids["https://d.example/a"], "https://d.example/a", Outcome.OK, 200)])
    assert pid is not None
    with pytest.raises(ChildProcessError):  # reaped: no zombie left behind
        os.waitpid(pid, os.WNOHANG)


@pytest.mark.parametrize("record_in", ["thread", "process"])
def test_a_whole_check_recorded_in_either_place_stores_what_it_saw(db: Database, db_url: str,
                                                                               record_in: str) -> None:
    page = srv.html_page("A page", "words " * 80)
    catch_all = srv.html_page("Welcome", "the same page for every path " * 20)  # a sibling probe unmasks it
    challenge = srv.html_page("Just a moment...", "Checking your browser before accessing the site.")
    with srv.FaultServer("127.0.0.1", routes={f"/p/{i}": page for i in range(6)} | {"/cf": challenge}) as site, \
            srv.FaultServer("127.0.0.2", default=catch_all) as soft:
        urls = [site.url(f"/p/{i}") for i in range(6)] + [site.url("/gone"), site.url("/cf"), soft.url("/docs/a")]
        ids = seed(db, urls)
        report = check_links(db, make_settings(db_url), all_links=True, record_in=record_in)  # type: ignore[arg-type]
        probes = [h.path for h in soft.hits() if "tracker-probe" in h.path]
    assert report.checked == 9 and not report.inconclusive
    with db.transaction() as s:
        rows = {r.resource_id: r for r in s.scalars(select(LinkStatus))}
    assert {rid: rows[rid].state for rid in rows} == {ids[u]: "alive" for u in urls[:6]} | {
        ids[urls[6]]: "failing", ids[urls[7]]: "blocked", ids[urls[8]]: "failing"}
    assert "same page answers a made-up URL" in rows[ids[urls[8]]].reason and len(probes) == 1
    assert rows[ids[urls[0]]].title == "A page" and rows[ids[urls[0]]].content_hash
    assert rows[ids[urls[6]]].content_hash is None


def test_auto_takes_a_thread_for_small_runs_and_while_other_threads_run(db: Database, db_url: str) -> None:
    settings = make_settings(db_url)
    small = linkcheck_recorder.recorder_for("auto", db, settings, 1, T0, due=linkcheck_recorder.PROCESS_MIN - 1)
    assert isinstance(small, ThreadRecorder)
    with srv.FaultServer("127.0.0.1"):  # a server thread is running in this process
        big = linkcheck_recorder.recorder_for("auto", db, settings, 1, T0, due=linkcheck_recorder.PROCESS_MIN)
    assert isinstance(big, ThreadRecorder)


def test_auto_forks_for_a_run_of_any_size_while_the_orm_is_not_loaded(
        db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """From the command line the ORM is not loaded yet: a thread recorder would load it before
    the first request; a forked child loads it beside the first answers, whatever the size."""
    settings = make_settings(db_url)
    monkeypatch.setattr(linkcheck_recorder.threading, "active_count", lambda: 1)  # as in the CLI
    monkeypatch.setattr(linkcheck_recorder, "orm_loaded", lambda: False)
    asked: list[str] = []

    def how_to_open() -> Database:
        asked.append("opened")
        return db
    chosen = linkcheck_recorder.recorder_for("auto", how_to_open, settings, 1, T0, due=1)
    try:
        assert isinstance(chosen, ProcessRecorder) and asked == []  # nothing opened in this process
    finally:
        chosen.reap()
    monkeypatch.setattr(linkcheck_recorder, "orm_loaded", lambda: True)  # loaded: a thread costs no import
    chosen = linkcheck_recorder.recorder_for("auto", how_to_open, settings, 1, T0, due=1)
    assert isinstance(chosen, ThreadRecorder) and asked == ["opened"]


def _batch_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every batch a thread recorder is given, in order."""
    sizes: list[int] = []
    record = ThreadRecorder.record

    async def spy(self: ThreadRecorder, batch: list[Seen], counted: bool) -> BatchOutcome:
        sizes.append(len(batch))
        return await record(self, batch, counted)
    monkeypatch.setattr(ThreadRecorder, "record", spy)
    return sizes


def test_once_every_link_is_queued_batches_are_small_so_the_last_one_is_short(
        db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes = _batch_sizes(monkeypatch)
    from tracker.services import linkcheck_run

    # one page for every link (the first page is smaller: over 50 answers of it could come
    # in before the second page is queued, and go out in one batch then)
    monkeypatch.setattr(linkcheck_run, "FIRST_PAGE", linkcheck_run.PAGE)
    page = srv.html_page("A page", "words " * 80)
    with srv.FaultServer("127.0.0.1", routes={f"/p/{i}": page for i in range(120)}) as site:
        seed(db, [site.url(f"/p/{i}") for i in range(120)])
        report = check_links(db, make_settings(db_url), all_links=True, record_in="thread")
    from tracker.services.linkcheck_run import TAIL_BATCH
    assert report.checked == 120 and sum(sizes) == 120
    assert max(sizes) <= TAIL_BATCH  # one page queued every link at once: no batch of 120 at the end


def test_many_calls_at_once_on_a_fresh_recorder_share_one_stream_and_all_get_their_answer(
        db: Database, db_url: str) -> None:
    urls = [f"https://m.example/{i}" for i in range(12)]
    ids = seed(db, urls)
    recorder = ProcessRecorder(db_url, make_settings(db_url), _run_id(db, T0), T0)
    outcomes = _drive(recorder, *([_seen(ids[u], u, Outcome.OK, 200)] for u in urls))
    assert [[ch["url"] for ch in o.changes] for o in outcomes] == [[u] for u in urls]  # each to its own call


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_auto_forks_only_on_linux(db: Database, db_url: str, platform: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    chosen = linkcheck_recorder.recorder_for("auto", db, make_settings(db_url), 1, T0,
                                             due=linkcheck_recorder.PROCESS_MIN)
    assert isinstance(chosen, ThreadRecorder)


def test_a_lost_recording_process_is_one_error_line_at_the_cli(run: CLI, db: Database,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(linkcheck_recorder, "PROCESS_MIN", 1)
    monkeypatch.setattr(linkcheck_recorder.threading, "active_count", lambda: 1)  # as in the CLI: no server thread
    monkeypatch.setattr(linkcheck_store, "record_batch", lambda *a: os._exit(3))  # only the child calls it
    with srv.FaultServer("127.0.0.1", default=srv.html_page("A page", "words " * 40)) as site:
        seed(db, [site.url(f"/p/{i}") for i in range(3)])
        result = run("check", "--all")  # a traceback would raise here
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1].startswith("Error: the link check's recording process ended")


def test_a_recording_process_that_cannot_open_the_database_says_why_in_one_line(
        run: CLI, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(url: str) -> Database:
        raise DatabaseError("cannot open database postgresql://u:***@h/db: too many connections for role")
    monkeypatch.setattr(linkcheck_recorder, "PROCESS_MIN", 1)
    monkeypatch.setattr(linkcheck_recorder.threading, "active_count", lambda: 1)
    # only the child opens one (the parent's own statements are plain SQL: ``db.plain_links``)
    monkeypatch.setattr(session_module, "Database", refuse)
    with srv.FaultServer("127.0.0.1", default=srv.html_page("A page", "words " * 40)) as site:
        seed(db, [site.url(f"/p/{i}") for i in range(3)])
        result = run("check", "--all")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "(DatabaseError: cannot open database postgresql://u:***@h/db: too many connections" in result.stderr


def _give_up_once_held(recorder: ProcessRecorder, rid: int, url: str, held_r: int) -> None:
    """As a Ctrl-C does: one link sent to be recorded, and once the child says (on ``held_r``)
    that it holds the batch, the call is cancelled and the recorder closed."""
    async def give_up() -> None:
        call = asyncio.ensure_future(recorder.record([_seen(rid, url, Outcome.OK, 200)], True))
        await asyncio.get_running_loop().run_in_executor(None, os.read, held_r, 1)
        call.cancel()
        await recorder.aclose()
    runner.run(give_up())


def test_a_child_answering_a_parent_that_gave_up_leaves_quietly(db: Database, db_url: str,
                                                                 capfd: pytest.CaptureFixture[str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    ids = seed(db, ["https://p.example/a"])
    got_r, got_w = os.pipe()   # the child says it holds the batch
    go_r, go_w = os.pipe()     # the test lets it go on
    real = linkcheck_store.record_batch

    def held(*a: Any) -> Any:  # runs in the child, which inherited both pipes
        os.close(go_w)
        os.write(got_w, b"!")
        os.read(go_r, 1)  # returns once the test closes its go_w too
        return real(*a)
    monkeypatch.setattr(linkcheck_store, "record_batch", held)
    recorder = ProcessRecorder(db_url, make_settings(db_url), _run_id(db, T0), T0)

    _give_up_once_held(recorder, ids["https://p.example/a"], "https://p.example/a", got_r)
    recorder._sock.shutdown(socket.SHUT_RDWR)  # reap's first step: the parent hangs up ...
    os.close(go_w)  # ... before the child answers
    recorder.reap()
    assert "Traceback" not in capfd.readouterr().err


def _stuck_child(db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch, ignore_term: bool,
                 **graces: float) -> tuple[ProcessRecorder, int, list[int]]:
    """A recording process stuck in its batch (as in a database call that never returns:
    a lock another session holds, a hung connection), the run given up on; the signals
    ``reap`` sends it are listed."""
    ids = seed(db, ["https://s.example/a"])
    got_r, got_w = os.pipe()     # the child says it holds the batch
    never_r, never_w = os.pipe()  # nobody ever writes here: the child's call does not return

    def stuck(child_db: Database, *a: Any) -> Any:  # runs in the child, with its own database
        if ignore_term:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        with child_db.transaction() as s:  # half-way through its batch when it gets stuck
            s.execute(text("UPDATE resources SET title = 'half-written'"))
            os.write(got_w, b"!")
            os.read(never_r, 1)
        raise AssertionError("unreachable")
    monkeypatch.setattr(linkcheck_store, "record_batch", stuck)
    recorder = ProcessRecorder(db_url, make_settings(db_url), _run_id(db, T0), T0, **graces)
    assert recorder.pid is not None
    pid = recorder.pid

    _give_up_once_held(recorder, ids["https://s.example/a"], "https://s.example/a", got_r)
    sent: list[int] = []
    kill = os.kill

    def spy(target: int, signum: int) -> None:
        if target == pid:
            sent.append(signum)
        kill(target, signum)
    monkeypatch.setattr(linkcheck_recorder.os, "kill", spy)
    for fd in (got_r, got_w, never_r, never_w):  # the child holds its own never_w: its read never ends
        os.close(fd)
    return recorder, pid, sent


@pytest.mark.parametrize("ignore_term", [False, True])
def test_a_recording_process_stuck_in_its_batch_is_stopped_after_a_grace_and_reaped(
        db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        ignore_term: bool) -> None:
    """Found by a second reading: ``reap`` waited for the child without a deadline, so a child
    stuck in a database call hung ``tracker check`` after the run until a second Ctrl-C."""
    # no grace for leaving by itself; a generous one for SIGTERM, unless the child ignores it
    recorder, pid, sent = _stuck_child(db, db_url, monkeypatch, ignore_term, grace=0.0,
                                       kill_grace=0.0 if ignore_term else 60.0)
    with caplog.at_level(logging.WARNING, logger="tracker.check"):
        recorder.reap()  # returns: the run's claims are released after it
    assert sent == ([signal.SIGTERM, signal.SIGKILL] if ignore_term else [signal.SIGTERM])
    with pytest.raises(ChildProcessError):  # gone and reaped: no zombie left behind
        os.waitpid(pid, os.WNOHANG)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert recorder.pid is None
    (line,) = [r.getMessage() for r in caplog.records if r.name == "tracker.check"]
    assert "recording process" in line and "rolled back" in line and "\n" not in line
    with db.transaction() as s:  # the batch it held was rolled back with its connection
        assert s.scalar(select(func.count()).select_from(LinkObservation)) == 0
        assert s.scalars(select(Resource.title)).all() == [""]
        s.execute(text("UPDATE resources SET title = 'written'"))  # and it holds no lock any more


def test_a_recording_process_that_leaves_in_time_is_neither_signalled_nor_reported(
        db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    ids = seed(db, ["https://q.example/a"])
    sent: list[tuple[int, int]] = []
    kill = os.kill
    monkeypatch.setattr(linkcheck_recorder.os, "kill", lambda pid, sig: (sent.append((pid, sig)), kill(pid, sig)))
    recorder = ProcessRecorder(db_url, make_settings(db_url), _run_id(db, T0), T0)
    with caplog.at_level(logging.WARNING, logger="tracker.check"):
        _drive(recorder, [_seen(ids["https://q.example/a"], "https://q.example/a", Outcome.OK, 200)])
    assert sent == [] and not [r for r in caplog.records if r.name == "tracker.check"]
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(LinkObservation)) == 1


def test_a_second_ctrl_c_while_reap_waits_kills_the_child_at_once(db: Database, db_url: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    recorder, pid, sent = _stuck_child(db, db_url, monkeypatch, ignore_term=True)

    def interrupted(pid: int, timeout: float) -> bool:
        raise KeyboardInterrupt  # pressed while waiting for the child to leave
    monkeypatch.setattr(linkcheck_recorder, "_left", interrupted)
    with pytest.raises(KeyboardInterrupt):
        recorder.reap()
    assert sent == [signal.SIGKILL]
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def test_the_last_batch_is_short_even_when_every_answer_lands_before_the_last_page_read_returns(
        db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A slow page read (a loaded database) must not hold the run's answers back: once the
    last page is queued the batches are small, so the batch written after the last answer is
    short (``TAIL_BATCH``) however long reading took."""
    import threading

    from tracker.services import linkcheck_run

    sizes = _batch_sizes(monkeypatch)
    answered, read = threading.Condition(), [0]
    done = [0]
    page = linkcheck_run._page

    def tick(n: int, due: int) -> None:
        with answered:
            done[0] = n
            answered.notify_all()

    def slow_page(run: Any, after: int, size: int) -> Any:
        with answered:  # each read after the first returns once every link read so far has answered
            assert answered.wait_for(lambda: done[0] >= read[0], timeout=60)
        links = page(run, after, size)
        read[0] += len(links)
        return links
    monkeypatch.setattr(linkcheck_run, "_page", slow_page)
    body = srv.html_page("A page", "words " * 80)
    with srv.FaultServer("127.0.0.1", routes={f"/p/{i}": body for i in range(120)}) as site:
        seed(db, [site.url(f"/p/{i}") for i in range(120)])
        report = check_links(db, make_settings(db_url), all_links=True, record_in="thread", tick=tick)
    assert report.checked == 120 and sum(sizes) == 120
    assert sizes[-1] <= linkcheck_run.TAIL_BATCH, sizes


def test_a_call_whose_caller_stops_waiting_before_the_stream_opens_is_still_sent(
        db: Database, db_url: str) -> None:
    """Ctrl-C cancels the recording loop wherever it waits; a batch it had handed to the
    recorder is written all the same (the thread, or the child, has it) — except on a fresh
    recorder, whose first call waited for the stream to the child to open before sending:
    cancelled there, the batch (up to 500 links) was dropped, and ``Checker.save_checked``,
    which records only what no one has taken, could not save it."""
    urls = ["https://c.example/first", "https://c.example/second"]
    ids = seed(db, urls)
    recorder = ProcessRecorder(db_url, make_settings(db_url), _run_id(db, T0), T0)

    async def go() -> None:
        try:
            first = asyncio.ensure_future(recorder.record([_seen(ids[urls[0]], urls[0], Outcome.OK, 200)], True))
            await asyncio.sleep(0)  # under way: waiting for the stream to open
            first.cancel()
            await recorder.record([_seen(ids[urls[1]], urls[1], Outcome.OK, 200)], True)
        finally:
            await recorder.aclose()
    try:
        runner.run(go())
    finally:
        recorder.reap()
    with db.transaction() as s:
        recorded = set(s.scalars(select(LinkObservation.resource_id)))
    assert recorded == {ids[urls[0]], ids[urls[1]]}
