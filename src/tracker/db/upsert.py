"""Dialect-aware ``INSERT … ON CONFLICT`` for the repositories (SQLite and PostgreSQL).

Owns: ``insert_for(session, model)``, the one place that picks SQLAlchemy's
SQLite or PostgreSQL ``insert`` (both have ``on_conflict_do_nothing`` /
``on_conflict_do_update`` with the same arguments), so an "insert if absent" is
one statement that two concurrent writers can both run without a duplicate-key
error. Does not own any query.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

__all__ = ["insert_for"]


def insert_for(session: Session, model: Any) -> Any:
    """An ``insert(model)`` that understands ``on_conflict_do_*`` on this session's database."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":  # imported on first use: SQLite never loads it (~40 ms)
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(model)
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(model)
    raise NotImplementedError(f"no upsert for the {dialect} dialect")
