"""Throughput benchmark: tracker ``check --all`` next to lychee, 20 loopback hosts, audited at the server.

    .venv/bin/python benchmarks/linkcheck/throughput.py                # 1,000 / 10,000 / 50,000 links
    .venv/bin/python benchmarks/linkcheck/throughput.py --links 10000 --settings 64/2/50
    .venv/bin/python benchmarks/linkcheck/throughput.py --links 10000 --settings 64/2/50 --rerun

Per size and setting (in flight / per host / interval ms) it starts
``loopserver.py`` in its own process on 127.0.0.101–120 (every answer 100 ms
late, ~20 KB pages, 5 % ``/gone/`` 404s, no slow-once links), writes one
Markdown document, seeds tracker's database with the same links, then runs
the tracker CLI and lychee one after the other against the same server. For
each tool: wall time, CPU (user + system), peak RSS, requests, and the audit of
the server's own log (kernel arrival stamps): requests in flight beyond the
limit, arrivals on a host closer than the interval minus 5 ms, arrivals within N
s of a ``Retry-After: N``. The politeness bound is links per host × interval.
Prints one table (and ``--out FILE`` writes JSON); ``uptime`` before and after.

``--rerun`` measures the weekly re-check too: after the first ``check --all``, tracker
runs a second one on the same database with ``TRACKER_NOW`` one week later (every page
unchanged: it sends no sibling probe for a page judged beside an answered probe with
the same content), and lychee simply runs again; rows "tracker (rerun)" and
"lychee (rerun)". Both runs of a tool go to the same server process (its ports are the
URLs in the database), and each run's rows are the log entries that arrived while it ran
(a fresh log per run); the server CPU of a run is read from ``/proc`` at its end
(the first run's includes the server's start-up, not its final log write).
tracker's modules are byte-compiled first, as ``pip install`` does (``benchmarks/installed.py``).
Traffic goes only to 127.0.0.x.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # the checkout, for ``benchmarks.linkcheck.loopserver``

from benchmarks.linkcheck.loopserver import LoopServers, audit  # noqa: E402
from benchmarks.installed import compile_tracker  # noqa: E402
from benchmarks.linkcheck.seeding import seed  # noqa: E402

HOSTS = [f"127.0.0.{101 + i}" for i in range(20)]
FOLDERS = 8

_RUN = """
import resource, subprocess, sys, time, json
t0 = time.monotonic()  # the server's log is in monotonic seconds too
p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
t1 = time.monotonic()
wall = t1 - t0
u = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stderr.write(p.stderr.decode(errors="replace")[-2000:])
print(json.dumps({"rc": p.returncode, "wall": wall, "t0": t0, "t1": t1, "cpu": u.ru_utime + u.ru_stime, "rss_mb": u.ru_maxrss / 1024,
                  "stdout": p.stdout.decode(errors="replace")}))
"""


#: ``--tools tracker-noprobe``: tracker with the sibling probe switched off (not a product option;
#: it measures how much of the difference to lychee the probes are)
_NO_PROBE = ("import sys; import tracker.links.judge as j; j.needs_probe = lambda ex: False; "
             "from tracker.cli import main; sys.argv[0] = 'tracker'; sys.exit(main())")


def measured(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``cmd`` in a wrapper process that reports the command's own wall, CPU and peak RSS."""
    proc = subprocess.run([sys.executable, "-c", _RUN, *cmd], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"wrapper failed: {proc.stderr[-2000:]}")
    out: dict[str, Any] = json.loads(proc.stdout)
    out["stderr"] = proc.stderr
    return out


def links_for(web: LoopServers, n: int) -> list[str]:
    urls = []
    for i in range(n):
        host = HOSTS[i % len(HOSTS)]
        k = i // len(HOSTS)
        path = f"/gone/f{k % FOLDERS}/{k}" if i % 20 == 7 else f"/p/f{k % FOLDERS}/{k}"  # 5 % gone
        urls.append(web.url(host, path))
    return urls


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


