"""Feeds as an attacker (or a careless publisher) writes them: identity, links, dates.

Each test here was a bug found by reading the crawler as an attacker; the feeds are
our own minimal XML served over ``httpx.MockTransport``.
"""

from __future__ import annotations

from datetime import timedelta

from tests.crawl.conftest import FakeWeb
from tests.crawl.test_crawl import T0, add, blog, items, poll
from tracker.config import Settings
from tracker.db.session import Database


def test_entries_sharing_one_guid_are_still_separate_items(db: Database, feed_settings: Settings,
                                                           web: FakeWeb) -> None:
    """A feed whose every <guid> is the same (its home page, a constant) announces three
    posts, not one post whose link changed twice."""
    url = add(db, feed_settings, "feed", "https://b.test/feed", "blog")
    web.add(url, blog(("One", "https://b.test/1", "https://b.test/"), ("Two", "https://b.test/2", "https://b.test/"),
                      ("Three", "https://b.test/3", "https://b.test/")))
    report = poll(db, feed_settings, web)[0]
    assert report.new == 3
    stored = items(db)
    assert {i.title for i in stored.values()} == {"One", "Two", "Three"}
    assert all(i.url == key for key, i in stored.items())
    # the next poll changes nothing
    again = poll(db, feed_settings, web, "blog", at=T0 + timedelta(hours=7))[0]
    assert (again.new, again.updated) == (0, 0)
    assert {k: i.title for k, i in items(db).items()} == {k: i.title for k, i in stored.items()}


def test_position_guids_reused_for_new_posts_do_not_swallow_them(db: Database, feed_settings: Settings,
                                                                 web: FakeWeb) -> None:
    """Some feeds number their entries (guid 1, 2, …) from the top: the next post takes guid
    1 while the old one moves to 2. Both stay, each under its own link and title."""
    url = add(db, feed_settings, "feed", "https://b.test/feed", "blog")
    web.add(url, blog(("Old", "https://b.test/old", "1")))
    poll(db, feed_settings, web)
    web.add(url, blog(("New", "https://b.test/new", "1"), ("Old", "https://b.test/old", "2")))
    report = poll(db, feed_settings, web, "blog", at=T0 + timedelta(hours=7))[0]
    assert report.new == 1
    assert {k: i.title for k, i in items(db).items()} == {"https://b.test/old": "Old", "https://b.test/new": "New"}
