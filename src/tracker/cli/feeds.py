"""Commands of the feeds area (filled in by that work)."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Add this area's commands to ``group``."""
