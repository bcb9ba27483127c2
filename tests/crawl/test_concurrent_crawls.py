"""Two ``tracker crawl`` processes at once on one database: both finish, each feed is
polled once in total, and items two sources share are stored once (issue 12)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select, update

from tests.conftest import FEEDS
from tests.crawl.conftest import NOW, FakeWeb, make_settings
from tests.crawl.test_crawl import add, blog
from tests.crawl.server import FeedServer, Route
from tests.twins import run_twins
from tracker.db import repo_feeds
from tracker.db.models_feeds import FeedItem, FeedItemSource, FeedSource
from tracker.db.repo_feeds import get_source, load_cited
from tracker.db.session import Database
from tracker.services.crawl import crawl
from tracker.services.feed_items import store_items
from tracker.services.sources import add_source
from tracker.sources import parse_body
from tracker.sources.model import Item

# two snapshots of one blog (52 and 53 items, nearly all shared) and three other feeds
FEED_FILES = ["blog_lilianweng_index_2026-06-24_52items.xml", "blog_lilianweng_index_2026-07-04_53items.xml",
              "blog_huggingface_3items.xml", "blog_substack_interconnects_20items.xml",
              "blog_thegradient_ghost_ttl60_3items.xml"]


def test_two_crawls_at_once_poll_each_feed_once(db: Database, db_url: str) -> None:
    settings = make_settings(db_url)
    expected: set[str] = set()
    with FeedServer("127.0.0.1") as blogs:
        for n, name in enumerate(FEED_FILES):
            body = (FEEDS / name).read_bytes()
            blogs.routes[f"/{n}.xml"] = Route(body)
            add_source(db, settings, "feed", blogs.url(f"/{n}.xml"), name=f"blog-{n}")
            expected |= {i.canonical_id for i in parse_body("feed", body, blogs.url(f"/{n}.xml"), "").items}
        runs = run_twins(db_url, ["crawl", "--format", "json"],
                         {"TRACKER_NOW": NOW, "TRACKER_CHECK__HOST_INTERVAL": "0"})
        polled = Counter(r.path for r in blogs.log)
    for run in runs:
        assert run.code == 0, run.stderr
    assert polled == {f"/{n}.xml": 1 for n in range(len(FEED_FILES))}  # each feed polled once in total
    reports = [row for run in runs for row in json.loads(run.stdout)]
    assert sorted(r["source"] for r in reports) == [f"blog-{n}" for n in range(len(FEED_FILES))]
    assert {r["outcome"] for r in reports} == {"fetched"}
    with db.transaction() as s:
        stored = Counter(s.scalars(select(FeedItem.canonical_id)))
        links = dict(s.execute(select(FeedSource.name, func.count(FeedItemSource.id))
                               .join(FeedItemSource, FeedItemSource.source_id == FeedSource.id)
                               .group_by(FeedSource.name)).all())
    assert stored == Counter(expected)  # every item once, none lost
    assert links == {r["source"]: r["items"] for r in reports}


def test_a_source_another_crawl_holds_is_left_to_it_until_its_lease_ends(db: Database, web: FakeWeb) -> None:
    settings = make_settings(db.url)
    for n in (1, 2):
        url = add(db, settings, "feed", f"https://b{n}.test/feed.xml", f"b{n}")
        web.add(url, blog((f"Post {n}", f"https://b{n}.test/p", f"g{n}")))
    wall = datetime(2025, 1, 1, tzinfo=timezone.utc)  # the lease clock, not TRACKER_NOW
    with db.transaction() as s:
        s.execute(update(FeedSource).where(FeedSource.name == "b2")
                  .values(claimed_by="crawl-elsewhere", claimed_until=wall + timedelta(minutes=5)))
    with web.client(settings) as client:
        reports = crawl(db, settings, client=client.client, lease_clock=lambda: wall)
        named = crawl(db, settings, source="b2", client=client.client, lease_clock=lambda: wall)
    assert [r.source for r in reports] == ["b1"]
    assert [(r.source, r.outcome) for r in named] == [("b2", "deferred")]
    assert [str(r.url) for r in web.requests] == ["https://b1.test/feed.xml"]
    with db.transaction() as s:
        claims = dict(s.execute(select(FeedSource.name, FeedSource.claimed_by)).all())
    assert claims == {"b1": None, "b2": "crawl-elsewhere"}  # ours released, theirs kept
    with web.client(settings) as client:  # the other crawl died: its lease ends, the poll is ours
        later = crawl(db, settings, client=client.client, lease_clock=lambda: wall + timedelta(minutes=6))
    assert [r.source for r in later] == ["b2"] and web.requests[-1].url == "https://b2.test/feed.xml"


def test_an_item_another_crawl_stored_meanwhile_is_merged_not_inserted(db: Database, monkeypatch: Any) -> None:
    """The look-up missed it, the other crawl committed it, then our insert: no collision."""
    settings = make_settings(db.url)
    add(db, settings, "feed", "https://b1.test/feed.xml", "b1")
    add(db, settings, "feed", "https://b2.test/feed.xml", "b2")
    post = Item(canonical_id="https://b.test/p", canonical_url="https://b.test/p", url="https://b.test/p",
                title="Post", kind="blog", guid="g")
    with db.transaction() as s:
        store_items(s, get_source(s, "b1"), [post], settings.now(), load_cited(s))
    real = repo_feeds.items_by_canonical_id
    stale = [True]  # the first look-up ran before the other crawl's commit

    def stale_then_real(session: Any, keys: Any) -> Any:
        return {} if stale and stale.pop() else real(session, keys)

    monkeypatch.setattr(repo_feeds, "items_by_canonical_id", stale_then_real)
    with db.transaction() as s:
        result = store_items(s, get_source(s, "b2"), [post], settings.now(), load_cited(s))
    assert (result.new, result.updated) == (0, 0)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(FeedItem)) == 1
        assert s.scalar(select(func.count()).select_from(FeedItemSource)) == 2  # both sources linked
