"""Queries for job runs and the scheduler lease (works the same on SQLite and PostgreSQL).

The lease is one row per name; taking it is a conditional UPDATE (holder is me,
or the lease expired) or, when no row exists, an INSERT that the primary key
makes exclusive. Claiming a scheduled run is an INSERT that the unique
(job, slot) constraint makes exclusive.
Does not run jobs or decide schedules.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.db.models_jobs import JobRun, SchedulerLease

LEASE = "scheduler"


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
    lease = session.get(SchedulerLease, LEASE)
    if lease is not None and lease.holder == holder:
        session.delete(lease)


def claim_run(session: Session, job: str, slot: datetime | None, trigger: str, holder: str,
              now: datetime) -> JobRun | None:
    """Start a run; ``None`` when this (job, slot) already ran or is running elsewhere.
    An ``interrupted`` slot (its process died) may be claimed again."""
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
               error: str = "") -> None:
    session.execute(update(JobRun).where(JobRun.id == run_id).values(
        outcome=outcome, finished_at=now, counts=json.dumps(counts, default=str, sort_keys=True),
        error=error[:4000]))


def mark_interrupted(session: Session, now: datetime) -> int:
    """Scheduled runs left ``running`` by a scheduler that died: ``interrupted`` (so their
    slot may run again). Only the lease holder calls this, so no other scheduler is
    running one; manual ``tracker run`` runs in other processes are left alone."""
    result = session.execute(update(JobRun).where(JobRun.outcome == "running", JobRun.trigger == "schedule")
                             .values(outcome="interrupted", finished_at=now,
                                     error="the process stopped before the run finished"))
    return int(result.rowcount)  # type: ignore[attr-defined]


def recent_runs(session: Session, limit: int, job: str | None = None) -> list[JobRun]:
    stmt = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
    if job:
        stmt = stmt.where(JobRun.job == job)
    return list(session.scalars(stmt))


def runs_of(session: Session, job: str) -> list[JobRun]:
    return list(session.scalars(select(JobRun).where(JobRun.job == job).order_by(JobRun.id)))
