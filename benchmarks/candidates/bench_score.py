"""Benchmark: score 10,000 feed items against every chapter of the newest handbook.

Profiles come from the handbook fixture (parsed, no database); items are the real
entries of the shared feed fixtures, parsed by the crawler's own parsers, cycled
with a numeric suffix until there are 10,000 distinct texts (titles, URLs and
summaries as a crawl stores them). Timed: building the scorer, cleaning the item
texts (``item_text``) and ``TopicScorer.score_items`` (top 3 topics and a reason
for each item) — what ``tracker propose`` does per run, minus the database.

    .venv/bin/python benchmarks/candidates/bench_score.py [--items 10000] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(os.environ.get("TRACKER_FIXTURES", ROOT.parent / "shared" / "fixtures"))
sys.path.insert(0, str(ROOT / "src"))

from tracker.candidates.corpus import corpus_from_parsed  # noqa: E402
from tracker.candidates.profiles import build_profiles  # noqa: E402
from tracker.candidates.scoring import TopicScorer  # noqa: E402
from tracker.candidates.text import item_text  # noqa: E402
from tracker.document.structure import parse_document  # noqa: E402
from tracker.services.document_source import read_path  # noqa: E402
from tracker.sources import parse_body  # noqa: E402

KINDS = {"arxiv_api": "arxiv", "arxiv_rss": "arxiv-listing", "youtube": "youtube"}


def feed_items() -> list[tuple[str, str, str]]:
    items = []
    for path in sorted((FIXTURES / "feeds").glob("*.xml")):
        kind = next((k for prefix, k in KINDS.items() if path.name.startswith(prefix)), "feed")
        parsed = parse_body(kind, path.read_bytes(), f"https://example.org/{path.name}")
        items += [(i.title, i.url, i.summary) for i in parsed.items]
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    snapshot = read_path(FIXTURES / "genai-handbook" / "2026-02-02_a7c5287")
    corpus = corpus_from_parsed(parse_document(snapshot.files), snapshot.files)
    base = feed_items()
    raw = [(f"{t} {n // len(base)}", u, s) for n, (t, u, s) in
           ((n, base[n % len(base)]) for n in range(args.items))]
    runs = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        scorer = TopicScorer(build_profiles(corpus.topics, corpus.links))
        t1 = time.perf_counter()
        texts = [item_text(t, u, s) for t, u, s in raw]
        t2 = time.perf_counter()
        scored = scorer.score_items(texts, top=3)
        t3 = time.perf_counter()
        assert len(scored) == args.items and all(len(s.topics) == 3 for s in scored)
        runs.append({"fit": t1 - t0, "clean": t2 - t1, "score": t3 - t2, "total": t3 - t0})
    median = {k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0]}
    report = {"items": args.items, "distinct_feed_entries": len(base), "chapters": len(scorer.slugs),
              "vocabulary": len(scorer._terms), "runs": args.repeat, "median_seconds": median,
              "items_per_second": round(args.items / median["total"]), "python": platform.python_version(),
              "cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{args.items} items ({len(base)} distinct feed entries) × {report['chapters']} chapters, "
          f"vocabulary {report['vocabulary']}, median of {args.repeat}:")
    for key in ("fit", "clean", "score", "total"):
        print(f"  {key:<6} {median[key]:7.3f} s")
    print(f"  {report['items_per_second']} items/s; load average {report['load_average']}")


if __name__ == "__main__":
    main()
