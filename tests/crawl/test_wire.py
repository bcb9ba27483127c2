"""Wire behaviour against real HTTP servers on 127.0.0.1-4 (one address per "host").

Polling every fixture twice (second cycle: zero body bytes), a 50 MB feed, a server
that drips bytes, a redirect to another host, arXiv spacing across two hosts.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.crawl.conftest import make_settings
from tests.crawl.server import FeedServer, Route
from tests.crawl.test_crawl import T0, add
from tests.sources.util import fixture_files, kind_of
from tracker.config import Settings
from tracker.db.session import Database
from tracker.fetch.feeds import FeedClient
from tracker.services.crawl import crawl


@pytest.fixture
def servers() -> Any:
    with FeedServer("127.0.0.1") as blogs, FeedServer("127.0.0.2") as api, \
            FeedServer("127.0.0.3") as rss, FeedServer("127.0.0.4") as youtube:
        yield {"blogs": blogs, "api": api, "rss": rss, "youtube": youtube}


def _settings(db_url: str, servers: dict[str, FeedServer], **crawl: Any) -> Settings:
    return make_settings(db_url, arxiv={"api_url": servers["api"].url("/api/query"),
                                        "listing_url": servers["rss"].url("/rss/"), "min_interval": 0},
                         youtube={"feed_url": servers["youtube"].url("/feeds/videos.xml")},
                         crawl=crawl)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _run(db: Database, settings: Settings, **kwargs: Any) -> Any:
    with FeedClient(settings) as client:
        return crawl(db, settings, client=client, **kwargs)


def test_second_cycle_over_every_fixture_transfers_zero_body_bytes(db: Database, db_url: str,
                                                                    servers: dict[str, FeedServer]) -> None:
    settings = _settings(db_url, servers)
    by_kind = {"arxiv": "api", "arxiv-listing": "rss", "youtube": "youtube", "feed": "blogs"}
    for n, path in enumerate(fixture_files()):
        kind = kind_of(path.name)
        target = {"arxiv": f"all:q{n}", "arxiv-listing": "cs.Q" + "".join(chr(97 + int(d)) for d in str(n)),
                  "youtube": f"UC{n:022d}", "feed": servers["blogs"].url(f"/{path.name}")}[kind]
        url = add(db, settings, kind, target, f"s{n:02d}")
        servers[by_kind[kind]].routes[_path(url)] = Route(path.read_bytes())
    first = _run(db, settings)
    assert len(first) == len(fixture_files()) == 27
    sent_first = sum(s.body_bytes for s in servers.values())
    assert sent_first == sum(p.stat().st_size for p in fixture_files())
    for server in servers.values():
        server.reset()
    second = _run(db, settings, now=T0 + timedelta(hours=25))
    assert len(second) == 27
    assert sum(s.body_bytes for s in servers.values()) == 0
    log = [r for s in servers.values() for r in s.log]
    assert len(log) == 27 and all(r.status == 304 and r.if_none_match for r in log)
    outcomes = {r.outcome for r in second}
    assert outcomes == {"not_modified", "error"}  # broken fixtures stay errors on a 304
    assert all(r.error.startswith("not modified since the last poll") for r in second if r.outcome == "error")


def test_a_50_mb_feed_is_cut_off_at_the_cap(db: Database, db_url: str, servers: dict[str, FeedServer]) -> None:
    settings = _settings(db_url, servers, max_body_bytes=1_000_000)
    blogs = servers["blogs"]
    sent = {"declared": 0, "streamed": 0}

    def huge(declared: bool) -> Any:
        def handler(request: Any) -> int:
            request.send_response(200)
            request.send_header("Content-Type", "application/rss+xml")
            if declared:
                request.send_header("Content-Length", str(50 * 1024 * 1024))
            request.send_header("Connection", "close")
            request.end_headers()
            chunk = b"<item><title>x</title></item>" * 2000
            try:
                while sent["declared" if declared else "streamed"] < 50 * 1024 * 1024:
                    request.wfile.write(chunk)
                    sent["declared" if declared else "streamed"] += len(chunk)
            except OSError:
                pass  # the client hung up: that is the point
            return 200
        return handler

    blogs.routes["/declared.xml"] = huge(True)
    blogs.routes["/streamed.xml"] = huge(False)
    add(db, settings, "feed", blogs.url("/declared.xml"), "declared")
    add(db, settings, "feed", blogs.url("/streamed.xml"), "streamed")
    reports = {r.source: r for r in _run(db, settings)}
    assert all(r.outcome == "error" and "larger than 1000000 bytes" in r.error for r in reports.values())
    assert sent["streamed"] < 20 * 1024 * 1024 and sent["declared"] < 20 * 1024 * 1024


def test_a_dripping_server_hits_the_total_deadline(db: Database, db_url: str,
                                                   servers: dict[str, FeedServer]) -> None:
    settings = _settings(db_url, servers, timeout=0.4)

    def drip(request: Any) -> int:
        request.send_response(200)
        request.send_header("Content-Length", "100000")
        request.end_headers()
        try:
            for _ in range(100):
                request.wfile.write(b"<")
                request.wfile.flush()
                time.sleep(0.05)  # the fault under test: a server that trickles
        except OSError:
            pass
        return 200

    servers["blogs"].routes["/drip.xml"] = drip
    add(db, settings, "feed", servers["blogs"].url("/drip.xml"), "drip")
    started = time.monotonic()
    report = _run(db, settings)[0]
    assert report.outcome == "error" and "within 0.4 s" in report.error
    assert time.monotonic() - started < 4  # the drip alone would last 5 s


def test_a_redirect_to_another_host_is_not_followed(db: Database, db_url: str,
                                                    servers: dict[str, FeedServer]) -> None:
    settings = _settings(db_url, servers)
    blogs, other = servers["blogs"], servers["api"]
    other.routes["/feed.xml"] = Route(b"<rss version='2.0'><channel><title>x</title></channel></rss>")

    def moved(request: Any) -> int:
        return int(request.reply(301, b"", None, {"Location": other.url("/feed.xml")}))

    blogs.routes["/old.xml"] = moved
    add(db, settings, "feed", blogs.url("/old.xml"), "moved")
    report = _run(db, settings)[0]
    assert report.outcome == "error" and f"another host: {other.url('/feed.xml')}" in report.error
    assert other.log == [] and len(blogs.log) == 1


def test_arxiv_spacing_holds_across_the_api_and_listing_hosts(db: Database, db_url: str,
                                                              servers: dict[str, FeedServer]) -> None:
    settings = make_settings(db_url, arxiv={"api_url": servers["api"].url("/api/query"),
                                            "listing_url": servers["rss"].url("/rss/"), "min_interval": 0.15})
    body = b"<rss version='2.0'><channel><title>t</title></channel></rss>"
    for n, cats in enumerate(["cs.CL", "cs.LG"]):
        servers["rss"].routes[_path(add(db, settings, "arxiv-listing", cats, f"l{n}"))] = Route(body)
        servers["api"].routes[_path(add(db, settings, "arxiv", f"all:q{n}", f"a{n}"))] = Route(body)
    hits: list[float] = []
    for server in (servers["api"], servers["rss"]):
        original = dict(server.routes)
        for key, route in original.items():
            def timed(request: Any, route: Any = route) -> int:
                hits.append(time.monotonic())
                return int(request._serve(route))
            server.routes[key] = timed
    with FeedClient(settings) as client:  # real clock, 4 workers
        reports = crawl(db, settings, client=client)
    assert [r.outcome for r in reports] == ["fetched"] * 4
    hits.sort()
    assert all(b - a >= 0.15 for a, b in zip(hits, hits[1:])), hits
