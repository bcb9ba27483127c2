"""Liveness of runs: the pulse a process beats for each run it is running, and the
observer that declares a run dead once its pulse has stopped.

``Pulse`` belongs to one process (the scheduler's, or the one ``tracker run`` makes):
``add`` writes an attempt's first beat, ``beat`` refreshes all of them in one short
coordination transaction, ``start``/``stop`` drive it from a thread every
``interval`` seconds. ``Observer`` watches other processes' runs: a run is declared
dead (fenced, then marked ``interrupted``) only after its beat value stayed the same
for ``stale_after`` of the observer's own clock while the observer could read the
database, so a database outage, a clock skew between hosts or a long write never
makes a live run look dead. ``stale_runs`` is the one-shot view ``tracker jobs`` shows.
Does not run jobs or hold the scheduler lease.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from tracker.config import redact
from tracker.db import repo_jobs
from tracker.db.coord import Coordination
from tracker.db.repo_jobs import RunKey
from tracker.db.session import Database

__all__ = ["Pulse", "Observer", "stale_runs", "RunKey"]

log = logging.getLogger("tracker.scheduler")
Clock = Callable[[], datetime]


class Pulse:
    """The heartbeats of the runs one process is running (thread-safe)."""

    def __init__(self, coord: Coordination, holder: str, clock: Clock) -> None:
        self.coord, self.holder, self.clock = coord, holder, clock
        self._keys: set[RunKey] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.fenced: set[RunKey] = set()
        self._last: datetime | None = None

    def _value(self) -> datetime:
        """The next beat value: the clock, but always later than the previous beat, so a
        beat is visible as a change even under a frozen clock (``TRACKER_NOW``)."""
        with self._lock:
            now = self.clock()
            if self._last is not None and now <= self._last:
                now = self._last + timedelta(microseconds=1)
            self._last = now
            return now

    def add(self, key: RunKey) -> bool:
        """First beat of an attempt (raises when the store is unavailable); False: fenced."""
        with self.coord.transaction() as session:
            if not repo_jobs.start_heartbeat(session, key, self.holder, self._value()):
                return False
        with self._lock:
            self._keys.add(key)
        return True

    def remove(self, key: RunKey) -> None:
        with self._lock:
            self._keys.discard(key)
        try:
            with self.coord.transaction() as session:
                repo_jobs.end_heartbeat(session, key)
        except Exception as exc:  # noqa: BLE001 - a leftover row of a finished run is harmless
            log.debug("could not remove the heartbeat of run %s: %s", key, exc)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._keys

    def beat(self) -> None:
        """One beat of every run of this process (raises when the store is unavailable)."""
        with self._lock:
            keys = sorted(self._keys)
        if not keys:
            return
        with self.coord.transaction() as session:
            fenced = repo_jobs.beat(session, keys, self.holder, self._value())
        for key in fenced:
            if key not in self.fenced:
                self.fenced.add(key)
                log.error("run %s was declared dead by another process while it ran; its result will "
                          "not be recorded over the newer attempt", key[0])

    def start(self, interval: float) -> None:
        """Beat from a thread every ``interval`` seconds until ``stop()``."""
        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.beat()
                except Exception as exc:  # noqa: BLE001 - the database may be down for a while
                    log.warning("could not beat the running jobs' heartbeat: %s", redact(str(exc)))

        self._thread = threading.Thread(target=loop, name="run-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


class Observer:
    """Declares other processes' runs dead once their beat stops (see the module docstring)."""

    def __init__(self, db: Database, coord: Coordination, holder: str, stale_after: timedelta) -> None:
        self.db, self.coord, self.holder, self.stale_after = db, coord, holder, stale_after
        self._seen: dict[RunKey, tuple[datetime | None, str, datetime]] = {}

    def forget(self) -> None:
        """Forget every observation (after a failure to read: nobody could beat meanwhile)."""
        self._seen.clear()

    def observe(self, now: datetime, mine: Pulse, may_mark: bool) -> list[RunKey]:
        """Look at every running run once; with ``may_mark``, fence and mark those whose beat
        stood still for ``stale_after``. Returns the keys marked interrupted."""
        with self.db.transaction() as session:
            running = {(r.id, r.attempts): r.started_at for r in repo_jobs.running_runs(session)}
        others = [key for key in running if key not in mine]
        with self.coord.transaction() as session:
            beats = repo_jobs.heartbeats(session, others)
        marked: list[RunKey] = []
        seen: dict[RunKey, tuple[datetime | None, str, datetime]] = {}
        for key in others:
            value, state = beats.get(key, (None, "missing"))
            before = self._seen.get(key)
            since = before[2] if before is not None and before[:2] == (value, state) else now
            seen[key] = (value, state, since)
            if may_mark and (state == "dead" or now - since >= self.stale_after):
                if self._declare_dead(key, value, state, since, now):
                    marked.append(key)
                    del seen[key]
        self._seen = seen
        return marked

    def _declare_dead(self, key: RunKey, value: datetime | None, state: str, since: datetime,
                      now: datetime) -> bool:
        if state != "dead":
            with self.coord.transaction() as session:
                if not repo_jobs.fence(session, key, value, self.holder, now):
                    return False  # it beat just now: alive after all
        last = value.isoformat() if value is not None else "never"
        with self.db.transaction() as session:
            done = repo_jobs.mark_interrupted(
                session, key, now, f"no heartbeat since {last} (observed for {now - since}): "
                                   "the process stopped before the run finished")
        if done:
            log.warning("run %s stopped beating (last heartbeat: %s); marked interrupted", key[0], last)
        return done


def stale_runs(db: Database, now: datetime, stale_after: timedelta) -> dict[int, str]:
    """Running runs whose last heartbeat is older than ``stale_after`` (by ``now``), with a
    reason: what ``tracker jobs`` shows as interrupted. Writes nothing: a one-shot look
    cannot tell a dead run from one whose database was just unreachable, so only a
    scheduler's ``Observer`` marks them."""
    with db.transaction() as session:
        running = {(r.id, r.attempts): r.started_at for r in repo_jobs.running_runs(session)}
    if not running:
        return {}
    coord = Coordination(db)
    try:
        beats: dict[RunKey, tuple[datetime, str]] = {}
        if coord.exists():  # no sidecar yet: no run ever beat, and a look creates none
            with coord.transaction() as session:
                beats = repo_jobs.heartbeats(session, list(running))
    finally:
        coord.dispose()
    stale: dict[int, str] = {}
    for key, started in running.items():
        value, state = beats.get(key, (started, "missing"))
        if state == "dead" or now - value > stale_after:
            stale[key[0]] = (f"no heartbeat since {value.isoformat()}: "
                             "the process stopped before the run finished")
    return stale
