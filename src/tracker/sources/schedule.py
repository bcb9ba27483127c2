"""When to poll a source next, and how its health changes (pure; ``now`` is an argument).

Owns: reading the server's hints (``Retry-After``, ``Cache-Control: max-age``,
``Expires`` against ``Date``, RSS ``<ttl>``) into a delay that only ever pushes the
next poll *later* than the configured interval and never beyond the cap (24 h by
default); exponential back-off after errors; parking a source after N consecutive
failures and un-parking it on a later success.
Does not own: HTTP, storage, or whether a body was usable (the crawler says so).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from tracker.headers import MAX_HINT_SECONDS, parse_http_date, retry_after_seconds

__all__ = [
    "parse_http_date", "retry_after", "cache_lifetime", "poll_delay", "error_delay",
    "Health", "on_success", "on_error", "on_deferred", "is_due",
]

_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*\"?(\d+)\"?", re.IGNORECASE)
_NO_STORE = re.compile(r"(?:^|,)\s*(?:no-store|no-cache)\b", re.IGNORECASE)


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """``Retry-After`` as a delay: delta-seconds or an HTTP date; ``None`` when absent/invalid."""
    seconds = retry_after_seconds(value, now)
    return None if seconds is None else timedelta(seconds=seconds)


def cache_lifetime(headers: Mapping[str, str], now: datetime) -> timedelta | None:
    """How long the response says it stays fresh: ``max-age`` first, else ``Expires - Date``."""
    control = headers.get("cache-control", "")
    if control and _NO_STORE.search(control):
        return None
    match = _MAX_AGE.search(control) if control else None
    if match:
        return timedelta(seconds=min(int(match.group(1)), MAX_HINT_SECONDS))
    expires = parse_http_date(headers.get("expires"))
    if expires is None:
        return None
    origin = parse_http_date(headers.get("date")) or now
    lifetime = expires - origin
    return lifetime if lifetime > timedelta(0) else None


def poll_delay(*, interval: timedelta, cap: timedelta, headers: Mapping[str, str] | None = None,
               ttl_minutes: int | None = None, now: datetime) -> timedelta:
    """Delay until the next poll after a success: the interval, pushed later by the
    server's hints (Retry-After, max-age/Expires, RSS ttl), never beyond ``cap``."""
    hints = [interval]
    if headers:
        hints.append(retry_after(headers.get("retry-after"), now) or timedelta(0))
        hints.append(cache_lifetime(headers, now) or timedelta(0))
    if ttl_minutes and ttl_minutes > 0:
        hints.append(timedelta(seconds=min(ttl_minutes * 60, MAX_HINT_SECONDS)))
    return min(max(hints), cap)


def error_delay(*, interval: timedelta, cap: timedelta, consecutive_errors: int,
                wait: timedelta | None = None) -> timedelta:
    """Back-off after the ``consecutive_errors``-th failure in a row: interval × 2^(n-1),
    at least the server's ``Retry-After``, capped."""
    exponent = max(0, min(consecutive_errors - 1, 16))
    delay: timedelta = interval * (2 ** exponent)
    if wait is not None:
        delay = max(delay, wait)
    return min(delay, cap)


@dataclass(frozen=True)
class Health:
    """The polling state of one source."""

    consecutive_errors: int = 0
    last_error: str = ""
    last_error_at: datetime | None = None
    parked_at: datetime | None = None
    next_poll_at: datetime | None = None
    retry_until: datetime | None = None


def on_success(health: Health, *, now: datetime, delay: timedelta,
               wait: timedelta | None = None) -> Health:
    """Something usable came back: errors reset, un-parked, next poll after ``delay``."""
    return replace(health, consecutive_errors=0, parked_at=None, next_poll_at=now + delay,
                   retry_until=now + wait if wait else None)


def on_error(health: Health, *, now: datetime, message: str, interval: timedelta, cap: timedelta,
             park_after: int, wait: timedelta | None = None) -> Health:
    """Nothing usable came back: count it, back off, park after ``park_after`` in a row."""
    count = health.consecutive_errors + 1
    if wait is not None:
        wait = min(wait, cap)
    delay = error_delay(interval=interval, cap=cap, consecutive_errors=count, wait=wait)
    parked = health.parked_at or (now if park_after and count >= park_after else None)
    return Health(consecutive_errors=count, last_error=message, last_error_at=now,
                  parked_at=parked, next_poll_at=now + delay,
                  retry_until=now + wait if wait else None)


def on_deferred(health: Health, *, now: datetime) -> Health:
    """Not contacted (the host asked us to wait): no error counted, poll when allowed."""
    when = health.retry_until if health.retry_until and health.retry_until > now else now
    return replace(health, next_poll_at=max(when, health.next_poll_at or when))


def is_due(health: Health, now: datetime) -> bool:
    """A source is due when it is not parked and its next poll time has come."""
    return health.parked_at is None and (health.next_poll_at is None or health.next_poll_at <= now)
