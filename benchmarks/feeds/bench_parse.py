"""Benchmark: parse every shared feed fixture (bytes → items), time and peak memory per feed.

Usage:
    .venv/bin/python benchmarks/feeds/bench_parse.py [--fixtures DIR] [--repeat 7] [--json]

For each fixture it reports the median wall time of ``repeat`` parses, the first
(cold) parse, and the peak Python heap during one parse (``tracemalloc``, which
also sees expat's buffers: pyexpat allocates through Python's allocator). The
totals answer the issue's budget: all fixtures < 1 s, every feed < 50 MB peak.
A synthetic feed at the 10 MB body cap (generated here, our own text) shows how
the cost grows with size. Nothing is written anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO))

from tests.sources.util import kind_of  # noqa: E402  (fixture file name → source kind)
from tracker.sources import parse_body  # noqa: E402

DEFAULT_FIXTURES = Path(os.environ.get("TRACKER_FIXTURES", REPO.parent / "shared" / "fixtures")) / "feeds"


def synthetic_feed(target_bytes: int) -> bytes:
    """An RSS feed of roughly ``target_bytes`` with HTML descriptions (generated, not copied)."""
    item = ("<item><title>Synthetic post {n}</title><link>https://bench.example/posts/{n}</link>"
            "<guid>bench-{n}</guid><pubDate>Mon, 23 Nov 2026 00:00:00 GMT</pubDate><description>"
            + "&lt;p&gt;" + "word " * 300 + "&lt;/p&gt;" + "</description></item>")
    parts = ['<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>bench</title>']
    size, n = 0, 0
    while size < target_bytes:
        chunk = item.format(n=n)
        parts.append(chunk)
        size += len(chunk)
        n += 1
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def measure(kind: str, body: bytes, repeat: int) -> dict[str, float | int]:
    started = time.perf_counter()
    parsed = parse_body(kind, body, "https://bench.example/feed")
    cold = time.perf_counter() - started
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        parse_body(kind, body, "https://bench.example/feed")
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    parse_body(kind, body, "https://bench.example/feed")
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"bytes": len(body), "items": len(parsed.items), "cold_ms": cold * 1000,
            "median_ms": statistics.median(times) * 1000, "peak_mb": peak / 1024 / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args()
    files = sorted(args.fixtures.glob("*.xml"))
    if not files:
        sys.exit(f"no fixtures in {args.fixtures}")
    rows = {f.name: measure(kind_of(f.name), f.read_bytes(), args.repeat) for f in files}
    started = time.perf_counter()
    for f in files:  # one sequential pass over everything, as a crawl would do
        parse_body(kind_of(f.name), f.read_bytes(), "https://bench.example/feed")
    one_pass = time.perf_counter() - started
    synthetic = measure("feed", synthetic_feed(10 * 1024 * 1024), 1)
    summary = {
        "python": platform.python_version(), "machine": platform.machine(), "fixtures": len(files),
        "total_bytes": sum(r["bytes"] for r in rows.values()),
        "all_fixtures_one_pass_ms": one_pass * 1000,
        "all_fixtures_sum_of_medians_ms": sum(r["median_ms"] for r in rows.values()),
        "all_fixtures_sum_of_cold_ms": sum(r["cold_ms"] for r in rows.values()),
        "max_peak_mb": max(r["peak_mb"] for r in rows.values()),
        "process_max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "synthetic_10mb": synthetic,
    }
    if args.json:
        print(json.dumps({"summary": summary, "fixtures": rows}, indent=2))
        return
    print(f"{'fixture':62} {'KB':>7} {'items':>5} {'cold ms':>8} {'median ms':>9} {'peak MB':>8}")
    for name, r in rows.items():
        print(f"{name[:62]:62} {r['bytes'] / 1024:7.1f} {r['items']:5} {r['cold_ms']:8.1f} "
              f"{r['median_ms']:9.2f} {r['peak_mb']:8.2f}")
    print(f"\n{len(files)} fixtures, {summary['total_bytes'] / 1024:.0f} KB: one pass "
          f"{summary['all_fixtures_one_pass_ms']:.0f} ms, sum of medians {summary['all_fixtures_sum_of_medians_ms']:.0f} ms, "
          f"sum of cold first parses {summary['all_fixtures_sum_of_cold_ms']:.0f} ms; "
          f"largest peak {summary['max_peak_mb']:.1f} MB; process max RSS {summary['process_max_rss_mb']:.0f} MB")
    print(f"synthetic 10 MB feed ({synthetic['items']} items): {synthetic['median_ms']:.0f} ms, "
          f"peak {synthetic['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
