"""The scheduler: exactly once per trigger, catch-up after downtime, no overlap, leases."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.jobs.tasks import FakeClock, Recorder, utc
from tracker.config import Settings
from tracker.db import repo_jobs
from tracker.db.coord import Coordination
from tracker.db.models_jobs import JobRun, ScheduledJob
from tracker.db.session import Database
from tracker.errors import ConfigError, ConflictError
from tracker.schedule import DEFAULT_SCHEDULE, load_schedule, parse_schedule
from tracker.scheduler import TrackerScheduler

SCHEDULE = """
[jobs.check-links]
run = "check"
trigger = "cron"
hour = 3

[jobs.crawl]
run = "crawl"
trigger = "interval"
hours = 4

[jobs.weekly]
run = "weekly"
trigger = "cron"
day_of_week = "mon"
hour = 6
"""
TASK_NAMES = {"check", "crawl", "weekly"}
START = utc(2026, 11, 23, 0, 30)  # a Monday


def _scheduler(db: Database, settings: Settings, clock: FakeClock, rec: Recorder, holder: str) -> TrackerScheduler:
    specs = parse_schedule(SCHEDULE, "test.toml", TASK_NAMES)
    return TrackerScheduler(db, settings, specs, clock=clock, holder=holder,
                            tasks=rec.registry(*TASK_NAMES))


def _runs(db: Database) -> list[tuple[str, str, object]]:
    with db.transaction() as s:
        return [(r.job, r.outcome, r.slot) for r in s.scalars(select(JobRun).order_by(JobRun.id))]


def test_shipped_schedule_is_valid() -> None:
    from tracker.services.jobs import TASKS

    specs = load_schedule(DEFAULT_SCHEDULE, set(TASKS))
    assert {s.name for s in specs} >= {"check-links", "crawl", "weekly"}


def test_jobs_fire_on_their_triggers_once_each(db: Database, settings: Settings) -> None:
    clock, rec = FakeClock(START), Recorder()
    sched = _scheduler(db, settings, clock, rec, "a")
    sched.start()
    sched.run_pending()
    assert rec.calls == []  # nothing due at 00:30 (crawl's first slot is 04:00)
    clock.now = utc(2026, 11, 23, 6, 0, 1)
    sched.run_pending()
    assert sorted(name for name, _ in rec.calls) == ["check", "crawl", "weekly"]
    sched.run_pending()  # same moment again: nothing new
    assert len(rec.calls) == 3
    slots = {job: slot for job, _, slot in _runs(db)}
    assert slots == {"check-links": utc(2026, 11, 23, 3), "crawl": utc(2026, 11, 23, 4),
                     "weekly": utc(2026, 11, 23, 6)}
    sched.shutdown()


@pytest.mark.parametrize("rounds", [6])
def test_two_schedulers_on_one_database_fire_each_trigger_once(db: Database, settings: Settings,
                                                              rounds: int) -> None:
    clock, rec = FakeClock(START), Recorder()
    first = _scheduler(db, settings, clock, rec, "first")
    second = _scheduler(db, settings, clock, rec, "second")
    first.start()
    with pytest.raises(ConflictError, match="another scheduler is active.*first"):
        second.start()
    for _ in range(rounds):  # a day at a time; the second keeps trying and is kept out
        clock.advance(days=1)
        first.run_pending()
        with pytest.raises(ConflictError):
            second.start()
    runs = _runs(db)
    assert len(runs) == len({(job, slot) for job, _, slot in runs})
    per_job = {job: sum(1 for j, _, _ in runs if j == job) for job in ("check-links", "crawl", "weekly")}
    assert per_job == {"check-links": rounds, "crawl": rounds, "weekly": 1}  # coalesced per round
    # the first stops; the second takes over where it left off
    first.shutdown()
    second.start()
    clock.advance(days=1)
    second.run_pending()
    assert [j for j, _, _ in _runs(db)].count("check-links") == rounds + 1
    second.shutdown()


def test_a_trigger_slot_cannot_be_claimed_twice(db: Database) -> None:
    slot, now = utc(2026, 11, 23, 3), utc(2026, 11, 23, 3, 0, 5)
    with db.transaction() as s:
        assert repo_jobs.claim_run(s, "check-links", slot, "schedule", "a", now) is not None
    with db.transaction() as s:
        assert repo_jobs.claim_run(s, "check-links", slot, "schedule", "b", now) is None


def test_two_weeks_down_then_restart_runs_each_missed_job_once(db: Database, settings: Settings) -> None:
    clock, rec = FakeClock(START), Recorder()
    sched = _scheduler(db, settings, clock, rec, "a")
    sched.start()
    clock.now = utc(2026, 11, 23, 7)
    sched.run_pending()
    assert len(rec.calls) == 3
    sched.shutdown()
    clock.advance(weeks=2)  # stopped for two weeks: 14 check slots, 84 crawl slots, 2 weekly slots missed
    restarted = _scheduler(db, settings, clock, rec, "a-again")
    restarted.start()
    restarted.run_pending()
    assert sorted(name for name, _ in rec.calls[3:]) == ["check", "crawl", "weekly"]
    latest = {job: slot for job, _, slot in _runs(db)[3:]}
    assert latest == {"check-links": utc(2026, 12, 7, 3), "crawl": utc(2026, 12, 7, 4),
                      "weekly": utc(2026, 12, 7, 6)}
    nxt = restarted.next_fire_times()
    assert nxt["weekly"] == utc(2026, 12, 14, 6) and nxt["crawl"] == utc(2026, 12, 7, 8)
    restarted.shutdown()


def test_a_failing_job_is_recorded_and_the_next_trigger_runs(db: Database, settings: Settings) -> None:
    clock, rec = FakeClock(START), Recorder()
    sched = _scheduler(db, settings, clock, rec, "a")
    sched.start()
    rec.fail_next.add("check")
    clock.now = utc(2026, 11, 23, 3, 1)
    sched.run_pending()
    clock.advance(days=1)
    sched.run_pending()
    checks = [(outcome, slot) for job, outcome, slot in _runs(db) if job == "check-links"]
    assert checks == [("failed", utc(2026, 11, 23, 3)), ("ok", utc(2026, 11, 24, 3))]
    with db.transaction() as s:
        failed = s.scalar(select(JobRun).where(JobRun.outcome == "failed"))
        assert failed is not None and "check exploded" in failed.error
    sched.shutdown()


def test_a_job_longer_than_its_interval_never_overlaps(db: Database, settings: Settings) -> None:
    clock, rec = FakeClock(START), Recorder()
    rec.clock = clock
    rec.run_for["crawl"] = timedelta(hours=9)  # longer than two 4-hour intervals
    sched = _scheduler(db, settings, clock, rec, "a")
    sched.start()
    clock.now = utc(2026, 11, 23, 4, 0, 1)
    sched.run_pending()  # crawl runs 04:00 → 13:00 (fake), the 08:00 and 12:00 slots pass meanwhile
    sched.run_pending()  # caught up once, not twice
    crawls = [slot for job, _, slot in _runs(db) if job == "crawl"]
    assert crawls == [utc(2026, 11, 23, 4), utc(2026, 11, 23, 12)]
    assert rec.max_active == 1
    sched.shutdown()


def test_unreachable_database_at_a_trigger_is_retried_then_logged(db: Database, settings: Settings,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    from tracker.services import jobs as jobs_service

    clock, rec = FakeClock(START), Recorder()
    sched = _scheduler(db, settings, clock, rec, "a")
    sched.start()
    waits: list[float] = []
    attempts = {"n": 0}
    real_claim = repo_jobs.claim_run

    def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        attempts["n"] += 1
        if attempts["n"] <= 2:
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(jobs_service.repo_jobs, "claim_run", flaky)
    monkeypatch.setattr(jobs_service.time, "sleep", waits.append)
    clock.now = utc(2026, 11, 23, 3, 1)
    sched.run_pending()
    assert waits == [0.5, 2.0] and [j for j, o, _ in _runs(db)] == ["check-links"]
    attempts["n"] = -10  # now it never recovers: 4 attempts, then the failure is logged, not lost
    clock.advance(days=1)
    sched.run_pending()
    assert [o.error for o in sched.unrecorded] and "database unavailable" in sched.unrecorded[0].error
    sched.shutdown()


def test_interrupted_runs_are_recovered_and_their_slot_runs_again(db: Database, settings: Settings) -> None:
    slot = utc(2026, 11, 23, 3)
    with db.transaction() as s:  # a process was killed while running this slot
        repo_jobs.claim_run(s, "check-links", slot, "schedule", "dead:1", utc(2026, 11, 23, 3, 0, 1))
    clock, rec = FakeClock(utc(2026, 11, 23, 2)), Recorder()
    sched = _scheduler(db, settings, clock, rec, "a")
    sched.start()
    clock.now = utc(2026, 11, 23, 3, 30)
    sched.run_pending()  # it never beat: watched from now on, not yet declared dead
    assert [(o, h) for _, o, h in [(r[0], r[1], None) for r in _runs(db)]] == [("running", None)]
    clock.advance(minutes=1)
    sched.run_pending()  # still within two leases (120 s) of watching
    assert [o for _, o, _ in _runs(db)] == ["running"]
    clock.advance(minutes=1, seconds=1)
    sched.run_pending()  # its beat stood still for two leases: interrupted, and the slot runs again
    with db.transaction() as s:
        run = s.scalar(select(JobRun).where(JobRun.job == "check-links"))
        assert run is not None and (run.outcome, run.attempts, run.holder) == ("ok", 2, "a")
    sched.shutdown()


@pytest.mark.parametrize(("text", "message"), [
    ("[jobs.x]\nrun = \"check\"\ntrigger = \"cron\"\nhour = 25\n", "test.toml:1 [jobs.x]: invalid cron trigger"),
    ("[jobs.x]\nrun = \"check\"\ntrigger = \"cron\"\nbogus = 1\n", "unknown cron field(s) bogus"),
    ("\n\n[jobs.y]\nrun = \"dance\"\ntrigger = \"cron\"\n", "test.toml:3 [jobs.y]: unknown task 'dance'"),
    ("[jobs.x]\nrun = \"check\"\ntrigger = \"interval\"\n", "needs a positive"),
    ("[jobs.x]\nrun = \"check\"\ntrigger = \"interval\"\nhours = true\n", "needs a positive"),
    ("[jobs.x]\nrun = \"check\"\ntrigger = \"interval\"\nhours = inf\n", "needs a positive"),
    ("[jobs.x]\nrun = \"check\"\ntrigger = \"hourly\"\n", "trigger must be"),
    # found by the second reading: an OverflowError traceback (1e300, 1e12 weeks), a catch-up
    # walking every millisecond since the anchor, a quoted "false" that enabled the job
    ("[jobs.x]\nrun = \"check\"\ntrigger = \"interval\"\nweeks = 1e300\n", "between 1 second and 100 years"),
    ("[jobs.x]\nrun = \"check\"\ntrigger = \"interval\"\nweeks = 1e12\n", "between 1 second and 100 years"),
    ("[jobs.x]\nrun = \"check\"\ntrigger = \"interval\"\nweeks = 6000\n", "between 1 second and 100 years"),
    ("[jobs.x]\nrun = \"check\"\ntrigger = \"interval\"\nseconds = 0.001\n", "between 1 second and 100 years"),
    ("[jobs.x]\nrun = \"check\"\ntrigger = \"interval\"\nhours = 4\nenabled = \"false\"\n",
     "test.toml:1 [jobs.x]: enabled must be true or false, got 'false'"),
    ("[jobs.x\nrun = 1\n", "test.toml: not valid TOML: "),
    ("title = 'nothing'\n", "no [jobs.NAME] tables"),
])
def test_corrupt_schedules_name_file_and_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_schedule(text, "test.toml", TASK_NAMES)
    assert message in str(info.value)


def test_corrupt_schedule_at_startup_schedules_nothing(run, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "schedule.toml"
    bad.write_text("[jobs.crawl]\nrun = \"crawl\"\ntrigger = \"interval\"\nhours = 4\n\n[jobs.x]\ntrigger = \"cron\"\nhour = 99\n")
    result = run("scheduler", "--jobs-file", str(bad), "--once")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1].startswith(f"Error: {bad}:6 [jobs.x]: ")
    from tracker.db.session import open_database

    db = open_database(db_url)
    with db.transaction() as s:
        assert s.scalars(select(ScheduledJob)).all() == []
    db.dispose()


def test_sigkill_mid_job_then_restart_completes_without_half_writes(db: Database, settings: Settings,
                                                                   db_url: str) -> None:
    import os
    import signal
    import subprocess
    import sys

    from tracker.db.models import Document

    proc = subprocess.Popen([sys.executable, "-m", "tests.jobs.killed_scheduler", db_url,
                             "2026-11-23T02:00:00+00:00", "2026-11-23T03:00:05+00:00"], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2])
    assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with db.transaction() as s:
        assert s.scalars(select(Document)).all() == []  # the open transaction died with the process
        assert [(r.outcome, r.holder) for r in s.scalars(select(JobRun))] == [("running", "doomed")]
    # restart after the dead scheduler's lease expires: the slot runs again and completes
    clock, rec = FakeClock(utc(2026, 11, 23, 3, 0, 30)), Recorder()  # its lease runs to 03:01:05
    sched = _scheduler(db, settings, clock, rec, "restarted")
    with pytest.raises(ConflictError):
        sched.start()
    clock.advance(minutes=2)  # the 60 s lease ran out
    sched.start()
    sched.run_pending()  # the dead run's heartbeat is watched for two leases before it is declared dead
    clock.advance(minutes=2, seconds=1)
    sched.run_pending()
    with db.transaction() as s:
        runs = [(r.job, r.outcome, r.attempts) for r in s.scalars(select(JobRun).order_by(JobRun.id))]
    assert ("check-links", "ok", 2) in runs and len([r for r in runs if r[0] == "check-links"]) == 1
    sched.shutdown()


def test_sigterm_stops_the_scheduler_cleanly_and_frees_the_lease(db: Database, db_url: str,
                                                                tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    schedule = tmp_path / "schedule.toml"
    schedule.write_text('[jobs.crawl]\nrun = "crawl"\ntrigger = "interval"\nhours = 4\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env["TRACKER_NOW"] = "2026-11-23T00:30:00Z"
    proc = subprocess.Popen([sys.executable, "-m", "tracker", "--db", db_url, "scheduler", "--jobs-file",
                             str(schedule)], stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stderr is not None
    lines = []
    while not lines or "running 1 jobs" not in lines[-1]:  # log lines may come first
        lines.append(proc.stderr.readline())
        assert lines[-1] and len(lines) < 20, lines
    coord = Coordination(db)  # the lease lives in the coordination store (a sidecar file on SQLite)
    with coord.transaction() as s:
        assert repo_jobs.lease_holder(s) is not None
    os.kill(proc.pid, signal.SIGTERM)
    rest = proc.communicate(timeout=60)[1]
    assert proc.returncode == 0, rest
    assert "stopping after the current job" in rest
    with coord.transaction() as s:
        assert repo_jobs.lease_holder(s) is None  # a new scheduler may start at once
    coord.dispose()
