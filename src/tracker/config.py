"""One ``Settings`` object, loaded from defaults < TOML file < ``TRACKER_*`` env < flags.

The settings themselves, their defaults and the parsing of durations and dates are in
``tracker.config_model``; every name of it is re-exported here, where callers import them.
Owns: converting each value to its field's type with the limits every number keeps
(positive, finite, ceilings), relative paths in a config file taken from that file's
folder (a SQLite ``database_url``, ``[document] location``, ``[scheduler] jobs_file``),
and error wording that names where a bad value came from (``check.timeout`` in a file,
``TRACKER_CHECK__TIMEOUT`` in the environment). Environment keys mirror the TOML keys
with ``__`` between levels: ``TRACKER_CHECK__HOST_INTERVAL=0.05`` sets ``[check]
host_interval``. Does not own where values are used.
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
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tracker.config_model import (DEFAULT_DATABASE_URL, MAX_DURATION_SECONDS, USER_AGENT, ArxivSettings,
                                   CandidateSettings, CheckSettings, CrawlSettings, DocumentSettings, HostSettings,
                                   LinkSettings, SchedulerSettings, Settings, WaybackSettings, YoutubeSettings,
                                   parse_datetime, parse_duration, redact)
from tracker.errors import ConfigError, TrackerError

__all__ = ["Settings", "CheckSettings", "HostSettings", "LinkSettings", "WaybackSettings", "ArxivSettings",
           "YoutubeSettings", "CrawlSettings", "CandidateSettings", "DocumentSettings", "SchedulerSettings",
           "load_settings", "parse_duration", "parse_datetime", "read_toml", "redact", "DEFAULT_DATABASE_URL",
           "USER_AGENT", "MAX_DURATION_SECONDS", "MIN_LEASE_SECONDS", "MIN_OFF_TOPIC_THRESHOLD", "MAX_COUNT"]

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


def _env_tree(env: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The ``TRACKER_*`` variables as a tree of settings, and which variable set each one
    (dotted path → variable name)."""
    tree: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for name, value in env.items():
        if not name.startswith("TRACKER_") or name in {"TRACKER_CONFIG"}:
            continue
        path = name[len("TRACKER_"):].lower().split("__")
        if path == ["database_url"] or path == ["now"]:
            tree[path[0]] = value
            origins[path[0]] = name
            continue
        if len(path) < 2:
            continue
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
        origins[".".join(path)] = name
    return tree, origins


def _naming_variable(exc: ConfigError, origins: Mapping[str, str]) -> ConfigError:
    """A refused value that came from the environment names its variable: "check.timeout:
    expected a number" sent people looking for it in a config file they never wrote."""
    text = str(exc)
    for dotted, variable in origins.items():
        section = dotted.split(".")[0]
        if (text.startswith((f"{dotted}:", f"{_TOP_KEYS.get(dotted, dotted)}:")) or f" {dotted};" in text
                or text.startswith(f"unknown config section [{section}]")
                or (dotted == "now" and text.startswith(("invalid date/time", "date/time")))):
            return ConfigError(f"{variable}: {text}")
    return exc


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
    from_env, origins = _env_tree(env)
    data = _merge(data, from_env)
    if overrides:
        given = {k: v for k, v in overrides.items() if v is not None}
        data = _merge(data, given)
        origins = {path: var for path, var in origins.items() if path.split(".")[0] not in given}
    try:
        return _settings(data)
    except ConfigError as exc:
        raise _naming_variable(exc, origins) from None


def _settings(data: Mapping[str, Any]) -> Settings:
    """``Settings`` from the merged tree of every source."""
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
