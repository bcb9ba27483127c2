"""link_status.probed_hash: the page last judged alive beside an answered sibling probe

A check sends one made-up "sibling probe" URL per folder to unmask catch-all sites
(soft 404s). ``probed_hash`` holds the content hash of a page at the last check that
judged it OK beside a probe that got an HTTP answer; a page fetched again with that
very hash needs no probe. Existing rows start NULL: their next check probes as before.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("link_status", schema=None) as batch_op:
        batch_op.add_column(sa.Column("probed_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("link_status", schema=None) as batch_op:
        batch_op.drop_column("probed_hash")
