"""concurrent writers: link_claims, and a claim on each feed source's poll

``link_claims`` holds a check run's lease on each link it is fetching;
``feed_sources.claimed_by``/``claimed_until`` hold a crawl's lease on a source's
poll. Two runs started together skip what the other holds.

Revision ID: 0013
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tracker.db.base

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_claims",
        sa.Column("resource_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=False),
        sa.Column("claimed_until", tracker.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["resource_id"], ["resources.id"],
                                name=op.f("fk_link_claims_resource_id_resources"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("resource_id", name=op.f("pk_link_claims")),
    )
    op.create_index(op.f("ix_link_claims_claimed_by"), "link_claims", ["claimed_by"], unique=False)
    with op.batch_alter_table("feed_sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", tracker.db.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feed_sources", schema=None) as batch_op:
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claimed_by")
    op.drop_index(op.f("ix_link_claims_claimed_by"), table_name="link_claims")
    op.drop_table("link_claims")
