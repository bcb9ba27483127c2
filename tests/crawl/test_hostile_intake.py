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


def _youtube(*entries: tuple[str, str]) -> bytes:
    body = "".join(f"<entry><id>yt:video:{video}</id><yt:videoId>{video}</yt:videoId>"
                   f"<yt:channelId>UCxxxxxxxxxxxxxxxxxxxxxx</yt:channelId><title>Video {video}</title>"
                   f'<link rel="alternate" href="{href}"/><published>2026-11-20T00:00:00Z</published></entry>'
                   for video, href in entries)
    return ('<?xml version="1.0"?><feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" '
            f'xmlns="http://www.w3.org/2005/Atom"><title>c</title>{body}</feed>').encode()


def test_a_video_links_only_to_itself_on_youtube(db: Database, feed_settings: Settings, web: FakeWeb) -> None:
    """A YouTube entry is keyed by its yt:videoId; its <link> is only believed when it is
    the same video. A javascript:/data: link, or a phishing page dressed as a video (which
    'candidates accept' would have added to the document), becomes the video's watch URL."""
    url = add(db, feed_settings, "youtube", "UCxxxxxxxxxxxxxxxxxxxxxx", "yt")
    web.add(url, _youtube(("aaaaaaaaaaa", "javascript:alert(1)"),
                          ("bbbbbbbbbbb", "data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;"),
                          ("ccccccccccc", "https://evil.example/watch?v=ccccccccccc"),
                          ("ddddddddddd", "https://www.youtube.com/watch?v=eeeeeeeeeee"),
                          ("fffffffffff", "https://www.youtube.com/shorts/fffffffffff")))
    report = poll(db, feed_settings, web)[0]
    assert report.new == 5
    assert {k: i.url for k, i in items(db).items()} == {
        "youtube:aaaaaaaaaaa": "https://www.youtube.com/watch?v=aaaaaaaaaaa",
        "youtube:bbbbbbbbbbb": "https://www.youtube.com/watch?v=bbbbbbbbbbb",
        "youtube:ccccccccccc": "https://www.youtube.com/watch?v=ccccccccccc",
        "youtube:ddddddddddd": "https://www.youtube.com/watch?v=ddddddddddd",
        "youtube:fffffffffff": "https://www.youtube.com/shorts/fffffffffff",  # the same video: kept as written
    }
