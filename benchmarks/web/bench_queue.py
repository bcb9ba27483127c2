"""Server time of the queue page with 1,000 queued candidates.

Imports the newest handbook fixture into a fresh SQLite file, stores 1,000 feed items
and queues them as candidates spread over the handbook's chapters (already scored
against the latest version, as `tracker propose` leaves them), then requests `/`
through the WSGI app (Flask's test client: no network, so the figure is the server's
own time: routing, the queue service, the summaries, template rendering) and prints
the best, median and 95th percentile of N requests. Run from the repository root:

    .venv/bin/python benchmarks/web/bench_queue.py [--candidates 1000] [--requests 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tracker.config import load_settings
from tracker.db.models_candidates import Candidate
from tracker.db.models_core import DocumentVersion, Topic
from tracker.db.models_feeds import FeedItem, FeedSource
from tracker.db.session import open_database
from tracker.services.import_ import import_document
from tracker.web import create_app

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(os.environ.get("TRACKER_FIXTURES", ROOT.parent / "shared" / "fixtures"))
HANDBOOK = FIXTURES / "genai-handbook" / "2026-02-02_a7c5287"
NOW = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)
WEEK = "2026-W48"
WORDS = ("attention transformer tokenizer diffusion agents retrieval quantization scaling inference "
         "alignment evaluation speculative decoding mixture experts state space models").split()


def fill(url: str, n: int) -> None:
    from sqlalchemy import select

    settings = load_settings(env={}, overrides={"database_url": url, "now": NOW})
    db = open_database(url)
    import_document(db, HANDBOOK, settings)
    with db.transaction() as session:
        version = session.scalars(select(DocumentVersion).order_by(DocumentVersion.seq.desc())).first()
        assert version is not None
        chapters = list(session.scalars(select(Topic).where(Topic.kind == "chapter", Topic.active.is_(True))
                                        .order_by(Topic.position)))
        source = FeedSource(name="bench", kind="feed", target="http://127.0.0.1:9/feed.xml", topics=[],
                            created_at=NOW)
        session.add(source)
        session.flush()
        for i in range(n):
            words = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(6))
            item = FeedItem(canonical_id=f"bench:{i}", canonical_url=f"https://example.org/post/{i}", kind="blog",
                            url=f"https://example.org/post/{i}", title=f"Post {i}: {words}",
                            summary=(f"<p>{words} " * 40) + "</p>", authors=[f"Author {i % 37}"],
                            first_source_id=source.id, first_seen_at=NOW - timedelta(days=i % 7),
                            last_seen_at=NOW, published_at=NOW - timedelta(days=i % 7))
            session.add(item)
            session.flush()
            top = [chapters[(i + k) % len(chapters)] for k in range(3)]
            session.add(Candidate(document_id=version.document_id, item_id=item.id,
                                  canonical_url=item.canonical_url, status="queued", week=WEEK,
                                  topic_id=top[0].id, score=0.3 - (i % 100) / 1000,
                                  scores=[{"slug": t.slug, "score": 0.3 - k / 10} for k, t in enumerate(top)],
                                  reason=f"matched: {words}", scored_version_id=version.id, created_at=NOW))
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        started = time.perf_counter()
        fill(url, args.candidates)
        print(f"filled {args.candidates} candidates in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        settings = load_settings(env={}, overrides={"database_url": url, "now": NOW})
        db = open_database(url)
        client = create_app(db, settings).test_client()
        first = client.get("/", headers={"Host": "127.0.0.1"})
        body = first.get_data(as_text=True)
        assert first.status_code == 200 and body.count('class="cand"') == args.candidates, first.status_code
        times, cpu = [], []
        for _ in range(args.requests):
            t, c = time.perf_counter(), time.process_time()
            response = client.get("/", headers={"Host": "127.0.0.1"})
            response.get_data()
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        times.sort()
        cpu.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"queue page, {args.candidates} candidates, {len(body) / 1e6:.1f} MB HTML, {args.requests} requests, "
              f"load average {load:.1f} on {os.cpu_count()} CPUs:\n"
              f"  wall: best {times[0]:.0f} ms, median {statistics.median(times):.0f} ms, p95 {p95:.0f} ms\n"
              f"  CPU:  best {cpu[0]:.0f} ms, median {statistics.median(cpu):.0f} ms")
        db.dispose()


if __name__ == "__main__":
    main()
