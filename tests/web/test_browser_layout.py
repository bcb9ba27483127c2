"""The pages at a phone's width and at 200% zoom (a 1200 px window zoomed twice is 600 CSS
pixels wide), in a real browser, with feed text no layout expects: a title that is one
very long word, a URL hundreds of characters long. Nothing may widen the page past the
window: the page would scroll sideways and cut every card and its buttons off."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from tests.web.conftest import WEEK, Served, start_serve
from tracker.config import Settings
from tracker.db.session import Database

Demo = tuple[Database, Settings]
LONG_TITLE = "Supercalifragilisticexpialidocious" * 8
LONG_URL = "https://example.org/" + "a" * 300 + "?q=" + "x" * 200
LONG_AUTHOR = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3


def add_long_candidate(db: Database, settings: Settings) -> int:
    """A queued candidate whose title, URL, author and summary are each one unbroken word."""
    from tracker.db.models_candidates import Candidate
    from tracker.db.models_core import Topic
    from tracker.db.models_feeds import FeedItem, FeedSource

    now = settings.now()
    with db.transaction() as session:
        source = session.scalars(select(FeedSource).order_by(FeedSource.id)).first()
        topic = session.scalars(select(Topic).where(Topic.slug == "tokenization")).one()
        item = FeedItem(canonical_id="long:1", canonical_url=LONG_URL, kind="blog", url=LONG_URL,
                        title=LONG_TITLE, summary="tokenizers " + "W" * 400, authors=[LONG_AUTHOR],
                        first_source_id=source.id if source else None, first_seen_at=now, last_seen_at=now,
                        published_at=now)
        session.add(item)
        session.flush()
        candidate = Candidate(document_id=topic.document_id, item_id=item.id, canonical_url=LONG_URL,
                              status="queued", week=WEEK, topic_id=topic.id, score=0.9,
                              scores=[{"slug": "tokenization", "score": 0.9}],
                              reason="matched: " + "tokenizer" * 30, created_at=now, scored_version_id=None)
        session.add(candidate)
        session.flush()
        return candidate.id


@pytest.fixture
def served(demo: Demo) -> Iterator[Served]:
    db, settings = demo
    add_long_candidate(db, settings)
    server = start_serve(settings.database_url, "--by", "alice")
    yield server
    server.stop()


def _widths(page: Any) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")  # type: ignore[no-any-return]


@pytest.mark.parametrize("width", [375, 600, 1200])
def test_no_page_is_wider_than_the_window(page: Any, served: Served, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    for path in ("/?all=1", "/links", "/document", "/sources"):
        page.goto(served.url + path)
        scroll, window = _widths(page)
        assert scroll <= window, (path, scroll, window)
    page.goto(served.url + "/?all=1")
    card = page.locator("article.cand", has_text=LONG_TITLE[:40])
    with page.expect_navigation():  # decided: its title is in "Decided recently" and the message
        card.locator("button.reject").click()
    assert LONG_TITLE[:40] in page.locator("aside.recent").inner_text()
    scroll, window = _widths(page)
    assert scroll <= window, ("after a decision", scroll, window)


def test_a_wide_table_scrolls_in_its_own_box_at_a_phone_width(page: Any, served: Served) -> None:
    """The sources table has eight columns: on a phone it scrolls sideways by itself and its
    buttons can be reached; the page around it does not move."""
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(served.url + "/sources")
    button = page.locator("tr", has_text="demo-blog").locator("button")
    button.scroll_into_view_if_needed()
    assert button.is_visible()
    with page.expect_navigation():
        button.click()
    assert "demo-blog is disabled" in page.locator(".msg.ok").inner_text()


def test_the_links_pages_columns_line_up_from_chapter_to_chapter(page: Any, served: Served) -> None:
    """Each chapter's table sized its own columns, so they zig-zagged down the page; and a moved
    link read "moved permanently (301) (HTTP 200)", a status that seemed to contradict itself."""
    page.set_viewport_size({"width": 1200, "height": 800})
    page.goto(served.url + "/links")
    lefts = page.locator("table.links").evaluate_all(
        "ts => ts.map(t => Array.from(t.rows[0].cells).map(c => Math.round(c.getBoundingClientRect().left)))")
    assert len(lefts) >= 2 and all(row == lefts[0] for row in lefts), lefts
    moved = page.locator("tr[data-state=redirected] td").nth(2).inner_text()
    assert "the new address answers HTTP" in moved, moved


_MID_WORD_BREAKS = """els => els.flatMap(a => {
  const t = a.firstChild;
  if (!t || t.nodeType !== Node.TEXT_NODE) return [];
  const r = document.createRange(), tops = [], out = [];
  for (let i = 0; i < t.length; i++) {
    r.setStart(t, i); r.setEnd(t, i + 1); tops.push(Math.round(r.getBoundingClientRect().top));
  }
  for (let i = 1; i < t.length; i++)
    if (tops[i] > tops[i - 1] && /\\S/.test(t.data[i - 1]) && /\\S/.test(t.data[i]))
      out.push(t.data.slice(0, i) + "|" + t.data.slice(i));
  return out;
})"""


@pytest.mark.parametrize("width", [375, 1200])
def test_a_sources_title_wraps_between_words(page: Any, served: Served, width: int) -> None:
    """Helper-39 saw "Demo bl|og" on the Sources page: the title link sat in the URL style,
    which may break anywhere, so the table gave its column the width of one letter."""
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(served.url + "/sources")
    titles = page.locator("table.sources td:first-child a")
    assert titles.count() >= 1
    assert titles.evaluate_all(_MID_WORD_BREAKS) == []
