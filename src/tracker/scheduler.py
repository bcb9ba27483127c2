"""``tracker scheduler``: APScheduler 3 with its job store in tracker's database.

A shell around APScheduler: triggers come from ``jobs/schedule.toml``
(``tracker.schedule``), each fire calls ``services.jobs.run_job`` with the trigger's
time as its slot. It owns the loop, the lease and the clock; it does no job's work.
APScheduler's ``SQLAlchemyJobStore`` talks to the database itself (its table is
declared in ``db.models_jobs`` so Alembic owns the schema).

* One active scheduler per database: a lease row (``scheduler_lease``) renewed by
  a heartbeat thread; a second scheduler waits (``wait=True``) or is refused.
* Restarts pick up where they left off: jobs keep their ``next_run_time`` in the
  ``apscheduler_jobs`` store, ``coalesce=True`` and no misfire limit make a run
  missed while stopped run once at restart, not N times.
* No overlap: jobs run one at a time in the scheduler's own thread
  (``max_instances=1``); a run that outlasts its interval delays the next one.
* Runs left ``running`` by a killed process are marked ``interrupted`` at start
  and their trigger slot may run again; finished slots never run twice.
* The clock is injectable (tests move it by weeks without waiting).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import replace
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import apscheduler.schedulers.base as aps_base
from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.executors.base import BaseExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler

from tracker.config import Settings
from tracker.db import repo_jobs
from tracker.db.session import Database
from tracker.errors import ConflictError
from tracker.schedule import JobSpec
from tracker.services.jobs import RunOutcome, Task, holder_id, run_job

__all__ = ["TrackerScheduler", "Clock"]

Clock = Callable[[], datetime]
log = logging.getLogger("tracker.scheduler")


def _placeholder(job: str) -> None:  # pragma: no cover - the executor never calls it
    """Stored as the APScheduler job's function; ``_SlotExecutor`` calls the scheduler instead."""


@contextlib.contextmanager
def _aps_clock(clock: Clock | None) -> Iterator[None]:
    """Make APScheduler read ``clock`` instead of the wall clock, for the duration."""
    if clock is None:
        yield
        return
    tick: Clock = clock

    class _Now(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            value = tick()
            return value.astimezone(tz) if tz is not None else value

    real = aps_base.datetime
    aps_base.datetime = _Now
    try:
        yield
    finally:
        aps_base.datetime = real


class _SlotExecutor(BaseExecutor):  # type: ignore[misc]
    """Runs a due job synchronously, handing the trigger time to the scheduler as the slot."""

    def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
        owner = self._scheduler
        assert isinstance(owner, _APS)
        slot = run_times[-1]
        try:
            outcome = owner.tracker.fire(job.id, slot)
        except Exception as exc:  # the database was unavailable: logged, the loop goes on
            owner.tracker.unrecorded.append(RunOutcome(job.id, "failed", slot, error=str(exc)))
            log.error("job %s at %s could not run: %s", job.id, slot.isoformat(), exc)
            self._run_job_error(job.id, exc, exc.__traceback__)
            return
        except BaseException as exc:  # an interrupt stops the loop, after bookkeeping
            self._run_job_error(job.id, exc, exc.__traceback__)
            owner.tracker.stop()
            return
        event = JobExecutionEvent(EVENT_JOB_EXECUTED, job.id, job._jobstore_alias, slot, retval=outcome)
        self._run_job_success(job.id, [event])


class _APS(BaseScheduler):  # type: ignore[misc]
    """APScheduler's scheduler without its own loop: ``TrackerScheduler`` drives it."""

    def __init__(self, tracker: TrackerScheduler, **options: Any) -> None:
        self.tracker = tracker
        super().__init__(**options)

    def wakeup(self) -> None:
        self.tracker.wake()

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)

    def process(self) -> float | None:
        seconds = self._process_jobs()
        return float(seconds) if seconds is not None else None


