"""A maintainer working down the queue in a real browser (Chromium through Playwright, against
``tracker serve`` on loopback, over the demo's database): after each decision, whether taken
with a key or the mouse, the page says what happened where the maintainer is looking, and the
card to decide next is the selected one, on screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Served, start_serve

@pytest.fixture
def short(page: Any) -> Any:
    """A laptop's short window: the queue's later cards are below the fold."""
    page.set_viewport_size({"width": 1200, "height": 600})
    return page


def _ids(page: Any) -> list[int]:
    return [int(x) for x in page.locator("article.cand").evaluate_all("els => els.map(e => e.dataset.id)")]


def _current(page: Any) -> int:
    return int(page.locator("article.cand.current").get_attribute("data-id"))


def _box(page: Any, selector: str) -> dict[str, float]:
    """Where ``selector`` is in the window (client coordinates) and the window's height."""
    return page.evaluate("""s => { const r = document.querySelector(s).getBoundingClientRect();
        return {top: r.top, bottom: r.bottom, height: window.innerHeight}; }""", selector)


def _on_screen(page: Any, selector: str) -> dict[str, float]:
    box = _box(page, selector)
    assert -1 <= box["top"] and box["bottom"] <= box["height"] + 1, (selector, box)  # sub-pixel layout
    return box


def test_a_decision_far_down_the_queue_is_reported_where_the_maintainer_looks(short: Any,
                                                                               plain: Served) -> None:
    page = short
    page.goto(plain.url + "/")
    ids = _ids(page)
    for _ in range(6):
        page.keyboard.press("j")
    decided = _current(page)
    assert decided == ids[6]
    with page.expect_navigation():
        page.keyboard.press("a")
    message = page.locator(".msg.ok")
    assert "accepted" in message.inner_text()
    shown = _on_screen(page, ".messages")  # not scrolled away above the cards
    assert _current(page) == ids[7]
    card = _on_screen(page, "article.cand.current")
    assert card["top"] >= shown["bottom"]  # and not under the message


def test_a_mouse_decision_selects_the_card_that_followed_it(short: Any, plain: Served) -> None:
    page = short
    page.goto(plain.url + "/")
    for _ in range(5):  # a decision with a key first: the page remembers a position
        page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("r")
    ids = _ids(page)
    page.locator("article.cand").nth(1).scroll_into_view_if_needed()
    with page.expect_navigation():
        page.locator(f"#c-{ids[1]} button[value=defer]").click()
    assert ids[1] not in _ids(page)
    assert _current(page) == ids[2]
    _on_screen(page, "article.cand.current")


def test_undo_selects_the_candidate_it_brought_back(short: Any, plain: Served) -> None:
    page = short
    page.goto(plain.url + "/")
    ids = _ids(page)
    with page.expect_navigation():
        page.locator(f"#c-{ids[3]} button.reject").click()
    assert _current(page) == ids[4]
    with page.expect_navigation():
        page.locator("aside.recent button", has_text="Undo").first.click()
    assert "undid reject" in page.locator(".msg.ok").inner_text()
    assert _current(page) == ids[3]
    _on_screen(page, "article.cand.current")


def test_a_reload_or_back_keeps_the_card_and_another_week_starts_at_its_first(short: Any,
                                                                             plain: Served) -> None:
    page = short
    page.goto(plain.url + "/")
    for _ in range(4):
        page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("a")
    after = _current(page)
    assert after != _ids(page)[0]
    page.reload()  # the page as it is now, the same card selected (nothing is posted again)
    assert _current(page) == after and page.locator(".msg").count() == 0
    page.click("a[rel=next]")
    page.wait_for_url("**week=2026-W47**")
    assert _current(page) == _ids(page)[0]  # not the position the other week had
    page.go_back()
    page.wait_for_url("**week=2026-W46**")
    assert _current(page) == after


def test_u_with_nothing_to_undo_says_so(page: Any, queued: Any) -> None:
    """Pressing u on a queue with no decision to undo did nothing and said nothing."""
    server = start_serve(queued.database_url, "--by", "alice")
    try:
        page.goto(server.url + "/")
        assert page.locator('button[data-key="u"]').count() == 0  # no decision yet
        page.keyboard.press("u")
        note = page.locator(".messages p.msg.said")
        note.wait_for()
        assert note.inner_text() == "Nothing to undo: no decision is listed under “Decided recently”."
        page.keyboard.press("u")  # said once, not stacked
        assert page.locator(".messages p.msg").count() == 1
    finally:
        server.stop()
