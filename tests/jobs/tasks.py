"""Fake tasks for scheduler tests: they record each call in the database's job_runs
(through run_job) and, when asked, move the fake clock, fail or block."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any

from tracker.config import Settings
from tracker.db.session import Database


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Recorder:
    """A task registry whose tasks count calls and can misbehave on demand."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.calls: list[tuple[str, datetime]] = []
        self.clock = clock
        self.fail_next: set[str] = set()
        self.run_for: dict[str, timedelta] = {}
        self.active = 0
        self.max_active = 0
        self.lock = threading.Lock()

    def task(self, name: str) -> Any:
        def run(db: Database, settings: Settings, options: dict[str, Any]) -> dict[str, Any]:
            with self.lock:
                self.active += 1
                self.max_active = max(self.max_active, self.active)
            try:
                self.calls.append((name, settings.now()))
                if name in self.fail_next:
                    self.fail_next.discard(name)
                    raise RuntimeError(f"{name} exploded")
                if self.clock is not None and name in self.run_for:
                    self.clock.now += self.run_for[name]  # the job takes this long
                return {"calls": len(self.calls)}
            finally:
                with self.lock:
                    self.active -= 1
        return run

    def registry(self, *names: str) -> dict[str, Any]:
        return {n: self.task(n) for n in names}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)  # type: ignore[misc]
