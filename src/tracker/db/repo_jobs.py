"""Queries for job runs, the schedule's state, the scheduler lease and run heartbeats
(the same on SQLite and PostgreSQL).

The lease is one row per name; taking it is a conditional UPDATE (holder is me,
or the lease expired) or, when no row exists, an INSERT that the primary key
makes exclusive. Claiming a scheduled run is an INSERT that the unique
(job, slot) constraint makes exclusive. A heartbeat is declared dead by a
compare-and-set on the very beat value the observer saw, so a beat that lands
first wins; a dead heartbeat can never beat again (the fence), and finishing a
run is conditional on the attempt and holder that claimed it.
Lease and heartbeat functions take a coordination session (``db.coord``), the rest
a database session. Does not run jobs, decide schedules or judge staleness.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.config import redact
from tracker.db.models_jobs import JobRun, RunHeartbeat, ScheduledJob, SchedulerLease

LEASE = "scheduler"
RunKey = tuple[int, int]  # (run id, attempt)


# -- the lease (coordination store) ---------------------------------------------
def acquire_lease(session: Session, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease; False when another live holder has it."""
    result = session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == LEASE,
               or_(SchedulerLease.holder == holder, SchedulerLease.expires_at < now))
        .values(holder=holder, acquired_at=now, expires_at=now + ttl)
        .execution_options(synchronize_session=False))
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return True
    if session.get(SchedulerLease, LEASE) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(SchedulerLease(name=LEASE, holder=holder, acquired_at=now, expires_at=now + ttl))
    except IntegrityError:
        return False
    return True


def lease_holder(session: Session) -> SchedulerLease | None:
    return session.get(SchedulerLease, LEASE)


def release_lease(session: Session, holder: str) -> None:
    session.execute(delete(SchedulerLease).where(SchedulerLease.name == LEASE, SchedulerLease.holder == holder))


# -- heartbeats (coordination store) --------------------------------------------
def start_heartbeat(session: Session, key: RunKey, holder: str, now: datetime) -> bool:
    """The first beat of an attempt; False when an observer already fenced it."""
    try:
        with session.begin_nested():
            session.add(RunHeartbeat(run_id=key[0], attempt=key[1], holder=holder, beat_at=now, state="live"))
    except IntegrityError:
        return False
    return True


def beat(session: Session, keys: list[RunKey], holder: str, now: datetime) -> list[RunKey]:
    """Beat ``keys``; returns those that were fenced (they may not beat any more)."""
    fenced = []
    for run_id, attempt in keys:
        result = session.execute(update(RunHeartbeat).where(
            RunHeartbeat.run_id == run_id, RunHeartbeat.attempt == attempt, RunHeartbeat.holder == holder,
            RunHeartbeat.state == "live").values(beat_at=now).execution_options(synchronize_session=False))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            fenced.append((run_id, attempt))
    return fenced


def end_heartbeat(session: Session, key: RunKey) -> None:
    session.execute(delete(RunHeartbeat).where(RunHeartbeat.run_id == key[0], RunHeartbeat.attempt == key[1]))


def heartbeats(session: Session, keys: list[RunKey]) -> dict[RunKey, tuple[datetime, str]]:
    """``(beat_at, state)`` of each key that has a heartbeat."""
    if not keys:
        return {}
    ids = sorted({k[0] for k in keys})
    rows = session.scalars(select(RunHeartbeat).where(RunHeartbeat.run_id.in_(ids)))
    wanted = set(keys)
    return {(r.run_id, r.attempt): (r.beat_at, r.state) for r in rows if (r.run_id, r.attempt) in wanted}


