"""Two ``tracker crawl`` processes at once on one database: both finish, each feed is
polled once in total, and items two sources share are stored once (issue 12)."""

from __future__ import annotations

import json
from collections import Counter

from sqlalchemy import func, select

from tests.conftest import FEEDS
from tests.crawl.conftest import NOW, make_settings
from tests.crawl.server import FeedServer, Route
from tests.twins import run_twins
from tracker.db.models_feeds import FeedItem, FeedItemSource, FeedSource
from tracker.db.session import Database
from tracker.services.sources import add_source
from tracker.sources import parse_body

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
