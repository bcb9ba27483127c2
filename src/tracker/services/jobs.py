"""Use case: run a job once, recording it; the task registry the scheduler and CLI share.

``run_job`` is the one function both ``tracker run TASK`` and the scheduler call
(as Miniflux shares one refresh function): it claims the run (a scheduled run is
claimed per trigger slot, so two schedulers never run one trigger twice), beats
its heartbeat while the task runs (``services.heartbeat``), and records the
outcome, counts and error (redacted). A task that raises is recorded as
``failed`` and does not stop the caller; an interrupt (Ctrl-C, SIGTERM) is
recorded as ``interrupted`` and re-raised. A locked or unreachable database is
retried with backoff and a log line at every step.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from tracker.config import Settings, redact
from tracker.db import UNAVAILABLE, repo_jobs
from tracker.db.coord import Coordination
from tracker.db.repo_jobs import RunKey
from tracker.db.session import Database
from tracker.services.heartbeat import Pulse, stale_runs

from tracker.errors import ConfigError, DatabaseError, TrackerError

__all__ = ["Task", "TASKS", "RunOutcome", "run_job", "recent_runs", "holder_id", "counts_of",
           "heartbeat_interval", "stale_after"]

log = logging.getLogger("tracker.jobs")

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
    from tracker.services.document_source import location_source
    from tracker.services.import_ import import_document

    location = options.get("path") or settings.document.location
    if not location:
        raise ConfigError("no document location: set [document] location to the handbook's folder")
    [result] = import_document(db, location_source(str(location)), settings)
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


CLAIM_RETRIES = (0.5, 2.0, 5.0)
# finishing waits longer: the work is done and only its record is missing (the pulse goes on)
FINISH_RETRIES = (0.5, 2.0, 5.0, 10.0, 20.0, 30.0, 30.0, 60.0, 60.0, 120.0, 120.0, 300.0)


#: each next step a service's refusal can suggest (``tracker.errors.NEXT_STEPS``), worded for
#: the record of a job: a job runs unattended from the configuration, so its step is there or
#: a command to run by hand (``tracker jobs``, the scheduler's log and ``tracker run`` show it)
NEXT_STEPS = {
    "undo": "to change it, first `tracker candidates undo {candidate}`",
    "choose_topic": "{action} it with `tracker candidates {action} --topic SLUG`",
    "list_topics": "see `tracker topics`",
    "list_candidates": "see `tracker queue`",
    "reload": "see `tracker queue`",
    "list_sources": "see `tracker sources list`",
    "choose_document": "choose one with [document] name in the configuration (TRACKER_DOCUMENT__NAME)",
    "pending": "import another version, or see `tracker changelog --pending`",
}


def job_error_text(exc: TrackerError) -> str:
    """What a job's record says of ``exc``: its message and, when it suggests a next step, that
    step as the maintainer reading the record takes it."""
    return exc.worded(NEXT_STEPS)


def heartbeat_interval(settings: Settings) -> float:
    """Seconds between two beats (and lease renewals): a third of the lease."""
    return settings.scheduler.lease_seconds / 3


def stale_after(settings: Settings) -> timedelta:
    """How long a run's heartbeat may stand still before it is considered dead: two leases."""
    return timedelta(seconds=2 * settings.scheduler.lease_seconds)


