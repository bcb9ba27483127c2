"""Start-up cost of the ``tracker`` command line, each command in fresh processes.

For every case: min and median wall time and CPU time (user + sys of the child,
from ``getrusage``) over N runs, and, from one extra run under
``python -X importtime``, the total import time and the packages whose own
module code took longest to import (self times summed per top-level package). On a shared
machine read the CPU columns: wall time includes waiting for a core.

Cases: the interpreter alone (the floor), ``import click``, ``tracker --help``,
``--version``, ``check --help``, ``sources --help``, and ``check`` on a current,
empty SQLite database (nothing due). ``--db URL`` adds ``check`` on a database
of your own (make sure nothing is due there, or it will fetch).

    python benchmarks/startup/bench_startup.py            # 10 runs per case
    python benchmarks/startup/bench_startup.py -n 20 --top 10
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout, for ``benchmarks.installed``

from benchmarks.installed import compile_tracker  # noqa: E402

NOW = "2026-11-23T09:00:00Z"  # the check reads TRACKER_NOW, never the clock of the day


def tracker_command() -> list[str]:
    """The console script next to this interpreter (what users run), else ``-m tracker``."""
    script = Path(sys.executable).with_name("tracker")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tracker"]


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one child process; fails loudly when it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def import_times(python_argv: list[str], env: dict[str, str]) -> dict[str, float]:
    """Seconds spent in each top-level package's own module code while importing
    (``-X importtime`` self times summed per package: the figures add up to the total)."""
    done = subprocess.run([sys.executable, "-X", "importtime", *python_argv], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    totals: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        own, _, name = line.removeprefix("import time:").split("|")
        if own.strip().isdigit():  # not the header line
            package = name.strip().split(".")[0]
            totals[package] = totals.get(package, 0.0) + int(own) / 1e6
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=10, help="runs per case (default 10)")
    parser.add_argument("--top", type=int, default=6, help="heaviest imports to list per case")
    parser.add_argument("--db", help="also time `check` on this database URL (nothing should be due)")
    args = parser.parse_args()
    compile_tracker()  # as an installed tracker starts: from bytecode

    tracker = tracker_command()
    work = Path(tempfile.mkdtemp(prefix="tracker-startup-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env["TRACKER_NOW"] = NOW
    empty_db = f"sqlite:///{work / 'empty.db'}"
    subprocess.run([*tracker, "--db", empty_db, "db", "upgrade"], env=env, check=True, capture_output=True)

    probe = "import sys; from tracker.cli import main; sys.argv = ['tracker', *sys.argv[1:]]; main()"
    cases: list[tuple[str, list[str], list[str]]] = [  # (label, argv, python argv for -X importtime)
        ("python -c pass", [sys.executable, "-c", "pass"], ["-c", "pass"]),
        ("python -c 'import click'", [sys.executable, "-c", "import click"], ["-c", "import click"]),
    ]
    for label, tracker_args in [("tracker --help", ["--help"]), ("tracker --version", ["--version"]),
                                ("tracker check --help", ["check", "--help"]),
                                ("tracker sources --help", ["sources", "--help"]),
                                ("tracker check (empty db, nothing due)", ["--db", empty_db, "check"])] + \
            ([("tracker check (--db given)", ["--db", args.db, "check"])] if args.db else []):
        cases.append((label, [*tracker, *tracker_args], ["-c", probe, *tracker_args]))

    load = os.getloadavg()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {args.runs} runs per case\n")
    print(f"{'case':40} {'wall min':>9} {'wall med':>9} {'cpu min':>8} {'cpu med':>8}")
    heaviest: list[tuple[str, dict[str, float]]] = []
    for label, argv, python_argv in cases:
        run_once(argv, env)  # warm the page cache and .pyc files
        walls, cpus = zip(*(run_once(argv, env) for _ in range(args.runs)))
        print(f"{label:40} {min(walls):8.3f}s {statistics.median(walls):8.3f}s "
              f"{min(cpus):7.3f}s {statistics.median(cpus):7.3f}s", flush=True)
        heaviest.append((label, import_times(python_argv, env)))
    print("\nimport time per case (one -X importtime run; seconds): total, then the heaviest packages")
    for label, totals in heaviest:
        top = sorted(totals.items(), key=lambda kv: -kv[1])[:args.top]
        print(f"  {label}: {sum(totals.values()):.3f} = " +
              ", ".join(f"{name} {seconds:.3f}" for name, seconds in top) + ", …")
    load = os.getloadavg()
    print(f"\nload average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
