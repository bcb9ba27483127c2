"""The only package that imports SQLAlchemy: models, sessions, migrations, queries.
Services name sessions and errors through this package (``Session``, ``IntegrityError``,
``UNAVAILABLE``), never through SQLAlchemy itself.

Owns: the schema (``models_*`` modules on one ``Base``), engine and session
creation, running Alembic, and the repository functions services call.
Does not own: HTTP, parsing or any decision about links, feeds or candidates.
"""

from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

__all__ = ["Session", "IntegrityError", "UNAVAILABLE"]

#: the database is locked or unreachable (worth retrying later)
UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
