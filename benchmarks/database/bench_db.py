"""Database benchmark: import, re-import, check with nothing due, reports and export,
on SQLite and PostgreSQL side by side, at growing document sizes; and a long ``--history``.

Run from the project root (PostgreSQL optional; see README.md for a throwaway server):

    .venv/bin/python benchmarks/database/bench_db.py --postgres postgresql://postgres@127.0.0.1:55450/postgres
    .venv/bin/python benchmarks/database/bench_db.py --sizes 3000 --history 200

For each size, each database gets a fresh schema; the figures are wall seconds inside
the use case (the service call plus rendering, no interpreter start-up):

* ``import``: a synthetic handbook-layout document (``benchmarks/import``'s generator),
  with the process's URL caches emptied first, as a fresh ``tracker import`` finds them;
  imported ``--repeat`` times, each into a fresh database, and reported as the median
  (``import-min``: the fastest). On a shared virtual machine the same import's CPU time
  varies by up to 1.7× from one run to the next (0.32–0.58 s for 3,000 links, measured),
  which a single run per size turned into a "non-linear" time per link;
* ``reimport``: the same files again (nothing changes; caches emptied too);
* ``check``: ``tracker check`` after every link was given a status that is not due;
* ``plan``: the planning queries alone (``repo_links.due_resource_ids``, ``state_counts``,
  ``archive_candidates``, ``count_resources``), what ``check`` costs with nothing due once
  it plans with them;
* ``report-md|json|html``: ``tracker report links`` in each format (the JSON written as the
  CLI writes it, ``escape.to_json``);
* ``export-md|json|csv``: ``tracker export`` in each format (``release.render_export``, as the CLI);
  reports and exports run with the cyclic garbage collector paused, as the CLI runs them
  (``tracker.bulk.gc_paused``).

Under each line, ``cpu`` gives the CPU seconds this process spent on the same step: on a
shared machine it is what the step would take alone (on SQLite all of the work; on
PostgreSQL the server's share is not in it).

``--history N`` builds a git repository of N commits (a list growing by a few links a
commit, with edits) and runs ``tracker import --history`` in a child process on each
database, reporting wall time and the child's peak RSS. ``--explain`` prints the query
plans of the due-time and state queries on the largest database.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tracker.bulk import gc_paused
from tracker.config import load_settings
from tracker.db import repo_links
from tracker.db.session import Database, open_database
from tracker.escape import to_json
from tracker.links.report import report_json
from tracker.links.report_render import render_html, render_markdown
from tracker.services import release
from tracker.services.import_ import import_document
from tracker.services.linkcheck import check_links
from tracker.services.report import link_report
from tracker.urls import canonicalize, normalize

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)

_spec = importlib.util.spec_from_file_location("bench_import", ROOT / "benchmarks" / "import" / "bench_import.py")
assert _spec and _spec.loader
_bench_import = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_bench_import)
synthetic: Callable[[Path, int], Path] = _bench_import.synthetic


def _load() -> str:
    return "load %s" % " ".join(f"{x:.2f}" for x in os.getloadavg())


class Backend:
    """A fresh database per case: a SQLite file, or a PostgreSQL database created on the server."""

    def __init__(self, name: str, base: Path, pg_url: str | None) -> None:
        self.name, self.base, self.pg_url = name, base, pg_url
        self.created: list[str] = []

    def fresh(self, label: str) -> str:
        if self.name == "sqlite":
            path = self.base / f"{label}.db"
            path.unlink(missing_ok=True)
            return f"sqlite:///{path}"
        assert self.pg_url
        dbname = f"bench_i15_{label}".replace("-", "_")
        admin = create_engine(make_url(self.pg_url).set(drivername="postgresql+psycopg"),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}"'))
            conn.execute(text(f'CREATE DATABASE "{dbname}"'))
        admin.dispose()
        self.created.append(dbname)
        return str(make_url(self.pg_url).set(database=dbname).render_as_string(hide_password=False))

    def drop_all(self) -> None:
        if self.name != "postgresql" or not self.created:
            return
        assert self.pg_url
        admin = create_engine(make_url(self.pg_url).set(drivername="postgresql+psycopg"),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for dbname in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}"'))
        admin.dispose()


#: CPU seconds of this process for the last ``_timed`` call, by case (see ``--cpu``)
CPU: dict[str, float] = {}


def _timed(fn: Callable[[], Any], name: str = "") -> tuple[float, Any]:
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    CPU[name] = time.process_time() - cpu
    return time.perf_counter() - start, out


def _cold_caches() -> None:
    """Empty the process-wide URL caches before an import, as a fresh ``tracker import``
    process finds them: otherwise the database timed second at a size finds the URLs the
    first one just normalised (all of them up to 65,536, none beyond), which made
    PostgreSQL look cheaper than SQLite at 50,000 links and dearer at 100,000."""
    normalize.cache_clear()
    canonicalize.cache_clear()


def _paused(fn: Callable[[], Any]) -> Any:
    """``fn()`` with the cyclic garbage collector paused, as ``tracker report``/``export`` run."""
    with gc_paused():
        return fn()


def _no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"nothing is due, yet {request.url} was requested")


def _settle_statuses(db: Database) -> None:
    """Give every resource a status that is not due (a few dead with archived copies,
    some redirected), as after a full check a day ago."""
    checked, later = NOW - timedelta(days=1), NOW + timedelta(days=6)
    with db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO link_status (resource_id, state, previous_state, state_since, reason, http_status,"
            " final_url, suggested_url, soft404, consecutive_failures, last_ok_at, last_checked_at,"
            " next_check_at, elapsed_ms, content_type, title, archive_outcome, archive_url)"
            " SELECT id, CASE WHEN id % 50 = 0 THEN 'dead' WHEN id % 20 = 0 THEN 'redirected' ELSE 'alive' END,"
            " NULL, :checked, 'ok', 200, url, CASE WHEN id % 20 = 0 THEN url || '/moved' END, :f, 0,"
            " :checked, :checked, :later, 10, 'text/html', '',"
            " CASE WHEN id % 50 = 0 THEN 'found' END,"
            " CASE WHEN id % 50 = 0 THEN 'https://web.archive.org/web/2025/' || url END FROM resources"),
            {"checked": checked, "later": later, "f": False})


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _import_once(backend: Backend, doc: Path, label: str) -> tuple[float, float]:
    """One import of ``doc`` into a fresh database that is then set aside: (wall, CPU) seconds."""
    url = backend.fresh(label)
    settings = load_settings(env={}, overrides={"database_url": url, "now": NOW.isoformat()})
    db = open_database(url)
    try:
        _cold_caches()
        wall, _ = _timed(lambda: import_document(db, doc, settings), "import")
        return wall, CPU["import"]
    finally:
        db.dispose()


def run_size(backend: Backend, doc: Path, links: int, repeat: int = 1) -> dict[str, float]:
    extra = [_import_once(backend, doc, f"{backend.name}-{links}-r{n}") for n in range(1, repeat)]
    url = backend.fresh(f"{backend.name}-{links}")
    settings = load_settings(env={}, overrides={"database_url": url, "now": NOW.isoformat()})
    db = open_database(url)
    out: dict[str, float] = {}
    try:
        _cold_caches()
        out["import"], results = _timed(lambda: import_document(db, doc, settings), "import")
        out["links"] = results[0].links
        walls = [out["import"]] + [wall for wall, _ in extra]
        cpus = [CPU["import"]] + [cpu for _, cpu in extra]
        out["import"], out["import-min"] = _median(walls), min(walls)
        out["cpu:import"] = _median(cpus)
        _cold_caches()
        out["reimport"], again = _timed(lambda: import_document(db, doc, settings), "reimport")
        assert not again[0].created
        _settle_statuses(db)
        out["check"], report = _timed(lambda: check_links(
            db, settings, transport=httpx.MockTransport(_no_network),
            wayback_transport=httpx.MockTransport(_no_network)), "check")
        assert report.checked == 0 and report.total >= links * 0.9, report.as_dict()

        def plan() -> int:  # the planning queries alone (what a check with nothing due needs)
            with db.transaction() as session:
                due = repo_links.due_resource_ids(session, NOW)
                repo_links.resources_with_status(session, due)
                repo_links.state_counts(session)
                repo_links.archive_candidates(session)
                return repo_links.count_resources(session)
        out["plan"], _ = _timed(plan, "plan")
        renderers: dict[str, Callable[[Any], Any]] = {
            "md": lambda r: "\n".join(render_markdown(r)),
            "json": lambda r: to_json(report_json(r)),  # as `tracker report links --format json` writes it
            "html": lambda r: "\n".join(render_html(r))}
        for fmt, render in renderers.items():  # as the CLI runs them: the collector paused (tracker.bulk)
            out[f"report-{fmt}"], _ = _timed(lambda: _paused(lambda: render(link_report(db, settings))),
                                             f"report-{fmt}")
        for fmt in ("md", "json", "csv"):
            out[f"export-{fmt}"], _ = _timed(lambda: _paused(
                lambda: release.render_export(release.export_list(db, settings), fmt)), f"export-{fmt}")
        out.update({f"cpu:{name}": seconds for name, seconds in CPU.items() if name != "import"})
    finally:
        db.dispose()
    return out


def explain(backend: Backend, links: int) -> None:
    """The plans of the due-time and state queries (run after ``run_size``)."""
    name = f"{backend.name}-{links}"
    url = (f"sqlite:///{backend.base / (name + '.db')}" if backend.name == "sqlite" else
           str(make_url(backend.pg_url or "").set(database=f"bench_i15_{name}".replace("-", "_"))
               .render_as_string(hide_password=False)))
    db = open_database(url)
    with db.transaction() as session:
        for title, plan in repo_links.explain_planning(session, NOW):
            print(f"  [{backend.name}] {title}:")
            for line in plan:
                print(f"      {line}")
    db.dispose()


def _git_history(folder: Path, commits: int) -> Path:
    """A git repository of ``commits`` commits of one README.md list (an "awesome" list):
    200 links, then each commit adds one, every tenth also rewords a line
    (``git fast-import`` keeps building it quick)."""
    repo = folder / "awesome"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    lines = ["# Awesome synthetic list", ""]
    stream = []
    n = 0
    for c in range(commits):
        if c % 50 == 0:
            lines += ["", f"## Section {c // 50}", ""]
        for _ in range(200 if c == 0 else 1):
            lines.append(f"- [Project {n}](https://site{n % 211}.example.org/p/{n}) - a tool for task {n}.")
            n += 1
        if c % 10 == 9:
            i = 3 + (c * 7) % (len(lines) - 3)
            if lines[i].startswith("- "):
                lines[i] = lines[i].replace("a tool", "a useful tool", 1)
        data = ("\n".join(lines) + "\n").encode()
        stamp = 1_600_000_000 + c * 3600
        stream.append(f"commit refs/heads/main\ncommitter Bench <bench@example.org> {stamp} +0000\n"
                      f"data {len(f'c{c}')}\nc{c}\n"  # later commits follow the branch's tip
                      f"M 100644 inline README.md\ndata {len(data)}\n")
        stream.append(data)
        stream.append(b"\n")
    payload = b"".join(s.encode() if isinstance(s, str) else s for s in stream)
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=payload, check=True)
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "main"], check=True)
    return repo


_CHILD = r"""
import sys, time
from tracker.config import load_settings
from tracker.db.session import open_database
from tracker.services.import_ import import_document
url, path = sys.argv[1], sys.argv[2]
settings = load_settings(env={}, overrides={"database_url": url, "now": "2026-11-30T12:00:00Z"})
db = open_database(url)
start = time.perf_counter()
results = import_document(db, path, settings, history=True)
elapsed = time.perf_counter() - start
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent (this benchmark)
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(elapsed, sum(r.created for r in results), max(r.links for r in results), peak)
"""


def run_history(backend: Backend, repo: Path, commits: int) -> dict[str, float]:
    url = backend.fresh(f"{backend.name}-history-{commits}")
    open_database(url).dispose()  # schema first: the child measures the import only
    done = subprocess.run([sys.executable, "-c", _CHILD, url, str(repo)], check=True,
                          capture_output=True, text=True)
    elapsed, created, links, rss_kb = done.stdout.split()
    return {"s": float(elapsed), "versions": int(created), "links": int(links), "rss_mb": int(rss_kb) / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="3000,30000,50000,100000",
                        help="comma-separated link counts (default: %(default)s)")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server to create databases on")
    parser.add_argument("--history", type=int, default=1000, metavar="N",
                        help="commits in the --history case (0: skip; default: %(default)s)")
    parser.add_argument("--explain", action="store_true", help="print the planning queries' plans")
    parser.add_argument("--repeat", type=int, default=5, metavar="R",
                        help="imports per size and database, each into a fresh database; the median "
                             "and the minimum are reported (default: %(default)s)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    cols = ["import", "import-min", "reimport", "check", "plan", "report-md", "report-json", "report-html",
            "export-md", "export-json", "export-csv"]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        backends = [Backend("sqlite", base, None)]
        if args.postgres:
            backends.append(Backend("postgresql", base, args.postgres))
        print(f"python {sys.version.split()[0]}; {_load()}; figures in seconds")
        print(f"{'db':10} {'links':>7} " + " ".join(f"{c:>11}" for c in cols) + "  µs/link(median, min)  load")
        try:
            for size in sizes:
                doc = synthetic(base / f"doc{size}", size)
                for backend in backends:
                    r = run_size(backend, doc, size, max(1, args.repeat))
                    print(f"{backend.name:10} {r['links']:>7.0f} " + " ".join(f"{r[c]:>11.3f}" for c in cols)
                          + f"  {r['import'] / r['links'] * 1e6:>11.1f} {r['import-min'] / r['links'] * 1e6:>8.1f}  {_load()}",
                          flush=True)
                    print(f"{'  cpu':10} {'':>7} " + " ".join(f"{r.get('cpu:' + c, float('nan')):>11.3f}" for c in cols)
                          + "  (CPU s of this process)", flush=True)
            if args.explain and sizes:
                for backend in backends:
                    explain(backend, sizes[-1])
            if args.history:
                repo = _git_history(base, args.history)
                for backend in backends:
                    h = run_history(backend, repo, args.history)
                    print(f"history {backend.name:10} {args.history} commits: {h['s']:.1f} s, "
                          f"{h['versions']} versions, last {h['links']} links, peak RSS (VmHWM) {h['rss_mb']:.0f} MB, "
                          f"{_load()}", flush=True)
        finally:
            for backend in backends:
                backend.drop_all()


if __name__ == "__main__":
    main()
