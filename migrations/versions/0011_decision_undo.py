"""decisions remember what they replaced, so they can be undone

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tracker.db.base

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("candidate_decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("before", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("undone_at", tracker.db.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("candidate_decisions", schema=None) as batch_op:
        batch_op.drop_column("undone_at")
        batch_op.drop_column("before")
