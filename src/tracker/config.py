"""One ``Settings`` object, loaded from defaults < TOML file < ``TRACKER_*`` env < flags.

Owns: every tunable number and endpoint, their defaults as named constants, the
parsing of durations (``"3d"``, ``"12h"``, ``"90s"``) and the ``TRACKER_NOW`` clock.
Relative paths in a config file (a SQLite ``database_url``, ``[document] location``,
``[scheduler] jobs_file``) are taken relative to that file. Does not own: where values
are used. Environment keys mirror the TOML keys with
``__`` between levels: ``TRACKER_CHECK__HOST_INTERVAL=0.05`` sets ``[check] host_interval``.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tracker.errors import ConfigError, TrackerError

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
    "load_settings",
    "parse_duration",
    "parse_datetime",
    "read_toml",
    "redact",
    "DEFAULT_DATABASE_URL",
    "USER_AGENT",
]

DEFAULT_DATABASE_URL = "sqlite:///tracker.db"
USER_AGENT = "tracker/0.1 (living-document link checker; +https://genai-handbook.github.io)"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(w|d|h|m|s|ms)?\s*$")
MAX_DURATION_SECONDS = 100 * 365 * 86400.0
# keys where 0 would stop the work instead of meaning "none" (every request would time out…)
_POSITIVE = {"max_concurrency", "host_concurrency", "timeout", "max_body_bytes", "dead_after_failures",
             "lease_seconds", "concurrency", "max_results", "top_topics", "park_after_errors",
             "weekly_budget", "per_topic_budget"}
# keys in seconds: bounded like every duration (a lease of 1e300 s overflowed the heartbeat's clock)
_SECONDS = {"host_interval", "timeout", "backoff_base", "max_retry_after", "min_interval", "lease_seconds"}
#: the shortest scheduler lease: the heartbeat renews it every third of its length (with a
#: database wait of up to a sixth, at least 0.1 s), so a much shorter one runs out before it
#: is renewed and every job loses its lease at once
MIN_LEASE_SECONDS = 1.0
#: the smallest positive off-topic threshold: a chapter fit is a similarity from 0 to 1 kept
#: to four decimals, so a smaller threshold is 0 in effect (and made "N× the threshold" huge)
MIN_OFF_TOPIC_THRESHOLD = 0.0001
#: the largest whole number a count setting takes (``max_concurrency = 1`` and 300 zeros was
#: accepted); retries and redirects have lower ceilings (each is one more request to a host),
#: a body cap a higher one (1 GiB)
MAX_COUNT = 1_000_000
_COUNT_CEILINGS = {"retries": 20, "max_redirects": 50, "max_body_bytes": 2 ** 30}
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


# ---------------------------------------------------------------- loading

_TOP_KEYS = {"database_url": "database_url", "db": "database_url", "now": "now_override"}


def _convert(value: Any, target: Any, where: str) -> Any:
    """Convert a TOML/env value to the dataclass field type ``target``."""
    origin = typing.get_origin(target)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(target) if a is not type(None)]
        if value is None or value == "":
            return None
        return _convert(value, args[0], where)
    if target is timedelta:
        try:
            return parse_duration(value)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    if target is datetime:  # TOML local date-times are naive: read them as UTC like strings
        return parse_datetime(value.isoformat() if isinstance(value, datetime) else str(value))
    if target is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if target in (int, float):
        number = _number(value, target, where)
        if number < 0:
            raise ConfigError(f"{where}: must not be negative, got {value!r}")
        if number == 0 and where.rsplit(".", 1)[-1] in _POSITIVE:
            raise ConfigError(f"{where}: must be greater than 0, got {value!r}")
        if number > MAX_DURATION_SECONDS and where.rsplit(".", 1)[-1] in _SECONDS:
            raise ConfigError(f"{where}: must be at most 100 years ({MAX_DURATION_SECONDS:.0f} s), "
                              f"got {_shown(value)}")
        _check_range(where, number)
        return number
    if target is str:
        if not isinstance(value, (str, int, float)):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return str(value)
    if origin is tuple:  # a TOML array, or a comma-separated string (environment)
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not all(isinstance(i, str) for i in items):
            raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
        return tuple(i.strip() for i in items if i.strip())
    if origin is Mapping and where.endswith("hosts"):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a table of host names")
        return {
            str(host).lower(): _build(HostSettings, sub, f"{where}.{host}")
            for host, sub in value.items()
        }
    raise ConfigError(f"{where}: unsupported value {value!r}")  # pragma: no cover


def _check_range(where: str, number: float) -> None:
    """Keys whose meaningful range is narrower than "finite, not negative"; the value is
    shown with ``:g`` (``1e+300``, never three hundred digits)."""
    key = where.rsplit(".", 1)[-1]
    if key == "lease_seconds" and number < MIN_LEASE_SECONDS:
        raise ConfigError(f"{where}: must be at least {MIN_LEASE_SECONDS:g} s (the heartbeat renews the "
                          f"lease every third of it), got {number:g}")
    if key == "inconclusive_ratio" and not 0 < number <= 1:
        raise ConfigError(f"{where}: must be above 0 and at most 1 (the share of a run's hosts that failed "
                          f"at the network level before the run asks the canaries), got {number:g}")
    ceiling = _COUNT_CEILINGS.get(key, MAX_COUNT)
    if isinstance(number, int) and number > ceiling:
        raise ConfigError(f"{where}: must be at most {ceiling:,}, got {number:.3g}")
    if key == "off_topic_threshold" and (number > 1 or 0 < number < MIN_OFF_TOPIC_THRESHOLD):
        raise ConfigError(f"{where}: must be 0 (keep every item) or from {MIN_OFF_TOPIC_THRESHOLD:g} to 1 "
                          f"(a chapter fit is a similarity from 0 to 1), got {number:g}")


def _shown(value: Any) -> str:
    """A value as the user wrote it: TOML's ``true``/``inf``, a quoted string from the environment."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return repr(value)


