"""Wayback suggestions for dead links, and content changes recorded as resource versions."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import httpx
from sqlalchemy import select

from tracker.db.models_core import ResourceVersion
from tracker.db.models_links import ArchiveLookup
from tracker.db.session import Database
from tracker.services.linkcheck import check_links
from tracker.services.report import current_link_statuses, link_report
from tests.links.seed import T0, at, days, make_settings, seed

SNAPSHOT = {"archived_snapshots": {"closest": {
    "available": True, "status": "200", "timestamp": "20240102030405",
    "url": "http://web.archive.org/web/20240102030405/https://a.example/post"}}}


def sites(request: httpx.Request) -> httpx.Response:
    if request.url.host == "alive.example":
        return httpx.Response(200, html="<title>Fine</title>" + "fine " * 40) \
            if "tracker-probe" not in request.url.path else httpx.Response(404)
    return httpx.Response(404, html="<title>404</title>")


def test_dead_links_get_archive_suggestions_and_archive_errors_are_retried(db: Database, db_url: str) -> None:
    urls = ["https://a.example/post", "https://b.example/post", "https://c.example/post"]
    ids = seed(db, urls + ["https://alive.example/page"])
    asked: list[dict[str, list[str]]] = []
    c_calls = iter(range(100))

    def wayback(request: httpx.Request) -> httpx.Response:
        params = parse_qs(request.url.query.decode())
        asked.append(params)
        target = params["url"][0]
        if "a.example" in target:
            return httpx.Response(200, json=SNAPSHOT)
        if "b.example" in target:
            return httpx.Response(200, json={"url": target, "archived_snapshots": {}})
        if next(c_calls) < 3:  # the run's first try and both retries: the archive stays busy
            return httpx.Response(429)
        return httpx.Response(200, json={"archived_snapshots": {"closest": {
                "available": True, "status": "200", "timestamp": "20230101000000",
                "url": "https://web.archive.org/web/20230101000000/https://c.example/post"}}})

    settings = make_settings(db_url)
    mock, wb = httpx.MockTransport(sites), httpx.MockTransport(wayback)
    for d in (0, 1.5, 3):
        check_links(db, at(settings, T0 + days(d)), transport=mock, wayback_transport=wb)
    assert len(asked) == 5  # only once dead: a and b once, c three times (asked again within the run)
    assert all(p["timestamp"] == ["20261122090000"] for p in asked)  # before the first failure
    rows = {r.url: r for r in link_report(db, at(settings, T0 + days(3))).rows}
    assert rows[urls[0]].state == "dead"
    assert rows[urls[0]].archive_url == "https://web.archive.org/web/20240102030405/https://a.example/post"
    assert rows[urls[1]].archive_url is None and rows[urls[2]].archive_url is None
    with db.transaction() as s:
        outcomes = {(lk.resource_id, lk.outcome) for lk in s.scalars(select(ArchiveLookup))}
    assert outcomes == {(ids[urls[0]], "found"), (ids[urls[1]], "none"), (ids[urls[2]], "retry")}
    # the next run (nothing due) retries only the archive error, after its retry delay
    check_links(db, at(settings, T0 + days(3.5)), transport=mock, wayback_transport=wb)
    assert len(asked) == 5
    check_links(db, at(settings, T0 + days(4.5)), transport=mock, wayback_transport=wb)
    assert len(asked) == 6 and "c.example" in asked[-1]["url"][0]
    statuses = current_link_statuses(db)
    assert statuses[ids[urls[2]]].archive_url is not None
    assert statuses[ids[urls[2]]].archive_timestamp is not None and statuses[ids[urls[2]]].state == "dead"


def test_changed_page_text_is_a_new_resource_version(db: Database, db_url: str) -> None:
    ids = seed(db, ["https://blog.example/post"])
    pages = iter([
        ("Old title", "first version of the text " * 20, '"v1"'),
        ("Old title", "first   VERSION of the text " * 20, '"v1b"'),  # same normalised text
        ("New title", "second version with new material " * 20, '"v2"'),
    ])
    current: list[tuple[str, str, str]] = []
    conditional: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if "tracker-probe" in request.url.path:
            return httpx.Response(404)
        conditional.append(request.headers.get("if-none-match"))
        if conditional[-1] and current and conditional[-1] == current[-1][2] and len(conditional) == 4:
            return httpx.Response(304)
        current.append(next(pages))
        title, text, etag = current[-1]
        return httpx.Response(200, html=f"<title>{title}</title><p>{text}</p>", headers={"etag": etag})

    settings = make_settings(db_url)
    for d in range(4):
        check_links(db, at(settings, T0 + days(7 * d)), transport=httpx.MockTransport(handler))
    assert conditional == [None, '"v1"', '"v1b"', '"v2"']  # the last answered 304
    with db.transaction() as s:
        versions = list(s.scalars(select(ResourceVersion).where(ResourceVersion.resource_id == ids[
            "https://blog.example/post"])))
    assert [(v.origin, v.old_title, v.title, v.seen_at) for v in versions] == [
        ("check", "Old title", "New title", T0 + days(14))]
    assert link_report(db, at(settings, T0 + days(21))).rows[0].state == "alive"


def test_wayback_answers_are_read_carefully() -> None:
    from tracker.links.archive import read_availability
    assert read_availability(200, json.dumps(SNAPSHOT).encode()).outcome == "found"
    assert read_availability(200, b'{"archived_snapshots": {}}').outcome == "none"
    assert read_availability(429, b"").outcome == "retry"
    assert read_availability(502, b"").outcome == "retry"
    assert read_availability(None, b"", "timeout").outcome == "retry"
    assert read_availability(200, b"<html>").outcome == "retry"
    # why a look-up failed says what came back (a loaded full run stored four 200 "not JSON"
    # answers from the demo's JSON-only archive, and nothing more to go on)
    assert read_availability(200, b"<html>").detail == "archive answer is not JSON (6 bytes, starting with <)"
    assert read_availability(200, b"").detail == "archive answer is not JSON (empty)"
    assert read_availability(200, b"oops").detail == "archive answer is not JSON (4 bytes, starting with text)"
    bad = {"archived_snapshots": {"closest": {"available": True, "status": "404", "url": "x"}}}
    assert read_availability(200, json.dumps(bad).encode()).outcome == "none"


def test_oversized_validator_headers_do_not_break_a_run(db: Database, db_url: str) -> None:
    """Servers send headers of any length; the columns are bounded (PostgreSQL enforces it)."""
    seed(db, ["https://big.example/post"])

    def big_headers(request: httpx.Request) -> httpx.Response:
        if "tracker-probe" in request.url.path:  # the soft-404 probe of a random sibling
            return httpx.Response(404)
        return httpx.Response(200, html="<title>Big</title>" + "text " * 60,
                              headers={"ETag": '"' + "e" * 5000 + '"', "Last-Modified": "x" * 500})

    report = check_links(db, make_settings(db_url), all_links=True, transport=httpx.MockTransport(big_headers))
    assert report.summary["alive"] == 1
    statuses = current_link_statuses(db)
    assert [s.state for s in statuses.values()] == ["alive"]


def test_archive_answers_do_not_overwrite_state_written_meanwhile(db: Database, db_url: str) -> None:
    """The Wayback lookups run after the state is stored; whatever another process wrote to the
    link's status in between (here: a recovery) survives, and the archive answer is added."""
    from sqlalchemy import update

    from tracker.db.models_links import LinkStatus

    ids = seed(db, ["https://a.example/post"])
    rid = ids["https://a.example/post"]
    settings = make_settings(db_url)
    mock = httpx.MockTransport(sites)
    quiet = httpx.MockTransport(lambda request: httpx.Response(200, json={"archived_snapshots": {}}))
    for d in (0, 1.5):
        check_links(db, at(settings, T0 + days(d)), transport=mock, wayback_transport=quiet)

    def wayback_while_someone_recovers_it(request: httpx.Request) -> httpx.Response:
        with db.transaction() as s:
            s.execute(update(LinkStatus).where(LinkStatus.resource_id == rid).values(state="alive", reason="seen again"))
        return httpx.Response(200, json=SNAPSHOT)

    check_links(db, at(settings, T0 + days(3)), transport=mock,
                wayback_transport=httpx.MockTransport(wayback_while_someone_recovers_it))
    status = current_link_statuses(db)[rid]
    assert (status.state, status.reason) == ("alive", "seen again")
    assert status.archive_url == "https://web.archive.org/web/20240102030405/https://a.example/post"
