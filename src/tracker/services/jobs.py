"""Use case: run a job once, recording it; the task registry the scheduler and CLI share.

``run_job`` is the one function both ``tracker run TASK`` and the scheduler call
(as Miniflux shares one refresh function): it claims the run (a scheduled run is
claimed per trigger slot, so two schedulers never run one trigger twice), calls
the task, and records the outcome, counts and error. A task that raises is
recorded as ``failed`` and does not stop the caller; an interrupt (Ctrl-C,
SIGTERM) is recorded as ``interrupted`` and re-raised.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import time
import traceback
from pathlib import Path
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tracker.config import Settings
from tracker.db import repo_jobs
from tracker.db.session import Database
from tracker.db import UNAVAILABLE

from tracker.errors import ConfigError, DatabaseError, TrackerError

__all__ = ["Task", "TASKS", "RunOutcome", "run_job", "recent_runs", "holder_id", "counts_of"]

Task = Callable[[Database, Settings, dict[str, Any]], dict[str, Any]]


def holder_id() -> str:
    """Who is running: host and process id (shown when a lease or run is held)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def counts_of(value: Any) -> dict[str, Any]:
    """Numbers worth recording from a service's result (dataclass, dict or list of them)."""
    if isinstance(value, list):
        total: dict[str, Any] = {"items": len(value)}
        for entry in value:
            for key, number in counts_of(entry).items():
                if isinstance(number, int) and not isinstance(number, bool) and key != "items":
                    total[key] = total.get(key, 0) + number
        return total
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        return {k: v for k, v in value.items()
                if isinstance(v, (int, float, str)) and not isinstance(v, bool) and len(str(v)) < 200}
    return {}


# Each task imports its service when it runs: listing or scheduling jobs must not load
# every area (scikit-learn alone costs ~1 s of start-up).
def _import(db: Database, settings: Settings, options: dict[str, Any]) -> dict[str, Any]:
    from tracker.services.import_ import import_document

    location = options.get("path") or settings.document.location
    if not location:
        raise ConfigError("no document location: set [document] location to the handbook's folder")
    [result] = import_document(db, Path(location), settings)
    return {"created": int(result.created), "links": result.links, "label": result.label}


def _check(db: Database, settings: Settings, options: dict[str, Any]) -> dict[str, Any]:
    from tracker.services.linkcheck import check_links

    return counts_of(check_links(db, settings, all_links=bool(options.get("all", False))))


def _propose(db: Database, settings: Settings, options: dict[str, Any]) -> dict[str, Any]:
    from tracker.services.propose import propose

    return counts_of(propose(db, settings))


def _crawl(db: Database, settings: Settings, options: dict[str, Any]) -> dict[str, Any]:
    from tracker.services.crawl import crawl

    counts = counts_of(crawl(db, settings))
    counts.update({f"propose_{k}": v for k, v in _propose(db, settings, options).items()})
    return counts


def _weekly(db: Database, settings: Settings, options: dict[str, Any]) -> dict[str, Any]:
    from tracker.services.weekly import weekly

    return counts_of(weekly(db, settings, out_dir=options.get("out")))


TASKS: dict[str, Task] = {
    "import": _import,
    "check": _check,
    "crawl": _crawl,
    "propose": _propose,
    "weekly": _weekly,
}


@dataclass
class RunOutcome:
    """How one run ended. ``outcome``: ok, failed, skipped (already run) or interrupted."""

    job: str
    outcome: str
    slot: datetime | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    run_id: int | None = None


def run_job(db: Database, settings: Settings, job: str, task: str | None = None, *,
            slot: datetime | None = None, trigger: str = "manual", holder: str | None = None,
            options: dict[str, Any] | None = None, tasks: dict[str, Task] | None = None,
            sleep: Callable[[float], None] | None = None) -> RunOutcome:
    """Run ``task`` (default: the task named like the job) once and record it."""
    registry = TASKS if tasks is None else tasks
    name = task or job
    if name not in registry:
        raise ConfigError(f"unknown task {name!r}; known tasks: {', '.join(sorted(registry))}")
    who = holder or holder_id()
    run_id = _claim(db, settings, job, slot, trigger, who, sleep or time.sleep)
    if run_id is None:
        return RunOutcome(job, "skipped", slot, error="this trigger already ran")
    try:
        counts = registry[name](db, settings, dict(options or {}))
    except Exception as exc:  # a failing job is a result: recorded, and the caller goes on
        # tracker's own errors are sentences for the maintainer; anything else keeps its type
        message = str(exc) if isinstance(exc, TrackerError) else f"{type(exc).__name__}: {exc}"
        detail = message if isinstance(exc, TrackerError) else \
            "".join(traceback.format_exception_only(type(exc), exc)).strip()
        with db.transaction() as session:
            repo_jobs.finish_run(session, run_id, "failed", settings.now(), {}, detail or message)
        return RunOutcome(job, "failed", slot, error=message, run_id=run_id)
    except BaseException:
        with db.transaction() as session:
            repo_jobs.finish_run(session, run_id, "interrupted", settings.now(), {}, "interrupted")
        raise
    with db.transaction() as session:
        repo_jobs.finish_run(session, run_id, "ok", settings.now(), counts)
    return RunOutcome(job, "ok", slot, counts, run_id=run_id)


CLAIM_RETRIES = (0.5, 2.0, 5.0)


def _claim(db: Database, settings: Settings, job: str, slot: datetime | None, trigger: str, who: str,
           sleep: Callable[[float], None]) -> int | None:
    """Claim the run, retrying while the database is locked or unreachable."""
    for attempt, delay in enumerate((*CLAIM_RETRIES, None)):
        try:
            with db.transaction() as session:
                run = repo_jobs.claim_run(session, job, slot, trigger, who, settings.now())
                return run.id if run is not None else None
        except UNAVAILABLE as exc:
            if delay is None:
                raise DatabaseError(f"database unavailable for job {job} after {attempt + 1} attempts: "
                                    f"{str(getattr(exc, 'orig', exc)).strip().splitlines()[0]}") from None
            sleep(delay)
    return None  # pragma: no cover - the loop always returns or raises


def recent_runs(db: Database, limit: int = 20, job: str | None = None) -> list[dict[str, Any]]:
    """The latest runs, newest first (for ``tracker jobs``)."""
    with db.transaction() as session:
        return [dict(job=r.job, trigger=r.trigger, slot=r.slot, started_at=r.started_at,
                     finished_at=r.finished_at, outcome=r.outcome, counts=json.loads(r.counts or "{}"),
                     error=r.error, attempts=r.attempts)
                for r in repo_jobs.recent_runs(session, limit, job)]
