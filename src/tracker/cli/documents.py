"""Commands of the document area: ``db upgrade|check``, ``import``, ``topics``, ``resources``, ``versions``."""

from __future__ import annotations

import click

from tracker.cli.common import Runtime, emit, format_option, info, pass_runtime
from tracker.db.session import open_database


@click.group("db")
def db_group() -> None:
    """Manage the database schema.

    \b
    Example:
      tracker --db sqlite:///tracker.db db upgrade
    """


@db_group.command("upgrade")
@pass_runtime
def db_upgrade(rt: Runtime) -> None:
    """Apply every pending migration.

    \b
    Example:
      tracker db upgrade
    """
    db = open_database(rt.settings.database_url, ensure_schema=False)
    try:
        db.upgrade()
        info(f"database at revision {db.current_revision()}")
    finally:
        db.dispose()


@db_group.command("check")
@pass_runtime
def db_check(rt: Runtime) -> None:
    """Fail when the models and the migrations describe different schemas.

    \b
    Example:
      tracker db check
    """
    db = open_database(rt.settings.database_url, ensure_schema=False)
    try:
        db.check()
        info(f"schema matches the models (revision {db.current_revision()})")
    finally:
        db.dispose()


def register(group: click.Group) -> None:
    """Add the document commands to ``group``."""
    group.add_command(db_group)
