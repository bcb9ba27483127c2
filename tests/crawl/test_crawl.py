"""The crawl use case on a fake web: de-duplication, versions, health, politeness hints.

Feeds written here are our own minimal XML; the shared fixtures are read from disk.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from sqlalchemy import func, select

from tests.conftest import FEEDS
from tests.crawl.conftest import API, LISTING, YOUTUBE, FakeWeb, make_settings
from tests.sources.util import fixture, fixture_files, kind_of
from tracker.config import Settings
from tracker.db.models_core import Document, DocumentVersion, Placement, Resource, ResourceVersion, Topic
from tracker.db.models_feeds import FeedItem, FeedItemSource, FeedSource
from tracker.db.session import Database, open_database
from tracker.services import sources as source_service
from tracker.services.crawl import CrawlReport, crawl
from tracker.services.feed_items import list_items
from tracker.sources import request_url

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def add(db: Database, settings: Settings, kind: str, target: str, name: str) -> str:
    source_service.add_source(db, settings, kind, target, name=name)
    return request_url(kind, target, settings)


def poll(db: Database, settings: Settings, web: FakeWeb, name: str | None = None,
         at: datetime = T0) -> list[CrawlReport]:
    with web.client(settings) as client:
        return crawl(db, settings, source=name, client=client.client, now=at)


def source(db: Database, name: str) -> FeedSource:
    with db.transaction() as session:
        row = session.scalar(select(FeedSource).where(FeedSource.name == name))
        assert row is not None
        return row


def items(db: Database) -> dict[str, FeedItem]:
    with db.transaction() as session:
        return {i.canonical_id: i for i in session.scalars(select(FeedItem))}


def atom_api(arxiv_id: str, version: int, title: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
            f'xmlns:arxiv="http://arxiv.org/schemas/atom"><title>q</title><id>http://arxiv.org/api/x</id>'
            f"<updated>2026-11-20T00:00:00Z</updated><entry><id>http://arxiv.org/abs/{arxiv_id}v{version}</id>"
            f"<updated>2026-11-{18 + version}T00:00:00Z</updated><published>2026-11-19T00:00:00Z</published>"
            f"<title>{title}</title><summary>Our abstract.</summary><author><name>A. Author</name></author>"
            f'<link href="https://arxiv.org/abs/{arxiv_id}v{version}" rel="alternate" type="text/html"/>'
            f'<arxiv:primary_category term="cs.CL"/><category term="cs.CL"/></entry></feed>').encode()


def listing(arxiv_id: str, version: int, title: str, announce: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:arxiv="http://arxiv.org/schemas/atom" '
            f'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>cs.CL updates</title>'
            f"<link>http://rss.arxiv.org/rss/cs.CL</link><description>d</description><item><title>{title}</title>"
            f"<link>https://arxiv.org/abs/{arxiv_id}</link><description>arXiv:{arxiv_id}v{version} Announce Type: "
            f"{announce} \nAbstract: Our abstract.</description><guid isPermaLink=\"false\">oai:arXiv.org:"
            f"{arxiv_id}v{version}</guid><category>cs.CL</category><pubDate>Mon, 23 Nov 2026 00:00:00 -0500</pubDate>"
            f"<arxiv:announce_type>{announce}</arxiv:announce_type><dc:creator>A. Author, B. Author</dc:creator>"
            f"</item></channel></rss>").encode()


def blog(*entries: tuple[str, str, str]) -> bytes:
    body = "".join(f"<item><title>{t}</title><link>{link}</link><guid>{guid}</guid></item>"
                   for t, link, guid in entries)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>B</title><link>https://b.test/</link>'
            f"{body}</channel></rss>").encode()


# ---------------------------------------------------------------- Done when: de-duplication

def test_lillog_second_poll_yields_exactly_one_new_item(db: Database, feed_settings: Settings,
                                                        web: FakeWeb) -> None:
    url = add(db, feed_settings, "feed", "https://lilianweng.test/index.xml", "lillog")
    web.add(url, fixture("blog_lilianweng_index_2026-06-24_52items.xml"))
    first = poll(db, feed_settings, web, "lillog")
    web.add(url, fixture("blog_lilianweng_index_2026-07-04_53items.xml"))
    second = poll(db, feed_settings, web, "lillog", at=T0 + timedelta(days=10))
    assert [(r.outcome, r.new, r.updated) for r in first + second] == [("fetched", 52, 0), ("fetched", 1, 0)]
    newest = list_items(db, source="lillog")[0]
    assert newest["title"] == "Harness Engineering for Self-Improvement" and newest["kind"] == "blog"


def test_same_paper_via_api_listing_and_blog_is_one_item(db: Database, feed_settings: Settings,
                                                        web: FakeWeb) -> None:
    web.add(add(db, feed_settings, "feed", "https://b.test/feed", "blog"),
            blog(("Why paper X matters", "https://arxiv.org/pdf/2611.00042v2", "b-1")))
    web.add(add(db, feed_settings, "arxiv", "ti:x", "api"), atom_api("2611.00042", 1, "Paper X"))
    web.add(add(db, feed_settings, "arxiv-listing", "cs.CL", "listing"),
            listing("2611.00042", 2, "Paper X, revised", "replace"))
    reports = {r.source: r for r in poll(db, feed_settings, web)}
    assert sum(r.new for r in reports.values()) == 1
    stored = items(db)
    assert list(stored) == ["arxiv:2611.00042"]
    paper = stored["arxiv:2611.00042"]
    assert (paper.kind, paper.version, paper.title, paper.announce_type) == ("paper", 2, "Paper X, revised", "replace")
    assert paper.url == "https://arxiv.org/abs/2611.00042" and paper.primary_category == "cs.CL"
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(FeedItemSource)) == 3


def _snapshot(db: Database) -> set[tuple[Any, ...]]:
    return {(i.canonical_id, i.title, i.version, i.kind, i.url, i.announce_type, i.summary)
            for i in items(db).values()}


def _fixture_sources(db: Database, settings: Settings, web: FakeWeb) -> list[str]:
    names = []
    for n, path in enumerate(fixture_files()):
        kind = kind_of(path.name)
        target = {"arxiv": f"all:q{n}", "arxiv-listing": "cs.Q" + "".join(chr(97 + int(d)) for d in str(n)), "youtube": f"UC{n:022d}",
                  "feed": f"https://feeds{n}.test/{path.name}"}[kind]
        web.add(add(db, settings, kind, target, f"s{n}"), path.read_bytes())
        names.append(f"s{n}")
    return names


def test_all_fixtures_twice_in_random_order_equal_once(db: Database, feed_settings: Settings,
                                                       web: FakeWeb, tmp_path: Any) -> None:
    names = _fixture_sources(db, feed_settings, web)
    once_db = open_database(f"sqlite:///{tmp_path / 'once.db'}")
    once_settings = make_settings(once_db.url)
    try:
        _fixture_sources(once_db, once_settings, web)
        poll(once_db, once_settings, web)  # every source once, in name order
        once = _snapshot(once_db)
    finally:
        once_db.dispose()
    rng = random.Random(4)
    for cycle in range(2):
        for name in rng.sample(names, len(names)):
            poll(db, feed_settings, web, name, at=T0 + timedelta(hours=cycle))
    assert _snapshot(db) == once and len(once) == 148


# ---------------------------------------------------------------- versions and the document

def _cite(db: Database, url: str, external_id: str) -> int:
    with db.transaction() as session:
        doc = Document(name="handbook", created_at=T0)
        session.add(doc)
        session.flush()
        version = DocumentVersion(document_id=doc.id, seq=1, label="v1", content_hash="x", commit=None,
                                  imported_at=T0)
        topic = Topic(document_id=doc.id, slug="speculative-decoding", title="Speculative Decoding",
                      kind="chapter", position=1)
        resource = Resource(canonical_url=url, url=url, kind="paper", host="arxiv.org", external_id=external_id,
                            title="Paper X", created_at=T0)
        session.add_all([version, topic, resource])
        session.flush()
        session.add(Placement(version_id=version.id, topic_id=topic.id, resource_id=resource.id, position=1,
                              url=url))
        return resource.id


def test_new_version_of_a_cited_paper_updates_the_item_and_records_a_version(
        db: Database, feed_settings: Settings, web: FakeWeb) -> None:
    rid = _cite(db, "https://arxiv.org/abs/2611.00042", "arxiv:2611.00042")
    api_url = add(db, feed_settings, "arxiv", "ti:x", "api")
    web.add(api_url, atom_api("2611.00042", 1, "Paper X"))
    first = poll(db, feed_settings, web, "api")
    item = items(db)["arxiv:2611.00042"]
    assert (first[0].new, item.in_document, item.resource_id) == (1, True, rid)
    web.add(add(db, feed_settings, "arxiv-listing", "cs.CL", "listing"),
            listing("2611.00042", 3, "Paper X (v3)", "replace"))
    second = poll(db, feed_settings, web, "listing", at=T0 + timedelta(days=1))
    third = poll(db, feed_settings, web, "api", at=T0 + timedelta(days=2))  # the older v1 again
    assert [(r.new, r.updated, r.versions) for r in second + third] == [(0, 1, 1), (0, 0, 0)]
    with db.transaction() as session:
        versions = [(v.label, v.origin, v.title, v.old_title) for v in session.scalars(select(ResourceVersion))]
    assert versions == [("v3", "crawl", "Paper X (v3)", "Paper X")]
    assert items(db)["arxiv:2611.00042"].version == 3
    assert list_items(db)[0]["in_document"] is True


def test_items_cited_later_are_flagged_by_the_next_crawl(db: Database, feed_settings: Settings,
                                                        web: FakeWeb) -> None:
    url = add(db, feed_settings, "feed", "https://b.test/feed", "blog")
    web.add(url, blog(("A post", "https://b.test/post-1", "g1")))
    poll(db, feed_settings, web)
    assert items(db)["https://b.test/post-1"].in_document is False
    _cite(db, "https://b.test/post-1", "")
    poll(db, feed_settings, web, "blog", at=T0 + timedelta(days=1))
    assert items(db)["https://b.test/post-1"].in_document is True


def test_guids_that_change_on_every_poll_make_no_duplicates(db: Database, feed_settings: Settings,
                                                           web: FakeWeb) -> None:
    url = add(db, feed_settings, "feed", "https://b.test/feed", "blog")

    def fresh_guids(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=blog(("One", "https://b.test/1?utm_source=rss", uuid.uuid4().hex),
                                                ("Two", "https://b.test/2", uuid.uuid4().hex)))

    web.pages[url] = fresh_guids
    news = [poll(db, feed_settings, web, "blog", at=T0 + timedelta(hours=h))[0].new for h in range(3)]
    assert news == [2, 0, 0] and len(items(db)) == 2


def test_a_changed_link_with_the_same_guid_is_the_same_item(db: Database, feed_settings: Settings,
                                                           web: FakeWeb) -> None:
    url = add(db, feed_settings, "feed", "https://b.test/feed", "blog")
    web.add(url, blog(("Post", "https://b.test/old-slug", "ghost-69879dd0")))
    poll(db, feed_settings, web)
    web.add(url, blog(("Post", "https://b.test/new-slug", "ghost-69879dd0")))
    report = poll(db, feed_settings, web, "blog", at=T0 + timedelta(days=1))[0]
    assert report.new == 0 and len(items(db)) == 1


# ---------------------------------------------------------------- bad input and health

def test_arxiv_http_400_error_feed_is_an_error_not_an_item(db: Database, feed_settings: Settings,
                                                          web: FakeWeb) -> None:
    import json
    recorded = json.loads((FEEDS / "arxiv_api_error_400_incorrect_id_format.recorded.json").read_text())
    url = add(db, feed_settings, "arxiv", "id:abc", "bad-query")
    web.add(url, recorded["body"].encode("latin-1"), status=recorded["status_code"])
    report = poll(db, feed_settings, web)[0]
    assert (report.outcome, report.new) == ("error", 0)
    assert report.error == "HTTP 400 Bad Request: incorrect id format for abc"
    assert items(db) == {} and source(db, "bad-query").consecutive_errors == 1


def test_one_failing_source_never_stops_the_others(db: Database, feed_settings: Settings, web: FakeWeb) -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    web.pages[add(db, feed_settings, "feed", "https://down.test/feed", "a-down")] = refused
    web.add(add(db, feed_settings, "feed", "https://login.test/feed", "b-login"),
            b"<!DOCTYPE html><html><body><form>Sign in</form></body></html>", headers={"Content-Type": "text/html"})
    web.add(add(db, feed_settings, "feed", "https://big.test/feed", "c-huge"), b"<rss>" + b" " * 11_000_000)
    web.add(add(db, feed_settings, "youtube", "UCLA_DiR1FfKNvjuUpBHmylQ", "d-nasa"),
            fixture("youtube_channel_videos_nasa_15entries.xml"))
    web.add(add(db, feed_settings, "feed", "https://redirect.test/feed", "e-moved"), b"", status=301,
            headers={"Location": "https://elsewhere.test/feed"})
    reports = {r.source: r for r in poll(db, feed_settings, web)}
    assert {n: r.outcome for n, r in reports.items()} == {
        "a-down": "error", "b-login": "error", "c-huge": "error", "d-nasa": "fetched", "e-moved": "error"}
    assert reports["d-nasa"].new == 15
    assert "HTML page" in reports["b-login"].error and "larger than" in reports["c-huge"].error
    assert "another host" in reports["e-moved"].error
    assert all(source(db, n).consecutive_errors == 1 for n in ("a-down", "b-login", "c-huge", "e-moved"))


def test_errors_count_only_when_nothing_usable_came_back(db: Database, feed_settings: Settings,
                                                        web: FakeWeb) -> None:
    url = add(db, feed_settings, "feed", "https://b.test/feed", "blog")
    web.add(url, b"", status=503)
    assert poll(db, feed_settings, web)[0].outcome == "error"
    assert source(db, "blog").consecutive_errors == 1
    bozo = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>B</title><item><title>A&nbsp;B</title>'
            b"<link>https://b.test/1</link></item><item><title>no link</title></item></channel></rss>")
    web.add(url, bozo)
    report = poll(db, feed_settings, web, "blog", at=T0 + timedelta(hours=7))[0]
    row = source(db, "blog")
    assert (report.outcome, report.new, report.rejected) == ("fetched", 1, 1)
    assert row.consecutive_errors == 0 and row.bozo  # bozo recorded, not counted


def test_parked_after_three_failures_then_resumed(db: Database, feed_settings: Settings, web: FakeWeb) -> None:
    url = add(db, feed_settings, "feed", "https://b.test/feed", "blog")
    web.add(url, b"oops", status=500)
    at = T0
    for _ in range(3):
        assert [r.outcome for r in poll(db, feed_settings, web, at=at)] == ["error"]
        at += timedelta(days=2)
    row = source_service.list_sources(db, feed_settings)[0]
    assert row["status"] == "parked" and row["consecutive_errors"] == 3
    assert "parked after 3 consecutive errors (last: HTTP 500 Internal Server Error)" in row["reason"]
    assert poll(db, feed_settings, web, at=at + timedelta(days=30)) == []  # parked: not polled
    web.add(url, blog(("Back", "https://b.test/back", "g")))
    resumed = poll(db, feed_settings, web, "blog", at=at)  # a later success un-parks
    assert (resumed[0].outcome, resumed[0].parked) == ("fetched", False)
    web.add(url, b"oops", status=500)
    for _ in range(3):
        at += timedelta(days=2)
        poll(db, feed_settings, web, at=at)
    assert source_service.list_sources(db, feed_settings)[0]["status"] == "parked"
    row = source_service.set_enabled(db, feed_settings, "blog", True)  # manual enable
    assert (row["status"], row["consecutive_errors"], row["next_poll_at"]) == ("active", 0, None)


def test_a_304_for_a_broken_feed_stays_an_error(db: Database, feed_settings: Settings, web: FakeWeb) -> None:
    url = add(db, feed_settings, "feed", "https://b.test/feed", "blog")
    web.add(url, fixture("malformed_feedparser_unclosed_root.xml"), headers={"ETag": '"e1"'})
    poll(db, feed_settings, web)
    web.add(url, b"", status=304)
    report = poll(db, feed_settings, web, "blog", at=T0 + timedelta(days=1))[0]
    assert report.outcome == "error" and report.error.startswith("not modified since the last poll, which was")
    assert web.requests[-1].headers["If-None-Match"] == '"e1"'
    assert source(db, "blog").consecutive_errors == 2


def test_validators_round_trip_through_the_database(db: Database, feed_settings: Settings,
                                                   web: FakeWeb) -> None:
    url = add(db, feed_settings, "youtube", "UCLA_DiR1FfKNvjuUpBHmylQ", "nasa")
    assert url == f"{YOUTUBE}?channel_id=UCLA_DiR1FfKNvjuUpBHmylQ"
    web.add(url, fixture("youtube_channel_videos_nasa_15entries.xml"),
            headers={"ETag": '"xyz-1"', "Last-Modified": "Sun, 01 Nov 2026 00:00:00 GMT"})
    poll(db, feed_settings, web)
    web.add(url, b"", status=304)
    report = poll(db, feed_settings, web, "nasa", at=T0 + timedelta(days=1))[0]
    assert (report.outcome, report.new) == ("not_modified", 0)
    sent = web.requests[-1].headers
    assert (sent["If-None-Match"], sent["If-Modified-Since"]) == ('"xyz-1"', "Sun, 01 Nov 2026 00:00:00 GMT")


def test_ttl_and_cache_headers_push_the_next_poll(db: Database, web: FakeWeb, db_url: str) -> None:
    settings = make_settings(db_url, crawl={"interval": "10m"})
    web.add(add(db, settings, "feed", "https://gradient.test/rss/", "gradient"),
            fixture("blog_thegradient_ghost_ttl60_3items.xml"))
    web.add(add(db, settings, "feed", "https://cached.test/feed", "cached"),
            blog(("x", "https://cached.test/x", "x")), headers={"Cache-Control": "max-age=172800"})
    reports = {r.source: r.next_poll_at for r in poll(db, settings, web)}
    assert reports == {"gradient": T0 + timedelta(minutes=60), "cached": T0 + timedelta(hours=24)}


def test_retry_after_is_honoured_across_runs(db: Database, feed_settings: Settings, web: FakeWeb) -> None:
    url = add(db, feed_settings, "arxiv-listing", "cs.CL", "listing")
    web.add(url, b"busy", status=429, headers={"Retry-After": "120"})
    assert poll(db, feed_settings, web)[0].error.startswith("HTTP 429")
    assert source(db, "listing").retry_until == T0 + timedelta(seconds=120)
    web.add(url, listing("2611.00042", 1, "Paper X", "new"))
    contacted = len(web.requests)
    early = poll(db, feed_settings, web, "listing", at=T0 + timedelta(seconds=60))[0]
    assert early.outcome == "deferred" and len(web.requests) == contacted
    assert source(db, "listing").consecutive_errors == 1  # waiting is not another error
    late = poll(db, feed_settings, web, "listing", at=T0 + timedelta(seconds=121))[0]
    assert (late.outcome, late.new) == ("fetched", 1) and len(web.requests) == contacted + 1
    assert LISTING in str(web.requests[-1].url) and API not in str(web.requests[-1].url)


def test_absurd_time_hints_are_capped_and_never_stop_the_crawl(db: Database, feed_settings: Settings,
                                                              web: FakeWeb) -> None:
    """A Retry-After, max-age or <ttl> beyond any date (``99999999999999999999``,
    ``1e308``) made ``timedelta`` overflow: the whole crawl died with a traceback, every
    source's result was lost, and the next crawl met the same answer. Each is now one
    more hint the cap (``[crawl] max_interval``) bounds."""
    huge = "99999999999999999999"
    web.add(add(db, feed_settings, "feed", "https://busy.test/feed", "busy"), b"busy", status=429,
            headers={"Retry-After": "1e308"})
    web.add(add(db, feed_settings, "feed", "https://down.test/feed", "down"), b"down", status=503,
            headers={"Retry-After": huge})
    web.add(add(db, feed_settings, "feed", "https://fresh.test/feed", "fresh"),
            blog(("Fresh", "https://fresh.test/1", "f1")).replace(b"<channel>", f"<channel><ttl>{huge}</ttl>".encode()),
            headers={"Content-Type": "application/rss+xml", "Cache-Control": f"max-age={huge}"})
    reports = {r.source: r for r in poll(db, feed_settings, web)}
    cap = T0 + timedelta(days=1)
    assert {name: r.outcome for name, r in reports.items()} == {"busy": "error", "down": "error", "fresh": "fetched"}
    assert reports["fresh"].new == 1 and reports["fresh"].next_poll_at == cap
    for name in ("busy", "down"):
        assert reports[name].next_poll_at == cap and source(db, name).retry_until == cap


def test_every_fixture_crawled_errors_only_when_nothing_usable(db: Database, feed_settings: Settings,
                                                              web: FakeWeb) -> None:
    """Malformed and mis-encoded fixtures: no crash, error counted only when the parse
    was unusable, no stored item without a title and link, no mojibake in titles."""
    from tracker.sources import parse_body
    from tracker.sources.text import looks_mojibake

    names = _fixture_sources(db, feed_settings, web)
    reports = {r.source: r for r in poll(db, feed_settings, web)}
    assert set(reports) == set(names)
    for n, path in enumerate(fixture_files()):
        usable = parse_body(kind_of(path.name), path.read_bytes(), "").usable
        row = source(db, f"s{n}")
        assert (reports[f"s{n}"].outcome, row.consecutive_errors) == \
            (("fetched", 0) if usable else ("error", 1)), path.name
    for item in items(db).values():
        assert item.title.strip() and item.url.startswith(("http://", "https://"))
        assert not looks_mojibake(item.title)
    with db.transaction() as session:
        titles = list(session.scalars(select(FeedSource.feed_title)))
    assert "Euro €" in titles and not any(looks_mojibake(t) for t in titles)


def test_a_concurrent_insert_of_the_same_item_is_merged_not_fatal(db: Database, feed_settings: Settings,
                                                                 web: FakeWeb, monkeypatch: Any) -> None:
    from tracker.db import repo_feeds

    web.add(add(db, feed_settings, "feed", "https://a.test/feed", "a"), blog(("Post", "https://b.test/p", "1")))
    web.add(add(db, feed_settings, "feed", "https://c.test/feed", "c"), blog(("Post", "https://b.test/p", "2")))
    poll(db, feed_settings, web, "a")
    real, calls = repo_feeds.items_by_canonical_id, []

    def racing(session: Any, keys: Any) -> Any:  # the first look-up misses a row another crawl just wrote
        calls.append(keys)
        return {} if len(calls) == 1 else real(session, keys)

    monkeypatch.setattr(repo_feeds, "items_by_canonical_id", racing)
    report = poll(db, feed_settings, web, "c", at=T0 + timedelta(hours=1))[0]
    assert (report.outcome, report.new, len(calls)) == ("fetched", 0, 2) and len(items(db)) == 1
