"""The declarative schedule (``jobs/schedule.toml``) → validated job specs (pure).

Each ``[jobs.NAME]`` table names a task (``run``) and an APScheduler 3 trigger:
``trigger = "cron"`` with cron fields (``minute``, ``hour``, ``day_of_week``, …) or
``trigger = "interval"`` with ``weeks``/``days``/``hours``/``minutes``/``seconds`` (in
all, 1 second to 100 years). Interval triggers are anchored (``start_date``, default
2026-01-01T00:00Z) so fire times are the same for every scheduler and every restart.
Errors name the file and the line of the offending table.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from tracker.config import MAX_DURATION_SECONDS
from tracker.errors import ConfigError
from tracker.packaged import default_jobs_file

__all__ = ["JobSpec", "load_schedule", "parse_schedule", "DEFAULT_SCHEDULE", "INTERVAL_ANCHOR"]

DEFAULT_SCHEDULE = default_jobs_file("schedule.toml")  # installed with the package
INTERVAL_ANCHOR = datetime(2026, 1, 1, tzinfo=timezone.utc)
_CRON_FIELDS = {"year", "month", "day", "week", "day_of_week", "hour", "minute", "second"}
_FIELD_SECONDS = {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}
_INTERVAL_FIELDS = set(_FIELD_SECONDS)
_JOB_KEYS = {"run", "trigger", "description", "start_date", "enabled", "options"}


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: its name, the task it runs and its trigger."""

    name: str
    task: str
    trigger_kind: str
    fields: dict[str, Any]
    description: str = ""
    enabled: bool = True
    options: dict[str, Any] = field(default_factory=dict)
    line: int = 0

    def trigger(self) -> BaseTrigger:
        if self.trigger_kind == "cron":
            return CronTrigger(timezone=timezone.utc, **self.fields)
        start = self.fields.get("start_date", INTERVAL_ANCHOR)
        values = {k: v for k, v in self.fields.items() if k != "start_date"}
        return IntervalTrigger(timezone=timezone.utc, start_date=start, **values)


def _line_of(text: str, name: str) -> int:
    pattern = re.compile(rf"^[ \t]*\[\s*jobs\s*\.\s*[\"']?{re.escape(name)}[\"']?\s*\]", re.MULTILINE)
    match = pattern.search(text)
    return text[: match.start()].count("\n") + 1 if match else 0


def parse_schedule(text: str, source: str, tasks: set[str]) -> list[JobSpec]:
    """Validate a schedule file's text; ``tasks`` are the task names that exist."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    jobs = data.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        raise ConfigError(f"{source}: no [jobs.NAME] tables; see jobs/schedule.toml for the format")
    specs: list[JobSpec] = []
    for name, table in jobs.items():
        line = _line_of(text, name)
        where = f"{source}:{line} [jobs.{name}]"
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: must be a table")
        task = table.get("run", name)
        if task not in tasks:
            raise ConfigError(f"{where}: unknown task {task!r}; known tasks: {', '.join(sorted(tasks))}")
        kind = table.get("trigger")
        if kind not in ("cron", "interval"):
            raise ConfigError(f"{where}: trigger must be \"cron\" or \"interval\", got {kind!r}")
        allowed = _CRON_FIELDS if kind == "cron" else _INTERVAL_FIELDS
        fields = {k: v for k, v in table.items() if k not in _JOB_KEYS}
        unknown = set(fields) - allowed
        if unknown:
            raise ConfigError(f"{where}: unknown {kind} field(s) {', '.join(sorted(unknown))}; "
                              f"use {', '.join(sorted(allowed))}")
        if kind == "interval":
            if not fields or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                     and math.isfinite(v) and v >= 0 for v in fields.values()) \
                    or not any(fields.values()):
                raise ConfigError(f"{where}: an interval needs a positive weeks/days/hours/minutes/seconds")
            # longer, the trigger's dates overflow; shorter, a catch-up walks every slot since the anchor
            length = sum(float(v) * _FIELD_SECONDS[k] for k, v in fields.items())
            if not 1 <= length <= MAX_DURATION_SECONDS:
                raise ConfigError(f"{where}: an interval must be between 1 second and 100 years, "
                                  f"got {length:g} s")
            if "start_date" in table:
                start = table["start_date"]
                if not isinstance(start, datetime):
                    raise ConfigError(f"{where}: start_date must be a TOML date-time")
                fields["start_date"] = start if start.tzinfo else start.replace(tzinfo=timezone.utc)
        options = table.get("options", {})
        if not isinstance(options, dict):
            raise ConfigError(f"{where}: options must be a table")
        enabled = table.get("enabled", True)
        if not isinstance(enabled, bool):  # bool("false") is True
            raise ConfigError(f"{where}: enabled must be true or false, got {enabled!r}")
        spec = JobSpec(name, task, kind, fields, str(table.get("description", "")), enabled, options, line)
        try:
            spec.trigger()
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{where}: invalid {kind} trigger: {exc}") from None
        specs.append(spec)
    return specs


def load_schedule(path: Path, tasks: set[str]) -> list[JobSpec]:
    """Read and validate a schedule file; every error names the file (and line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"schedule file {path} does not exist; set [scheduler] jobs_file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read schedule file {path}: {exc}") from None
    return parse_schedule(text, str(path), tasks)
