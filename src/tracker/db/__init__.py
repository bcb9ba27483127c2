"""The only package that imports SQLAlchemy: models, sessions, migrations, queries.
Services name sessions and errors through this package (``Session``, ``IntegrityError``,
``UNAVAILABLE``, ``UNSTORABLE``), never through SQLAlchemy itself.

Owns: the schema (``models_*`` modules on one ``Base``), engine and session
creation, running Alembic, and the repository functions services call; also
``glance``, the plain DB-API look at a check with nothing due, which must not import
SQLAlchemy — so this package imports it only when one of the names above is first
asked for.
Does not own: HTTP, parsing or any decision about links, feeds or candidates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm import Session

    #: the database is locked or unreachable (worth retrying later)
    UNAVAILABLE: tuple[type[Exception], ...]
    #: a value the database or its driver refuses (out of range, NUL in text, unencodable)
    UNSTORABLE: tuple[type[Exception], ...]

__all__ = ["Session", "IntegrityError", "UNAVAILABLE", "UNSTORABLE"]


def __getattr__(name: str) -> Any:
    """``Session``, ``IntegrityError``, ``UNAVAILABLE`` (the database is locked or
    unreachable: worth retrying later) and ``UNSTORABLE`` (a value the database or its
    driver refuses), from SQLAlchemy on first use."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
    from sqlalchemy.orm import Session

    values: dict[str, Any] = {"Session": Session, "IntegrityError": IntegrityError,
                              "UNAVAILABLE": (OperationalError, InterfaceError),
                              "UNSTORABLE": (DataError, OverflowError, UnicodeEncodeError)}
    globals().update(values)
    return values[name]
