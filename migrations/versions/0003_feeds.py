"""feeds: sources, feed items, item-source links

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tracker.db.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC = tracker.db.base.UTCDateTime


def upgrade() -> None:
    op.create_table('feed_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('target', sa.Text(), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('origin', sa.String(length=200), nullable=False),
    sa.Column('feed_title', sa.Text(), nullable=False),
    sa.Column('etag', sa.Text(), nullable=True),
    sa.Column('last_modified', sa.Text(), nullable=True),
    sa.Column('validated_error', sa.Text(), nullable=False),
    sa.Column('consecutive_errors', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('last_error_at', UTC(), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_outcome', sa.String(length=20), nullable=False),
    sa.Column('bozo', sa.Text(), nullable=False),
    sa.Column('parked_at', UTC(), nullable=True),
    sa.Column('last_polled_at', UTC(), nullable=True),
    sa.Column('last_success_at', UTC(), nullable=True),
    sa.Column('next_poll_at', UTC(), nullable=True),
    sa.Column('retry_until', UTC(), nullable=True),
    sa.Column('created_at', UTC(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_sources')),
    sa.UniqueConstraint('name', name=op.f('uq_feed_sources_name'))
    )
    op.create_table('feed_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('canonical_id', sa.String(length=2048), nullable=False),
    sa.Column('canonical_url', sa.String(length=2048), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('authors', sa.JSON(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('published_at', UTC(), nullable=True),
    sa.Column('updated_at', UTC(), nullable=True),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('primary_category', sa.String(length=40), nullable=False),
    sa.Column('announce_type', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('doi', sa.String(length=200), nullable=False),
    sa.Column('channel_id', sa.String(length=40), nullable=False),
    sa.Column('authority', sa.Integer(), nullable=False),
    sa.Column('in_document', sa.Boolean(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=True),
    sa.Column('first_source_id', sa.Integer(), nullable=True),
    sa.Column('first_seen_at', UTC(), nullable=False),
    sa.Column('last_seen_at', UTC(), nullable=False),
    sa.Column('changed_at', UTC(), nullable=True),
    sa.ForeignKeyConstraint(['first_source_id'], ['feed_sources.id'], name=op.f('fk_feed_items_first_source_id_feed_sources'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_feed_items_resource_id_resources'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_items')),
    sa.UniqueConstraint('canonical_id', name=op.f('uq_feed_items_canonical_id'))
    )
    with op.batch_alter_table('feed_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_items_canonical_url'), ['canonical_url'], unique=False)
        batch_op.create_index(batch_op.f('ix_feed_items_first_seen_at'), ['first_seen_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_feed_items_in_document'), ['in_document'], unique=False)
        batch_op.create_index(batch_op.f('ix_feed_items_resource_id'), ['resource_id'], unique=False)

    op.create_table('feed_item_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('guid', sa.Text(), nullable=False),
    sa.Column('guid_hash', sa.String(length=64), nullable=False),
    sa.Column('first_seen_at', UTC(), nullable=False),
    sa.Column('last_seen_at', UTC(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['feed_items.id'], name=op.f('fk_feed_item_sources_item_id_feed_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['feed_sources.id'], name=op.f('fk_feed_item_sources_source_id_feed_sources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_item_sources')),
    sa.UniqueConstraint('item_id', 'source_id', name=op.f('uq_feed_item_sources_item_id_source_id'))
    )
    with op.batch_alter_table('feed_item_sources', schema=None) as batch_op:
        batch_op.create_index('ix_feed_item_sources_source_guid', ['source_id', 'guid_hash'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('feed_item_sources', schema=None) as batch_op:
        batch_op.drop_index('ix_feed_item_sources_source_guid')

    op.drop_table('feed_item_sources')
    with op.batch_alter_table('feed_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feed_items_resource_id'))
        batch_op.drop_index(batch_op.f('ix_feed_items_in_document'))
        batch_op.drop_index(batch_op.f('ix_feed_items_first_seen_at'))
        batch_op.drop_index(batch_op.f('ix_feed_items_canonical_url'))

    op.drop_table('feed_items')
    op.drop_table('feed_sources')