#: the clock of tracker's first run, and of its re-check one week later (``--rerun``)
FIRST_NOW, RERUN_NOW = "2026-11-23T09:00:00Z", "2026-11-30T09:00:00Z"


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_case(n: int, setting: str, lychee: str, tmp: Path, latency: float, size: int,
             tools: list[str], rerun: bool = False) -> dict[str, Any]:
    total, per_host, interval_ms = (int(x) for x in setting.split("/"))
    interval = interval_ms / 1000
    tag = f"{n}-{setting.replace('/', '_')}"
    case: dict[str, Any] = {"links": n, "setting": setting, "bound_s": round(n / len(HOSTS) * interval, 2)}
    for tool in tools:
        log = tmp / f"log-{tag}-{tool}"
        runs: list[tuple[str, dict[str, Any], float, float]] = []  # label, measured, load before, server CPU
        with LoopServers(HOSTS, str(log), latency=latency, size=size) as web:
            urls = links_for(web, n)
            if tool in ("tracker", "tracker-noprobe"):
                db_url = f"sqlite:///{tmp / ('bench-' + tag + '-' + tool + '.db')}"
                seed(db_url, urls)
                env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")} | {
                    "TRACKER_CHECK__MAX_CONCURRENCY": str(total), "TRACKER_CHECK__HOST_CONCURRENCY": str(per_host),
                    "TRACKER_CHECK__HOST_INTERVAL": str(interval), "TRACKER_CHECK__TIMEOUT": "20",
                    "TRACKER_CHECK__RETRIES": "2"}
                tracker = {"tracker": [str(Path(sys.executable).with_name("tracker"))],
                           "tracker-noprobe": [sys.executable, "-c", _NO_PROBE],  # the floor without soft-404 probes
                           }[tool]
                for label, now in [(tool, FIRST_NOW), (f"{tool} (rerun)", RERUN_NOW)][:2 if rerun else 1]:
                    load_before = os.getloadavg()[0]
                    res = measured([*tracker, "--db", db_url, "check", "--all", "--format", "json"],
                                   env | {"TRACKER_NOW": now})
                    report = json.loads(res["stdout"]) if res["rc"] in (0, 2) else {}
                    res["summary"] = report.get("summary", {})
                    runs.append((label, res, load_before, server_cpu(web.proc.pid)))
            else:
                md = tmp / f"doc-{n}.md"
                md.write_text("".join(f"- [link {i}]({u})\n" for i, u in enumerate(urls)))
                for label in [tool, f"{tool} (rerun)"][:2 if rerun else 1]:
                    load_before = os.getloadavg()[0]
                    res = measured([lychee, "--no-progress", "--format", "json", "--max-concurrency", str(total),
                                    "--host-concurrency", str(per_host), "--host-request-interval",
                                    f"{interval_ms}ms", "--timeout", "20", "--max-retries", "2",
                                    str(md)], dict(os.environ))
                    try:
                        data = json.loads(res["stdout"])
                        res["summary"] = {k: data.get(k) for k in ("total", "successful", "errors")}
                    except json.JSONDecodeError:
                        res["summary"] = {}
                    runs.append((label, res, load_before, server_cpu(web.proc.pid)))
            entries = web.stop()
        cpu_before = 0.0
        for label, res, load_before, cpu_at_end in runs:
            # a run's own log: what arrived while it ran (all of it, without ``--rerun``)
            mine = entries if len(runs) == 1 else [e for e in entries if res["t0"] <= e.arrival <= res["t1"]]
            found = audit(mine, limit=per_host, interval=interval)
            server_cpu_s = web.cpu if len(runs) == 1 else cpu_at_end - cpu_before
            cpu_before = cpu_at_end
            case[label] = {"wall_s": round(res["wall"], 2), "cpu_s": round(res["cpu"], 2),
                           "cpu_ms_per_link": round(res["cpu"] * 1000 / n, 3), "rss_mb": round(res["rss_mb"], 1),
                           "requests": len(mine), "server_cpu_s": round(server_cpu_s, 2), "load_before": load_before,
                           "violations": {k: found[k] for k in ("in_flight", "gap", "retry_after")},
                           "max_in_flight": found["max_in_flight"], "min_gap_ms": found["min_gap_ms"],
                           "probes": sum(1 for e in mine if "tracker-probe" in e.path),
                           "phases": phases(mine, res["t0"], res["t1"], interval), "summary": res["summary"],
                           "rc": res["rc"]}
            if res["rc"] not in (0, 2):
                case[label]["stderr"] = res["stderr"][-1500:]
        if len(runs) > 1 and sum(case[label]["requests"] for label, *_ in runs) != len(entries):
            print(f"warning: {len(entries) - sum(case[label]['requests'] for label, *_ in runs)} of {tool}'s "
                  "requests arrived outside its runs", file=sys.stderr)
    return case


def phases(entries: list[Any], t0: float, t1: float, interval: float) -> dict[str, float]:
    """Where a run's wall time went, from the server's arrival stamps (the same clock as ``t0``/``t1``):
    start-up (process start to first arrival), fetching (first to last arrival, and the mean of each
    host's span), the tail (last answer to process end) and the mean lateness of a host's next
    arrival beyond ``interval``."""
    if not entries:
        return {}
    by_host: dict[str, list[float]] = {}
    for e in entries:
        by_host.setdefault(e.host, []).append(e.arrival)
    late = [b - a - interval for rows in by_host.values() for a, b in zip(sorted(rows), sorted(rows)[1:])]
    spans = [max(rows) - min(rows) for rows in by_host.values()]
    return {"startup_s": round(min(e.arrival for e in entries) - t0, 3),
            "fetch_s": round(max(e.arrival for e in entries) - min(e.arrival for e in entries), 3),
            "host_span_s": round(sum(spans) / len(spans), 3),
            "tail_s": round(t1 - max(e.end for e in entries), 3),
            "late_ms_per_gap": round(1000 * sum(late) / max(1, len(late)), 3)}


