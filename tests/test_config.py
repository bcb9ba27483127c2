"""Settings precedence: defaults < config file < TRACKER_* environment < flags."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tracker.config import load_settings, parse_duration
from tracker.errors import ConfigError


def test_precedence(tmp_path: Path) -> None:
    cfg = tmp_path / "t.toml"
    cfg.write_text('database_url = "sqlite:///file.db"\n[check]\nhost_interval = 2.0\ntimeout = 9\n'
                   '[links]\nmin_failure_spacing = "2d"\n[check.hosts."Example.org"]\nhost_interval = 5\n')
    s = load_settings(cfg, env={"TRACKER_CHECK__HOST_INTERVAL": "0.05"})
    assert s.database_url == f"sqlite:///{tmp_path / 'file.db'}"  # relative to the config file
    assert s.check.host_interval == 0.05  # env beats file
    assert s.check.timeout == 9.0  # file beats default
    assert s.check.max_concurrency == 64  # default
    assert s.links.min_failure_spacing == timedelta(days=2)
    assert s.host("EXAMPLE.org").host_interval == 5.0
    flagged = load_settings(cfg, env={"TRACKER_DATABASE_URL": "sqlite:///env.db"},
                            overrides={"database_url": "sqlite:///flag.db"})
    assert flagged.database_url == "sqlite:///flag.db"
    assert load_settings(cfg, env={"TRACKER_DATABASE_URL": "sqlite:///env.db"}).database_url == "sqlite:///env.db"


def test_tracker_now_is_the_clock() -> None:
    s = load_settings(env={"TRACKER_NOW": "2026-11-23T10:00:00Z"})
    assert s.now() == datetime(2026, 11, 23, 10, tzinfo=timezone.utc)
    assert load_settings(env={}).now().tzinfo is not None


@pytest.mark.parametrize(("value", "expected"), [("3d", timedelta(days=3)), ("90s", timedelta(seconds=90)),
                                                 (45, timedelta(seconds=45)), ("1.5h", timedelta(hours=1.5)),
                                                 ("250ms", timedelta(milliseconds=250))])
def test_durations(value: object, expected: timedelta) -> None:
    assert parse_duration(value) == expected


@pytest.mark.parametrize(("env", "message"), [
    ({"TRACKER_LINKS__MIN_FAILURE_SPACING": "soon"}, "invalid duration"),
    ({"TRACKER_CHECK__TIMEOUT": "fast"}, "expected a number"),
    ({"TRACKER_CHECK__BOGUS": "1"}, "unknown setting check.bogus"),
    ({"TRACKER_NOW": "yesterday"}, "invalid date/time"),
    ({"TRACKER_CHECK__HOST_INTERVAL": "-1"}, "must not be negative"),
])
def test_bad_values_are_config_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env=env)


@pytest.mark.parametrize(("env", "named"), [
    ({"TRACKER_CHECK__TIMEOUT": "abc"}, "TRACKER_CHECK__TIMEOUT: check.timeout: expected a number"),
    ({"TRACKER_CHEK__X": "1"}, "TRACKER_CHEK__X: unknown config section [chek]"),
    ({"TRACKER_CHECK__BOGUS": "1"}, "TRACKER_CHECK__BOGUS: unknown setting check.bogus"),
    ({"TRACKER_NOW": "yesterday"}, "TRACKER_NOW: invalid date/time"),
    ({"TRACKER_NOW": "1900-01-01"}, "TRACKER_NOW: date/time '1900-01-01' is out of range"),
    ({"TRACKER_CHECK__HOSTS__A.TEST__HOST_INTERVAL": "x", "TRACKER_CHECK__TIMEOUT": "5"},
     "TRACKER_CHECK__HOSTS__A.TEST__HOST_INTERVAL: check.hosts.a.test.host_interval: expected a number"),
])
def test_a_bad_value_from_the_environment_names_its_variable(env: dict[str, str], named: str) -> None:
    """"check.timeout: expected a number" sent a maintainer to a config file that did not
    have it: the value came from TRACKER_CHECK__TIMEOUT."""
    with pytest.raises(ConfigError) as raised:
        load_settings(env=env)
    assert str(raised.value).startswith(named), raised.value


def test_a_bad_value_from_a_file_names_no_variable(tmp_path: Path) -> None:
    config = tmp_path / "t.toml"
    config.write_text("[check]\ntimeout = \"abc\"\n")
    with pytest.raises(ConfigError) as raised:
        load_settings(config, env={"TRACKER_CHECK__RETRIES": "2"})
    assert str(raised.value).startswith("check.timeout: expected a number"), raised.value


def test_bad_config_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml", env={})
    broken = tmp_path / "broken.toml"
    broken.write_text("[check\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(broken, env={})
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("[nonsense]\nx = 1\n")
    with pytest.raises(ConfigError, match=r"unknown config section \[nonsense\]") as raised:
        load_settings(unknown, env={})
    # the names a file may use, not the fields behind them (it listed "now_override")
    assert raised.value.args[0].endswith("known: arxiv, candidates, check, crawl, database_url, document, links, "
                                         "now, scheduler, wayback, youtube")


def test_readme_documents_every_default(tmp_path: Path) -> None:
    """The README's configuration block loads and equals the code's defaults, key for key."""
    import dataclasses
    import re
    import tomllib

    from tracker.config import Settings

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = re.search(r"<!-- config-defaults -->\n```toml\n(.*?)```", readme, re.DOTALL)
    assert block, "README lost its configuration block"
    documented = tomllib.loads(block.group(1))
    config = tmp_path / "defaults.toml"
    config.write_text(block.group(1))
    loaded = load_settings(config, env={})
    assert loaded.database_url == f"sqlite:///{tmp_path / 'tracker.db'}"  # next to the config file
    assert dataclasses.replace(loaded, database_url=Settings().database_url) == Settings()
    for section in dataclasses.fields(Settings):
        value = getattr(Settings(), section.name)
        if dataclasses.is_dataclass(value):
            keys = {f.name for f in dataclasses.fields(value)} - {"hosts", "user_agent"}
            assert set(documented.get(section.name, {})) == keys, section.name


@pytest.mark.parametrize("env", [{"TRACKER_NOW": "9999-12-31T23:59:59-01:00"}, {"TRACKER_NOW": "0001-01-01T00:00:00Z"},
                                 {"TRACKER_LINKS__MIN_FAILURE_SPACING": "99999999d"}])
def test_extreme_values_are_config_errors_not_crashes(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="out of range|longer than 100 years"):
        load_settings(env=env)


def test_relative_paths_in_a_config_file_are_relative_to_it(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    config = folder / "tracker.toml"
    config.write_text('database_url = "sqlite:///handbook.db"\n[document]\nlocation = "hb"\n'
                      '[scheduler]\njobs_file = "jobs/schedule.toml"\n')
    s = load_settings(config, env={})
    assert s.database_url == f"sqlite:///{folder / 'handbook.db'}"
    assert s.document.location == str(folder / "hb") and s.scheduler.jobs_file == str(folder / "jobs/schedule.toml")
    absolute = load_settings(config, env={"TRACKER_DATABASE_URL": "sqlite:///rel.db"})
    assert absolute.database_url == "sqlite:///rel.db"  # the environment is the caller's, not the file's


@pytest.mark.parametrize("key", ["TRACKER_CHECK__TIMEOUT", "TRACKER_CHECK__MAX_CONCURRENCY",
                                 "TRACKER_CHECK__HOST_CONCURRENCY"])
def test_zero_where_zero_would_stop_all_work(key: str) -> None:
    with pytest.raises(ConfigError, match="must be greater than 0"):
        load_settings(env={key: "0"})
    assert load_settings(env={"TRACKER_CHECK__HOST_INTERVAL": "0"}).check.host_interval == 0.0


@pytest.mark.parametrize(("env", "message"), [
    ({"TRACKER_CHECK__HOST_INTERVAL": "inf"}, "check.host_interval: must be a finite number, got 'inf'"),
    ({"TRACKER_CHECK__HOST_INTERVAL": "nan"}, "check.host_interval: must be a finite number"),
    ({"TRACKER_CHECK__TIMEOUT": "nan"}, "check.timeout: must be a finite number"),
    ({"TRACKER_CHECK__TIMEOUT": "-inf"}, "check.timeout: must be a finite number"),
    ({"TRACKER_CHECK__MAX_CONCURRENCY": "true"}, "check.max_concurrency: expected a whole number"),
    ({"TRACKER_CHECK__MAX_CONCURRENCY": "2.5"}, "check.max_concurrency: expected a whole number"),
    ({"TRACKER_SCHEDULER__LEASE_SECONDS": "infinity"}, "scheduler.lease_seconds: must be a finite number"),
    ({"TRACKER_CHECK__HOSTS__EXAMPLE.ORG__TIMEOUT": "NaN"}, "must be a finite number"),
])
def test_non_finite_and_boolean_numbers_from_the_environment(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(env=env)


@pytest.mark.parametrize(("line", "message"), [
    ("max_concurrency = true", "check.max_concurrency: expected a number, got true"),
    ("timeout = true", "check.timeout: expected a number, got true"),
    ("timeout = inf", "check.timeout: must be a finite number, got inf"),
    ("host_interval = nan", "check.host_interval: must be a finite number, got nan"),
    ("max_concurrency = 2.5", "check.max_concurrency: expected a whole number, got 2.5"),
    ('max_concurrency = "8"', None),
    ("max_concurrency = 8.0", None),
])
def test_non_finite_and_boolean_numbers_in_a_config_file(tmp_path: Path, line: str, message: str | None) -> None:
    cfg = tmp_path / "t.toml"
    cfg.write_text(f"[check]\n{line}\n")
    if message is None:
        assert load_settings(cfg, env={}).check.max_concurrency == 8
        return
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(cfg, env={})


def test_non_finite_settings_are_one_error_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from tracker.cli import cli

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["topics"], env={"TRACKER_CHECK__HOST_INTERVAL": "inf"})
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["Error: TRACKER_CHECK__HOST_INTERVAL: check.host_interval: must be a finite number, got 'inf'"]
    assert not (tmp_path / "tracker.db").exists()


def test_a_database_password_is_never_printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from tracker.cli import cli

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--db", "postgresql://u:S3cretPW@127.0.0.1:1/x", "topics"])
    assert result.exit_code == 1
    assert "S3cretPW" not in result.stderr + result.stdout
    assert "postgresql://u:***@127.0.0.1:1/x" in result.stderr


@pytest.mark.parametrize(("text", "expected"), [
    ("postgresql://u:S3cretPW@127.0.0.1:1/x", "postgresql://u:***@127.0.0.1:1/x"),
    ("see postgresql+psycopg://user:p%40ss@h/db, then", "see postgresql+psycopg://user:***@h/db, then"),
    ("sqlite:///tracker.db stays", "sqlite:///tracker.db stays"),
    ("postgresql://nopw@h/db", "postgresql://nopw@h/db"),
    ("host=h password=S3cretPW dbname=x", "host=h password=*** dbname=x"),
])
def test_redact(text: str, expected: str) -> None:
    from tracker.config import redact

    assert redact(text) == expected


@pytest.mark.parametrize("url", ["postgresql://bob:s3cret@127.0.0.1:notaport/db", "postgresql://bob:s3cret@[::1/db"])
def test_an_unparseable_database_url_is_one_error_line(url: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A port that is not a number crashed with a ValueError traceback (review of round 2)."""
    line = _one_error_line(["--db", url, "topics"], tmp_path, monkeypatch)
    assert line.startswith("Error: cannot parse database URL") and "bob:***@" in line


