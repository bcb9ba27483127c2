"""Runs started by hand: a killed ``tracker run`` does not stay ``running`` forever;
run errors and job listings never show a database password."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tracker.db import repo_jobs
from tracker.db.session import Database

REPO = Path(__file__).resolve().parents[2]


def test_a_killed_tracker_run_is_marked_interrupted_once_its_heartbeat_is_stale(run, db: Database,  # type: ignore[no-untyped-def]
                                                                               db_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env["TRACKER_NOW"] = "2026-11-23T10:00:00Z"
    proc = subprocess.Popen([sys.executable, "-m", "tests.jobs.killed_run", db_url], stdout=subprocess.PIPE,
                            text=True, env=env, cwd=REPO)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    fresh = json.loads(run("jobs", "--format", "json", env={"TRACKER_NOW": "2026-11-23T10:00:01Z"}).stdout)
    assert [r["outcome"] for r in fresh["runs"]] == ["running"]  # its heartbeat is still fresh
    later = json.loads(run("jobs", "--format", "json", env={"TRACKER_NOW": "2026-11-23T11:00:00Z"}).stdout)
    assert [(r["job"], r["outcome"]) for r in later["runs"]] == [("check", "interrupted")]
    assert "heartbeat" in later["runs"][0]["error"]


def test_jobs_never_show_a_database_password(run, db: Database) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime, timezone

    now = datetime(2026, 11, 23, 10, tzinfo=timezone.utc)
    with db.transaction() as s:
        r = repo_jobs.claim_run(s, "check", None, "manual", "h:1", now)
        assert r is not None
        repo_jobs.finish_run(s, r.id, "failed", now, {},
                             "DatabaseError: cannot open database postgresql://u:S3cretPW@db.example/x")
    for fmt in ("json", "table"):
        out = run("jobs", "--format", fmt, env={"TRACKER_NOW": "2026-11-23T10:00:01Z"}).stdout
        assert "S3cretPW" not in out and "u:***@" in out.replace("\n", "")


def test_jobs_reads_heartbeats_without_creating_the_sidecar(run, db: Database, db_url: str) -> None:  # type: ignore[no-untyped-def]
    """A run left 'running' by a process that never reached its first heartbeat: ``tracker
    jobs`` calls it interrupted once it is stale, and leaves no ``-coord`` file behind (a
    look writes nothing; it used to create the sidecar to find it empty)."""
    from datetime import datetime, timezone

    # PostgreSQL keeps heartbeats in the database itself: there, only the outcomes are read
    sidecar = Path(db_url.removeprefix("sqlite:///") + "-coord") if db_url.startswith("sqlite:///") \
        else Path("/nonexistent/tracker.db-coord")
    with db.transaction() as s:
        assert repo_jobs.claim_run(s, "check", None, "manual", "h:1",
                                   datetime(2026, 11, 23, 10, tzinfo=timezone.utc)) is not None
    assert not sidecar.exists()
    fresh = json.loads(run("jobs", "--format", "json", env={"TRACKER_NOW": "2026-11-23T10:00:01Z"}).stdout)
    later = json.loads(run("jobs", "--format", "json", env={"TRACKER_NOW": "2026-11-23T11:00:00Z"}).stdout)
    assert [r["outcome"] for r in fresh["runs"]] == ["running"]
    assert [r["outcome"] for r in later["runs"]] == ["interrupted"]
    assert not sidecar.exists()
