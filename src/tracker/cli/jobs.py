"""Commands of the jobs area: ``run TASK``, ``jobs``, ``scheduler``.

Does not own any use case: each command calls one service and renders.
"""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import click

from tracker.cli.common import LIMIT, Runtime, emit, format_option, info, pass_runtime, to_json, imports_document
from tracker.config import redact
from tracker.errors import ConflictError, TrackerError
from tracker.human import counts
from tracker.schedule import DEFAULT_SCHEDULE, load_schedule
from tracker.scheduler import TrackerScheduler
from tracker.services.jobs import TASKS, recent_runs, run_job


def _schedule_path(rt: Runtime, jobs_file: Path | None) -> Path:
    return jobs_file or (Path(rt.settings.scheduler.jobs_file) if rt.settings.scheduler.jobs_file
                         else DEFAULT_SCHEDULE)


@click.command("run")
@click.argument("task", type=click.Choice(sorted(TASKS)))
@click.option("--all", "all_links", is_flag=True, help="For check: every link, not only those due.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="For weekly: report folder.")
@format_option("text", "json", default="text")
@pass_runtime
def run_cmd(rt: Runtime, task: str, all_links: bool, out: Path | None, fmt: str) -> None:
    """Run one task now, through the same function the scheduler calls, and record it.

    \b
    Example:
      tracker run crawl
    """
    rt.may_create = task in ("import", "weekly") and imports_document(rt)
    options: dict[str, object] = {"all": all_links}
    if out:
        options["out"] = str(out)
    outcome = run_job(rt.db, rt.settings, task, options=options)
    if fmt == "json":
        click.echo(to_json(outcome.__dict__))
    else:
        info(outcome_line(task, outcome.outcome, outcome.counts, outcome.error))
    if outcome.outcome == "failed":
        raise TrackerError(f"task {task} failed: {outcome.error}")


def outcome_line(task: str, outcome: str, numbers: dict[str, Any], error: str) -> str:
    """``check: ok (120 checked and 121 requests in 3.52 s)``: a run's counts as words, its
    own ids left out (they are in ``tracker jobs``) and seconds rounded."""
    shown = {k: v for k, v in numbers.items() if k != "elapsed" and k != "id" and not k.endswith("_id")}
    done = counts(shown, empty="")
    elapsed = numbers.get("elapsed")
    if isinstance(elapsed, (int, float)) and not isinstance(elapsed, bool):
        done = f"{done} in {elapsed:.2f} s" if done else f"{elapsed:.2f} s"
    return f"{task}: {outcome}" + (f" ({done})" if done else "") + (f": {error}" if error else "")


@click.command("jobs")
@click.option("--jobs-file", type=click.Path(dir_okay=False, path_type=Path), help="Schedule file.")
@click.option("--limit", default=20, show_default=True, type=LIMIT,
              help="How many recent runs to show.")
@format_option("table", "json")
@pass_runtime
def jobs_cmd(rt: Runtime, jobs_file: Path | None, limit: int, fmt: str) -> None:
    """Show the schedule with next fire times, and the most recent runs.

    \b
    Example:
      tracker jobs --format json
    """
    specs = load_schedule(_schedule_path(rt, jobs_file), set(TASKS))
    now = rt.settings.now()
    schedule = [dict(job=s.name, task=s.task, trigger=str(s.trigger()), enabled=s.enabled,
                     next_fire=s.trigger().get_next_fire_time(None, now)) for s in specs]
    runs = recent_runs(rt.db, limit, settings=rt.settings)
    if fmt == "json":
        click.echo(to_json({"schedule": schedule, "runs": runs}))
        return
    emit("table", schedule, ["job", "task", "trigger", "next_fire", "enabled"])
    click.echo()
    emit("table", runs, ["job", "trigger", "started_at", "finished_at", "outcome", "error"])


class _Redacting(logging.Filter):
    """Removes passwords from every log line (a driver's message may quote the URL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        return True


def _log_to_stderr() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _Redacting) for f in handler.filters):
            handler.addFilter(_Redacting())


@click.command("scheduler")
@click.option("--jobs-file", type=click.Path(dir_okay=False, path_type=Path), help="Schedule file.")
@click.option("--wait", is_flag=True, help="If another scheduler is active, stand by and take over when it stops.")
@click.option("--once", is_flag=True, help="Run whatever is due now, then exit (with TRACKER_NOW: a replay).")
@pass_runtime
def scheduler_cmd(rt: Runtime, jobs_file: Path | None, wait: bool, once: bool) -> None:
    """Run the schedule in jobs/schedule.toml until stopped. One scheduler per database
    is active; with --wait a second one stands by. A locked or unreachable database
    is retried, never fatal. SIGTERM finishes the current job then stops, a second
    SIGTERM or Ctrl-C rolls it back.

    \b
    Example:
      tracker scheduler --wait
    """
    _log_to_stderr()
    specs = load_schedule(_schedule_path(rt, jobs_file), set(TASKS))
    rt.may_create = imports_document(rt)  # else a typo in --db would start an empty database
    clock = rt.settings.now if rt.settings.now_override else None
    scheduler = TrackerScheduler(rt.db, rt.settings, specs, clock=clock)
    terms = 0

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal terms
        terms += 1
        if signum == signal.SIGINT or terms > 1:
            raise KeyboardInterrupt  # roll the current job back
        info("stopping after the current job (send again to interrupt it)")
        scheduler.stop()

    # handlers first: a signal at any moment from here on releases the lease on the way out
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        try:
            scheduler.start()
        except ConflictError:
            if not wait:
                raise
            info(f"waiting for the active scheduler: {scheduler.active_holder()}")
        if scheduler.stopping:
            return
        if scheduler.is_leader:
            info(f"scheduler {scheduler.holder} running {len(scheduler.specs)} jobs: "
                 + ", ".join(f"{k} next {v}" for k, v in scheduler.next_fire_times().items()))
        scheduler.serve(once=once)
        for outcome in scheduler.outcomes if once else []:
            info(f"{outcome.job}: {outcome.outcome} {outcome.error}".rstrip())
    except KeyboardInterrupt:
        info("interrupted")
    finally:
        scheduler.shutdown()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)


def register(group: click.Group) -> None:
    """Add the jobs commands to ``group``."""
    for command in (run_cmd, jobs_cmd, scheduler_cmd):
        group.add_command(command)
