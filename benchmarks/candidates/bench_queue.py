"""Benchmark: one week at arXiv volume through ``crawl`` + ``propose`` into the budgeted queue.

The stream: 7,000 arXiv-like papers announced in seven category listings (1,000
each), served over HTTP from 127.0.0.1, plus one followed blog on 127.0.0.2.
6,970 papers are *background*: the real arXiv entries of the shared feed
fixtures (``../shared/fixtures/feeds``, read at run time and parsed by the
crawler's own parsers), each rewritten through title and abstract templates
into distinct papers. 30 are *planted*: one per handbook chapter, written from
that chapter's own words (its title and the first sentences of its prose in the
newest handbook fixture, read at run time) — papers a maintainer would want.
The blog links 20 of the planted papers (its entries point at their arXiv abs
URLs, so the crawler merges them into the papers' items) and posts 10 things of
its own.

Measured: wall time of ``crawl`` (all sources) and ``propose`` on a fresh SQLite
database with the newest handbook imported; then the queue is checked against
the Done-when of issue 13: at most ``weekly_budget`` queued, ≥ 80 % of it
planted, every corroborated planted paper inside it.

    .venv/bin/python benchmarks/candidates/bench_queue.py [--papers 7000] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import tempfile
import threading
import time
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(os.environ.get("TRACKER_FIXTURES", ROOT.parent / "shared" / "fixtures"))
sys.path.insert(0, str(ROOT / "src"))

from tracker.config import load_settings  # noqa: E402
from tracker.db.session import open_database  # noqa: E402
from tracker.document.structure import parse_document  # noqa: E402
from tracker.services.crawl import crawl  # noqa: E402
from tracker.services.document_source import read_path  # noqa: E402
from tracker.services.import_ import import_document  # noqa: E402
from tracker.services.propose import propose  # noqa: E402
from tracker.services.review import queue  # noqa: E402
from tracker.services.sources import add_source  # noqa: E402
from tracker.sources import parse_body  # noqa: E402

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)  # Friday of 2026-W48
HANDBOOK = FIXTURES / "genai-handbook" / "2026-02-02_a7c5287"
CATEGORIES = ["cs.CL", "cs.LG", "cs.AI", "stat.ML", "cs.CV", "cs.IR", "cs.NE"]
PLANTED, CORROBORATED = 30, 20
TITLE_TEMPLATES = ["{t}", "Revisiting {t}", "Towards {t}", "On {t}", "{t}: A Study", "Rethinking {t}",
                   "{t} at Scale", "Efficient {t}", "A Note on {t}", "Beyond {t}"]
ABSTRACT_TEMPLATES = ["{a}", "{a} We release code and models.", "In this work, {a}",
                      "{a} Experiments on several benchmarks confirm these findings.",
                      "{a} We also discuss limitations."]
PLANTED_TITLES = ["{c}: a practical study", "Understanding {c}", "{c} revisited", "A closer look at {c}"]
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def background() -> list[tuple[str, str]]:
    """(title, abstract) of every real arXiv entry in the shared feed fixtures."""
    out = []
    for path in sorted((FIXTURES / "feeds").glob("arxiv_*.xml")):
        kind = "arxiv" if path.name.startswith("arxiv_api") else "arxiv-listing"
        for item in parse_body(kind, path.read_bytes(), f"https://example.org/{path.name}").items:
            abstract = item.summary.split("Abstract:", 1)[-1].strip()
            if item.title and abstract:
                out.append((item.title, abstract))
    return out


def planted() -> list[tuple[str, str, str]]:
    """(chapter slug, title, abstract) of one paper per chapter, from the chapter's own prose."""
    snapshot = read_path(HANDBOOK)
    parsed = parse_document(snapshot.files)
    chapters = [t for t in parsed.topics if t.kind == "chapter" and len(t.text) > 400]
    step = len(chapters) / PLANTED
    out = []
    for n in range(PLANTED):
        chapter = chapters[int(n * step)]
        prose = " ".join(s for s in _SENTENCE.split(" ".join(chapter.text.split()))[:4])
        title = PLANTED_TITLES[n % len(PLANTED_TITLES)].format(c=chapter.title)
        out.append((chapter.slug, title, f"We study {chapter.title.lower()}. {prose[:900]}"))
    return out


def _rss(title: str, items: list[str]) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            f'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<channel><title>{escape(title)}</title><link>http://127.0.0.1/</link><description>d</description>"
            + "".join(items) + "</channel></rss>").encode()


def _paper(aid: str, title: str, abstract: str, category: str, when: datetime) -> str:
    return (f"<item><title>{escape(title)}</title><link>https://arxiv.org/abs/{aid}</link>"
            f"<description>{escape(f'arXiv:{aid}v1 Announce Type: new Abstract: {abstract}')}</description>"
            f'<guid isPermaLink="false">oai:arXiv.org:{aid}v1</guid><category>{category}</category>'
            f"<pubDate>{format_datetime(when)}</pubDate><arxiv:announce_type>new</arxiv:announce_type>"
            f"<dc:creator>A. Author, B. Author</dc:creator></item>")


