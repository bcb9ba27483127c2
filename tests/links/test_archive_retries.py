"""Archive look-ups within a run: a glitch is asked again, a down archive is not asked N times.

Before: the Wayback client sent each look-up once (no retry), so one 503 left a dead link
without its archived copy until a later run; and with the archive down, a run asked about
every dead link in turn, each waiting out its own deadline (N × timeout).
"""

from __future__ import annotations

from urllib.parse import parse_qs

import httpx
from sqlalchemy import select

from tracker.db.models_links import ArchiveLookup, LinkStatus
from tracker.db.session import Database
from tracker.links.archive import archive_down
from tracker.services.linkcheck import check_links
from tests.links.seed import T0, at, days, make_settings, seed


def _snapshot(target: str) -> dict[str, object]:
    return {"archived_snapshots": {"closest": {
        "available": True, "status": "200", "timestamp": "20240102030405",
        "url": f"https://web.archive.org/web/20240102030405/{target}"}}}


GONE = httpx.MockTransport(lambda request: httpx.Response(404, html="<title>404</title>"))


def _make_dead(db: Database, db_url: str, urls: list[str]) -> None:
    """Check ``urls`` (all 404) until they are dead, with an archive that is not asked yet."""
    settings = make_settings(db_url, wayback={"api_url": "https://archive.example/wayback/available"})
    never = httpx.MockTransport(lambda request: httpx.Response(500))
    seed(db, urls)
    for d in (0, 1.5):
        check_links(db, at(settings, T0 + days(d)), transport=GONE, wayback_transport=never)
    with db.transaction() as s:
        assert {st.state for st in s.scalars(select(LinkStatus))} == {"failing"}


def _outcomes(db: Database) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    with db.transaction() as s:
        for lk in s.scalars(select(ArchiveLookup).order_by(ArchiveLookup.id)):
            out.setdefault(lk.resource_id, []).append(lk.outcome)
    return out


def test_one_archive_glitch_is_asked_again_within_the_run(db: Database, db_url: str) -> None:
    _make_dead(db, db_url, ["https://a.example/post"])
    asked: list[str] = []

    def wayback(request: httpx.Request) -> httpx.Response:
        asked.append(parse_qs(request.url.query.decode())["url"][0])
        if len(asked) == 1:
            return httpx.Response(503, text="busy")
        return httpx.Response(200, json=_snapshot(asked[-1]))

    settings = make_settings(db_url)
    report = check_links(db, at(settings, T0 + days(3)), transport=GONE, wayback_transport=httpx.MockTransport(wayback))
    assert asked == ["https://a.example/post"] * 2
    assert report.archive_lookups == 1 and report.archive_postponed == 0
    assert list(_outcomes(db).values()) == [["found"]]


def test_a_down_archive_is_asked_once_per_run_and_the_rest_wait_for_the_next(db: Database, db_url: str) -> None:
    urls = [f"https://site{i}.example/post" for i in range(4)]
    _make_dead(db, db_url, urls)
    asked: list[str] = []
    up = [False]

    def wayback(request: httpx.Request) -> httpx.Response:
        asked.append(parse_qs(request.url.query.decode())["url"][0])
        return httpx.Response(200, json=_snapshot(asked[-1])) if up[0] else httpx.Response(503)

    settings = make_settings(db_url)  # retries = 2
    transport = httpx.MockTransport(wayback)
    said: list[str] = []
    report = check_links(db, at(settings, T0 + days(3)), transport=GONE, wayback_transport=transport,
                         progress=said.append)
    # the first dead link is asked 1 + 2 times; the other three are not asked at all
    assert asked == [urls[0]] * 3
    assert report.archive_lookups == 1 and report.archive_postponed == 3
    assert report.as_dict()["archive_postponed"] == 3
    assert any("3 look-up(s) left for the next run" in line and "archive answered 503" in line for line in said)
    first = _outcomes(db)
    assert list(first.values()) == [["retry"]]
    with db.transaction() as s:  # the others have no answer at all: still due
        unasked = [st.archive_outcome for st in s.scalars(select(LinkStatus).order_by(LinkStatus.resource_id))][1:]
    assert unasked == [None, None, None]
    # the archive is back: the next run (nothing due but the look-ups) asks the three;
    # the first waits for its retry delay
    up[0] = True
    asked.clear()
    report = check_links(db, at(settings, T0 + days(3.1)), transport=GONE, wayback_transport=transport)
    assert asked == urls[1:] and report.archive_postponed == 0
    assert sorted(_outcomes(db).values()) == [["found"], ["found"], ["found"], ["retry"]]


def test_archive_down_reads_the_answer_not_the_url() -> None:
    assert archive_down(None, "timeout") and archive_down(None, "connect") and archive_down(None, "truncated")
    assert archive_down(503, None) and archive_down(429, None) and archive_down(None, None)
    assert not archive_down(None, "invalid_url")  # we could not ask about that one URL
    assert not archive_down(200, None) and not archive_down(404, None)
