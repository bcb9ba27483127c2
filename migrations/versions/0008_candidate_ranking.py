"""candidate ranking: priority, rank within the week, explainable signals; calibrated thresholds

Revision ID: 0008
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tracker.db.base

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Float(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("rank", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("signals", sa.JSON(), nullable=False, server_default="{}"))
    op.create_table(
        "topic_calibrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("computed_at", tracker.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["document_versions.id"],
                                name=op.f("fk_topic_calibrations_version_id_document_versions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topic_calibrations")),
        sa.UniqueConstraint("version_id", name=op.f("uq_topic_calibrations_version_id")),
    )


def downgrade() -> None:
    op.drop_table("topic_calibrations")
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.drop_column("signals")
        batch_op.drop_column("rank")
        batch_op.drop_column("priority")
