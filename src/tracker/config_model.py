"""The ``Settings`` object: every tunable number and endpoint, with its default.

Owns: the settings dataclasses and their defaults as named constants, the parsing of
durations (``"3d"``, ``"12h"``, ``"90s"``) and dates, the ``TRACKER_NOW`` clock, and
``redact``. Does not own where values are used, or loading them from a file, the
environment and flags (``tracker.config``, which re-exports every name here: import
them from there).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from tracker.errors import ConfigError

__all__ = [
    "Settings",
    "CheckSettings",
    "HostSettings",
    "LinkSettings",
    "WaybackSettings",
    "ArxivSettings",
    "YoutubeSettings",
    "CrawlSettings",
    "CandidateSettings",
    "DocumentSettings",
    "SchedulerSettings",
    "parse_duration",
    "parse_datetime",
    "redact",
    "DEFAULT_DATABASE_URL",
    "USER_AGENT",
]

DEFAULT_DATABASE_URL = "sqlite:///tracker.db"
USER_AGENT = "tracker/0.1 (living-document link checker; +https://genai-handbook.github.io)"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(w|d|h|m|s|ms)?\s*$")
MAX_DURATION_SECONDS = 100 * 365 * 86400.0
_UNIT_SECONDS = {"w": 604800.0, "d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


# scheme://user:PASSWORD@host: everything between the user's colon and the last "@" of the
# authority; libpq's "password=…" keyword form too
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^\s/]*@")
_KEYWORD_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)('[^']*'|\S+)", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with every password of a URL or connection string replaced by ``***``
    (``postgresql://u:***@host/db``): applied to every message and log that may quote a
    database URL, so cron never mails a password."""
    text = _URL_PASSWORD.sub(lambda m: f"{m.group('head')}***@", text)
    return _KEYWORD_PASSWORD.sub(lambda m: f"{m.group('head')}***", text)


def parse_duration(value: object) -> timedelta:
    """``"3d"`` → 3 days; a bare number is seconds; a ``timedelta`` passes through."""
    if isinstance(value, timedelta):
        return value
    seconds: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0:
            raise ConfigError(f"duration {value!r} is negative; use a value >= 0")
        seconds = float(value)
    elif isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            seconds = float(m.group(1)) * _UNIT_SECONDS[m.group(2) or "s"]
    if seconds is not None:
        if seconds > MAX_DURATION_SECONDS:
            raise ConfigError(f"duration {value!r} is longer than 100 years; use a shorter one")
        return timedelta(seconds=seconds)
    raise ConfigError(
        f"invalid duration {value!r}; use a number of seconds or a number with a unit "
        "w, d, h, m, s or ms, such as \"3d\" or \"90s\""
    )


def parse_datetime(value: str) -> datetime:
    """Parse ISO 8601 (``2026-11-23``, ``2026-11-23T10:00:00Z``) to an aware UTC datetime."""
    text = value.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"invalid date/time {value!r}; use ISO 8601 such as 2026-11-23T09:00:00Z"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    if not 1970 <= parsed.year <= 9000:
        raise ConfigError(f"date/time {value!r} is out of range; use a year between 1970 and 9000")
    return parsed.astimezone(timezone.utc)


@dataclass(frozen=True)
class HostSettings:
    """Per-host overrides of the checker's politeness (``[check.hosts."example.org"]``)."""

    host_concurrency: int | None = None
    host_interval: float | None = None
    timeout: float | None = None


