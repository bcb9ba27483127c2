"""Schema for the links issue's tables (filled in by that work; empty until then)."""

from __future__ import annotations

from tracker.db.base import Base  # noqa: F401  (models declared here register on Base)
