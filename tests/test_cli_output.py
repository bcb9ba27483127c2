"""Human output is sentences and tables fitted to the terminal (issue 12): no Python
values, correct plurals, one-line usage errors, help for a bare ``tracker``."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import CLI, NEWEST_HANDBOOK
from tracker.cli import cli
from tracker.db.session import Database


def test_bare_tracker_prints_the_help_and_exits_0(clean_env: None) -> None:
    result = CliRunner().invoke(cli, [], prog_name="tracker")
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: tracker [OPTIONS] COMMAND")
    assert "Error" not in result.output


def test_a_bad_choice_is_one_sentence_without_python_quotes(run: CLI) -> None:
    result = run("topics", "--format", "yaml")
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert line.startswith("Error: --format: yaml is not one of table, json or csv; see `")
    assert "'" not in line and ".;" not in line and "\n" not in line


def test_tables_fit_80_columns_and_never_cut_words(run: CLI) -> None:
    assert run("import", str(NEWEST_HANDBOOK)).exit_code == 0
    result = run("topics", env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    topics = json.loads(run("topics", "--format", "json").stdout)
    words = set(result.stdout.split())
    for topic in topics:
        assert all(w in words for w in topic["title"].split() if len(w) < 20), topic["title"]
    assert not any(line.endswith(" " * 10) for line in lines)


def test_run_and_jobs_say_sentences_not_python_values(run: CLI, db: Database, tmp_path: object) -> None:
    failed = run("run", "import")  # no [document] location: the task fails with tracker's own error
    assert failed.exit_code == 1
    assert "tracker.errors" not in failed.stderr and "ConfigError" not in failed.stderr
    jobs = run("jobs", env={"COLUMNS": "200"})
    assert jobs.exit_code == 0, jobs.stderr
    assert "no document location" in jobs.stdout
    assert "tracker.errors" not in jobs.stdout and "ConfigError" not in jobs.stdout
    ok = run("run", "propose")
    assert ok.exit_code in (0, 1)
    assert "{" not in ok.stderr and "'" not in ok.stderr.split(":", 1)[0]


def test_run_says_what_a_run_did_in_words(run: CLI, db: Database) -> None:
    """`tracker run check` said "check: ok (2 run id and 0.0018166890004067682 elapsed)"."""
    from tracker.cli.jobs import outcome_line

    said = run("run", "check")
    assert said.exit_code == 0, said.stderr
    line = said.stderr.strip().splitlines()[-1]
    assert re.fullmatch(r"check: ok \(\d+\.\d\d s\)", line), line  # nothing was due: only the time
    numbers = {"run_id": 7, "checked": 3, "requests": 4, "elapsed": 1.23456, "skipped": 0}
    assert outcome_line("check", "ok", numbers, "") == "check: ok (3 checked and 4 requests in 1.23 s)"
    assert outcome_line("crawl", "failed", {}, "no document") == "crawl: failed: no document"


def test_a_reader_that_goes_away_gets_no_error_line(run: CLI, db_url: str, tmp_path: Path) -> None:
    """`tracker versions --format json | head -1` printed "Error: Broken pipe" (review)."""
    import os
    import subprocess
    import sys

    assert run("import", str(NEWEST_HANDBOOK)).exit_code == 0
    env = {**os.environ, "TRACKER_NOW": "2026-11-23T09:00:00Z", "TRACKER_DATABASE_URL": db_url}
    proc = subprocess.Popen([sys.executable, "-m", "tracker", "topics", "--format", "json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the command writes
    err = proc.stderr.read().decode()
    assert proc.wait() in (0, 1)
    assert "Error" not in err and "Traceback" not in err