@dataclass(frozen=True)
class CheckSettings:
    """``[check]``: how the link checker talks to the world."""

    max_concurrency: int = 64
    host_concurrency: int = 2
    host_interval: float = 0.5
    timeout: float = 20.0
    max_body_bytes: int = 256 * 1024
    max_redirects: int = 10
    retries: int = 2
    backoff_base: float = 0.5
    max_retry_after: float = 60.0
    user_agent: str = USER_AGENT
    hosts: Mapping[str, HostSettings] = field(default_factory=dict)
    #: URLs asked when a run looks offline (any HTTP answer means our side is online);
    #: hosts that answered on the last run are asked too
    canary_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class LinkSettings:
    """``[links]``: the dead-link policy and re-check intervals by state."""

    dead_after_failures: int = 3
    min_failure_spacing: timedelta = timedelta(days=3)
    recheck_alive: timedelta = timedelta(days=7)
    recheck_redirected: timedelta = timedelta(days=7)
    recheck_failing: timedelta = timedelta(days=3)
    recheck_dead: timedelta = timedelta(days=14)
    recheck_blocked: timedelta = timedelta(days=7)
    inconclusive_ratio: float = 0.8
    inconclusive_min_hosts: int = 3


@dataclass(frozen=True)
class WaybackSettings:
    """``[wayback]``: the Internet Archive availability API."""

    api_url: str = "https://archive.org/wayback/available"
    retry_after: timedelta = timedelta(days=1)


@dataclass(frozen=True)
class ArxivSettings:
    """``[arxiv]``: arXiv endpoints and its politeness rule (one request every 3 s)."""

    api_url: str = "https://export.arxiv.org/api/query"
    listing_url: str = "https://rss.arxiv.org/rss/"
    min_interval: float = 3.0
    max_results: int = 100


@dataclass(frozen=True)
class YoutubeSettings:
    """``[youtube]``: the YouTube channel/playlist feed endpoint."""

    feed_url: str = "https://www.youtube.com/feeds/videos.xml"
    # where ``sources discover`` reads a cited video's page to find its channel
    watch_url: str = "https://www.youtube.com/watch"


@dataclass(frozen=True)
class CrawlSettings:
    """``[crawl]``: feed polling."""

    interval: timedelta = timedelta(hours=6)
    max_interval: timedelta = timedelta(hours=24)
    timeout: float = 30.0
    max_body_bytes: int = 10 * 1024 * 1024
    park_after_errors: int = 3
    user_agent: str = USER_AGENT
    max_redirects: int = 5
    concurrency: int = 4


@dataclass(frozen=True)
class CandidateSettings:
    """``[candidates]``: topic scoring and the review queue."""

    # ``None``: the threshold calibrated on the document's own held-out links (see
    # ``tracker eval topics``); a number overrides it.
    off_topic_threshold: float | None = None
    top_topics: int = 3
    weekly_budget: int = 25  # candidates a maintainer reviews per week; the rest wait as overflow
    per_topic_budget: int = 3  # at most this many of them in one chapter


@dataclass(frozen=True)
class DocumentSettings:
    """``[document]``: where the living document lives, for ``tracker weekly``."""

    name: str = "handbook"
    location: str = ""
    pull: bool = False


@dataclass(frozen=True)
class SchedulerSettings:
    """``[scheduler]``: the job schedule file and lease."""

    jobs_file: str = ""
    lease_seconds: float = 60.0


@dataclass(frozen=True)
class Settings:
    """Every setting of tracker; frozen, handed to pure functions as an argument."""

    database_url: str = DEFAULT_DATABASE_URL
    now_override: datetime | None = None
    check: CheckSettings = field(default_factory=CheckSettings)
    links: LinkSettings = field(default_factory=LinkSettings)
    wayback: WaybackSettings = field(default_factory=WaybackSettings)
    arxiv: ArxivSettings = field(default_factory=ArxivSettings)
    youtube: YoutubeSettings = field(default_factory=YoutubeSettings)
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    candidates: CandidateSettings = field(default_factory=CandidateSettings)
    document: DocumentSettings = field(default_factory=DocumentSettings)
    scheduler: SchedulerSettings = field(default_factory=SchedulerSettings)

    def now(self) -> datetime:
        """The clock for every decision: ``TRACKER_NOW`` when set, else the real UTC time."""
        return self.now_override or datetime.now(timezone.utc)

    def host(self, host: str) -> HostSettings:
        """The per-host overrides for ``host`` (empty when none are configured)."""
        return self.check.hosts.get(host.lower(), HostSettings())
