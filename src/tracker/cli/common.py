"""Shared pieces of the command line: the runtime object, option decorators, renderers.

Owns: ``Runtime`` (settings + lazily opened database), ``format_option``,
``emit`` (json/csv/table to stdout), ``fail_on`` exit-code handling, and an error's
next step as the command to run (``error_text``).
Does not own: any use case; commands call one service function each.
"""

from __future__ import annotations

import csv
import functools
import io
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import click

from tracker import escape, human
from tracker.config import Settings
from tracker.errors import DatabaseError, InputError, TrackerError

if TYPE_CHECKING:  # SQLAlchemy loads when a command first uses the database, not for --help
    from tracker.db.session import Database

F = TypeVar("F", bound=Callable[..., Any])

#: ``--limit``: a count the database can take as a parameter (64-bit; a larger one was an
#: OverflowError from SQLite's driver)
LIMIT = click.IntRange(min=1, max=(1 << 63) - 1)


@dataclass
class Runtime:
    """What every command receives: the settings and, on first use, the database."""

    settings: Settings
    may_create: bool = False  # set by commands that may start a new database (import, sources add…)
    _db: Database | None = field(default=None, repr=False)

    @property
    def db(self) -> Database:
        if self._db is None:
            from tracker.db.session import open_database

            if not self.may_create:
                self.refuse_missing_file()
            self._db = open_database(self.settings.database_url)
        return self._db

    def refuse_missing_file(self) -> None:
        """Raise when ``--db`` names a SQLite file that does not exist: opening it would leave
        an empty database behind a typo. For commands that open the database themselves."""
        from tracker.db.session import sqlite_file_missing

        missing = sqlite_file_missing(self.settings.database_url)
        if missing is not None:
            raise DatabaseError(f"no tracker database at {missing}; run `tracker import PATH` first "
                                "(or check --db / TRACKER_DATABASE_URL)")

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()


pass_runtime = click.make_pass_decorator(Runtime)


def creates_database(command: F) -> F:
    """Mark a command that may start a new SQLite database; others refuse a missing file
    instead of leaving an empty database behind a typo in --db."""
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        click.get_current_context().find_object(Runtime).may_create = True  # type: ignore[union-attr]
        return command(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


def imports_document(rt: Runtime) -> bool:
    """Whether a weekly cycle or the scheduler would import the document itself ([document]
    location, a URL or a path that exists): only then may they start a new database; without
    it one left by a typo in --db (or in the location: the import fails) would stay empty, and
    each run would fail on it or find nothing to do."""
    from tracker.services.document_source import location_source

    location = rt.settings.document.location
    source = location_source(location) if location else None
    return isinstance(source, str) or (source is not None and source.exists())


#: ``ctx.meta`` key (shared by every context of one command line) set when the command run
#: takes ``--document``: only then does a refusal name that option (``error_text``)
TAKES_DOCUMENT = "tracker.takes_document"


def _note_document_option(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    ctx.meta[TAKES_DOCUMENT] = True
    return value


#: ``--document NAME``, the one definition every command that takes it uses
document_option = click.option("--document", "document", metavar="NAME", default=None,
                               callback=_note_document_option,
                               help="Which document (default: [document] name, or the only one).")


def format_option(*choices: str, default: str = "table") -> Callable[[F], F]:
    """``--format`` with the given choices (``json`` output goes to stdout only)."""
    return click.option(
        "--format", "fmt", type=click.Choice(list(choices)), default=default, show_default=True,
        help="Output format.",
    )


def to_json(data: Any) -> str:
    """Stable JSON: UTC datetimes as ``...Z``, keys in the order given, UTF-8 kept
    (``escape.to_json``, the one JSON writer)."""
    return escape.to_json(data)


def csv_text(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """CSV with a header; every cell one line, formulas neutralised (``escape.csv_cell``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([escape.csv_cell(_cell(row.get(c))) for c in columns])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    value = escape.json_value(value)
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(_cell(v) for v in value)
    if isinstance(value, Mapping):
        return human.counts(value, empty="")
    return str(value)


def table_text(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], width: int | None = None) -> str:
    """A table for terminals, fitted to the terminal width (``human.table``)."""
    return human.table(rows, columns, width)


def emit(fmt: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[str],
         json_data: Any = None) -> None:
    """Print ``rows`` in ``fmt`` (json/csv/table) to stdout."""
    if fmt == "json":
        click.echo(to_json(rows if json_data is None else json_data))
    elif fmt == "csv":
        click.echo(csv_text(rows, columns), nl=False)
    else:
        click.echo(table_text(rows, columns))


#: each next step a service's refusal can suggest (``tracker.errors.NEXT_STEPS``), as a command
NEXT_STEPS = {
    "undo": "to change it, first `tracker candidates undo {candidate}`",
    "choose_topic": "{action} it with --topic SLUG",
    "list_topics": "see `tracker topics`",
    "list_candidates": "list them with `tracker queue`",
    "reload": "see `tracker queue`",
    "list_sources": "see `tracker sources list`",
    "choose_document": "choose one with --document",
    "pending": "import another version, or see `tracker changelog --pending`",
}


#: the next steps worded otherwise for a command that does not take the option they name
WITHOUT_OPTION = {
    "choose_document": "choose one with [document] name in the configuration (TRACKER_DOCUMENT__NAME)",
}


def error_text(exc: TrackerError) -> str:
    """What the command line says of ``exc`` (after ``Error: ``): its message and, when it
    suggests a next step, the command that takes it. "--document" only for a command that
    takes it (`tracker weekly`, `run`, `crawl` choose the document by configuration)."""
    steps: Mapping[str, str] = NEXT_STEPS
    if exc.hint is not None and exc.hint.action in WITHOUT_OPTION:
        ctx = click.get_current_context(silent=True)
        if ctx is None or not ctx.meta.get(TAKES_DOCUMENT):
            steps = {**NEXT_STEPS, **WITHOUT_OPTION}
    return exc.worded(steps)


def info(message: str) -> None:
    """Progress and notes go to stderr, never stdout."""
    click.echo(message, err=True)


def parse_fail_on(value: str | None, allowed: Iterable[str]) -> set[str]:
    """``--fail-on dead,failing`` → ``{"dead", "failing"}``; unknown names are a usage error."""
    if not value:
        return set()
    names = {v.strip() for v in value.split(",") if v.strip()}
    unknown = names - set(allowed)
    if unknown:  # exit 1 with an Error: line, never 2 (2 means "found what you asked about")
        raise InputError(f"--fail-on: unknown value(s) {', '.join(sorted(unknown))}; "
                         f"choose from {', '.join(sorted(allowed))}")
    return names


def exit_found() -> None:
    """Exit 2: the command worked but found what ``--fail-on`` asked about."""
    sys.exit(2)
