"""links: check runs, link observations, link status, archive lookups

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tracker.db.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC = tracker.db.base.UTCDateTime


def upgrade() -> None:
    op.create_table('check_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', UTC(), nullable=False),
    sa.Column('finished_at', UTC(), nullable=True),
    sa.Column('all_links', sa.Boolean(), nullable=False),
    sa.Column('inconclusive', sa.Boolean(), nullable=False),
    sa.Column('links', sa.Integer(), nullable=False),
    sa.Column('hosts', sa.Integer(), nullable=False),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.Column('network_failures', sa.Integer(), nullable=False),
    sa.Column('elapsed_ms', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_runs'))
    )
    op.create_table('link_observations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('observed_at', UTC(), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('final_url', sa.Text(), nullable=True),
    sa.Column('redirects', sa.Text(), nullable=False),
    sa.Column('error_class', sa.String(length=40), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('soft404', sa.Boolean(), nullable=False),
    sa.Column('suggested_url', sa.Text(), nullable=True),
    sa.Column('elapsed_ms', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=200), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('etag', sa.String(length=300), nullable=True),
    sa.Column('last_modified', sa.String(length=100), nullable=True),
    sa.Column('counted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_link_observations_resource_id_resources'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['check_runs.id'], name=op.f('fk_link_observations_run_id_check_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link_observations'))
    )
    with op.batch_alter_table('link_observations', schema=None) as batch_op:
        batch_op.create_index('ix_link_observations_resource_observed', ['resource_id', 'observed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_link_observations_run_id'), ['run_id'], unique=False)

    op.create_table('link_status',
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('previous_state', sa.String(length=20), nullable=True),
    sa.Column('state_since', UTC(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('final_url', sa.Text(), nullable=True),
    sa.Column('suggested_url', sa.Text(), nullable=True),
    sa.Column('soft404', sa.Boolean(), nullable=False),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('first_failure_at', UTC(), nullable=True),
    sa.Column('last_ok_at', UTC(), nullable=True),
    sa.Column('last_checked_at', UTC(), nullable=True),
    sa.Column('next_check_at', UTC(), nullable=True),
    sa.Column('elapsed_ms', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=200), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('etag', sa.String(length=300), nullable=True),
    sa.Column('last_modified', sa.String(length=100), nullable=True),
    sa.Column('archive_outcome', sa.String(length=20), nullable=True),
    sa.Column('archive_url', sa.Text(), nullable=True),
    sa.Column('archived_at', UTC(), nullable=True),
    sa.Column('archive_checked_at', UTC(), nullable=True),
    sa.Column('archive_retry_at', UTC(), nullable=True),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_link_status_resource_id_resources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('resource_id', name=op.f('pk_link_status'))
    )
    with op.batch_alter_table('link_status', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_link_status_next_check_at'), ['next_check_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_link_status_state'), ['state'], unique=False)

    op.create_table('archive_lookups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('requested_timestamp', sa.String(length=14), nullable=False),
    sa.Column('looked_up_at', UTC(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('archive_url', sa.Text(), nullable=True),
    sa.Column('archived_at', UTC(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_archive_lookups_resource_id_resources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_lookups'))
    )
    with op.batch_alter_table('archive_lookups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_archive_lookups_resource_id'), ['resource_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('archive_lookups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_archive_lookups_resource_id'))
    op.drop_table('archive_lookups')
    with op.batch_alter_table('link_status', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_link_status_state'))
        batch_op.drop_index(batch_op.f('ix_link_status_next_check_at'))
    op.drop_table('link_status')
    with op.batch_alter_table('link_observations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_link_observations_run_id'))
        batch_op.drop_index('ix_link_observations_resource_observed')
    op.drop_table('link_observations')
    op.drop_table('check_runs')
