"""scheduler without APScheduler's job store: scheduled_jobs, run_heartbeats

``apscheduler_jobs`` (a pickled APScheduler job per row) gives way to
``scheduled_jobs`` (trigger text and next fire time); each job's next fire time is
carried over so a stopped scheduler still catches up its missed slot once.
``run_heartbeats`` holds each running attempt's pulse.

Revision ID: 0010
Revises: 0012
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

import tracker.db.base

revision = "0010"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    scheduled = op.create_table(
        "scheduled_jobs",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("trigger", sa.Text(), nullable=False),
        sa.Column("next_fire_at", tracker.db.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduled_jobs")),
    )
    op.create_table(
        "run_heartbeats",
        sa.Column("run_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("attempt", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("beat_at", tracker.db.base.UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "attempt", name=op.f("pk_run_heartbeats")),
    )
    rows = op.get_bind().execute(sa.text("SELECT id, next_run_time FROM apscheduler_jobs")).all()
    if rows:  # an empty trigger means "keep this next fire time, whatever the trigger"
        op.bulk_insert(scheduled, [
            {"name": name, "trigger": "",
             "next_fire_at": None if when is None else datetime.fromtimestamp(when, timezone.utc)}
            for name, when in rows])
    op.drop_index(op.f("ix_apscheduler_jobs_next_run_time"), table_name="apscheduler_jobs")
    op.drop_table("apscheduler_jobs")


def downgrade() -> None:
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(length=191), nullable=False),
        sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apscheduler_jobs")),
    )
    op.create_index(op.f("ix_apscheduler_jobs_next_run_time"), "apscheduler_jobs", ["next_run_time"], unique=False)
    op.drop_table("run_heartbeats")
    op.drop_table("scheduled_jobs")
