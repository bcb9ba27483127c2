"""Done-when: zero false alarms over time, and every truly gone link confirmed dead.

Alive links suffer a fresh transient fault on every run (one-shot 503, 429 with
Retry-After, resets, a timeout shorter than the retry budget); one run happens
during a whole-network outage. Time is driven through ``now`` (``TRACKER_NOW``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from tracker.db.session import Database
from tracker.services.linkcheck import check_links
from tracker.services.report import link_report
from tests.links import server as srv
from tests.links.seed import T0, at, days, make_settings, seed


def page(title: str) -> srv.Handler:
    return srv.html_page(title, "<p>" + " ".join(f"{title.lower()}{i}" for i in range(200)) + "</p>")


def cycle(*handlers: srv.Handler) -> srv.Handler:
    """A fault on the first request of every run, then the page (runs retry within themselves)."""
    count = iter(range(1 << 30))
    return lambda h: handlers[next(count) % len(handlers)](h)


@pytest.fixture
def world() -> Iterator[tuple[list[str], list[str], list[str]]]:
    flaky = srv.FaultServer("127.0.0.1", routes={
        "/one-shot-503": cycle(srv.status_page(503, "Busy"), page("Alpha")),
        "/429": cycle(srv.status_page(429, "Slow", {"Retry-After": "0"}), page("Beta")),
        "/reset": cycle(srv.reset(), page("Gamma")),
        "/steady": page("Delta"),
        "/gone-404": srv.status_page(404, "Not found"),
        "/gone-410": srv.status_page(410, "Gone"),
        "/comes-back": srv.sequence(srv.status_page(404, "Nope"), srv.status_page(404, "Nope"), page("Back")),
    })
    slow = srv.FaultServer("127.0.0.4", routes={
        "/slow-once": cycle(srv.delayed(1.0, page("Epsilon")), page("Epsilon"))})
    catch_all = srv.FaultServer("127.0.0.2", default=srv.html_page("Oops!", "<p>That page has gone missing.</p>"))
    home = srv.FaultServer("127.0.0.3", default=page("Homepage"), routes={"/old": srv.redirect("/", 301)})
    for s in (flaky, slow, catch_all, home):
        s.start()
    alive = [flaky.url(p) for p in ("/one-shot-503", "/429", "/reset", "/steady")] + [slow.url("/slow-once")]
    gone = [flaky.url("/gone-404"), flaky.url("/gone-410"), "http://vanished.invalid/post",
            catch_all.url("/blog/post"), home.url("/old")]
    yield alive, gone, [flaky.url("/comes-back")]
    for s in (flaky, slow, catch_all, home):
        s.stop()


def _outage(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 101] Network is unreachable", request=request)


def test_no_false_alarms_and_gone_links_confirmed(db: Database, db_url: str,
                                                  world: tuple[list[str], list[str], list[str]]) -> None:
    alive, gone, back = world
    seed(db, alive + gone + back)
    base = make_settings(db_url, check={"hosts": {"127.0.0.4": {"timeout": 0.5}}})

    def states(now: object) -> dict[str, str]:
        return {r.url: r.state for r in link_report(db, at(base, now)).rows}  # type: ignore[arg-type]

    schedule = [T0, T0 + days(1.5), T0 + days(2), T0 + days(3), T0 + days(3) + timedelta(hours=1)]
    history = []
    for n, now in enumerate(schedule):
        outage = n == 2
        report = check_links(db, at(base, now), all_links=n != 3,
                             transport=httpx.MockTransport(_outage) if outage else None)
        assert report.inconclusive is outage
        history.append(states(now))
        for url in alive:
            assert history[-1][url] == "alive", (n, url, history[-1][url])
    first, second, during_outage, third, _ = history
    assert all(first[u] == "failing" for u in gone)
    assert during_outage == second  # the outage run changed nothing
    assert all(third[u] == "dead" for u in gone), third
    assert first[back[0]] == "failing" and third[back[0]] == "alive"
    rows = {r.url: r for r in link_report(db, at(base, schedule[-1])).rows}
    assert all(rows[u].consecutive_failures >= 3 and rows[u].first_failure_at == T0 for u in gone)
    assert rows[back[0]].consecutive_failures == 0 and rows[back[0]].recovered


def test_run_where_every_host_is_down_changes_nothing(db: Database, db_url: str) -> None:
    urls = [f"https://site{i}.example/page" for i in range(6)]
    seed(db, urls)
    settings = make_settings(db_url)
    ok = httpx.MockTransport(lambda r: httpx.Response(404) if "tracker-probe" in r.url.path
                             else httpx.Response(200, html="<title>x</title>" + "word " * 50))
    check_links(db, settings, all_links=True, transport=ok)
    for n in range(5):  # far more than the confirmation count, all during an outage
        report = check_links(db, at(settings, T0 + days(2 * n + 1)), all_links=True,
                             transport=httpx.MockTransport(_outage))
        assert report.inconclusive and report.changes == []
    assert {r.state for r in link_report(db, at(settings, T0 + days(11))).rows} == {"alive"}
