"""The ``tracker`` command line: a thin shell over the services.

Global options ``--db`` (``TRACKER_DATABASE_URL``) and ``--config`` (``TRACKER_CONFIG``);
precedence defaults < config file < ``TRACKER_*`` environment < flags. Any
``TrackerError`` becomes one ``Error: …`` line on stderr and exit code 1.
Commands live in one module per area, each with a ``register(group)`` function.
Does not own any use case or rendering: the area modules do.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from tracker.cli.common import Runtime
from tracker.db.session import DATABASE_FAILURES, database_error
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


def load_commands(module: str) -> dict[str, click.Command]:
    """The commands one area module registers."""
    holder = click.Group()
    importlib.import_module(f"tracker.cli.{module}").register(holder)
    return dict(holder.commands)


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

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TrackerError as exc:  # redacted: a message may quote a database URL
            click.echo(f"Error: {redact(str(exc))}", err=True)
            sys.exit(1)
        except DATABASE_FAILURES as exc:  # a failure no service named: still one line, exit 1
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
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    ctx.obj = Runtime(settings)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="tracker")
