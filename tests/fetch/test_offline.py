"""Network-down is one notion for check and crawl: an offline run changes no link state
and parks no source, however few hosts are due.

"Offline" here: the servers that answered on the last run are gone (connections are
refused), and no canary answers. Controls show the same failures do count when a
configured canary still answers (the hosts are down, not us).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.crawl.test_crawl import T0 as CRAWL_T0
from tests.crawl.test_crawl import add
from tests.fetch.wire import article
from tests.links import server as srv
from tests.links.seed import T0, days, make_settings, seed
from tracker.config import load_settings
from tracker.db.models_feeds import FeedSource
from tracker.db.session import Database
from tracker.services.crawl import crawl
from tracker.services.linkcheck import check_links
from tracker.services.report import link_report

FEED = b"<rss version='2.0'><channel><title>t</title><item><title>a</title><link>http://x.test/a</link></item></channel></rss>"


@pytest.mark.parametrize("hosts", [1, 2])
def test_an_offline_check_of_a_small_document_changes_nothing(db: Database, db_url: str, hosts: int) -> None:
    servers = [srv.FaultServer(f"127.0.0.{60 + n}", routes={f"/post{i}": article(f"Post number {i}")
                                                           for i in range(3)}).start() for n in range(hosts)]
    urls = [s.url(f"/post{i}") for s in servers for i in range(3)]
    seed(db, urls)
    settings = make_settings(db_url, check={"retries": 0})
    assert check_links(db, settings, all_links=True).summary["alive"] == len(urls)
    for s in servers:
        s.stop()  # our side "offline": every host that answered last time refuses now
    for d in (4, 8, 12):
        report = check_links(db, replace(settings, now_override=T0 + days(d)), all_links=True)
        assert report.inconclusive and report.changes == []
    assert {r.state for r in link_report(db, settings).rows} == {"alive"}
    with srv.FaultServer("127.0.0.69", routes={"/": article("Canary page alive")}) as canary:
        online = replace(settings, now_override=T0 + days(16),
                         check=replace(settings.check, canary_urls=(canary.url("/"),)))
        report = check_links(db, online, all_links=True)
    assert not report.inconclusive  # a canary answered: the hosts are down, not us
    assert {r.state for r in link_report(db, settings).rows} == {"failing"}


def _sources(db: Database) -> list[FeedSource]:
    with db.transaction() as session:
        return list(session.query(FeedSource).order_by(FeedSource.name))


def test_three_offline_crawls_park_nothing(db: Database, db_url: str) -> None:
    server = srv.FaultServer("127.0.0.70", routes={f"/f{i}.xml": srv.raw_page(FEED, content_type="application/rss+xml")
                                                   for i in range(2)}).start()
    settings = load_settings(env={}, overrides={"database_url": db_url, "check": {"host_interval": 0}})
    for i in range(2):
        add(db, settings, "feed", server.url(f"/f{i}.xml"), f"feed{i}")
    assert [r.outcome for r in crawl(db, settings, now=CRAWL_T0)] == ["fetched", "fetched"]
    server.stop()
    for n in (1, 2, 3):
        reports = crawl(db, settings, now=CRAWL_T0 + timedelta(days=n))
        assert [r.outcome for r in reports] == ["deferred", "deferred"] and not any(r.parked for r in reports)
    assert all(s.parked_at is None and s.consecutive_errors == 0 for s in _sources(db))
    with srv.FaultServer("127.0.0.71", routes={"/": article("Canary page alive")}) as canary:
        online = replace(settings, check=replace(settings.check, canary_urls=(canary.url("/"),)))
        for n in (4, 6, 8):
            reports = crawl(db, online, now=CRAWL_T0 + timedelta(days=n))
            assert [r.outcome for r in reports] == ["error", "error"]
    assert all(s.parked_at is not None for s in _sources(db))  # the hosts were down, not us: parked
