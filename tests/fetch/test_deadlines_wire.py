"""One overall deadline per request, against real servers that stall (127.0.0.5x).

httpx's own timeouts are per read: a server sending one header line per second, or
one body byte every half second, never trips them. Each exchange here must end at
its deadline; the servers count what they managed to send before the client left.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

from tests.crawl.test_crawl import T0 as CRAWL_T0
from tests.crawl.test_crawl import add
from tests.fetch.wire import slow_body, tarpit
from tests.links import server as srv
from tests.links.seed import T0, days, make_settings, seed
from tracker.config import load_settings
from tracker.db.models_links import ArchiveLookup
from tracker.db.session import Database
from tracker.demo.site import BLOG, DemoInternet
from tracker.fetch.core import HttpCore
from tracker.fetch.documents import TextFetcher
from tracker.fetch.feeds import FeedClient
from tracker.fetch.links import link_policy
from tracker.fetch.model import FetchRequest
from tracker.fetch.wayback import WaybackClient, WaybackReply
from tracker.links.archive import read_availability
from tracker.services.crawl import crawl
from tracker.services.linkcheck import check_links
from tracker.services.sources import add_source
from tracker.services.weekly import weekly

import httpx
import pytest

from tracker.errors import DocumentError


def test_a_tarpit_feed_ends_at_the_crawl_deadline(db: Database, db_url: str) -> None:
    lines = [0]
    with srv.FaultServer("127.0.0.51", routes={"/feed.xml": tarpit(lines)}) as server:
        settings = load_settings(env={}, overrides={"database_url": db_url, "now": CRAWL_T0.isoformat(),
                                                    "crawl": {"timeout": 1.5}, "check": {"host_interval": 0}})
        add(db, settings, "feed", server.url("/feed.xml"), "tarpit")
        [report] = crawl(db, settings)
        sent = lines[0]
    assert report.outcome == "error" and "within 1.5 s" in report.error
    assert sent <= 3  # one header line per second: the client left at its 1.5 s deadline


def test_a_slow_feed_body_ends_at_the_crawl_deadline(db: Database, db_url: str) -> None:
    sent = [0]
    with srv.FaultServer("127.0.0.52", routes={"/feed.xml": slow_body(sent, every=0.25)}) as server:
        settings = load_settings(env={}, overrides={"database_url": db_url, "crawl": {"timeout": 1.0}})
        with FeedClient(settings) as client:
            result = asyncio.run(client.fetch(server.url("/feed.xml")))
        got = sent[0]
    assert (result.outcome, result.error_class) == ("error", "timeout")
    assert got <= 5  # four bytes a second for at most a second


def test_a_tarpit_link_and_a_tarpit_import_end_at_their_deadline(db_url: str) -> None:
    lines = [0]
    with srv.FaultServer("127.0.0.53", routes={"/page": tarpit(lines), "/doc.md": tarpit(lines)}) as server:
        settings = make_settings(db_url, check={"timeout": 1.0, "retries": 0})

        async def go() -> object:
            async with HttpCore() as core:
                return await core.fetch(link_policy(settings), FetchRequest(server.url("/page")))
        result = asyncio.run(go())
        assert getattr(result, "error_class") == "timeout"
        doc_settings = load_settings(env={}, overrides={"database_url": db_url, "crawl": {"timeout": 1.0}})
        with TextFetcher(doc_settings) as fetcher, pytest.raises(DocumentError, match="within 1 s"):
            fetcher.get(server.url("/doc.md"))
        sent = lines[0]
    assert sent <= 3


def test_a_slow_archive_api_ends_at_its_deadline(db: Database, db_url: str) -> None:
    """A dead link's Wayback look-up against an archive that never finishes its headers."""
    lines = [0]
    with srv.FaultServer("127.0.0.54", routes={"/wayback/available": tarpit(lines)}) as archive:
        settings = make_settings(db_url, check={"timeout": 1.0, "retries": 0},
                                 wayback={"api_url": archive.url("/wayback/available")})
        seed(db, ["https://gone.example/page"])
        gone = httpx.MockTransport(lambda r: httpx.Response(404, text="gone"))
        for d in (0, 4, 8):
            report = check_links(db, replace(settings, now_override=T0 + days(d)), all_links=True, transport=gone)
        sent = lines[0]
    assert report.archive_lookups == 1 and sent <= 3
    with db.transaction() as session:
        lookup = session.query(ArchiveLookup).one()
        assert lookup.outcome == "retry" and "timeout" in lookup.detail


def test_weekly_with_one_tarpit_source_finishes(db: Database, settings: object, tmp_path: Path) -> None:
    lines = [0]
    with DemoInternet() as net, srv.FaultServer("127.0.0.55", routes={"/feed.xml": tarpit(lines)}) as pit:
        doc = tmp_path / "mini"
        doc.mkdir()
        (doc / "g.md").write_text(f"## R\n[kv]({net.url(BLOG, '/posts/kv-cache-explained')})\n")
        s = replace(settings, document=replace(settings.document, location=str(doc)),  # type: ignore[type-var]
                    check=replace(settings.check, host_interval=0.0, retries=0),  # type: ignore[attr-defined]
                    crawl=replace(settings.crawl, timeout=1.5))  # type: ignore[attr-defined]
        add_source(db, s, "feed", pit.url("/feed.xml"), name="tarpit")
        result = weekly(db, s, out_dir=tmp_path / "out")
    assert (tmp_path / "out" / "link-report.md").is_file() and result.links["alive"] == 1
    assert (result.sources, result.source_errors) == (1, 1)  # the tarpit is that source's error
    assert lines[0] <= 3


def test_an_archive_answer_cut_short_is_no_answer(db: Database, db_url: str) -> None:
    """The HTTP core hands a text prefix on when a body is cut short (deadline, connection
    lost): the archive look-up must call that a failure by its name, not read the prefix
    (it was stored as 200 "archive answer is not JSON", which hid why)."""
    def cut(h: object) -> None:
        handler: Any = h
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "400")
        handler.end_headers()
        handler.wfile.write(b'{"archived_snapshots": {"closest": {"url": "https://web.archive.org/web/2')
        handler.close_connection = True
    with srv.FaultServer("127.0.0.55", routes={"/wayback/available": cut}) as archive:
        settings = make_settings(db_url, check={"retries": 0},
                                 wayback={"api_url": archive.url("/wayback/available")})

        async def go() -> WaybackReply:
            async with HttpCore() as core:
                return await WaybackClient(settings, core=core).lookup("https://gone.example/x", "20260101000000")
        reply = asyncio.run(go())
    assert (reply.status, reply.body, reply.error_class) == (None, b"", "truncated")
    assert "cut short after 73 bytes" in reply.error and "(200)" in reply.error
    assert read_availability(reply.status, reply.body, reply.error_class).detail == "archive unreachable (truncated)"
