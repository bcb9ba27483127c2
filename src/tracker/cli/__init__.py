"""The ``tracker`` command line: a thin shell over the services.

Global options ``--db`` (``TRACKER_DATABASE_URL``) and ``--config`` (``TRACKER_CONFIG``);
precedence defaults < config file < ``TRACKER_*`` environment < flags. Any
``TrackerError`` becomes one ``Error: …`` line on stderr and exit code 1.
Commands live in one module per area, each with a ``register(group)`` function.
Does not own any use case or rendering: the area modules do.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from typing import Any

import click

from tracker.cli.common import Runtime, error_text
from tracker.config import load_settings, redact
from tracker.errors import TrackerError
from tracker.human import and_list

__all__ = ["cli", "main"]


# command name → the module under tracker.cli that registers it. Modules are imported
# only when one of their commands runs, so `tracker check` does not pay for
# scikit-learn and `tracker topics` does not pay for httpx.
COMMAND_MODULES = {
    "db": "documents", "import": "documents", "topics": "documents", "resources": "documents",
    "versions": "documents",
    "check": "links", "report": "links",
    "sources": "feeds", "crawl": "feeds", "items": "feeds",
    "propose": "candidates", "queue": "candidates", "review": "candidates", "candidates": "candidates",
    "eval": "candidates",
    "changelog": "release", "export": "release",
    "run": "jobs", "jobs": "jobs", "scheduler": "jobs",
    "weekly": "pipeline", "demo": "pipeline",
    "serve": "web",
}

# command name → the first sentence of its help, for the command list of `tracker --help`
# (click shortens it to the terminal exactly as it shortens the real help). Listing the
# commands this way imports no area module, as git and pip do; a test checks the table
# against what the modules register.
SHORT_HELP = {
    "candidates": "Decide on candidates without the interactive review.",
    "changelog": "What changed between two imported versions (default: the last two), per section and "
                 "chapter: resources added, removed, moved and replaced; chapters added, removed and "
                 "renamed; wording changes summarised.",
    "check": "Check the links that are due (alive every 7 days, failing sooner…).",
    "crawl": "Poll the sources that are due (or one by name) and store new and updated items.",
    "db": "Manage the database schema.",
    "demo": "See the whole product work offline: a local stand-in internet, a sample document, two "
            "simulated weeks of checks and crawls, and the reports they produce.",
    "eval": "Measure how well tracker ranks topics.",
    "export": "The updated resource list of the latest version: every resource under its section and "
              "chapter in document order, dead links pointing to archived copies, redirects to their "
              "new URL, accepted candidates added.",
    "import": "Import a living document: the handbook layout (index.md + _includes/) or plain Markdown "
              "(a file or a folder), from disk, git history or the raw-Markdown base URL.",
    "items": "List stored feed items, newest first (one per real paper, video or post).",
    "jobs": "Show the schedule with next fire times, and the most recent runs.",
    "propose": "Score new feed items against the document's chapters and queue the fitting ones.",
    "queue": "Show the week's candidates by section and chapter, best first, within the weekly budget "
             "(``[candidates] weekly_budget``, ``per_topic_budget``); ``--all`` adds the overflow.",
    "report": "Reports over the stored state.",
    "resources": "List the resources the latest version cites, each once.",
    "review": "Walk the week's queue: accept, reject (with a reason), defer, move, open, skip or quit.",
    "run": "Run one task now, through the same function the scheduler calls, and record it.",
    "scheduler": "Run the schedule in jobs/schedule.toml until stopped.",
    "serve": "Serve the review queue, the link report, the document and the sources as web pages.",
    "sources": "Manage the feeds `tracker crawl` polls: arXiv queries and listings, blog feeds, YouTube "
               "channels and playlists.",
    "topics": "List sections and chapters of the latest version, with resource counts.",
    "versions": "List imported versions of the document, oldest first by their own date (dated_by: "
                "commit, name — a date in the label or folder name — or import).",
    "weekly": "The weekly cycle: re-import the document ([document] location), check due links, crawl, "
              "propose, and write the link-rot report, the candidate queue, the pending changelog and "
              "the updated resource list.",
}


def load_commands(module: str) -> dict[str, click.Command]:
    """The commands one area module registers."""
    holder = click.Group()
    importlib.import_module(f"tracker.cli.{module}").register(holder)
    return dict(holder.commands)


def database_failures() -> tuple[type[BaseException], ...]:
    """The exceptions that mean "the database failed": the plain drivers' (``db.plain_links``
    speaks to them directly) and SQLAlchemy's — none of a module not imported (nothing can
    have raised one), so `--help` and `--version` never import it. An ``except`` clause
    evaluates this only when an exception reaches it."""
    from tracker.db.glance import driver_errors

    if "sqlalchemy" not in sys.modules:
        return driver_errors()
    from tracker.db.session import DATABASE_FAILURES

    return (*driver_errors(), *DATABASE_FAILURES)


def usage_message(exc: click.UsageError) -> str:
    """A usage error as one sentence: ``--format: yaml is not one of table, json or csv``
    (click's own words quote values like Python reprs and end in a full stop)."""
    param = getattr(exc, "param", None)
    if isinstance(exc, click.BadParameter) and param is not None and isinstance(param.type, click.Choice):
        given = exc.message.split(" is not one of ", 1)[0].strip().strip("'\"")
        name = param.opts[0] if getattr(param, "opts", None) else param.human_readable_name
        return f"{name}: {given} is not one of {and_list([str(c) for c in param.type.choices], 'none', 'or')}"
    return exc.format_message().rstrip(".")


class _Group(click.Group):
    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        """Usage errors are errors like any other: one ``Error:`` line and exit 1 (exit 2
        means "found what --fail-on asked about", never "you mistyped")."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:  # bare `tracker`: the help, and success
            click.echo(exc.ctx.get_help() if exc.ctx is not None else self.get_help(click.Context(self)))
            sys.exit(0)
        except click.UsageError as exc:
            where = f"; see `{exc.ctx.command_path} --help`" if exc.ctx is not None else ""
            click.echo(f"Error: {usage_message(exc)}{where}", err=True)
            sys.exit(1)
        except click.ClickException as exc:
            click.echo(f"Error: {exc.format_message()}", err=True)
            sys.exit(1)
        except click.exceptions.Abort:
            click.echo("Error: aborted", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMAND_MODULES.get(cmd_name)
        return load_commands(module).get(cmd_name) if module else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of ``--help`` from ``SHORT_HELP``: click's own layout and
        shortening, without importing every area module (and SQLAlchemy, httpx… with them)."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)  # as click.Group does
        rows = [(name, click.Command(name, help=SHORT_HELP[name]).get_short_help_str(limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TrackerError as exc:  # redacted: a message may quote a database URL
            click.echo(f"Error: {redact(error_text(exc))}", err=True)
            sys.exit(1)
        except database_failures() as exc:  # a failure no service named: still one line, exit 1
            from tracker.db.session import database_error

            click.echo(f"Error: {redact(str(database_error(exc)))}", err=True)
            sys.exit(1)
        except BrokenPipeError:  # the reader went away (`tracker queue | head`): nothing to say to it
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # so Python's own flush at exit stays quiet too
            sys.exit(1)
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            click.echo(f"Error: {exc.strerror or exc}{where}", err=True)
            sys.exit(1)
        finally:
            runtime = ctx.obj
            if isinstance(runtime, Runtime):
                runtime.close()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_url", metavar="URL", envvar="TRACKER_DATABASE_URL",
              help="Database URL (default: sqlite:///tracker.db in the current directory).")
@click.option("--config", "config_file", metavar="FILE", type=click.Path(dir_okay=False),
              envvar="TRACKER_CONFIG", help="TOML configuration file.")
@click.version_option(package_name="tracker")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None, config_file: str | None) -> None:
    """Track the resources of a living document: import it, check its links,
    crawl feeds for candidates, review them and publish changelogs.

    \b
    Example:
      tracker import ../genai-handbook && tracker topics
    """
    try:
        settings = load_settings(config_file, overrides={"database_url": db_url})
    except TrackerError as exc:
        click.echo(f"Error: {error_text(exc)}", err=True)
        sys.exit(1)
    ctx.obj = Runtime(settings)


def main() -> None:
    """Console-script entry point."""
    try:
        cli(prog_name="tracker")
    finally:
        # the process ends here: its last cyclic collection would walk every object a big
        # command left (0.15 s after a 10,000-link check); frozen, they go with the process
        # (reference counting still runs every finalizer as modules are torn down)
        gc.freeze()
