"""Commands of the pipeline: ``weekly`` (the whole cycle) and ``demo`` (it, offline)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from tracker.cli.common import (Runtime, creates_database, exit_found, format_option, info, parse_fail_on,
                                pass_runtime, to_json)
from tracker.services.demo import run_demo
from tracker.services.weekly import ATTENTION, WeeklyResult, weekly


@contextmanager
def _progress(enabled: bool) -> Iterator[object]:
    """A live status line on a terminal (rich), plain lines in cron/CI."""
    if not enabled:
        yield info
        return
    from rich.console import Console

    console = Console(stderr=True)
    with console.status("starting") as status:
        def say(message: str) -> None:
            if message.startswith(("==", "import:", "checked ", "crawled", "proposed")):
                console.log(message)
            status.update(message)
        yield say


def _summary(result: WeeklyResult) -> None:
    info(f"week {result.week}: import {result.imported}; checked {result.checked} links "
         f"{result.links}; {result.new_items} new items from {result.sources} sources; "
         f"{result.queued} candidates queued; {result.pending_changes} pending changes")
    for name, path in result.files.items():
        info(f"  {name:24} {path}")
    if result.attention:
        info("needs a maintainer: " + "; ".join(result.attention.values()))


@click.command("weekly")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the reports (default: reports/<week>).")
@click.option("--pull/--no-pull", default=None, help="git pull the document first (default: [document] pull).")
@click.option("--quiet", is_flag=True, help="No progress display.")
@click.option("--fail-on", metavar="WHAT", default=",".join(ATTENTION), show_default=True,
              help="Exit 2 when any of these needs a maintainer (comma-separated, or 'none').")
@format_option("text", "json", default="text")
@pass_runtime
@creates_database
def weekly_cmd(rt: Runtime, out: Path | None, pull: bool | None, quiet: bool, fail_on: str, fmt: str) -> None:
    """The weekly cycle: re-import the document ([document] location), check due links,
    crawl, propose, and write the link-rot report, the candidate queue, the pending
    changelog and the updated resource list. By default it exits 2 when anything needs a
    maintainer (see --fail-on); `tracker run weekly` records the run and exits 0.

    \b
    Example:
      tracker --config tracker.toml weekly --out reports/this-week
    """
    wanted = set() if fail_on.strip() == "none" else parse_fail_on(fail_on, ATTENTION)
    with _progress(not quiet and sys.stderr.isatty()) as say:
        result = weekly(rt.db, rt.settings, out_dir=out, pull=pull, progress=say)  # type: ignore[arg-type]
    if fmt == "json":
        click.echo(to_json(result.as_dict()))
    _summary(result)
    if wanted & set(result.attention):
        exit_found()


@click.command("demo")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-out"),
              show_default=True, help="Folder for the demo's database, document and reports.")
@pass_runtime
def demo_cmd(rt: Runtime, out: Path) -> None:
    """See the whole product work offline: a local stand-in internet, a sample document,
    two simulated weeks of checks and crawls, and the reports they produce.

    \b
    Example:
      tracker demo --out demo-out
    """
    with _progress(sys.stderr.isatty()) as say:
        result = run_demo(out, progress=say)  # type: ignore[arg-type]
    for week in result.weeks:
        _summary(week)
    info(f"version changelog: {result.changelog}")
    info(f"database: {result.database_url}  (try: tracker --db {result.database_url} resources)")


def register(group: click.Group) -> None:
    """Add the pipeline commands to ``group``."""
    for command in (weekly_cmd, demo_cmd):
        group.add_command(command)
