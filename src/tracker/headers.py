"""HTTP header values that carry time (pure): HTTP dates and ``Retry-After``.

One reading of ``Retry-After`` for both HTTP clients and the feed schedule: delta
seconds (``120``; a decimal is accepted) or an HTTP date, measured from ``now``
(the caller's clock: the wall clock for a live exchange). Unreadable values are
``None``; negative or past values are 0, and longer ones ``MAX_HINT_SECONDS``. Does
not fetch or decide anything.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

__all__ = ["parse_http_date", "retry_after_seconds", "MAX_HINT_SECONDS"]

#: the longest wait a server's hint is read as (100 years, the longest duration the
#: settings accept): ``Retry-After: 1e308`` must stay a number ``timedelta`` can hold
MAX_HINT_SECONDS = 100 * 365 * 86400.0


def parse_http_date(value: str | None) -> datetime | None:
    """An RFC 7231 date (``Mon, 23 Nov 2026 12:30:00 GMT``) as aware UTC, else ``None``."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Seconds a ``Retry-After`` value asks for, counted from ``now``; ``None`` if unreadable."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        when = parse_http_date(text)
        if when is None:
            return None
        seconds = (when - now).total_seconds()
    return min(max(0.0, seconds), MAX_HINT_SECONDS) if math.isfinite(seconds) else None
