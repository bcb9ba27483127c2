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

A refusal's next step is not part of its message: the services are shared by the
command line and the web page, and "run `tracker candidates undo 12`" is the wrong
advice to someone clicking buttons. ``str(exc)`` is a sentence any shell can show;
``exc.hint`` (a ``Hint``: one of ``NEXT_STEPS`` and its arguments) names the step,
and each shell words it as its own command, button or key (``cli.common.error_text``,
``web.app.error_text``). A next step only the command line can take (import a
document, upgrade the schema) may stay in the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "Hint",
    "NEXT_STEPS",
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


#: the next steps a refusal can suggest, and the arguments each one takes; every shell
#: words each of them (a test holds both shells to this list)
NEXT_STEPS: dict[str, tuple[str, ...]] = {
    "undo": ("candidate",),          # undo candidate N's decision before changing it
    "choose_topic": ("action",),     # give a chapter, then accept or move again
    "list_topics": (),               # the chapters there are to choose from
    "list_candidates": (),           # the candidates there are
    "reload": (),                    # see what changed meanwhile (someone else decided)
    "list_sources": (),              # the feed sources there are
    "choose_document": (),           # name the document (several are stored)
    "pending": (),                   # import another version, or read the pending changes
}


@dataclass(frozen=True)
class Hint:
    """The next step a refusal suggests: ``action`` (a key of ``NEXT_STEPS``) and its ``args``."""

    action: str
    args: Mapping[str, str | int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.action not in NEXT_STEPS or set(self.args) != set(NEXT_STEPS[self.action]):
            raise ValueError(f"no next step {self.action!r} with arguments {sorted(self.args)}")


class TrackerError(Exception):
    """Base of every error tracker raises deliberately; ``str()`` is the user message, whatever
    the shell; ``hint``, when given, the next step for each shell to word (see ``Hint``)."""

    def __init__(self, *args: object, hint: Hint | None = None) -> None:
        super().__init__(*args)
        self.hint = hint

    def worded(self, steps: Mapping[str, str]) -> str:
        """The message and, when a next step is suggested, that step in one shell's words
        (``steps``: each of ``NEXT_STEPS`` as a template over its arguments)."""
        if self.hint is None:
            return str(self)
        return f"{self}; " + steps[self.hint.action].format(**self.hint.args)


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
