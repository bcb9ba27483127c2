"""The exception tree of tracker, drawn in one place.

    TrackerError                  every error tracker raises on purpose; the CLI
    │                             prints ``Error: <message>`` and exits 1
    ├── ConfigError               a bad config file, env variable or option value
    ├── DatabaseError             the database cannot be opened, upgraded or queried
    │   └── SchemaDriftError      the models and the migrations disagree
    ├── InputError                bad user input (paths, ids, names, formats)
    │   ├── DocumentError         a document that cannot be read or parsed
    │   └── NotFoundError         a named thing (version, topic, candidate) does not exist
    ├── FetchError                an HTTP exchange that failed (carries ``error_class``)
    └── ConflictError             the action would contradict stored state
                                  (already decided, file changed on disk, lock held)

Per-item failures inside a batch (one dead link, one broken feed) are *results*,
not exceptions: they are recorded and the batch goes on.
"""

from __future__ import annotations

__all__ = [
    "TrackerError",
    "ConfigError",
    "DatabaseError",
    "SchemaDriftError",
    "InputError",
    "DocumentError",
    "NotFoundError",
    "FetchError",
    "ConflictError",
]


class TrackerError(Exception):
    """Base of every error tracker raises deliberately; ``str()`` is the user message."""


class ConfigError(TrackerError):
    """A configuration file, environment variable or option has a bad value."""


class DatabaseError(TrackerError):
    """The database cannot be opened, migrated or queried."""


class SchemaDriftError(DatabaseError):
    """The SQLAlchemy models and the Alembic migrations describe different schemas."""


class InputError(TrackerError):
    """The user asked for something that cannot be done with the input given."""


class DocumentError(InputError):
    """A document source that cannot be read or parsed."""


class NotFoundError(InputError):
    """A named version, topic, source or candidate does not exist."""


class FetchError(TrackerError):
    """An HTTP exchange failed; ``error_class`` names the failure (``timeout``, ``dns``…)."""

    def __init__(self, message: str, error_class: str = "error") -> None:
        super().__init__(message)
        self.error_class = error_class


class ConflictError(TrackerError):
    """The action contradicts stored state (already decided, changed on disk, lock held)."""
