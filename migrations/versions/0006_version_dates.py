"""document versions ordered by their own date; git path; unique labels

Adds ``document_versions.document_date`` (the version's own date), ``dated_by``
(``commit`` / ``name`` / ``import``) and ``git_path`` (the document's folder or file
inside its git repository). Existing rows are backfilled — a commit date where the
version came from git, else the date already recorded from a dated folder name or a
date in the label, else the import time — and ``seq`` is renumbered so that it
follows those dates instead of the import order. ``git_path`` stays empty (NULL) for
existing rows: their path was not recorded; a NULL path matches any path of the same
commit, so re-importing an old commit still finds it.

The columns are nullable so that SQLite can add them without rebuilding the table
(a rebuild would cascade-delete every placement while foreign keys are on).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

import tracker.db.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def _date_in_name(name: str) -> datetime | None:
    for m in _DATE_IN_NAME.finditer(name):
        try:
            return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


def _dating(commit: str | None, committed_at: datetime | None, imported_at: datetime,
            label: str) -> tuple[datetime, str]:
    if commit and committed_at:
        return committed_at, "commit"
    if committed_at and label.endswith("+local"):  # local edits on top of a commit
        return max(committed_at, imported_at), "import"
    if committed_at:  # before 0006 a dated folder's name date was stored here
        return committed_at, "name"
    named = _date_in_name(label)
    if named and named.date() != imported_at.date():  # not just the import day as a label
        return named, "name"
    return imported_at, "import"


def upgrade() -> None:
    with op.batch_alter_table("document_versions", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("document_date", tracker.db.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("dated_by", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("git_path", sa.Text(), nullable=True))

    table = sa.table("document_versions", sa.column("id", sa.Integer()), sa.column("document_id", sa.Integer()),
                     sa.column("seq", sa.Integer()), sa.column("label", sa.String()),
                     sa.column("commit", sa.String()),
                     sa.column("committed_at", tracker.db.base.UTCDateTime()),
                     sa.column("imported_at", tracker.db.base.UTCDateTime()),
                     sa.column("document_date", tracker.db.base.UTCDateTime()),
                     sa.column("dated_by", sa.String()))
    bind = op.get_bind()
    rows = bind.execute(sa.select(table.c.id, table.c.document_id, table.c.label, table.c.commit,
                                  table.c.committed_at, table.c.imported_at)).all()
    by_document: dict[int, list[tuple[tuple[datetime, datetime, int], int]]] = {}
    for vid, doc, label, commit, committed_at, imported_at in rows:
        when, source = _dating(commit, committed_at, imported_at, label)
        bind.execute(table.update().where(table.c.id == vid).values(document_date=when, dated_by=source))
        key = (when, _date_in_name(label) or when, vid)
        by_document.setdefault(doc, []).append((key, vid))
    for doc, versions in by_document.items():
        # two steps, so that (document_id, seq) stays unique after every statement
        bind.execute(table.update().where(table.c.document_id == doc).values(seq=-table.c.id))
        for seq, (_key, vid) in enumerate(sorted(versions), start=1):
            bind.execute(table.update().where(table.c.id == vid).values(seq=seq))

    op.create_index("uq_document_versions_label", "document_versions", ["document_id", "label"], unique=True)
    op.create_index("uq_document_versions_commit_path", "document_versions",
                    ["document_id", "commit", "git_path"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_document_versions_commit_path", table_name="document_versions")
    op.drop_index("uq_document_versions_label", table_name="document_versions")
    for column in ("git_path", "dated_by", "document_date"):  # native DROP COLUMN: no table rebuild
        op.execute(f"ALTER TABLE document_versions DROP COLUMN {column}")
