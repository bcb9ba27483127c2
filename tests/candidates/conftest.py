"""Fixtures for the candidates tests: the newest handbook imported, and the shared feed
fixtures crawled through real local HTTP servers (127.0.0.1–4 stand in for blogs,
the arXiv API, arXiv listings and YouTube), so ``propose`` reads the crawler's own
``feed_items`` rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import CLI, FEEDS, NEWEST_HANDBOOK
from tests.crawl.server import FeedServer, Route
from tracker.config import Settings, load_settings
from tracker.db.session import Database
from tracker.fetch.feeds import FeedClient
from tracker.services.crawl import crawl
from tracker.services.import_ import import_document
from tracker.services.sources import add_source
from tracker.sources import request_url

NOW = "2026-11-23T09:00:00Z"  # Monday of 2026-W48
WEEK = "2026-W48"

# The ML feeds a handbook maintainer would follow, plus two off-topic ones (NASA
# videos, the Rust blog) whose items should score low.
FEED_FIXTURES = {
    "arxiv": ["arxiv_api_cat_cs.AI_cs.LG_cs.CL_max25.xml"],
    "arxiv-listing": ["arxiv_rss_cs.LG+cs.AI+cs.CL+stat.ML_new_cross_replace.xml",
                      "arxiv_rss_cs.CL_3items_new.xml", "arxiv_rss_atom_cs.LG_new_cross_replace.xml"],
    "youtube": ["youtube_channel_videos_nasa_15entries.xml"],
    "feed": ["blog_lilianweng_index_2026-07-04_53items.xml", "blog_huggingface_3items.xml",
             "blog_bair_jekyll_fullhtml_3items.xml", "blog_thegradient_ghost_ttl60_3items.xml",
             "blog_substack_interconnects_20items.xml", "blog_rust_atom_content_html.xml"],
}


class ClockedCLI(CLI):
    """The CLI with ``TRACKER_NOW`` at Monday of 2026-W48 unless a test gives its own clock."""

    def __call__(self, *args: str, env: dict[str, str] | None = None, input: str | None = None) -> Any:
        return super().__call__(*args, env={"TRACKER_NOW": NOW, **(env or {})}, input=input)


@pytest.fixture
def run(db_url: str, tmp_path: Any, clean_env: None) -> CLI:
    """Tests never read the real clock: every command runs at ``NOW`` unless told otherwise."""
    return ClockedCLI(db_url, tmp_path)


def candidate_settings(db_url: str, **sections: Any) -> Settings:
    overrides: dict[str, Any] = {"database_url": db_url, "now": NOW}
    overrides.update(sections)
    return load_settings(env={}, overrides=overrides)


@pytest.fixture
def imported(db: Database, db_url: str) -> Settings:
    """The newest handbook imported; settings with the clock at Monday of 2026-W48."""
    settings = candidate_settings(db_url)
    import_document(db, NEWEST_HANDBOOK, settings)
    return settings


@pytest.fixture
def feed_servers() -> Iterator[dict[str, FeedServer]]:
    with FeedServer("127.0.0.1") as blogs, FeedServer("127.0.0.2") as api, \
            FeedServer("127.0.0.3") as rss, FeedServer("127.0.0.4") as youtube:
        yield {"feed": blogs, "arxiv": api, "arxiv-listing": rss, "youtube": youtube}


@pytest.fixture
def crawled(db: Database, db_url: str, imported: Settings, feed_servers: dict[str, FeedServer]) -> Settings:
    """The shared feed fixtures crawled over HTTP into ``feed_items`` (after the import)."""
    servers = feed_servers
    settings = candidate_settings(
        db_url, arxiv={"api_url": servers["arxiv"].url("/api/query"),
                       "listing_url": servers["arxiv-listing"].url("/rss/"), "min_interval": 0},
        youtube={"feed_url": servers["youtube"].url("/feeds/videos.xml")}, check={"host_interval": 0})
    n = 0
    for kind, names in FEED_FIXTURES.items():
        for name in names:
            n += 1
            target = {"arxiv": f"cat:cs.LG{n}", "arxiv-listing": "cs." + "ABCDEFGHIJ"[n % 10] + "L",
                      "youtube": f"UC{n:022d}", "feed": servers["feed"].url(f"/{name}")}[kind]
            add_source(db, settings, kind, target, name=f"{kind}-{n}")
            parts = urlsplit(request_url(kind, target, settings))
            servers[kind].routes[parts.path + (f"?{parts.query}" if parts.query else "")] = \
                Route((FEEDS / name).read_bytes())
    with FeedClient(settings) as client:
        reports = crawl(db, settings, client=client)
    assert all(r.outcome == "fetched" for r in reports), [r.as_dict() for r in reports]
    return settings


def store(db: Database, settings: Settings, items: list[Any], source: str = "manual") -> None:
    """Insert feed items through the crawler's own ``store_items`` (as a crawl would)."""
    from tracker.db import repo_feeds
    from tracker.services.feed_items import store_items

    try:
        add_source(db, settings, "feed", f"http://127.0.0.1:9/{source}.xml", name=source)
    except Exception:  # the source exists already: reuse it
        pass
    with db.transaction() as session:
        row = repo_feeds.get_source(session, source)
        assert row is not None
        store_items(session, row, items, settings.now(), repo_feeds.load_cited(session))


def item(url: str, title: str, summary: str = "", kind: str = "blog", **extra: Any) -> Any:
    """A cleaned feed item keyed by its URL (as the RSS parser makes them)."""
    from tracker.sources.model import Item
    from tracker.urls import canonicalize

    canonical = canonicalize(url).canonical
    return Item(canonical_id=extra.pop("canonical_id", canonical), canonical_url=canonical, url=url,
                title=title, kind=kind, guid=url, summary=summary, **extra)
