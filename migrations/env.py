"""Alembic environment: the connection (``Database.upgrade``, inside its upgrade lock) or
the engine comes from tracker (``Database``), else from its settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, Engine, create_engine

from tracker.config import load_settings
from tracker.db.models import Base

config = context.config
target_metadata = Base.metadata


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if isinstance(engine, Engine):
        return engine
    return create_engine(load_settings().database_url)


def _run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if isinstance(connection, Connection):
        # ``Database.upgrade``: a connection already in the transaction that holds the upgrade
        # lock; Alembic joins it (an external transaction) and the caller commits
        _run_on(connection)
        return
    with _engine().begin() as connection:
        _run_on(connection)


if context.is_offline_mode():  # pragma: no cover - tracker never runs offline migrations
    context.configure(url=load_settings().database_url, target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
