"""Migration 0010 carries APScheduler's stored next run times over to ``scheduled_jobs``,
so a scheduler stopped before the upgrade still catches up its missed slot once."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from tests.jobs.tasks import FakeClock, Recorder, utc
from tracker.config import Settings
from tracker.db.session import Database
from tracker.schedule import parse_schedule
from tracker.scheduler import TrackerScheduler


def test_upgrade_keeps_next_fire_times_and_catches_up_once(empty_db_url: str, settings: Settings) -> None:
    db = Database(empty_db_url)
    cfg = db._alembic_config()
    command.upgrade(cfg, "0005")
    with db.engine.begin() as conn:  # what APScheduler 3 stored: a pickle and the epoch seconds
        conn.execute(text("INSERT INTO apscheduler_jobs (id, next_run_time, job_state) VALUES "
                          "('check-links', :t, :state)"),
                     {"t": utc(2026, 11, 23, 3).timestamp(), "state": b"\x80\x04N."})
    db.upgrade()
    clock, rec = FakeClock(utc(2026, 11, 30, 12)), Recorder()
    specs = parse_schedule('[jobs.check-links]\nrun = "check"\ntrigger = "cron"\nhour = 3\n', "t.toml", {"check"})
    sched = TrackerScheduler(db, settings, specs, clock=clock, holder="a", tasks=rec.registry("check"))
    sched.start()
    sched.run_pending()
    assert [when for _, when in rec.calls] == [utc(2026, 11, 30, 12)]  # the missed week: once
    assert sched.next_fire_times() == {"check-links": utc(2026, 12, 1, 3)}
    sched.shutdown()
    db.dispose()
