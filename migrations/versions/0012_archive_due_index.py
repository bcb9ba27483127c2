"""index for dead links awaiting an archive answer (state, archive outcome, retry time)

A check looks up, after every run, the dead links never asked about or whose
"retry" time has come; this index answers it without reading every dead link's row.

Revision ID: 0012
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_link_status_archive_due", "link_status",
                    ["state", "archive_outcome", "archive_retry_at"])


def downgrade() -> None:
    op.drop_index("ix_link_status_archive_due", table_name="link_status")
