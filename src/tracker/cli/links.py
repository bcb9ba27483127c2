"""Commands of the links area: ``check`` and ``report links`` (thin: parse, call, render).

Does not own any use case: each command calls one service and renders.
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from tracker.cli.common import (Runtime, emit, exit_found, format_option, info, parse_fail_on,
                                pass_runtime, to_json)
from tracker.bulk import gc_paused
from tracker.config import parse_duration
from tracker.errors import ConfigError, InputError
from tracker.human import plural

if TYPE_CHECKING:
    from tracker.services.linkcheck import CheckInterrupted

_FAIL_ON = ("dead", "failing", "blocked", "redirected", "unchecked")
_FAIL_ON_HELP = "Exit 2 when any link is in one of these states (comma-separated: dead,failing,…)."


def _fail_on(value: str | None) -> set[str]:
    return parse_fail_on(value, _FAIL_ON)


@click.command("check")
@click.option("--all", "all_links", is_flag=True, help="Check every link, not only those that are due.")
@format_option("table", "json")
@click.option("--fail-on", metavar="STATES", help=_FAIL_ON_HELP)
@pass_runtime
def check_command(rt: Runtime, all_links: bool, fmt: str, fail_on: str | None) -> None:
    """Check the links that are due (alive every 7 days, failing sooner…).

    One request chain per canonical URL, polite per host ([check] max_concurrency,
    host_concurrency, host_interval, timeout). A run in which most hosts fail at the
    network level is inconclusive and changes no state.

    \b
    Example:
      tracker check --all --format json
    """
    wanted = _fail_on(fail_on)
    # nothing due: answered without SQLAlchemy (or None, and the normal path runs)
    from tracker.services.linkcheck_glance import nothing_due

    report = nothing_due(rt.settings, all_links=all_links, progress=info)
    if report is None:
        # the HTTP stack (httpx, the core) loads when a check runs, not for `tracker --help`
        from tracker.services.linkcheck import CheckInterrupted, check_links

        terminate = _sigterm_as_interrupt()
        try:  # the database is opened as the run needs it: a big run's fetching side never loads the ORM
            report = check_links(lambda: rt.db, rt.settings, all_links=all_links, progress=info)
        except CheckInterrupted as stop:  # after the ^C on its line, as an interrupted review
            info(f"\nError: {_interrupted_text(stop)}")
            sys.exit(1)
        finally:
            if terminate is not None:
                signal.signal(signal.SIGTERM, terminate)
    head = ("INCONCLUSIVE run (most hosts failed at the network level; no state changed): "
            if report.inconclusive else "")
    info(f"{head}checked {report.checked} of {plural(report.total, 'link')} with "
         f"{plural(report.requests, 'request')} in {report.elapsed:.2f} s")
    if report.skipped:  # claimed by a run under way (or checked by it just now): theirs to record
        info(f"{plural(report.skipped, 'link')} left to another check running now (or just finished); "
             "run `tracker check` again once it ends for any still due")
    if fmt == "json":
        click.echo(to_json(report.as_dict()))
    else:
        rows = [{"state": k, "links": v} for k, v in report.summary.items()]
        emit(fmt, rows, ["state", "links"])
        # a first check of every link is news only where it found trouble: the alive ones are counted
        fine = sum(1 for c in report.changes if (c["from"], c["to"]) == ("unchecked", "alive"))
        for change in report.changes:
            if (change["from"], change["to"]) != ("unchecked", "alive"):
                info(f"{change['from']} → {change['to']}: {change['url']} ({change['reason']})")
        if fine:
            info(f"unchecked → alive: {plural(fine, 'link')} (checked for the first time; "
                 "`tracker resources` lists them)")
    if any(report.summary.get(name, 0) for name in wanted):
        exit_found()


def _sigterm_as_interrupt() -> Any:
    """Until the check ends, SIGTERM (a service manager stopping it, a cron job's timeout)
    ends it as Ctrl-C does: what was judged is saved and its claims are released. Killed
    outright, its row stayed as begun and its links stayed claimed until the lease ran out.
    Returns the handler to put back (``None`` when SIGTERM is not ours to take: not the main
    thread, or a handler already set)."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return None

    def as_interrupt(_signum: int, frame: FrameType | None) -> None:
        handler = signal.getsignal(signal.SIGINT)  # asyncio's while the run's loop runs
        if callable(handler):
            handler(signal.SIGINT, frame)
        else:
            raise KeyboardInterrupt
    return signal.signal(signal.SIGTERM, as_interrupt)


def _interrupted_text(stop: "CheckInterrupted") -> str:
    """What an interrupted check kept, and the command for the rest."""
    head = f"interrupted after {stop.done} of {stop.due} {'' if stop.all_links else 'due '}links"
    again = "`tracker check --all`" if stop.all_links else "`tracker check`"
    if stop.recorded is None:
        return f"{head}; the links recorded before are saved; run {again} again for the rest"
    if stop.due == 0:  # nothing was due: the run only looked dead links up in the archive
        return "interrupted during the archive look-ups; run `tracker check` again for them"
    if stop.recorded == 0:
        return f"{head}, before any result was saved; run {again} again"
    if stop.recorded >= stop.due:  # every link was in: the archive look-ups were under way
        return (f"interrupted after checking all {stop.due} links, during the archive look-ups; "
                "their results are saved; run `tracker check` again for the look-ups")
    kept = f"{plural(stop.recorded, 'checked link')} {'is' if stop.recorded == 1 else 'are'} saved"
    rest = stop.due - stop.recorded
    if stop.all_links:  # the rest may not be due: only --all checks them now
        return (f"{head}; {kept}; run `tracker check --all` again to check every link, or `tracker check` "
                f"for those of the other {rest} that are due")
    return f"{head}; {kept}; run `tracker check` again for the other {rest}"


@click.group("report")
def report_group() -> None:
    """Reports over the stored state.

    \b
    Example:
      tracker report links --format md > links.md
    """


@report_group.command("links")
@format_option("md", "json", "html", default="md")
@click.option("--fail-on", metavar="STATES", help=_FAIL_ON_HELP)
@click.option("--since", default="7d", show_default=True, metavar="DURATION",
              help="Window for 'newly dead' and 'recovered' (e.g. 7d, 36h).")
@pass_runtime
def report_links(rt: Runtime, fmt: str, fail_on: str | None, since: str) -> None:
    """The link-rot report: newly dead, dead, failing, blocked, redirected (with the
    new URL), soft 404s and recovered links, with archived copies, grouped by section
    and chapter, and per-host figures.

    \b
    Example:
      tracker report links --format md --fail-on dead,failing
    """
    wanted = _fail_on(fail_on)
    try:
        window = parse_duration(since)
    except ConfigError as exc:
        raise InputError(f"--since: {exc}") from None
    from tracker.links.report import report_json
    from tracker.links.report_render import render_html, render_markdown
    from tracker.services.report import link_report

    with gc_paused():  # one row object per link, then the text: no collector re-scans in between
        report = link_report(rt.db, rt.settings, since=window)
        if fmt == "json":
            text = to_json(report_json(report))
        elif fmt == "html":
            text = "\n".join(render_html(report))
        else:
            text = "\n".join(render_markdown(report))
    click.echo(text)
    if any(report.summary.get(name, 0) for name in wanted):
        exit_found()


def register(group: click.Group) -> None:
    """Add ``check`` and ``report links`` to ``group``."""
    group.add_command(check_command)
    group.add_command(report_group)