def _number(value: Any, target: type, where: str) -> int | float:
    """A finite number of type ``target``; booleans, ``inf``, ``nan`` and (for whole-number
    keys) fractions are errors, never silently 1, "forever", "off" or truncated."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(f"{where}: expected a number, got {_shown(value)}")
    try:
        number = float(value)
    except ValueError:
        kind = "a whole number" if target is int else "a number"
        raise ConfigError(f"{where}: expected {kind}, got {_shown(value)}") from None
    if not math.isfinite(number):
        raise ConfigError(f"{where}: must be a finite number, got {_shown(value)}")
    if target is float:
        return number
    if isinstance(value, int):
        return value
    if not number.is_integer() or (isinstance(value, str) and not re.fullmatch(r"\s*[+-]?\d+(\.0*)?\s*", value)):
        raise ConfigError(f"{where}: expected a whole number, got {_shown(value)}")
    return int(number)


def _build(cls: Any, data: Any, where: str) -> Any:
    if not isinstance(data, Mapping):
        raise ConfigError(f"[{where}] must be a table, got {data!r}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key).lower()
        if name not in known:
            raise ConfigError(
                f"unknown setting {where}.{key}; known keys: {', '.join(sorted(known))}"
            )
        kwargs[name] = _convert(value, hints[name], f"{where}.{name}")
    return cls(**kwargs)


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


def _env_tree(env: Mapping[str, str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for name, value in env.items():
        if not name.startswith("TRACKER_") or name in {"TRACKER_CONFIG"}:
            continue
        path = name[len("TRACKER_"):].lower().split("__")
        if path == ["database_url"] or path == ["now"]:
            tree[path[0]] = value
            continue
        if len(path) < 2:
            continue
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return tree


def read_toml(path: Path, what: str, missing_hint: str = "",
              error: type[TrackerError] = ConfigError) -> dict[str, Any]:
    """A TOML file as a dict; any problem is one ``error`` naming ``what`` and the file."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{what} {path} does not exist{missing_hint}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read {what} {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{what} {path} is not valid TOML: {exc}") from None


def _anchor_paths(data: dict[str, Any], folder: Path) -> None:
    """Relative paths in a config file mean "next to the file", not "wherever cron runs"."""
    url = data.get("database_url")
    if isinstance(url, str) and url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        rest = url[len("sqlite:///"):]
        if rest and rest != ":memory:" and not rest.startswith("file:"):
            data["database_url"] = f"sqlite:///{folder / rest}"
    for section, key in (("document", "location"), ("scheduler", "jobs_file")):
        table = data.get(section)
        value = table.get(key) if isinstance(table, dict) else None
        if isinstance(value, str) and value and not value.startswith(("http://", "https://", "/", "~")):
            table[key] = str(folder / value)  # type: ignore[index]


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build ``Settings``: defaults < config file (``TRACKER_CONFIG``) < env < ``overrides``."""
    env = os.environ if env is None else env
    data: dict[str, Any] = {}
    path = config_file or env.get("TRACKER_CONFIG")
    if path:
        file = Path(path)
        data = read_toml(file, "config file", "; check --config / TRACKER_CONFIG")
        _anchor_paths(data, file.resolve().parent)
    data = _merge(data, _env_tree(env))
    if overrides:
        data = _merge(data, {k: v for k, v in overrides.items() if v is not None})
    top: dict[str, Any] = {}
    hints = typing.get_type_hints(Settings)
    for key, value in data.items():
        name = _TOP_KEYS.get(key.lower(), key.lower())
        if name in ("database_url", "now_override"):
            top[name] = _convert(value, hints[name], name)
            continue
        if name not in hints:
            known = sorted(set(hints) - {"now_override"} | {"now"})  # the names a file uses
            raise ConfigError(f"unknown config section [{key}]; known: {', '.join(known)}")
        top[name] = _build(hints[name], value, name)
    return Settings(**top)
