"""Commands of the pipeline: ``weekly`` (the whole cycle) and ``demo`` (it, offline).

Does not own any use case: each command calls one service and renders.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click
from rich.progress import TaskID

from tracker.cli.common import (Runtime, exit_found, imports_document, format_option, info, parse_fail_on,
                                pass_runtime, to_json)
from tracker.human import counts, plural
from tracker.services.demo import run_demo
from tracker.services.weekly import ATTENTION, WeeklyResult, weekly


@dataclass
class _Display:
    """How the pipeline shows progress: lines, and (on a terminal) two progress bars."""

    say: Callable[[str], None]
    check_tick: Callable[[int, int], None] | None = None
    crawl_tick: Callable[[int, int], None] | None = None


@contextmanager
def _progress(enabled: bool) -> Iterator[_Display]:
    """Progress bars for the link check and the crawl on a terminal (rich); plain lines in
    cron/CI, where stderr is not a terminal."""
    if not enabled:
        yield _Display(info)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description:<14}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), transient=False) as bars:
        tasks: dict[str, TaskID] = {}

        def ticker(name: str) -> Callable[[int, int], None]:
            def tick(done: int, total: int) -> None:
                if name not in tasks:
                    tasks[name] = bars.add_task(name, total=total)
                bars.update(tasks[name], completed=done, total=total)
            return tick

        def say(message: str) -> None:
            if message.startswith(("==", "import:", "checked ", "crawled", "proposed")):
                bars.console.log(message)

        yield _Display(say, ticker("link check"), ticker("crawl"))


def summary_line(result: WeeklyResult) -> str:
    """One sentence for the week: what was checked, found and queued (inconclusive first)."""
    total = sum(result.links.values())
    head = (f"week {result.week}: the link check was INCONCLUSIVE (our connection looked down; no link "
            "state changed); " if result.inconclusive else f"week {result.week}: ")
    return (f"{head}import {result.imported}; checked {result.checked} of {plural(total, 'link')} "
            f"({counts(result.links, empty='no links')}); {plural(result.new_items, 'new item')} from "
            f"{plural(result.sources, 'source')}; {plural(result.queued, 'candidate')} queued "
            f"({result.held_back} held back by the budget); "
            f"{plural(result.pending_changes, 'pending change')}")


def _summary(result: WeeklyResult) -> None:
    info(summary_line(result))
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
    rt.may_create = imports_document(rt)  # else a typo in --db would start an empty database
    with _progress(not quiet and sys.stderr.isatty()) as show:
        result = weekly(rt.db, rt.settings, out_dir=out, pull=pull, progress=show.say,
                        check_options={"tick": show.check_tick}, crawl_options={"tick": show.crawl_tick})
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
    with _progress(sys.stderr.isatty()) as show:
        result = run_demo(out, progress=show.say, check_tick=show.check_tick, crawl_tick=show.crawl_tick)
    for week in result.weeks:
        _summary(week)
    info(f"version changelog: {result.changelog}")
    prog = _program()
    info(f"database: {result.database_url}  (try: {prog} --db {result.database_url} resources)")
    info(f"in the browser: {prog} --db {result.database_url} serve")


def _program() -> str:
    """How to run tracker again: ``tracker`` when that is on ``PATH``, else the path it was
    started by (README's command runs ``.venv/bin/tracker`` without activating the venv)."""
    import os
    import shutil

    argv0 = sys.argv[0] if sys.argv else ""
    if os.path.basename(argv0) != "tracker" or shutil.which("tracker"):
        return "tracker"
    return argv0


def register(group: click.Group) -> None:
    """Add the pipeline commands to ``group``."""
    for command in (weekly_cmd, demo_cmd):
        group.add_command(command)
