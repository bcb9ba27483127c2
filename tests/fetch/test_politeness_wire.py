"""Politeness measured at the server (its own log), for the checker and for the crawler.

The servers run in their own process (``benchmarks/linkcheck/loopserver.py``, the
benchmark's server) on 127.0.0.3x, so their clock sees a request when it arrives.
The audit counts requests in flight per host, gaps between arrivals (5 ms of
slack) and arrivals within N s after a ``Retry-After: N``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from benchmarks.linkcheck.loopserver import LoopServers, audit
from tests.crawl.test_crawl import T0 as CRAWL_T0
from tests.crawl.test_crawl import add
from tests.links.seed import make_settings, seed
from tracker.config import load_settings
from tracker.db.session import Database
from tracker.fetch.feeds import FeedClient
from tracker.services.crawl import crawl
from tracker.services.linkcheck import check_links
from tracker.services.report import link_report

HOSTS = ["127.0.0.31", "127.0.0.32", "127.0.0.33"]


def test_checker_keeps_in_flight_gap_and_retry_after_at_the_server(db: Database, db_url: str,
                                                                   tmp_path: Path) -> None:
    with LoopServers(HOSTS, str(tmp_path / "log"), latency=0.12) as web:
        urls = [web.url(host, f"/p/{folder}/{i}") for host in HOSTS for folder in "abc" for i in range(5)]
        urls += [web.url(HOSTS[0], "/busy/1/a/busy"), web.url(HOSTS[1], "/gone/a/x")]
        seed(db, urls)
        settings = make_settings(db_url, check={"host_concurrency": 2, "host_interval": 0.05,
                                                "max_concurrency": 64, "retries": 2, "max_retry_after": 5,
                                                "timeout": 5})
        report = check_links(db, settings, all_links=True)
        log = web.stop()
    found = audit(log, limit=2, interval=0.05)
    assert (found["in_flight"], found["gap"], found["retry_after"]) == (0, 0, 0), found
    assert found["max_in_flight"] == 2  # the limit was reached, not just respected by idling
    assert sum(1 for e in log if e.status == 429) == 1 and len(log) >= len(urls) + 1
    assert not report.inconclusive and report.summary["alive"] == len(urls) - 1
    assert report.summary["failing"] == 1  # the 404


def test_crawler_keeps_one_in_flight_the_gap_and_retry_after(db: Database, db_url: str, tmp_path: Path) -> None:
    with LoopServers(["127.0.0.41"], str(tmp_path / "log"), latency=0.02) as web:
        settings = load_settings(env={}, overrides={"database_url": db_url, "now": CRAWL_T0.isoformat(),
                                                    "check": {"host_interval": 0.05}})
        add(db, settings, "feed", web.url("127.0.0.41", "/busy/1/feed/0"), "feed0")
        for i in range(1, 5):
            add(db, settings, "feed", web.url("127.0.0.41", f"/feed/{i}"), f"feed{i}")
        reports = {r.source: r for r in crawl(db, settings)}
        log = web.stop()
    found = audit(log, limit=1, interval=0.05)
    assert (found["in_flight"], found["gap"], found["retry_after"]) == (0, 0, 0), found
    assert sum(1 for e in log if e.status == 429) == 1
    # whatever polled after the 429 within its second was deferred, not sent
    assert all(r.outcome in ("fetched", "deferred", "error") for r in reports.values())
    assert reports["feed0"].outcome == "error" and reports["feed0"].status == 429
    assert len(log) == 1 + sum(1 for r in reports.values() if r.outcome == "fetched")


def test_a_retry_after_seen_by_the_checker_holds_the_crawler_back(db: Database, db_url: str,
                                                                  tmp_path: Path) -> None:
    """One gate per host for every caller: the crawler does not contact a host the checker
    was told to leave alone, even though the checker itself did not wait for it.

    The pause is an hour: nobody waits for it (the checker may not, the crawler defers),
    and the crawler must reach the gate while it lasts. With ``Retry-After: 2`` that was
    2 s of real time for the rest of the check, a ``feeds add`` and the crawl's start —
    up to 0.6 s on a loaded 2-core machine, and a slower one would have sent the feed."""
    with LoopServers(["127.0.0.42"], str(tmp_path / "log")) as web:
        settings = make_settings(db_url, check={"retries": 1, "max_retry_after": 0})
        seed(db, [web.url("127.0.0.42", "/busy/3600/page")])
        check_links(db, settings, all_links=True)
        add(db, settings, "feed", web.url("127.0.0.42", "/feed/x"), "feed")
        with FeedClient(settings) as client:
            reports = crawl(db, settings, client=client, now=settings.now() + timedelta(seconds=1))
        log = web.stop()
    assert [r.outcome for r in reports] == ["deferred"]
    assert [e.path for e in log] == ["/busy/3600/page"]  # the feed was never requested
    assert audit(log, limit=1, interval=0.0)["retry_after"] == 0
    state = {r.url: r.state for r in link_report(db, settings).rows}
    assert state[web.url("127.0.0.42", "/busy/3600/page")] != "dead"


def test_the_servers_log_is_on_this_machines_monotonic_clock(tmp_path: Path) -> None:
    """Arrivals are the kernel's stamps (real wall-clock time, which libfaketime leaves
    alone) moved to the monotonic clock, so a request's arrival lies between the moment it
    was sent and the moment its answer was read, under a faked date too (CI runs this
    file under libfaketime)."""
    import http.client
    import time

    with LoopServers(["127.0.0.43"], str(tmp_path / "log"), latency=0.05) as web:
        spans = []
        for i in range(3):
            conn = http.client.HTTPConnection("127.0.0.43", web.ports["127.0.0.43"], timeout=10)
            before = time.monotonic()
            conn.request("GET", f"/p/{i}")
            assert conn.getresponse().read()
            spans.append((before, time.monotonic()))
            conn.close()
        log = web.stop()
    assert len(log) == 3
    for (before, after), entry in zip(spans, sorted(log, key=lambda e: e.arrival)):
        assert before - 0.001 <= entry.arrival <= entry.end <= after, (before, entry, after)
        assert entry.end - entry.arrival >= 0.05 - 0.001  # the server's latency, read on one clock
