"""candidates and decisions

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tracker.db.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("canonical_url", sa.String(length=2048), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("scored_version_id", sa.Integer(), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.Column("created_at", tracker.db.base.UTCDateTime(), nullable=False),
        sa.Column("decided_at", tracker.db.base.UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"],
                                name=op.f("fk_candidates_document_id_documents"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["duplicate_of_id"], ["candidates.id"],
                                name=op.f("fk_candidates_duplicate_of_id_candidates"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["item_id"], ["feed_items.id"],
                                name=op.f("fk_candidates_item_id_feed_items"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["resource_id"], ["resources.id"],
                                name=op.f("fk_candidates_resource_id_resources"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["scored_version_id"], ["document_versions.id"],
                                name=op.f("fk_candidates_scored_version_id_document_versions"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"],
                                name=op.f("fk_candidates_topic_id_topics"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidates")),
        sa.UniqueConstraint("document_id", "item_id", name=op.f("uq_candidates_document_id_item_id")),
    )
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_candidates_canonical_url"), ["canonical_url"], unique=False)
        batch_op.create_index("ix_candidates_document_status_week", ["document_id", "status", "week"],
                              unique=False)

    op.create_table(
        "candidate_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=True),
        sa.Column("topic_slug", sa.String(length=200), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("decided_at", tracker.db.base.UTCDateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidates.id"],
                                name=op.f("fk_candidate_decisions_candidate_id_candidates"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"],
                                name=op.f("fk_candidate_decisions_topic_id_topics"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate_decisions")),
    )
    with op.batch_alter_table("candidate_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_candidate_decisions_candidate_id"), ["candidate_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("candidate_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidate_decisions_candidate_id"))
    op.drop_table("candidate_decisions")
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.drop_index("ix_candidates_document_status_week")
        batch_op.drop_index(batch_op.f("ix_candidates_canonical_url"))
    op.drop_table("candidates")
