"""Reproductions from issue 12: a scheduler that never doubles a slot, never marks a
live run interrupted, and never dies of a database that is busy or briefly gone."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.jobs.outage import Outage
from tests.jobs.tasks import FakeClock, utc
from tracker.config import Settings, load_settings
from tracker.db.models import Document
from tracker.db.models_jobs import JobRun
from tracker.db.session import Database, open_database
from tracker.schedule import parse_schedule
from tracker.scheduler import TrackerScheduler

REPO = Path(__file__).resolve().parents[2]
DAILY = '[jobs.check-links]\nrun = "check"\ntrigger = "cron"\nhour = 3\n'
DEADLINE = 60.0  # seconds a test waits for another thread or process before failing


class Blocking:
    """A task that records its slot, holds a write transaction until ``release_write``,
    then runs until ``finish`` (each event set by the test)."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release_write = threading.Event()
        self.finish = threading.Event()
        self.calls: list[Any] = []

    def __call__(self, db: Database, settings: Settings, options: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(settings.now())
        with db.transaction() as session:
            session.add(Document(name=f"written-{len(self.calls)}", location="", layout="markdown",
                                 created_at=settings.now()))
            session.flush()  # the write lock is held from here to the commit
            self.started.set()
            assert self.release_write.wait(DEADLINE)
        assert self.finish.wait(DEADLINE)
        return {"calls": len(self.calls)}


@pytest.fixture
def outage(db_url: str) -> Iterator[Outage]:
    o = Outage(db_url)
    yield o
    o.close()


def _settings(url: str, lease: float = 6) -> Settings:
    return load_settings(env={}, overrides={"database_url": url, "scheduler": {"lease_seconds": lease}})


def _sched(url: str, clock: FakeClock, holder: str, task: Any, lease: float = 6) -> TrackerScheduler:
    specs = parse_schedule(DAILY, "t.toml", {"check"})
    return TrackerScheduler(open_database(url), _settings(url, lease), specs, clock=clock, holder=holder,
                            tasks={"check": task})


def _runs(db: Database) -> list[tuple[str, str, Any, str]]:
    with db.transaction() as s:
        return [(r.job, r.outcome, r.slot, r.holder) for r in s.scalars(select(JobRun).order_by(JobRun.id))]


def _in_thread(target: Any) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_lease_renewal_does_not_wait_behind_a_long_writer(db: Database, db_url: str) -> None:
    clock = FakeClock(utc(2026, 11, 23, 2))
    leader = _sched(db_url, clock, "leader", Blocking())
    leader.start()
    with db.engine.connect() as conn:  # a crawl holding a long write transaction
        trans = conn.begin()
        conn.execute(Document.__table__.insert().values(name="long", location="", layout="markdown",
                                                        created_at=clock.now))
        for _ in range(3):
            clock.advance(seconds=2)
            assert leader.acquire()  # renewed at once, not "database is locked" after the busy timeout
        trans.rollback()
    leader.shutdown()


def test_a_standby_never_marks_a_live_run_interrupted_nor_runs_its_slot(db: Database, db_url: str) -> None:
    clock, task = FakeClock(utc(2026, 11, 23, 2)), Blocking()
    leader, standby = _sched(db_url, clock, "leader", task), _sched(db_url, clock, "standby", task)
    leader.start()
    clock.now = utc(2026, 11, 23, 3, 0, 1)
    worker = _in_thread(leader.run_pending)
    assert task.started.wait(DEADLINE)
    task.release_write.set()
    clock.advance(seconds=20)  # the leader's lease (6 s) ran out while its job runs
    standby.start()  # takes the expired lease
    for _ in range(10):
        standby.run_pending()
        assert [(o, h) for _, o, _, h in _runs(db)] == [("running", "leader")]
        clock.advance(seconds=2)
        leader.renew()  # the leader's heartbeat goes on (it lost the lease, its run lives)
    task.finish.set()
    worker.join(DEADLINE)
    assert [(o, h) for _, o, _, h in _runs(db)] == [("ok", "leader")]
    assert len(task.calls) == 1
    standby.run_pending()
    assert len(task.calls) == 1  # the slot ran once, and only once
    leader.shutdown()
    standby.shutdown()


def test_a_database_outage_stops_neither_leader_nor_standby(outage: Outage) -> None:
    clock, task = FakeClock(utc(2026, 11, 23, 2)), Blocking()
    task.release_write.set()
    task.finish.set()
    leader, standby = _sched(outage.url, clock, "leader", task), _sched(outage.url, clock, "standby", task)
    leader.start()
    outage.cut()
    for _ in range(3):
        clock.advance(seconds=3)
        leader.run_pending()  # no exception: logged, retried later
        standby.run_pending()
    outage.restore()
    clock.now = utc(2026, 11, 23, 3, 0, 30)
    for _ in range(3):
        leader.run_pending()
        standby.run_pending()
        clock.advance(seconds=2)
    assert len(task.calls) == 1
    leader.shutdown()
    standby.shutdown()


def _scheduler_process(db_url: str, schedule: Path, now: str, lease: float) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(TRACKER_NOW=now, TRACKER_SCHEDULER__LEASE_SECONDS=str(lease))
    return subprocess.Popen([sys.executable, "-m", "tracker", "--db", db_url, "scheduler", "--wait",
                             "--jobs-file", str(schedule)], stderr=subprocess.PIPE, text=True, env=env,
                            cwd=REPO)


class _Lines:
    """A subprocess's stderr, read by a thread; ``until`` waits (up to DEADLINE) for a line."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert proc.stderr is not None
        stream = proc.stderr
        _in_thread(lambda: [self.lines.put(line) for line in iter(stream.readline, "")] and None)

    def until(self, text: str) -> None:
        while not any(text in line for line in self.seen):
            try:
                self.seen.append(self.lines.get(timeout=DEADLINE))
            except queue.Empty:
                raise AssertionError(f"no line with {text!r} in {self.seen}") from None


def test_a_waiting_scheduler_survives_the_leaders_long_write(db: Database, db_url: str, tmp_path: Path) -> None:
    schedule = tmp_path / "schedule.toml"
    schedule.write_text(DAILY)
    clock = FakeClock(utc(2026, 11, 23, 2))
    leader = _sched(db_url, clock, "leader", Blocking(), lease=3)
    leader.start()
    with db.engine.connect() as conn:  # the leader's job writes for a long time
        trans = conn.begin()
        conn.execute(Document.__table__.insert().values(name="long", location="", layout="markdown",
                                                        created_at=clock.now))
        proc = _scheduler_process(db_url, schedule, "2026-11-23T02:00:00Z", lease=3)
        out = _Lines(proc)
        out.until("waiting for the active scheduler: leader")  # it asked while the write was open
        assert proc.poll() is None
        trans.rollback()
    leader.shutdown()  # the leader stops: the standby takes over
    out.until("is now the active scheduler")
    os.kill(proc.pid, signal.SIGTERM)
    rest = proc.communicate(timeout=DEADLINE)[1]
    assert proc.returncode == 0, out.seen + [rest]


EVERY_30S = '[jobs.sync]\nrun = "check"\ntrigger = "interval"\nseconds = 30\n'


class Slots:
    """A task that counts its calls per slot; the test decides when each call ends."""

    def __init__(self, restored: threading.Event) -> None:
        self.calls: list[Any] = []
        self.started = threading.Semaphore(0)
        self.hold_write = threading.Event()  # set: the next call holds a write until released
        self.write_released = threading.Event()
        self.finish = threading.Event()
        self.finish.set()
        self.restored = restored

    def __call__(self, db: Database, settings: Settings, options: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(settings.now())
        if self.hold_write.is_set():
            with db.transaction() as session:
                session.add(Document(name=f"long-{len(self.calls)}", location="", layout="markdown",
                                     created_at=settings.now()))
                session.flush()
                self.started.release()
                assert self.write_released.wait(DEADLINE)
        else:
            self.started.release()
        assert self.finish.wait(DEADLINE)
        return {"calls": len(self.calls)}


def test_two_schedulers_a_long_write_and_an_outage_run_each_slot_once(outage: Outage,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    """The issue's "done when": two schedulers on one database, a job holding a long write,
    then the database gone for longer than the lease while a job runs. Every slot runs
    exactly once, no live run is marked interrupted, both schedulers go on."""
    caplog.set_level("INFO")
    clock, restored = FakeClock(utc(2026, 11, 23, 2, 0, 10)), threading.Event()
    task = Slots(restored)
    specs = parse_schedule(EVERY_30S, "t.toml", {"check"})

    def make(holder: str) -> TrackerScheduler:
        return TrackerScheduler(open_database(outage.url), _settings(outage.url), specs, clock=clock,
                                holder=holder, tasks={"check": task}, coord_timeout=0.5,
                                sleep=lambda seconds: restored.wait(DEADLINE) and None)

    first, second = make("first"), make("second")
    first.start()
    with pytest.raises(Exception, match="another scheduler is active"):
        second.start()
    db = open_database(outage.url)
    marked: list[Any] = []

    def check_no_live_run_marked() -> None:
        runs = _runs(db)
        marked.extend(r for r in runs if r[1] == "interrupted")
        assert not marked, runs

    # 1. a long write: the leader's job holds the database's write lock for 20 s (fake)
    clock.now = utc(2026, 11, 23, 2, 0, 30)
    task.hold_write.set()
    worker = _in_thread(first.run_pending)
    assert task.started.acquire(timeout=DEADLINE)
    for _ in range(10):
        clock.advance(seconds=2)
        first.renew()  # the heartbeat thread's work: lease and run beats, not blocked by the write
        assert second.run_pending() is not None
        assert first.is_leader and not second.is_leader
        check_no_live_run_marked()
    task.hold_write.clear()
    task.write_released.set()
    worker.join(DEADLINE)

    # 2. the database goes away for 12 s (twice the lease) while the next slot's job runs
    clock.now = utc(2026, 11, 23, 2, 1, 0, )
    task.finish.clear()
    worker = _in_thread(first.run_pending)
    assert task.started.acquire(timeout=DEADLINE)
    outage.cut()
    for _ in range(4):
        clock.advance(seconds=3)
        first.renew()  # fails: logged
        assert second.run_pending() is not None  # fails: logged, backs off, never raises
    assert not first.is_leader  # it could not renew before expiry: it starts nothing
    outage.restore()
    restored.set()
    for _ in range(8):  # whoever leads now watches the live run of slot 02:01:00 and leaves it alone
        clock.advance(seconds=2)
        first.renew()
        second.run_pending()
        check_no_live_run_marked()
    task.finish.set()
    worker.join(DEADLINE)
    assert first.is_leader or second.is_leader

    # 3. both go on: every later slot runs once, on whichever leads
    for _ in range(12):
        clock.advance(seconds=10)
        for sched in (first, second):
            assert sched.run_pending() is not None
            sched.renew()
    runs = _runs(db)
    check_no_live_run_marked()
    slots = [slot for _, _, slot, _ in runs]
    assert len(slots) == len(set(slots)) == len(task.calls)  # each slot once
    assert slots == sorted(slots) and slots[:2] == [utc(2026, 11, 23, 2, 0, 30), utc(2026, 11, 23, 2, 1)]
    assert {o for _, o, _, _ in runs} == {"ok"}
    assert slots[-1] == utc(2026, 11, 23, 2, 3, 0)  # caught up: nothing skipped after the outage
    assert "database unavailable" in caplog.text
    assert "S3cretPW" not in caplog.text
    first.shutdown()
    second.shutdown()
    db.dispose()


def test_a_run_is_declared_dead_only_after_its_beat_stood_still(db: Database) -> None:
    """The owner's clock is frozen (TRACKER_NOW), the observer's moves: beats still count,
    and only two leases of silence (observed) mark the run interrupted."""
    from tracker.db import repo_jobs
    from tracker.db.coord import Coordination
    from tracker.services.heartbeat import Observer, Pulse

    frozen, watcher = utc(2026, 11, 23, 3), FakeClock(utc(2026, 11, 23, 3))
    with db.transaction() as s:
        run = repo_jobs.claim_run(s, "check", None, "manual", "owner", frozen)
        assert run is not None
        key = (run.id, run.attempts)
    coord = Coordination(db)
    owner = Pulse(coord, "owner", lambda: frozen)
    assert owner.add(key)
    observer = Observer(db, coord, "watcher", timedelta(seconds=120))
    mine = Pulse(coord, "watcher", watcher)
    for _ in range(5):
        assert observer.observe(watcher(), mine, may_mark=True) == []
        watcher.advance(seconds=100)
        owner.beat()
    assert observer.observe(watcher(), mine, may_mark=True) == []
    watcher.advance(seconds=119)
    assert observer.observe(watcher(), mine, may_mark=True) == []  # 119 s of silence: not yet
    observer.forget()  # e.g. the database was unreachable: watching starts again
    watcher.advance(seconds=119)
    assert observer.observe(watcher(), mine, may_mark=True) == []
    watcher.advance(seconds=121)
    assert observer.observe(watcher(), mine, may_mark=True) == [key]
    assert [o for _, o, _, _ in _runs(db)] == ["interrupted"]
    owner.beat()
    assert owner.fenced == {key}  # the owner learns it was fenced and can never beat again
    coord.dispose()