def build_stream(papers: int) -> tuple[dict[str, bytes], bytes, dict[str, str], set[str]]:
    """Listing bodies by category, the blog feed, planted arXiv id → chapter, corroborated ids."""
    base = background()
    plants = planted()
    when = NOW - timedelta(days=2)
    entries: list[tuple[str, str, str]] = []  # (id, title, abstract)
    planted_ids: dict[str, str] = {}
    spacing = papers // PLANTED
    p = 0
    for n in range(papers):
        aid = f"2611.{n:05d}"
        if n % spacing == spacing // 2 and p < PLANTED:
            slug, title, abstract = plants[p]
            planted_ids[aid] = slug
            p += 1
        else:
            t, a = base[n % len(base)]
            other = base[(n * 7 + 3) % len(base)][1]
            variant = n // len(base)
            title = TITLE_TEMPLATES[variant % len(TITLE_TEMPLATES)].format(t=t) + f" ({variant})"
            abstract = ABSTRACT_TEMPLATES[variant % len(ABSTRACT_TEMPLATES)].format(a=a) + " " + \
                _SENTENCE.split(other)[0]
        entries.append((aid, title, abstract))
    listings: dict[str, list[str]] = {c: [] for c in CATEGORIES}
    for n, (aid, title, abstract) in enumerate(entries):
        category = CATEGORIES[n % len(CATEGORIES)]
        listings[category].append(_paper(aid, title, abstract, category, when))
    corroborated = set(sorted(planted_ids)[:CORROBORATED])
    posts = [f"<item><title>Paper of the day: {escape(next(t for i, t, _a in entries if i == aid))}</title>"
             f"<link>https://arxiv.org/abs/{aid}</link><guid>https://blog.example/{aid}</guid>"
             f"<description>Worth reading this week.</description><pubDate>{format_datetime(when)}</pubDate></item>"
             for aid in sorted(corroborated)]
    posts += [f"<item><title>Weekly notes {n}</title><link>http://127.0.0.2/notes-{n}</link>"
              f"<description>Travel, books and a garden update.</description>"
              f"<pubDate>{format_datetime(when)}</pubDate></item>" for n in range(10)]
    return ({c: _rss(f"{c} updates on arXiv.org", items) for c, items in listings.items()},
            _rss("A followed blog", posts), planted_ids, corroborated)


class _Server:
    """A loopback HTTP server answering fixed bodies by path."""

    def __init__(self, host: str, routes: dict[str, bytes]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                body = routes.get(self.path.split("?")[0])
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=7000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    listings, blog, planted_ids, corroborated = build_stream(args.papers)
    arxiv = _Server("127.0.0.1", {f"/rss/{c}": body for c, body in listings.items()})
    site = _Server("127.0.0.2", {"/feed.xml": blog})
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(env={}, overrides={
            "database_url": f"sqlite:///{tmp}/bench.db", "now": NOW.isoformat(),
            "arxiv": {"listing_url": f"{arxiv.url}/rss/", "min_interval": 0},
            "crawl": {"max_body_bytes": 64 * 1024 * 1024, "timeout": 120}})
        db = open_database(settings.database_url)
        import_document(db, HANDBOOK, settings)
        for category in CATEGORIES:
            add_source(db, settings, "arxiv-listing", category, name=f"arxiv-{category}")
        add_source(db, settings, "feed", f"{site.url}/feed.xml", name="followed-blog")
        t0 = time.perf_counter()
        reports = crawl(db, settings)
        t1 = time.perf_counter()
        result = propose(db, settings)
        t2 = time.perf_counter()
        _week, rows = queue(db, settings, all_=True)
        db.dispose()
    arxiv.close()
    site.close()
    assert all(r.outcome == "fetched" for r in reports), [r.as_dict() for r in reports]
    queued = [r for r in rows if r["status"] == "queued"]
    ids = {r["canonical_id"].removeprefix("arxiv:"): r for r in rows}
    planted_in = [r for r in queued if r["canonical_id"].removeprefix("arxiv:") in planted_ids]
    budget = settings.candidates.weekly_budget
    report = {
        "papers": args.papers, "blog_posts": CORROBORATED + 10, "items": result.items,
        "seconds": {"crawl": round(t1 - t0, 2), "propose": round(t2 - t1, 2), "total": round(t2 - t0, 2)},
        "threshold": result.threshold, "queued": len(queued), "budget": budget,
        "overflow": result.held_back, "off_topic": result.off_topic, "in_document": result.in_document,
        "planted_in_queue": len(planted_in), "planted_share": round(len(planted_in) / max(1, len(queued)), 3),
        "corroborated_in_queue": sum(1 for a in corroborated if ids.get(a, {}).get("status") == "queued"),
        "planted_placed_in_their_chapter": sum(1 for r in planted_in
                                               if r["topic"] == planted_ids[r["canonical_id"][6:]]),
        "python": platform.python_version(), "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    checks = {"under 60 s": report["seconds"]["total"] < 60, "queue <= budget": len(queued) <= budget,
              ">= 80 % planted": len(planted_in) >= 0.8 * budget,
              "every corroborated planted queued": report["corroborated_in_queue"] == CORROBORATED}
    report["checks"] = checks
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:>32}: {value}")
    sys.exit(0 if all(checks.values()) else 1)


if __name__ == "__main__":
    main()