def _one_error_line(args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The one line a failing command wrote, checked for exit 1 and no password (``s3cret``)."""
    from click.testing import CliRunner

    from tracker.cli import cli

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "s3cret" not in result.stderr + result.stdout
    return lines[0]


@pytest.mark.parametrize("url", ["mysql://bob:s3cret@127.0.0.1/db", "oracle://bob:s3cret@h/db", "mssql+pyodbc://h/db"])
def test_a_database_tracker_does_not_support_is_named_as_such(url: str, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """``--db mysql://…`` answered "No module named 'MySQLdb'" (second reading, round 3)."""
    line = _one_error_line(["--db", url, "check"], tmp_path, monkeypatch)
    assert "tracker keeps its data in SQLite or PostgreSQL" in line and "No module" not in line


SECONDS_KEYS = ["TRACKER_SCHEDULER__LEASE_SECONDS", "TRACKER_CHECK__TIMEOUT", "TRACKER_CHECK__HOST_INTERVAL",
                "TRACKER_CHECK__BACKOFF_BASE", "TRACKER_CHECK__MAX_RETRY_AFTER", "TRACKER_ARXIV__MIN_INTERVAL",
                "TRACKER_CRAWL__TIMEOUT", "TRACKER_CHECK__HOSTS__EXAMPLE.ORG__HOST_INTERVAL"]


@pytest.mark.parametrize("key", SECONDS_KEYS)
def test_a_number_of_seconds_is_bounded_like_a_duration(key: str) -> None:
    """Keys in seconds took any finite number: ``lease_seconds = 1e300`` passed the check and
    the run's heartbeat thread died of an OverflowError (``tracker run``, a traceback on
    stderr; ``tracker scheduler`` crashed at start). They are bounded like every duration
    (found by the second reading)."""
    with pytest.raises(ConfigError, match=re.escape(f"must be at most 100 years (3153600000 s), got '1e300'")):
        load_settings(env={key: "1e300"})


def test_the_longest_lease_still_schedules_at_the_end_of_the_calendar() -> None:
    from tracker.services.jobs import heartbeat_interval, stale_after

    s = load_settings(env={"TRACKER_SCHEDULER__LEASE_SECONDS": "3153600000", "TRACKER_NOW": "9000-12-31T00:00:00Z"})
    assert heartbeat_interval(s) == 1051200000.0
    assert s.now() + stale_after(s) > s.now() + timedelta(seconds=s.scheduler.lease_seconds)


@pytest.mark.parametrize("value", ["1e-9", "0.5", "0.999"])
def test_a_lease_shorter_than_a_second_is_refused(value: str) -> None:
    """``lease_seconds = 1e-9`` was accepted: the heartbeat renews the lease every third of
    it, so every lease ran out before its first renewal and no job kept one."""
    with pytest.raises(ConfigError) as caught:
        load_settings(env={"TRACKER_SCHEDULER__LEASE_SECONDS": value})
    message = str(caught.value)
    assert message.startswith("TRACKER_SCHEDULER__LEASE_SECONDS: scheduler.lease_seconds: must be at least 1 s") and "heartbeat" in message
    assert message.endswith(f"got {float(value):g}")
    assert load_settings(env={"TRACKER_SCHEDULER__LEASE_SECONDS": "1"}).scheduler.lease_seconds == 1.0


@pytest.mark.parametrize(("value", "shown"), [("1e300", "1e+300"), ("1.5", "1.5"), ("1e-300", "1e-300"),
                                              ("0.00005", "5e-05")])
def test_an_off_topic_threshold_outside_the_fit_range_is_refused_readably(value: str, shown: str) -> None:
    """``off_topic_threshold = 1e300`` was accepted and `tracker propose` printed it as a
    300-digit number ("off-topic (below 1000000000000000052504…)"); a tiny one made the
    review's "N× the off-topic threshold" as long. A fit is a similarity from 0 to 1 kept
    to four decimals: 0 (keep everything) or 0.0001…1."""
    with pytest.raises(ConfigError) as caught:
        load_settings(env={"TRACKER_CANDIDATES__OFF_TOPIC_THRESHOLD": value})
    message = str(caught.value)
    assert message.startswith("TRACKER_CANDIDATES__OFF_TOPIC_THRESHOLD: candidates.off_topic_threshold: must be 0") and message.endswith(f"got {shown}")
    assert len(message) < 200
    for fine in ("0", "0.0001", "0.03", "1"):
        s = load_settings(env={"TRACKER_CANDIDATES__OFF_TOPIC_THRESHOLD": fine})
        assert s.candidates.off_topic_threshold == float(fine)


def test_an_out_of_range_setting_is_one_short_error_line(tmp_path: Path, clean_env: None) -> None:
    from click.testing import CliRunner

    from tracker.cli import cli

    db = tmp_path / "t.db"
    db.write_bytes(b"")
    for key, value in (("TRACKER_CANDIDATES__OFF_TOPIC_THRESHOLD", "1e300"),
                       ("TRACKER_SCHEDULER__LEASE_SECONDS", "1e-9")):
        result = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "jobs"], env={key: value})
        assert result.exit_code == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and len(lines[0]) < 220, lines
        assert db.read_bytes() == b""  # nothing written


