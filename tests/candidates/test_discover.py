"""``tracker sources discover`` against loopback sites: 127.0.0.5 announces its feed, 127.0.0.6
has none, 127.0.0.7 stands in for YouTube watch pages."""

from __future__ import annotations

import json
from pathlib import Path

from tests.candidates.conftest import candidate_settings
from tests.conftest import CLI
from tests.crawl.server import FeedServer, Route
from tracker.db.session import Database
from tracker.services.discover import channel_id, feed_links
from tracker.services.import_ import import_document
from tracker.services.sources import list_sources

CHANNEL = "UCbfYPyITQ-7l4upoX8nvctg"
HTML = "text/html; charset=utf-8"


def test_feed_links_and_channel_ids_from_pages() -> None:
    page = ('<html><head><link rel="stylesheet" href="/s.css"><link rel="Alternate" '
            'type="application/atom+xml" href="/atom.xml"><link rel="alternate" type="application/rss+xml" '
            'href="https://feeds.example/rss"><link rel="alternate" hreflang="fr" href="/fr/"></head>')
    assert feed_links(page, "http://127.0.0.5:8000/") == ["http://127.0.0.5:8000/atom.xml", "https://feeds.example/rss"]
    assert feed_links("<link rel=alternate type=text/html href=/x><p>no feeds", "http://a/") == []
    assert channel_id(f'<meta itemprop="channelId" content="{CHANNEL}">') == CHANNEL
    assert channel_id(f'{{"videoId":"x","channelId":"{CHANNEL}"}}') == CHANNEL
    assert channel_id("<html>nothing</html>") is None


def test_discover_proposes_disabled_sources_with_their_topics(db: Database, db_url: str, tmp_path: Path,
                                                              run: CLI) -> None:
    with FeedServer("127.0.0.5") as blog, FeedServer("127.0.0.6") as plain, FeedServer("127.0.0.7") as tube:
        blog.routes["/"] = Route(b'<html><head><link rel="alternate" type="application/rss+xml" '
                                 b'title="Posts" href="/index.xml"></head><body>home</body></html>', content_type=HTML)
        plain.routes["/"] = Route(b"<html><head><title>no feed here</title></head></html>", content_type=HTML)
        tube.routes["/watch?v=zduSFxRajkE"] = Route(f'<html><meta itemprop="channelId" content="{CHANNEL}"></html>'.encode(),
                                      content_type=HTML)
        doc = tmp_path / "guide"
        doc.mkdir()
        (doc / "guide.md").write_text(
            "# Part one\n\n## Tokenization\n\nByte pair encoding, see "
            f"[BPE notes]({blog.url('/posts/bpe/')}) and [a talk](https://www.youtube.com/watch?v=zduSFxRajkE).\n\n"
            f"## Attention\n\nSelf-attention: [attention]({blog.url('/posts/attention/')}), "
            f"[plain]({plain.url('/a')}), [paper](https://arxiv.org/abs/1706.03762) and "
            "[code](https://github.com/karpathy/minGPT).\n", encoding="utf-8")
        settings = candidate_settings(db_url)
        import_document(db, doc, settings)
        env = {"TRACKER_YOUTUBE__WATCH_URL": tube.url("/watch")}
        dry = run("sources", "discover", "--dry-run", "--format", "json", env=env)
        assert dry.exit_code == 0, dry.stderr
        assert list_sources(db, settings) == []  # a dry run adds nothing
        result = run("sources", "discover", "--format", "json", env=env)
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        again = json.loads(run("sources", "discover", "--format", "json", env=env).stdout)
        requested = [r.path for r in blog.log + plain.log + tube.log]
    assert data["proposals"] == [dict(p, added=True) for p in json.loads(dry.stdout)["proposals"]]
    proposals = {p["kind"]: p for p in data["proposals"]}
    assert "youtube" in proposals, data
    assert proposals["feed"]["target"] == blog.url("/index.xml") and proposals["feed"]["added"]
    assert proposals["feed"]["topics"] == ["attention", "tokenization"]
    assert proposals["youtube"]["target"] == CHANNEL and proposals["youtube"]["topics"] == ["tokenization"]
    assert len(data["proposals"]) == 2 and data["unreadable"] == []
    stored = {s["target"]: s for s in list_sources(db, settings)}
    assert set(stored) == {blog.url("/index.xml"), CHANNEL}
    assert not any(s["enabled"] for s in stored.values())  # proposed, never crawled until enabled
    assert again["proposals"] == [] and sorted(again["skipped"]) == sorted(stored)
    assert "/posts/bpe/" not in requested and "/" in requested  # home pages only, never arXiv or GitHub


def test_hostile_home_pages_neither_stop_discovery_nor_point_into_a_private_network(
        db: Database, db_url: str, tmp_path: Path) -> None:
    """A cited site's home page is other people's text: a feed link it announces with an
    impossible port raised InputError out of add_source and stopped discovery half-way
    (sites after it never looked at), and one into a private network (the cloud metadata
    address) was proposed as a source, one 'sources enable' away from being crawled."""
    from tracker.services.discover import discover

    doc = tmp_path / "guide"
    doc.mkdir()
    (doc / "guide.md").write_text(
        "# Part\n\n## Tokenization\n\nSee [a](https://a.test/post) and [b](https://b.test/post) "
        "and [c](https://c.test/post).\n", encoding="utf-8")
    settings = candidate_settings(db_url)
    import_document(db, doc, settings)
    pages = {"https://a.test/": '<link rel="alternate" type="application/rss+xml" href="http://a.test:99999/feed">',
             "https://b.test/": '<link rel="alternate" type="application/rss+xml" href="http://169.254.169.254/feed">',
             "https://c.test/": '<link rel="alternate" type="application/rss+xml" href="/feed.xml">'}
    result = discover(db, settings, get=pages.get)
    assert [p.target for p in result.proposals] == ["https://c.test/feed.xml"]
    assert [s["target"] for s in list_sources(db, settings)] == ["https://c.test/feed.xml"]
