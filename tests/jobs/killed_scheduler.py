"""Run as a subprocess by test_sigkill: a scheduler whose job writes inside an open
transaction, prints 'started', and blocks until the test kills the process."""

from __future__ import annotations

import sys
import threading
from datetime import datetime, timezone
from typing import Any

from tracker.config import Settings, load_settings
from tracker.db.models import Document
from tracker.db.session import Database, open_database
from tracker.schedule import parse_schedule
from tracker.scheduler import TrackerScheduler


def blocking(db: Database, settings: Settings, options: dict[str, Any]) -> dict[str, Any]:
    with db.transaction() as session:
        session.add(Document(name="half-written", location="", layout="markdown", created_at=settings.now()))
        session.flush()
        print("started", flush=True)
        threading.Event().wait()  # until SIGKILL
    return {}


def main() -> None:
    url = sys.argv[1]
    start, fire = (datetime.fromisoformat(a).astimezone(timezone.utc) for a in sys.argv[2:4])
    clock = [start]
    settings = load_settings(env={}, overrides={"database_url": url, "now": sys.argv[2]})  # no real clock
    db = open_database(url)
    specs = parse_schedule('[jobs.check-links]\nrun = "check"\ntrigger = "cron"\nhour = 3\n', "t.toml", {"check"})
    sched = TrackerScheduler(db, settings, specs, clock=lambda: clock[0], holder="doomed", tasks={"check": blocking})
    sched.start()
    clock[0] = fire
    sched.run_pending()


if __name__ == "__main__":
    main()