def row_labels(tools: list[str], rerun: bool) -> list[str]:
    """The table's tools: each tool's first run, then (``--rerun``) each one's re-check."""
    return tools + [f"{tool} (rerun)" for tool in tools] if rerun else tools


def table(cases: list[dict[str, Any]], tools: list[str]) -> str:
    rows = ["| links | setting | bound | tool | wall s | ×lychee | ×bound | CPU s | CPU ms/link | peak RSS MB "
            "| requests | server CPU s | in-flight / gap / Retry-After violations | load |",
            "|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    for c in cases:
        for tool in tools:
            r = c.get(tool)
            if not r:
                continue
            ly = c.get("lychee (rerun)" if tool.endswith("(rerun)") else "lychee", {}).get("wall_s")
            v = r["violations"]
            rows.append(f"| {c['links']:,} | {c['setting']} | {c['bound_s']} s | {tool} | {r['wall_s']} | "
                        f"{r['wall_s'] / ly:.2f} | {r['wall_s'] / c['bound_s']:.2f} | {r['cpu_s']} | "
                        f"{r['cpu_ms_per_link']} | {r['rss_mb']} | {r['requests']} | {r['server_cpu_s']} | "
                        f"{v['in_flight']} / {v['gap']} / {v['retry_after']} | {r['load_before']:.1f} |"
                        if ly else
                        f"| {c['links']:,} | {c['setting']} | {c['bound_s']} s | {tool} | {r['wall_s']} | – | "
                        f"{r['wall_s'] / c['bound_s']:.2f} | {r['cpu_s']} | {r['cpu_ms_per_link']} | {r['rss_mb']} | "
                        f"{r['requests']} | {r['server_cpu_s']} | {v['in_flight']} / {v['gap']} / {v['retry_after']} "
                        f"| {r['load_before']:.1f} |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--links", default="1000,10000,50000")
    ap.add_argument("--settings", default="64/2/50,128/10/20",
                    help="comma-separated in-flight/per-host/interval-ms; 128/10/20 runs at 10,000 links only "
                         "unless --all-settings")
    ap.add_argument("--all-settings", action="store_true")
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--size", type=int, default=20_000)
    ap.add_argument("--tools", default="tracker,lychee")
    ap.add_argument("--lychee", default=shutil.which("lychee") or str(Path(sys.executable).with_name("lychee")))
    ap.add_argument("--rerun", action="store_true",
                    help="then a second check of the same links (tracker: the same database, TRACKER_NOW a week "
                         "later; lychee: again), reported as 'TOOL (rerun)'")
    ap.add_argument("--out", default="")
    opts = ap.parse_args()
    compile_tracker()  # as an installed tracker starts: from bytecode
    tools = opts.tools.split(",")
    labels = row_labels(tools, opts.rerun)
    tmp = Path(tempfile.mkdtemp(prefix="linkthroughput-"))
    cases = []
    print(f"before: {uptime()}", file=sys.stderr)
    for n in (int(x) for x in opts.links.split(",")):
        for setting in opts.settings.split(","):
            if setting != opts.settings.split(",")[0] and n != 10000 and not opts.all_settings:
                continue
            print(f"… {n} links at {setting}", file=sys.stderr, flush=True)
            cases.append(run_case(n, setting, opts.lychee, tmp, opts.latency, opts.size, tools, opts.rerun))
    after = uptime()
    print(f"after: {after}", file=sys.stderr)
    print(table(cases, labels))
    print("\n| links | setting | tool | start-up s | first→last arrival s | mean host span s | tail s "
          "| late ms/gap | sibling probes |\n|---:|---|---|---:|---:|---:|---:|---:|---:|")
    for c in cases:
        for tool in labels:
            ph = c.get(tool, {}).get("phases") or {}
            if ph:
                print(f"| {c['links']:,} | {c['setting']} | {tool} | {ph['startup_s']} | {ph['fetch_s']} | "
                      f"{ph['host_span_s']} | {ph['tail_s']} | {ph['late_ms_per_gap']} | {c[tool]['probes']} |")
    print(f"\nmachine: {os.cpu_count()} cores; {after}")
    if opts.out:
        Path(opts.out).write_text(json.dumps({"cases": cases, "uptime_after": after,
                                              "lychee": subprocess.run([opts.lychee, "--version"], capture_output=True,
                                                                       text=True).stdout.strip()}, indent=2))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
