"""Small helpers shared by tests (no fixtures here: see conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import func, select

from tracker.db.models import Base
from tracker.db.session import Database


def table_counts(db: Database) -> dict[str, int]:
    """Row count of every table: to prove a failed command changed nothing."""
    with db.engine.connect() as conn:
        return {name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in Base.metadata.tables.items()}


def copy_tree(src: Path, dst: Path) -> Path:
    """Copy a fixture folder into a test's tmp dir (fixtures are read-only, not ours)."""
    shutil.copytree(src, dst)
    return dst