def fence(session: Session, key: RunKey, seen: datetime | None, holder: str, now: datetime) -> bool:
    """Declare an attempt dead if its heartbeat still shows ``seen`` (``None``: it never
    beat); True when this call fenced it. Its owner can never beat it again."""
    if seen is None:
        try:
            with session.begin_nested():
                session.add(RunHeartbeat(run_id=key[0], attempt=key[1], holder=f"fenced by {holder}"[:200],
                                         beat_at=now, state="dead"))
        except IntegrityError:
            return False
        return True
    result = session.execute(update(RunHeartbeat).where(
        RunHeartbeat.run_id == key[0], RunHeartbeat.attempt == key[1], RunHeartbeat.state == "live",
        RunHeartbeat.beat_at == seen).values(state="dead").execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


# -- runs -----------------------------------------------------------------------
def claim_run(session: Session, job: str, slot: datetime | None, trigger: str, holder: str,
              now: datetime) -> JobRun | None:
    """Start a run; ``None`` when this (job, slot) already ran or is running elsewhere.
    An ``interrupted`` slot (its process died) may be claimed again (a new attempt)."""
    try:
        with session.begin_nested():
            run = JobRun(job=job, slot=slot, trigger=trigger, started_at=now, outcome="running",
                         counts="{}", error="", holder=holder, attempts=1)
            session.add(run)
        return run
    except IntegrityError:
        pass
    if slot is None:  # pragma: no cover - NULL slots never collide
        return None
    retaken = session.execute(
        update(JobRun).where(JobRun.job == job, JobRun.slot == slot, JobRun.outcome == "interrupted")
        .values(outcome="running", started_at=now, finished_at=None, holder=holder, error="",
                attempts=JobRun.attempts + 1)
        .execution_options(synchronize_session=False))
    if retaken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.scalar(select(JobRun).where(JobRun.job == job, JobRun.slot == slot))


def finish_run(session: Session, run_id: int, outcome: str, now: datetime, counts: dict[str, Any],
               error: str = "", *, attempt: int | None = None, holder: str | None = None) -> bool:
    """Record how a run ended (error text redacted). With ``attempt`` and ``holder``, only
    if that attempt is still ours and running; False when it was fenced meanwhile."""
    stmt = update(JobRun).where(JobRun.id == run_id)
    if attempt is not None:
        stmt = stmt.where(JobRun.attempts == attempt, JobRun.outcome == "running")
    if holder is not None:
        stmt = stmt.where(JobRun.holder == holder)
    result = session.execute(stmt.values(
        outcome=outcome, finished_at=now, counts=json.dumps(counts, default=str, sort_keys=True),
        error=redact(error)[:4000]).execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def mark_interrupted(session: Session, key: RunKey, now: datetime, error: str) -> bool:
    """Mark one attempt ``interrupted`` (its slot may run again) if it is still running."""
    result = session.execute(update(JobRun).where(
        JobRun.id == key[0], JobRun.attempts == key[1], JobRun.outcome == "running").values(
        outcome="interrupted", finished_at=now, error=error).execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def running_runs(session: Session, job: str | None = None) -> list[JobRun]:
    stmt = select(JobRun).where(JobRun.outcome == "running").order_by(JobRun.id)
    if job is not None:
        stmt = stmt.where(JobRun.job == job)
    return list(session.scalars(stmt))


def recent_runs(session: Session, limit: int, job: str | None = None) -> list[JobRun]:
    stmt = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
    if job:
        stmt = stmt.where(JobRun.job == job)
    return list(session.scalars(stmt))


def runs_of(session: Session, job: str) -> list[JobRun]:
    return list(session.scalars(select(JobRun).where(JobRun.job == job).order_by(JobRun.id)))


# -- the schedule's state ---------------------------------------------------------
def schedule_state(session: Session) -> dict[str, tuple[str, datetime | None]]:
    """Each stored job's trigger text and next fire time."""
    return {j.name: (j.trigger, j.next_fire_at) for j in session.scalars(select(ScheduledJob))}


def save_schedule(session: Session, name: str, trigger: str, next_fire_at: datetime | None) -> None:
    job = session.get(ScheduledJob, name)
    if job is None:
        session.add(ScheduledJob(name=name, trigger=trigger, next_fire_at=next_fire_at))
    else:
        job.trigger, job.next_fire_at = trigger, next_fire_at


def drop_schedule(session: Session, names: list[str]) -> None:
    if names:
        session.execute(delete(ScheduledJob).where(ScheduledJob.name.in_(names)))