class TrackerScheduler:
    """Runs the schedule against one database; see the module docstring."""

    def __init__(self, db: Database, settings: Settings, specs: list[JobSpec], *,
                 clock: Clock | None = None, holder: str | None = None,
                 tasks: dict[str, Task] | None = None) -> None:
        self.db, self.settings, self.specs = db, settings, {s.name: s for s in specs if s.enabled}
        self.clock = clock
        self.holder = holder or holder_id()
        self.tasks = tasks
        self.lease_ttl = timedelta(seconds=settings.scheduler.lease_seconds)
        self.outcomes: list[RunOutcome] = []
        self.unrecorded: list[RunOutcome] = []  # runs the database could not take: logged
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._running = False
        self._aps = _APS(self, timezone=timezone.utc,
                         jobstores={"default": SQLAlchemyJobStore(engine=db.engine, tablename="apscheduler_jobs")},
                         executors={"default": _SlotExecutor()},
                         job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})

    # -- clock and lease -------------------------------------------------
    def now(self) -> datetime:
        return self.clock() if self.clock is not None else datetime.now(timezone.utc)

    def acquire(self) -> bool:
        """Take (or renew) the lease; False when another scheduler is active."""
        with self.db.transaction() as session:
            return repo_jobs.acquire_lease(session, self.holder, self.now(), self.lease_ttl)

    def active_holder(self) -> str:
        with self.db.transaction() as session:
            lease = repo_jobs.lease_holder(session)
            if lease is None:
                return "nobody"
            return f"{lease.holder} (until {lease.expires_at.isoformat()})"

    def release(self) -> None:
        with self.db.transaction() as session:
            repo_jobs.release_lease(session, self.holder)

    # -- lifecycle -------------------------------------------------------
    def start(self) -> None:
        """Take the lease, recover interrupted runs, load the jobs into the store."""
        if not self.acquire():
            raise ConflictError(f"another scheduler is active on this database: {self.active_holder()}; "
                                "stop it, or start this one with --wait")
        with self.db.transaction() as session:
            recovered = repo_jobs.mark_interrupted(session, self.now())
        if recovered:
            log.warning("%d run(s) were interrupted by a stopped process; their triggers may run again",
                        recovered)
        with _aps_clock(self.clock):
            self._aps.start(paused=False)
            self._sync_jobs()
        self._running = True

    def _sync_jobs(self) -> None:
        """Add new jobs, re-trigger changed ones, drop removed ones; keep ``next_run_time``
        of unchanged ones so missed runs are caught up once."""
        stored = {job.id: job for job in self._aps.get_jobs()}
        for name, spec in self.specs.items():
            trigger = spec.trigger()
            job = stored.pop(name, None)
            if job is None:
                self._aps.add_job(_placeholder, trigger=trigger, id=name, name=spec.description or name,
                                  args=[name])
            elif str(job.trigger) != str(trigger):
                self._aps.reschedule_job(name, trigger=trigger)
        for name in stored:
            self._aps.remove_job(name)

    def fire(self, job: str, slot: datetime) -> RunOutcome:
        """One trigger of ``job`` (called by the executor); never raises for a failed task."""
        spec = self.specs[job]
        settings = self.settings if self.clock is None else _at(self.settings, self.now())
        outcome = run_job(self.db, settings, job, spec.task, slot=slot, trigger="schedule",
                          holder=self.holder, options=dict(spec.options), tasks=self.tasks)
        self.outcomes.append(outcome)
        if outcome.outcome == "failed":
            log.error("job %s failed: %s", job, outcome.error)
        return outcome

    def run_pending(self) -> float | None:
        """Run every due job once (renewing the lease first); seconds until the next one."""
        if not self.acquire():
            self.stop()
            raise ConflictError(f"lost the scheduler lease to {self.active_holder()}")
        with _aps_clock(self.clock):
            return self._aps.process()

    def next_fire_times(self) -> dict[str, datetime | None]:
        return {job.id: job.next_run_time for job in self._aps.get_jobs()}

    def serve(self, sleep_cap: float = 60.0) -> None:
        """The loop of ``tracker scheduler``: run due jobs, wait, until ``stop()``."""
        heartbeat = threading.Thread(target=self._heartbeat, name="lease-heartbeat", daemon=True)
        heartbeat.start()
        try:
            while not self._stop.is_set():
                wait = self.run_pending()
                cap = min(sleep_cap, self.lease_ttl.total_seconds() / 3)
                self._wake.wait(cap if wait is None else max(0.0, min(wait, cap)))
                self._wake.clear()
        finally:
            self.shutdown()

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.lease_ttl.total_seconds() / 3):
            try:
                if not self.acquire():
                    log.error("lost the scheduler lease to %s; stopping", self.active_holder())
                    self.stop()
            except Exception as exc:  # noqa: BLE001 - the database may be down for a while
                log.warning("could not renew the scheduler lease: %s", exc)

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def shutdown(self) -> None:
        if not self._running:
            return
        self._running = False
        self.stop()
        with contextlib.suppress(Exception):
            self._aps.shutdown(wait=False)
        with contextlib.suppress(Exception):
            self.release()


def _at(settings: Settings, now: datetime) -> Settings:
    return replace(settings, now_override=now)