@pytest.mark.parametrize(("key", "value"), [("LINKS__INCONCLUSIVE_RATIO", "1.5"), ("LINKS__INCONCLUSIVE_RATIO", "0")])
def test_an_inconclusive_ratio_outside_its_range_is_refused(key: str, value: str) -> None:
    """``inconclusive_ratio = 1.5`` was accepted and silently turned offline detection off
    (no run ever has more than all of its hosts down); 0 called every run offline."""
    with pytest.raises(ConfigError) as caught:
        load_settings(env={f"TRACKER_{key}": value})
    assert str(caught.value).startswith(f"TRACKER_{key}: links.inconclusive_ratio: must be above 0 and at most 1")
    assert load_settings(env={f"TRACKER_{key}": "1"}).links.inconclusive_ratio == 1.0


@pytest.mark.parametrize(("key", "value", "ceiling"), [
    ("CHECK__MAX_CONCURRENCY", "1" + "0" * 300, "1,000,000"), ("CHECK__RETRIES", "21", "20"),
    ("CHECK__MAX_REDIRECTS", "51", "50"), ("CANDIDATES__WEEKLY_BUDGET", "1000001", "1,000,000"),
    ("CRAWL__MAX_BODY_BYTES", str(2 ** 30 + 1), "1,073,741,824")])
def test_a_count_past_its_ceiling_is_refused_in_one_short_line(key: str, value: str, ceiling: str) -> None:
    """A 301-digit ``max_concurrency`` was accepted, and ``retries = 10**300`` would retry a
    failing host for ever: counts have ceilings, and the error shows the value short."""
    with pytest.raises(ConfigError) as caught:
        load_settings(env={f"TRACKER_{key}": value})
    message = str(caught.value)
    assert f"must be at most {ceiling}, got " in message and len(message) < 120
    section, name = key.lower().split("__")
    settings = load_settings(env={f"TRACKER_{key}": ceiling.replace(",", "")})
    assert getattr(getattr(settings, section), name) == int(ceiling.replace(",", ""))
