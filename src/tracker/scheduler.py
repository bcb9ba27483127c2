"""``tracker scheduler``: fires the jobs of ``jobs/schedule.toml`` at their trigger times.

APScheduler 3 is used for what its public API offers, its triggers:
``trigger.get_next_fire_time(previous, now)`` computes every fire time. Its scheduler
loop, executors and job store are not used (``docs/scheduler.md`` says why); this
module is the loop, with an injectable clock, and the database holds the state.
Each fire calls ``services.jobs.run_job`` with the trigger time as its slot. It owns
the loop, the lease and the clock; it does no job's work.

Safe by construction:

* One active scheduler per database: a lease renewed every third of its length by a
  heartbeat thread, in its own short transaction on the coordination store
  (``db.coord``), which never waits behind a job's long write. A leader starts a job
  only while its lease is valid by its own clock; one that cannot renew becomes a
  standby and keeps trying, as a standby keeps trying to take an expired lease.
* A run belongs to its slot (unique (job, slot): two schedulers never run one
  trigger twice) and beats a heartbeat while it runs; nobody marks a run
  interrupted while its beat moves (``services.heartbeat.Observer``), and a job
  never starts while another run of it is still ``running`` (no overlap).
* Every database failure in the loop (locked, unreachable, restarting) is logged and
  retried with backoff; the loop never exits on one. A slot is settled (its next
  fire time stored) only after its run is recorded, so an outage delays a slot and
  never loses or doubles it.
* Restarts catch up: each job's next fire time is stored (``scheduled_jobs``); a
  run missed while stopped runs once at restart (coalesced), not N times.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from apscheduler.triggers.base import BaseTrigger

from tracker.config import Settings, redact
from tracker.db import UNAVAILABLE, repo_jobs
from tracker.db.coord import DEFAULT_TIMEOUT, Coordination
from tracker.db.session import DATABASE_FAILURES, Database
from tracker.errors import ConflictError, DatabaseError
from tracker.schedule import JobSpec
from tracker.services.heartbeat import Observer, Pulse
from tracker.services.jobs import RunOutcome, Task, heartbeat_interval, holder_id, run_job, stale_after

__all__ = ["TrackerScheduler", "Clock", "latest_fire_time"]

Clock = Callable[[], datetime]
log = logging.getLogger("tracker.scheduler")
MAX_BACKOFF = 60.0


def latest_fire_time(trigger: BaseTrigger, first: datetime, now: datetime) -> datetime:
    """The last fire time of ``trigger`` in [first, now] (``first`` is one): the slot a
    coalesced run belongs to."""
    slot = first
    while True:
        following = trigger.get_next_fire_time(slot, now)
        if following is None or following > now or following <= slot:
            return slot
        slot = following


class TrackerScheduler:
    """Runs the schedule against one database; see the module docstring."""

    def __init__(self, db: Database, settings: Settings, specs: list[JobSpec], *,
                 clock: Clock | None = None, holder: str | None = None,
                 tasks: dict[str, Task] | None = None, sleep: Callable[[float], None] | None = None,
                 coord_timeout: float | None = None) -> None:
        self.db, self.settings, self.specs = db, settings, {s.name: s for s in specs if s.enabled}
        self.clock = clock
        self.holder = holder or holder_id()
        self.tasks = tasks
        self.sleep = sleep
        self.lease_ttl = timedelta(seconds=settings.scheduler.lease_seconds)
        timeout = coord_timeout if coord_timeout is not None else \
            max(0.1, min(DEFAULT_TIMEOUT, settings.scheduler.lease_seconds / 6))
        self.coord = Coordination(db, timeout)
        self.pulse = Pulse(self.coord, self.holder, self.now)
        self.observer = Observer(db, self.coord, self.holder, stale_after(settings))
        self.outcomes: list[RunOutcome] = []
        self.unrecorded: list[RunOutcome] = []  # runs the database could not take: logged
        self.failures = 0  # consecutive database failures of the loop
        self._lease_until: datetime | None = None
        self._next: dict[str, datetime | None] | None = None  # loaded when we lead
        self._led = False  # whether the previous round led (only the loop thread uses these two)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()  # lease state, between the loop and the heartbeat thread
        self._running = False

    # -- clock and lease -------------------------------------------------
    def now(self) -> datetime:
        return self.clock() if self.clock is not None else datetime.now(timezone.utc)

    @property
    def is_leader(self) -> bool:
        """Whether this scheduler may start a job now: its lease is valid by its own clock."""
        with self._lock:
            until = self._lease_until
        return until is not None and self.now() < until

    def acquire(self) -> bool:
        """Take (or renew) the lease; False when another scheduler is active or the
        store is unavailable (logged). Never raises for a database failure."""
        asked = self.now()  # the lease runs from before the request: we never overestimate it
        try:
            with self.coord.transaction() as session:
                got = repo_jobs.acquire_lease(session, self.holder, asked, self.lease_ttl)
        except DATABASE_FAILURES as exc:
            log.warning("could not renew the scheduler lease: %s", _first_line(exc))
            return False
        with self._lock:
            was = self._lease_until is not None and asked < self._lease_until
            self._lease_until = asked + self.lease_ttl if got else None
        if not got and was:
            log.error("lost the scheduler lease to %s; not starting jobs until it is ours again",
                      self.active_holder())
        return got

    def renew(self) -> None:
        """The heartbeat: renew the lease if we hold one, beat our running runs."""
        with self._lock:
            holding = self._lease_until is not None
        if holding:
            self.acquire()
        try:
            self.pulse.beat()
        except DATABASE_FAILURES as exc:
            log.warning("could not beat the running jobs' heartbeat: %s", _first_line(exc))

    def active_holder(self) -> str:
        try:
            with self.coord.transaction() as session:
                lease = repo_jobs.lease_holder(session)
                if lease is None:
                    return "nobody"
                return f"{lease.holder} (until {lease.expires_at.isoformat()})"
        except DATABASE_FAILURES as exc:
            return f"unknown (the database is unavailable: {_first_line(exc)})"

    def release(self) -> None:
        with self._lock:
            self._lease_until = None
        with self.coord.transaction() as session:
            repo_jobs.release_lease(session, self.holder)

    # -- lifecycle -------------------------------------------------------
    def start(self) -> None:
        """Take the lease and load the schedule; ``ConflictError`` when another scheduler
        is active (a standby then goes on with ``serve()``, which keeps trying)."""
        self._running = True
        if self.acquire():
            self._led = True
            try:
                self._sync()
            except DATABASE_FAILURES as exc:  # the loop loads it when the database answers
                log.warning("could not load the schedule's state yet: %s", _first_line(exc))
            return
        holder = self.active_holder()
        if not holder.startswith("unknown"):
            raise ConflictError(f"another scheduler is active on this database: {holder}; "
                                "stop it, or start this one with --wait")

    def _sync(self) -> None:
        """Load each job's next fire time; add new jobs, re-trigger changed ones, drop removed
        ones; keep the next fire time of unchanged ones so a missed run is caught up once."""
        now = self.now()
        with self.db.transaction() as session:
            stored = repo_jobs.schedule_state(session)
            nexts: dict[str, datetime | None] = {}
            for name, spec in self.specs.items():
                trigger = spec.trigger()
                text, when = stored.pop(name, (None, None))
                if text is None or (text and text != str(trigger)):
                    when = trigger.get_next_fire_time(None, now)
                if text != str(trigger):
                    repo_jobs.save_schedule(session, name, str(trigger), when)
                nexts[name] = when
            repo_jobs.drop_schedule(session, list(stored))
        self._next = nexts

    def next_fire_times(self) -> dict[str, datetime | None]:
        if self._next is not None:
            return dict(self._next)
        with self.db.transaction() as session:
            return {name: when for name, (_, when) in repo_jobs.schedule_state(session).items()}

    # -- one round ---------------------------------------------------------
    def run_pending(self) -> float | None:
        """One round: renew or take the lease, watch other runs, run every due job once
        (as leader). Seconds until the next round is worth doing; never raises for a
        database failure (logged, and the next round backs off)."""
        try:
            leading = self.acquire()
            if leading and not self._led:
                self._next = None  # another scheduler may have led meanwhile: reload the state
            self._led = leading
            self.observer.observe(self.now(), self.pulse, may_mark=leading and self.is_leader)
            if not leading:
                self.failures = 0
                return heartbeat_interval(self.settings)
            if self._next is None:
                self._sync()
            wait = self._run_due()
        except DATABASE_FAILURES + (DatabaseError,) as exc:
            self.failures += 1
            self.observer.forget()  # nobody could beat while we could not read
            backoff = min(MAX_BACKOFF, 2.0 ** (self.failures - 1))
            log.warning("database unavailable (%d in a row), retrying in %.0f s: %s",
                        self.failures, backoff, _first_line(exc))
            return backoff
        self.failures = 0
        return wait

    def _run_due(self) -> float | None:
        assert self._next is not None
        for name, spec in self.specs.items():
            first = self._next.get(name)
            now = self.now()
            if first is None or first > now or self._stop.is_set():
                continue
            if not self.is_leader:
                break  # the lease ran out (a long job, an outage): start nothing more
            with self.db.transaction() as session:
                busy = repo_jobs.running_runs(session, name)
            if busy:
                continue  # no overlap: wait for that run to finish or be declared dead
            trigger = spec.trigger()
            slot = latest_fire_time(trigger, first, now)
            outcome = self.fire(name, slot)
            self._settle(name, trigger, trigger.get_next_fire_time(slot, self.now()))
            if outcome.outcome == "skipped":
                log.info("job %s at %s already ran elsewhere", name, slot.isoformat())
        upcoming = [t for t in self._next.values() if t is not None]
        cap = heartbeat_interval(self.settings)
        return min(cap, max(0.0, (min(upcoming) - self.now()).total_seconds())) if upcoming else cap

    def _settle(self, name: str, trigger: BaseTrigger, following: datetime | None) -> None:
        assert self._next is not None
        self._next[name] = following
        if not self.is_leader:
            return  # whoever leads now keeps the state (and finds this slot ran)
        with self.db.transaction() as session:  # if this fails, the next leader re-finds the slot ran
            repo_jobs.save_schedule(session, name, str(trigger), following)

    def fire(self, job: str, slot: datetime) -> RunOutcome:
        """One trigger of ``job``; never raises for a failed task. A database that stays
        unavailable raises ``DatabaseError`` (the slot is then tried again later)."""
        spec = self.specs[job]
        settings = self.settings if self.clock is None else replace(self.settings, now_override=self.now())
        try:
            outcome = run_job(self.db, settings, job, spec.task, slot=slot, trigger="schedule",
                              holder=self.holder, options=dict(spec.options), tasks=self.tasks,
                              sleep=self.sleep, pulse=self.pulse)
        except (DatabaseError, *UNAVAILABLE) as exc:  # type: ignore[misc]
            self.unrecorded.append(RunOutcome(job, "failed", slot, error=_first_line(exc)))
            log.error("job %s at %s could not run: %s", job, slot.isoformat(), _first_line(exc))
            raise
        self.outcomes.append(outcome)
        if outcome.outcome == "failed":
            log.error("job %s failed: %s", job, outcome.error)
        return outcome

    # -- the loop ------------------------------------------------------------
    def serve(self, sleep_cap: float = 60.0, once: bool = False) -> None:
        """The loop of ``tracker scheduler``: rounds until ``stop()`` (with ``once``: until
        one round ran as leader). A heartbeat thread renews the lease and beats the
        running jobs meanwhile, so a long job keeps both."""
        interval = heartbeat_interval(self.settings)
        heartbeat = threading.Thread(target=self._heartbeat, args=(interval,), name="lease-heartbeat",
                                     daemon=True)
        heartbeat.start()
        leading = False
        try:
            while not self._stop.is_set():
                wait = self.run_pending()
                if self.is_leader != leading:
                    leading = not leading
                    if leading:
                        log.info("scheduler %s is now the active scheduler", self.holder)
                    else:
                        log.info("waiting for the active scheduler: %s", self.active_holder())
                if once and leading:
                    return
                self._wake.wait(min(sleep_cap, interval) if wait is None else max(0.0, min(wait, sleep_cap)))
                self._wake.clear()
        finally:
            self.shutdown()

    def _heartbeat(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self.renew()

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
        try:
            self.release()
        except DATABASE_FAILURES as exc:  # it expires by itself
            log.warning("could not release the scheduler lease: %s", _first_line(exc))
        self.coord.dispose()


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return redact(text[0]) if text else type(exc).__name__
