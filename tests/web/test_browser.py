"""End to end in a real browser: Debian's headless Chromium (through Playwright) against
``tracker serve`` on a loopback port, over a database the demo filled.

Set ``TRACKER_SCREENSHOTS=docs/screenshots`` to keep the pages' screenshots (the README's).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from tests.web.conftest import HOSTILE_TITLE, Served, add_hostile_candidate, loopback_only
from tracker.config import Settings
from tracker.db.models_candidates import Candidate, CandidateDecision
from tracker.db.models_core import Topic
from tracker.db.models_links import CheckRun
from tracker.db.session import Database
from tracker.services.report import link_report

Demo = tuple[Database, Settings]


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("TRACKER_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def _state(db: Database, cid: int) -> tuple[str, str, str, str]:
    """(status, week, topic slug, decided_by) straight from the database."""
    with db.transaction() as session:
        c = session.get(Candidate, cid)
        assert c is not None
        topic = session.get(Topic, c.topic_id) if c.topic_id else None
        return c.status, c.week, topic.slug if topic else "", c.decided_by


def _current(page: Any) -> int:
    return int(page.locator("article.cand.current").get_attribute("data-id"))


def _press(page: Any, key: str) -> None:
    """A shortcut that posts a form: wait for the redirect back to the queue."""
    with page.expect_navigation():
        page.keyboard.press(key)


def test_review_a_week_with_the_keyboard_only(page: Any, plain: Served, demo: Demo) -> None:
    db, _settings = demo
    page.goto(plain.url + "/")
    left = int(page.locator("#left").inner_text())
    ids = [int(x) for x in page.locator("article.cand").evaluate_all("els => els.map(e => e.dataset.id)")]
    assert len(ids) == left >= 5
    assert _current(page) == ids[0]
    _shot(page, "queue")

    # o: open the current link in a new tab (the request itself is stopped: loopback only)
    href = page.locator("article.cand.current a.open").get_attribute("href")
    with page.context.expect_page() as opened:
        page.keyboard.press("o")
    opened.value.wait_for_load_state()
    assert href in page.stopped
    opened.value.close()

    # a: accept the first candidate in its chapter
    first = ids[0]
    status, _week, topic, _by = _state(db, first)
    _press(page, "a")
    assert _state(db, first)[0::2] == ("accepted", topic) and _state(db, first)[3] == "alice"
    assert int(page.locator("#left").inner_text()) == left - 1
    assert "accepted" in page.locator(".msg.ok").inner_text()

    # j then r: reject the candidate after the new current one
    page.keyboard.press("j")
    rejected = _current(page)
    _press(page, "r")
    assert _state(db, rejected)[0] == "rejected"

    # d: defer the current candidate to next week
    deferred = _current(page)
    before_week = _state(db, deferred)[1]
    _press(page, "d")
    assert _state(db, deferred)[:2] == ("deferred", "2026-W47")

    # k, then m: move the current candidate with the chapter picker, typing and Enter
    page.keyboard.press("k")
    moved = _current(page)
    old_topic = _state(db, moved)[2]
    new_topic = "attention" if old_topic != "attention" else "tokenization"
    page.keyboard.press("m")
    page.keyboard.type(new_topic)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert _state(db, moved)[0::2] == ("queued", new_topic)

    # u: undo the newest decision (the move), then the one before it (the defer)
    _press(page, "u")
    assert _state(db, moved)[0::2] == ("queued", old_topic)
    _press(page, "u")
    assert _state(db, deferred)[:2] == ("queued", before_week)
    assert _state(db, rejected)[0] == "rejected" and _state(db, first)[0] == "accepted"
    assert int(page.locator("#left").inner_text()) == left - 2
    with db.transaction() as session:
        undos = session.scalar(select(func.count()).select_from(CandidateDecision)
                               .where(CandidateDecision.action == "undo"))
    assert undos == 2
    assert page.dialogs == []


def test_two_reviewers_on_one_candidate_the_second_sees_who_decided(browser: Any, plain: Served,
                                                                    demo: Demo) -> None:
    db, _settings = demo
    pages = []
    for name in ("alice", "bob"):
        context = browser.new_context()
        loopback_only(context)
        p = context.new_page()
        p.goto(plain.url + "/")
        p.fill("form.who input[name=name]", name)
        with p.expect_navigation():
            p.click("form.who button")
        pages.append(p)
    alice, bob = pages
    target = _current(alice)
    assert _current(bob) == target
    _press(alice, "a")
    with bob.expect_navigation():  # bob's page is stale: he clicks Reject on the same card
        bob.click(f"#c-{target} button[value=reject]")
    assert "already accepted by alice" in bob.locator(".msg.error").inner_text()
    assert _state(db, target)[0::3] == ("accepted", "alice")
    with db.transaction() as session:
        rows = session.execute(select(CandidateDecision.action, CandidateDecision.decided_by)
                               .where(CandidateDecision.candidate_id == target)).all()
    assert [tuple(r) for r in rows] == [("accept", "alice")]
    for p in pages:
        p.context.close()


def test_links_page_shows_every_state_the_demo_produces_and_the_chart(page: Any, plain: Served,
                                                                      demo: Demo) -> None:
    db, settings = demo
    report = link_report(db, settings)
    produced = {r.state for r in report.rows}
    assert {"dead", "failing", "blocked", "redirected", "alive"} <= produced
    page.goto(plain.url + "/links")
    _shot(page, "links")
    for state in ("dead", "failing", "blocked", "redirected", "alive", "unchecked"):
        item = page.locator("ul.summary li", has=page.locator(f".badge.st-{state}"))
        assert int(item.locator("strong").inner_text()) == report.summary.get(state, 0), state
    for state in produced - {"alive"}:
        assert page.locator(f"tr[data-state={state}]").count() >= 1, state
    failing = [r for r in report.rows if r.state == "failing"][0]
    row = page.locator("tr[data-state=failing]", has_text=failing.url)
    assert f"{failing.consecutive_failures} since {failing.first_failure_at:%Y-%m-%d}" in row.inner_text()
    moved = [r for r in report.rows if r.state == "redirected"][0]
    assert page.locator("tr[data-state=redirected] a", has_text=moved.suggested_url or "?").count() == 1
    archived = [r for r in report.rows if r.archive_url]
    assert archived and page.locator("a.archive").count() >= len(archived)
    assert page.locator("a.archive").first.get_attribute("href") in {r.archive_url for r in archived}
    assert any(r.soft404 for r in report.rows) and page.locator("tr .badge.soft").count() >= 1
    # the chart: one bar per check run, each state of the last run drawn
    with db.transaction() as session:
        runs = session.scalar(select(func.count()).select_from(CheckRun))
    chart = page.locator("svg#state-chart")
    assert chart.is_visible() and chart.locator("g.bar").count() == runs
    last = chart.locator("g.bar").last
    for state in produced:
        assert last.locator(f"rect[data-state={state}]").count() == 1, state
    assert last.locator("rect[data-state=dead] title").text_content().endswith(
        f"{report.summary['dead']} dead")


def test_hostile_feed_text_is_inert(page: Any, plain: Served, demo: Demo) -> None:
    db, settings = demo
    hostile = add_hostile_candidate(db, settings)
    response = page.goto(plain.url + "/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    card = page.locator(f"#c-{hostile}")
    assert card.locator("h3").inner_text() == HOSTILE_TITLE  # shown as the text it is
    assert card.locator("h3 a").count() == 0  # a javascript: URL never becomes a link
    assert card.locator("img").count() == 0
    assert "<b>Mallory</b>" in card.locator(".meta").inner_text() and card.locator("b").count() == 0
    assert page.evaluate("document.scripts.length") == 1  # only /static/app.js
    assert page.locator("a[href^='javascript']").count() == 0
    card.locator("summary").click()
    assert card.locator(".text").is_visible()
    assert page.dialogs == []


def test_document_and_sources_pages(page: Any, plain: Served, demo: Demo) -> None:
    db, settings = demo
    page.goto(plain.url + "/document")
    _shot(page, "document")
    assert page.locator("table.data tbody tr").count() == 2  # the demo's two versions
    assert page.locator("ul.changes").first.locator("li").count() >= 1
    with page.expect_download() as download:
        page.click("a[href='/export/resources.csv']")
    assert download.value.suggested_filename.endswith(".csv")
    page.goto(plain.url + "/sources")
    _shot(page, "sources")
    row = page.locator("tr", has_text="demo-blog")
    with page.expect_navigation():
        row.locator("button").click()
    assert "demo-blog is disabled" in page.locator(".msg.ok").inner_text()
    from tracker.services.sources import list_sources
    assert {r["name"]: r["enabled"] for r in list_sources(db, settings)}["demo-blog"] is False
