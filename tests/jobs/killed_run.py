"""Run as a subprocess by test_killed_run: ``tracker run check`` whose check blocks
(after printing 'started') until the test kills the process with SIGKILL."""

from __future__ import annotations

import sys
import threading
from typing import Any

from tracker.config import Settings
from tracker.db.session import Database
from tracker.services import jobs


def blocking(db: Database, settings: Settings, options: dict[str, Any]) -> dict[str, Any]:
    print("started", flush=True)
    threading.Event().wait()  # until SIGKILL
    return {}


if __name__ == "__main__":
    jobs.TASKS["check"] = blocking
    from tracker.cli import cli

    cli(["--db", sys.argv[1], "run", "check"], prog_name="tracker")
