"""Schema for scheduled work: job runs, the scheduler lease, APScheduler's job store table.

``job_runs`` records every run (manual or scheduled): one row per (job, slot),
where the slot is the trigger time a scheduled run belongs to, so two schedulers
can never both run one trigger. ``scheduler_lease`` lets one scheduler be active
per database. ``apscheduler_jobs`` is APScheduler 3's SQLAlchemyJobStore table,
declared here (same columns) so Alembic owns it and ``db check`` sees it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, LargeBinary, String, Text, Unicode, UniqueConstraint
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


class APSchedulerJob(Base):
    """APScheduler 3's job store table (``SQLAlchemyJobStore(tablename="apscheduler_jobs")``)."""

    __tablename__ = "apscheduler_jobs"

    id: Mapped[str] = mapped_column(Unicode(191), primary_key=True)
    next_run_time: Mapped[float | None] = mapped_column(Float(25), index=True)
    job_state: Mapped[bytes] = mapped_column(LargeBinary)
