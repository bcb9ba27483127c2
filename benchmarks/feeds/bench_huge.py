"""A feed at the body cap made of tiny entries: CPU and peak RSS to parse it and to crawl it.

Each scenario runs in its own process (``resource.getrusage`` peak RSS is per process).
The feeds are generated here (our own text) at ``[crawl] max_body_bytes`` (10 MB):
``<item>`` entries of ~65 bytes (the most entries per byte), and one entry whose
description is 3.3 million unclosed ``<x>`` tags (the most elements per byte, read by
feedparser's lenient parser once the strict one gives up).

    .venv/bin/python benchmarks/feeds/bench_huge.py
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CAP = 10 * 1024 * 1024


def feed_body() -> bytes:
    parts, size, i = [], 0, 0
    while size < CAP - 200:
        item = f"<item><title>t{i}</title><link>https://b.test/{i}</link></item>"
        parts.append(item)
        size, i = size + len(item), i + 1
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>B</title>{"".join(parts)}</channel></rss>'.encode()


def tags_body() -> bytes:
    """One entry whose description is '<x>' (never closed) up to the cap."""
    head = ('<?xml version="1.0"?><rss version="2.0"><channel><title>B</title><item><title>a</title>'
            "<link>https://b.test/a</link><description>")
    return (head + "<x>" * ((CAP - len(head) - 100) // 3) + "</description></item></channel></rss>").encode()


def tags() -> dict[str, object]:
    from tracker.sources import parse_body

    body = tags_body()
    start = time.process_time()
    parsed = parse_body("feed", body, "https://b.test/feed")
    return {"tags": body.count(b"<"), "items": len(parsed.items), "cpu_s": time.process_time() - start}


def parse() -> dict[str, object]:
    from tracker.sources import parse_body

    body = feed_body()
    start = time.process_time()
    parsed = parse_body("feed", body, "https://b.test/feed")
    return {"entries": body.count(b"<item>"), "items": len(parsed.items), "cpu_s": time.process_time() - start}


def crawl() -> dict[str, object]:
    import httpx

    from tracker.config import load_settings
    from tracker.db.session import open_database
    from tracker.fetch.feeds import FeedClient
    from tracker.services import sources as source_service
    from tracker.services.crawl import crawl as run_crawl

    body = feed_body()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        settings = load_settings(env={}, overrides={"database_url": url, "now": "2026-11-23T12:00:00Z",
                                                     "check": {"host_interval": 0}})
        db = open_database(url)
        source_service.add_source(db, settings, "feed", "https://b.test/feed", name="huge")
        transport = httpx.MockTransport(lambda _r: httpx.Response(200, content=body,
                                                                  headers={"content-type": "application/rss+xml"}))
        start = time.process_time()
        reports = run_crawl(db, settings, client=FeedClient(settings, transport=transport))
        return {"entries": body.count(b"<item>"), "new": reports[0].new, "cpu_s": time.process_time() - start}


def main() -> None:
    if len(sys.argv) == 2:
        result = {"parse": parse, "crawl": crawl, "tags": tags}[sys.argv[1]]()
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    for scenario in ("parse", "crawl", "tags"):
        out = subprocess.run([sys.executable, __file__, scenario], check=True, capture_output=True, text=True)
        print(scenario, out.stdout.strip())


if __name__ == "__main__":
    main()
