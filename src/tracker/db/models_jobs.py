"""Schema for scheduled work: job runs, the schedule's state, leases and heartbeats.

``job_runs`` records every run (manual or scheduled): one row per (job, slot),
where the slot is the trigger time a scheduled run belongs to, so two schedulers
can never both run one trigger. ``scheduled_jobs`` holds each job's trigger and
next fire time (so a restart catches up a missed slot once).

The *coordination* tables, ``scheduler_lease`` (one active scheduler per database)
and ``run_heartbeats`` (a live run's pulse, and its fence once declared dead), are
written in short transactions that must never queue behind a job's long write: on
PostgreSQL they live in the database itself (row locks do not conflict), on SQLite
in a sidecar file next to it (``tracker.db-coord``, see ``db.coord``), because SQLite
has one writer per file.
Does not define queries (``repo_jobs``) or decide anything.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db.base import Base, UTCDateTime


class JobRun(Base):
    """One run of a job: when, how it ended, what it counted, what went wrong."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "slot"), Index("ix_job_runs_job_started", "job", "started_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(100))
    slot: Mapped[datetime | None] = mapped_column(UTCDateTime())
    trigger: Mapped[str] = mapped_column(String(20))  # "schedule" or "manual"
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(20))  # running, ok, failed, interrupted
    counts: Mapped[str] = mapped_column(Text, default="{}")
    error: Mapped[str] = mapped_column(Text, default="")
    holder: Mapped[str] = mapped_column(String(200), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=1)


class SchedulerLease(Base):
    """Who may run the scheduler against this database, until when."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ScheduledJob(Base):
    """One job of the schedule: its trigger (as text, to notice a change) and next fire time."""

    __tablename__ = "scheduled_jobs"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    trigger: Mapped[str] = mapped_column(Text, default="")
    next_fire_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RunHeartbeat(Base):
    """The pulse of one attempt of a run: ``live`` while its process beats, ``dead`` once
    another process fenced it (the owner can then never beat again)."""

    __tablename__ = "run_heartbeats"

    run_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    attempt: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    holder: Mapped[str] = mapped_column(String(200))
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(10), default="live")


#: the tables the coordination store holds (the sidecar file on SQLite)
COORDINATION_TABLES: tuple[Table, ...] = (SchedulerLease.__table__, RunHeartbeat.__table__)  # type: ignore[assignment]