def run_job(db: Database, settings: Settings, job: str, task: str | None = None, *,
            slot: datetime | None = None, trigger: str = "manual", holder: str | None = None,
            options: dict[str, Any] | None = None, tasks: dict[str, Task] | None = None,
            sleep: Callable[[float], None] | None = None, pulse: Pulse | None = None) -> RunOutcome:
    """Run ``task`` (default: the task named like the job) once and record it.

    The run beats a heartbeat while its task runs: ``pulse`` (the scheduler's, which its
    own thread beats) or one made here with a thread of its own (``tracker run``)."""
    registry = TASKS if tasks is None else tasks
    name = task or job
    if name not in registry:
        raise ConfigError(f"unknown task {name!r}; known tasks: {', '.join(sorted(registry))}")
    who = holder or holder_id()
    wait = sleep or (lambda seconds: time.sleep(seconds))
    claimed = _retrying(f"job {job}", CLAIM_RETRIES, wait,
                        lambda: _claim(db, settings, job, slot, trigger, who))
    if claimed is None:
        return RunOutcome(job, "skipped", slot, error="this trigger already ran")
    own = pulse is None
    beats = pulse or Pulse(Coordination(db), who, settings.now)
    try:
        try:
            started = _retrying(f"the heartbeat of job {job}", CLAIM_RETRIES, wait, lambda: beats.add(claimed))
        except DatabaseError:
            _record(db, claimed, who, "interrupted", settings.now(), {}, "could not start its heartbeat", wait,
                    CLAIM_RETRIES)
            raise
        if not started:
            return RunOutcome(job, "skipped", slot, error="declared dead before it started", run_id=claimed[0])
        if own:
            beats.start(heartbeat_interval(settings))
        try:
            counts = registry[name](db, settings, dict(options or {}))
        except Exception as exc:  # a failing job is a result: recorded, and the caller goes on
            # tracker's own errors are sentences for the maintainer; anything else keeps its type
            message = redact(job_error_text(exc) if isinstance(exc, TrackerError) else f"{type(exc).__name__}: {exc}")
            detail = message if isinstance(exc, TrackerError) else \
                "".join(traceback.format_exception_only(type(exc), exc)).strip()
            _record(db, claimed, who, "failed", settings.now(), {}, detail or message, wait, FINISH_RETRIES)
            return RunOutcome(job, "failed", slot, error=message, run_id=claimed[0])
        except BaseException:
            with contextlib.suppress(Exception):
                _record(db, claimed, who, "interrupted", settings.now(), {}, "interrupted", wait, ())
            raise
        _record(db, claimed, who, "ok", settings.now(), counts, "", wait, FINISH_RETRIES)
        return RunOutcome(job, "ok", slot, counts, run_id=claimed[0])
    finally:
        if own:
            beats.stop()
        beats.remove(claimed)
        if own:
            beats.coord.dispose()


T = TypeVar("T")


def _retrying(what: str, delays: tuple[float, ...], sleep: Callable[[float], None], call: Callable[[], T]) -> T:
    """``call()``, retried after each delay while the database is locked or unreachable."""
    for attempt, delay in enumerate((*delays, None)):
        try:
            return call()
        except UNAVAILABLE as exc:
            if delay is None:
                raise DatabaseError(f"database unavailable for {what} after {attempt + 1} attempts: "
                                    f"{redact(str(getattr(exc, 'orig', exc)).strip().splitlines()[0])}") from None
            log.warning("database unavailable for %s, retrying in %.1f s: %s", what, delay,
                        redact(str(getattr(exc, "orig", exc)).strip().splitlines()[0]))
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def _claim(db: Database, settings: Settings, job: str, slot: datetime | None, trigger: str,
           who: str) -> RunKey | None:
    with db.transaction() as session:
        run = repo_jobs.claim_run(session, job, slot, trigger, who, settings.now())
        return (run.id, run.attempts) if run is not None else None


def _record(db: Database, key: RunKey, who: str, outcome: str, now: datetime, counts: dict[str, Any],
            error: str, sleep: Callable[[float], None], delays: tuple[float, ...]) -> None:
    def finish() -> bool:
        with db.transaction() as session:
            return repo_jobs.finish_run(session, key[0], outcome, now, counts, error, attempt=key[1], holder=who)

    if not _retrying(f"recording run {key[0]}", delays, sleep, finish):
        log.error("run %s was declared dead and taken over while it ran; its outcome (%s) is not recorded",
                  key[0], outcome)


def recent_runs(db: Database, limit: int = 20, job: str | None = None,
                settings: Settings | None = None) -> list[dict[str, Any]]:
    """The latest runs, newest first (for ``tracker jobs``); errors redacted. With
    ``settings``, a ``running`` run whose heartbeat is stale shows as ``interrupted``."""
    with db.transaction() as session:
        rows = [dict(id=r.id, job=r.job, trigger=r.trigger, slot=r.slot, started_at=r.started_at,
                     finished_at=r.finished_at, outcome=r.outcome, counts=json.loads(r.counts or "{}"),
                     error=redact(r.error), attempts=r.attempts)
                for r in repo_jobs.recent_runs(session, limit, job)]
    if settings is not None and any(r["outcome"] == "running" for r in rows):
        stale = stale_runs(db, settings.now(), stale_after(settings))
        for row in rows:
            if row["outcome"] == "running" and row["id"] in stale:
                row.update(outcome="interrupted", error=stale[row["id"]])
    for row in rows:
        del row["id"]
    return rows
