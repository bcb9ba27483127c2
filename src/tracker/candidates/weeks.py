"""ISO weeks as queue labels (pure): ``2026-W48``.

Owns: the week a moment falls in, parsing a ``--week`` value (with a clear
error), and the week after. Weeks start on Monday, UTC, as ISO 8601 says.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from tracker.errors import InputError

__all__ = ["week_of", "parse_week", "next_week", "week_start"]

_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)


def week_of(moment: datetime) -> str:
    """``2026-11-23T09:00Z`` → ``2026-W48``."""
    year, week, _ = moment.astimezone(timezone.utc).isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(text: str) -> str:
    """Validate and normalise a week label (``2026-w48``, ``2026W48`` → ``2026-W48``)."""
    match = _WEEK.match(text or "")
    if match and 1970 <= int(match.group(1)) <= 9000:  # the range of every other date (config)
        year, week = int(match.group(1)), int(match.group(2))
        try:
            date.fromisocalendar(year, week, 1)
        except ValueError:
            pass
        else:
            return f"{year}-W{week:02d}"
    raise InputError(f"invalid week {text!r}; use an ISO week such as 2026-W48 (years 1970 to 9000)")


def week_start(label: str) -> datetime:
    """Monday 00:00 UTC of the week ``label``."""
    year, week = parse_week(label).split("-W")
    return datetime.combine(date.fromisocalendar(int(year), int(week), 1), datetime.min.time(),
                            tzinfo=timezone.utc)


def next_week(label: str) -> str:
    """The week after ``label``."""
    return week_of(week_start(label) + timedelta(days=7))
