"""Recording benchmark: CPU per link of ``linkcheck_store.record_batch`` (the database half of a check).

    .venv/bin/python benchmarks/linkcheck/bench_record.py
    .venv/bin/python benchmarks/linkcheck/bench_record.py --postgres postgresql://postgres@127.0.0.1:55433/postgres
    PYTHONPATH=/path/to/other/src .venv/bin/python benchmarks/linkcheck/bench_record.py   # another tree's code

Builds a fresh database of 10,000 resources (SQLite in a temporary folder, or a new
database on the given PostgreSQL server, dropped afterwards) and times ``record_batch``
over 20 batches of 500 synthetic ``Seen`` values (200 OK pages with an ETag and a content
hash), twice: a first-time run (no ``link_status`` rows, no history) and a second run a
week later (every link known, one observation of history; every 20th page's content
changed, so a resource version is written for it). Prints, per run, this process's CPU
ms per link (``time.process_time``: on PostgreSQL the server's own CPU is not in it) and
wall ms per link, with the load average before it; ``--repeat`` fresh databases (default
3), then the best and the median (the machine is shared: the best is the least disturbed).
No network: nothing is fetched.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import ContextManager

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

import tracker
from tracker.config import load_settings
from tracker.db.models_core import Resource
from tracker.db.models_links import CheckRun, LinkObservation, LinkStatus
from tracker.db.session import Database, open_database
from tracker.fetch.model import FetchResult
from tracker.links.model import Outcome, Verdict
from tracker.services.linkcheck_store import Seen, record_batch

LINKS = 10_000
BATCH = 500
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def seed(db: Database, links: int) -> list[tuple[int, str]]:
    rows = [{"canonical_url": f"http://127.0.0.{101 + i % 20}/p/{i}", "url": f"http://127.0.0.{101 + i % 20}/p/{i}",
             "kind": "web", "host": f"127.0.0.{101 + i % 20}", "created_at": T0} for i in range(links)]
    with db.transaction() as s:
        s.execute(insert(Resource), rows)
        return [(rid, url) for rid, url in s.execute(select(Resource.id, Resource.url).order_by(Resource.id))]


def seen_values(resources: list[tuple[int, str]], version: int) -> list[Seen]:
    out = []
    for n, (rid, url) in enumerate(resources):
        changed = version > 0 and n % 20 == 0
        text_hash = hashlib.sha256(f"page {rid} {version if changed else 0}".encode()).hexdigest()
        result = FetchResult(url=url, method="GET", status=200, final_url=url, elapsed=0.105,
                             headers={"content-type": "text/html; charset=utf-8", "etag": f'"{text_hash[:16]}"',
                                      "last-modified": "Mon, 02 Nov 2026 10:00:00 GMT"})
        out.append(Seen(rid, url, url, result, Verdict(Outcome.OK, "200 OK"), text_hash,
                        f"Page {rid}" + (" (new)" if changed else "")))
    return out


def one_run(db: Database, resources: list[tuple[int, str]], now: datetime, version: int) -> tuple[float, float, int, int]:
    settings = load_settings(env={}, overrides={"database_url": str(db.engine.url), "now": now.isoformat()})
    with db.transaction() as s:
        run = CheckRun(started_at=now, all_links=True)
        s.add(run)
        s.flush()
        run_id = run.id
    seen = seen_values(resources, version)
    batches = [seen[i:i + BATCH] for i in range(0, len(seen), BATCH)]
    changes = versions = 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for batch in batches:
        out = record_batch(db, settings, run_id, batch, now, True)
        changes += len(out.changes)
        versions += out.new_versions
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return cpu, wall, changes, versions


def bench(make_url: Callable[[int], ContextManager[str]], label: str, links: int, repeat: int) -> None:
    """``repeat`` times on a fresh database: print each run's figures, then the best and the median."""
    cpu_by_run: dict[str, list[float]] = {}
    print(f"{label}: tracker from {Path(tracker.__file__).parent}; {links} links in batches of {BATCH}")
    for attempt in range(repeat):
        with make_url(attempt) as url:
            db = open_database(url)
            try:
                resources = seed(db, links)
                for name, now, version in (("first-time", T0, 0), ("second run", T0 + timedelta(days=7), 1)):
                    before = uptime()
                    cpu, wall, changes, versions = one_run(db, resources, now, version)
                    cpu_by_run.setdefault(name, []).append(cpu * 1000 / links)
                    print(f"  {name:<11} CPU {cpu * 1000 / links:6.3f} ms/link  wall {wall * 1000 / links:6.3f} ms/link"
                          f"  ({changes} state changes, {versions} new versions)  load {before.split('average: ')[-1]}")
                with db.transaction() as s:
                    obs = s.scalar(select(func.count()).select_from(LinkObservation))
                    states = dict(s.execute(select(LinkStatus.state, func.count()).group_by(LinkStatus.state)).all())
                print(f"  stored: {obs} observations, states {states}")
            finally:
                db.dispose()
    for name, values in cpu_by_run.items():
        print(f"  {name:<11} CPU ms/link over {len(values)}: best {min(values):.3f}, median {statistics.median(values):.3f}")
    print(f"  uptime after: {uptime()}")


@contextmanager
def _sqlite(_attempt: int) -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{tmp}/record.db"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=LINKS)
    parser.add_argument("--repeat", type=int, default=3, help="fresh databases to run on (best and median shown)")
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server (a database is created and dropped)")
    args = parser.parse_args()
    if args.postgres:
        admin_url = make_url(args.postgres).set(drivername="postgresql+psycopg")
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")

        @contextmanager
        def postgres(attempt: int) -> Iterator[str]:
            name = f"bench_record_{uuid.uuid4().hex[:8]}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                yield admin_url.set(database=name).render_as_string(hide_password=False)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

        try:
            bench(postgres, "PostgreSQL", args.links, args.repeat)
        finally:
            admin.dispose()
        return
    bench(_sqlite, "SQLite", args.links, args.repeat)


if __name__ == "__main__":
    sys.exit(main())
