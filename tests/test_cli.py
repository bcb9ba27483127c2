"""The command line as a whole: help and examples everywhere, error shape, python -m."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
import sys
from collections.abc import Iterator

import click
import pytest

from tests.conftest import CLI, NEWEST_HANDBOOK
from tracker.cli import cli


def _commands(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, f"{prefix}{name} is listed but not registered"
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")


def test_lazy_command_map_matches_what_modules_register() -> None:
    from tracker.cli import COMMAND_MODULES, load_commands

    registered = {name: module for module in set(COMMAND_MODULES.values()) for name in load_commands(module)}
    assert registered == COMMAND_MODULES


@pytest.mark.parametrize(("name", "command"), list(_commands(cli)), ids=lambda v: v if isinstance(v, str) else "")
def test_every_command_has_help_and_an_example(name: str, command: click.Command) -> None:
    assert command.help and len(command.help.strip()) > 20, f"{name} has no help text"
    assert "Example" in command.help, f"`tracker {name} --help` shows no example"
    result = click.testing.CliRunner().invoke(cli, [*name.split(), "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_bad_config_is_one_error_line(run: CLI, tmp_path: object) -> None:
    result = run("topics", env={"TRACKER_CHECK__TIMEOUT": "soon"})
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == ["Error: TRACKER_CHECK__TIMEOUT: check.timeout: expected a number, got 'soon'"]


def test_python_dash_m_runs_the_same_cli() -> None:
    done = subprocess.run([sys.executable, "-m", "tracker", "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "living document" in done.stdout


def test_a_database_failure_no_service_expected_is_one_error_line(run: CLI, db_url: str) -> None:
    from sqlalchemy import text

    from tracker.db.session import open_database

    assert run("import", str(NEWEST_HANDBOOK)).exit_code == 0
    db = open_database(db_url)
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE internal_links"))  # damaged behind tracker's back
    db.dispose()
    result = run("import", str(NEWEST_HANDBOOK / ".." / "2024-05-21_2d07718"))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: database error: ") and "tracker db upgrade" in lines[0]


def test_toml_local_datetime_for_now_is_utc(tmp_path: object) -> None:
    from pathlib import Path

    from tracker.config import load_settings

    config = Path(str(tmp_path)) / "c.toml"
    config.write_text("now = 2026-11-23T09:00:00\n")
    assert load_settings(config, env={}).now().isoformat() == "2026-11-23T09:00:00+00:00"


@pytest.mark.parametrize("args", [["nosuchcmd"], ["check", "--format", "xml"], ["candidates", "accept", "abc"],
                                  ["check", "--fail-on"], ["export", "--dry-run"]])
def test_usage_errors_are_one_error_line_and_exit_1(run: CLI, args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 1, (args, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), (args, result.stderr)
    assert result.stdout == ""


def test_help_and_version_still_exit_0(run: CLI) -> None:
    assert run("--help").exit_code == 0 and run("--version").exit_code == 0
    assert run("check", "--help").exit_code == 0


def test_reading_commands_do_not_create_a_database(tmp_path: Path, clean_env: None) -> None:
    missing = tmp_path / "typo.db"
    run = CLI(f"sqlite:///{missing}", tmp_path)
    for args in (["topics"], ["check"], ["report", "links"], ["queue"], ["jobs"], ["changelog"]):
        result = run(*args)
        assert result.exit_code == 1 and "no tracker database at" in result.stderr, (args, result.stderr)
        assert not missing.exists(), args
    assert run("import", str(NEWEST_HANDBOOK)).exit_code == 0 and missing.exists()


@pytest.mark.parametrize("args", [
    ["db", "check"], ["queue"], ["queue", "--all"], ["review"], ["resources"], ["versions"], ["items"],
    ["sources", "list"], ["sources", "discover"], ["candidates", "accept", "1"], ["candidates", "undo", "1"],
    ["report", "links", "--format", "json"], ["changelog", "--format", "json"], ["export", "--format", "json"],
    ["serve", "--port", "0"],
], ids=" ".join)
def test_every_reading_command_refuses_a_missing_sqlite_file(tmp_path: Path, clean_env: None,
                                                             args: list[str]) -> None:
    """``tracker --db sqlite:///typo.db db check`` left an empty ``typo.db`` behind (found by
    a reading): every command that only reads refuses a missing file in one line, naming it."""
    missing = tmp_path / "typo.db"
    result = CLI(f"sqlite:///{missing}", tmp_path)(*args)
    assert result.exit_code == 1, (args, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: no tracker database at {missing}"), lines
    assert "tracker import PATH" in lines[0] and "--db" in lines[0]
    assert result.stdout == ""
    assert not missing.exists() and list(tmp_path.iterdir()) == [], args


@pytest.mark.parametrize("args", [["run", "check"], ["run", "crawl"], ["run", "import"], ["run", "weekly"],
                                  ["weekly"], ["scheduler", "--once"]], ids=" ".join)
def test_a_cycle_without_a_document_location_refuses_a_missing_sqlite_file(tmp_path: Path, clean_env: None,
                                                                           args: list[str]) -> None:
    """``tracker --db sqlite:///handbok.db run check`` said "check: ok" over a new, empty
    database: a typo read as a healthy document. Without a [document] location nothing
    would ever import into it, so these refuse it like every reading command."""
    missing = tmp_path / "typo.db"
    result = CLI(f"sqlite:///{missing}", tmp_path)(*args, env={"TRACKER_NOW": "2026-11-23T09:00:00Z"})
    assert result.exit_code == 1, (args, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith(f"Error: no tracker database at {missing}"), lines
    assert not missing.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith("typo")], args


def test_a_weekly_cycle_with_a_document_location_starts_the_database(tmp_path: Path, clean_env: None) -> None:
    doc = tmp_path / "doc"
    doc.mkdir()
    (doc / "guide.md").write_text("## Reading\n[Closed port](http://127.0.0.1:9/nothing)\n")  # loopback only
    new = tmp_path / "new.db"
    env = {"TRACKER_NOW": "2026-11-23T09:00:00Z", "TRACKER_DOCUMENT__LOCATION": str(doc)}
    result = CLI(f"sqlite:///{new}", tmp_path)("weekly", "--fail-on", "none", "--out", str(tmp_path / "w"), env=env)
    assert result.exit_code == 0 and new.exists(), result.stderr
    listed = CLI(f"sqlite:///{new}", tmp_path)("resources", "--format", "json")
    assert [r["url"] for r in json.loads(listed.stdout)] == ["http://127.0.0.1:9/nothing"]  # imported into it


@pytest.mark.parametrize("command", ["jobs", "items"])
def test_a_limit_past_64_bits_is_a_usage_error(run: CLI, db: object, command: str) -> None:
    """``--limit 99999999999999999999`` reached SQLite as a parameter: an OverflowError
    traceback (found by the second reading). It is refused like any other bad value."""
    result = run(command, "--limit", "99999999999999999999")
    assert result.exit_code == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "99999999999999999999" in lines[0], lines
    assert run(command, "--limit", str(2**63 - 1)).exit_code == 0


@pytest.mark.parametrize("args", [["run", "import"], ["run", "weekly"], ["weekly"]], ids=" ".join)
def test_a_document_location_that_does_not_exist_starts_no_database(tmp_path: Path, clean_env: None,
                                                                    args: list[str]) -> None:
    """A [document] location lets a cycle start a new database, as it imports the document
    into it; a location that does not exist (a typo) imports nothing, so the database it
    started stayed behind, empty, after 'path … does not exist'."""
    missing = tmp_path / "typo.db"
    env = {"TRACKER_NOW": "2026-11-23T09:00:00Z", "TRACKER_DOCUMENT__LOCATION": str(tmp_path / "no-such-doc")}
    result = CLI(f"sqlite:///{missing}", tmp_path)(*args, env=env)
    assert result.exit_code == 1, (args, result.stderr)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("typo")], (args, result.stderr)
