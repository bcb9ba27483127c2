"""The scheduler uses APScheduler 3's public API only (its triggers)."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def test_no_private_apscheduler_parts() -> None:
    pattern = re.compile(r"_process_jobs|_run_job_success|_jobstore_alias|apscheduler\.schedulers|"
                         r"apscheduler\.executors|aps_base")
    hits = [f"{path}:{n}" for path in SRC.rglob("*.py")
            for n, line in enumerate(path.read_text().splitlines(), 1) if pattern.search(line)]
    assert hits == []
