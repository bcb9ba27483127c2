"""A folder's sibling probe is sent for pages the checker has not already judged alive
with this very content: a weekly run over unchanged pages sends no probes, a page that
changed (or a catch-all that replaced it) is probed again (loopback servers)."""

from __future__ import annotations

from datetime import timedelta

from tracker.db.session import Database
from tracker.services.linkcheck import check_links
from tracker.services.report import link_report
from tests.links import server as srv
from tests.links.seed import T0, at, make_settings, seed


def _probes(site: srv.FaultServer, before: int) -> list[str]:
    return [h.path for h in site.hits()[before:] if "tracker-probe" in h.path]


def test_unchanged_pages_are_not_probed_again_changed_ones_are(db: Database, db_url: str) -> None:
    article = srv.html_page("An article", "words of the article " * 40)
    rewritten = srv.html_page("An article", "the article, rewritten " * 40)
    catch_all = srv.html_page("Welcome", "the same welcome page for every path " * 20)
    with srv.FaultServer("127.0.0.1", routes={"/blog/a": article, "/blog/b": srv.sequence(article, article, rewritten)}) \
            as blog, srv.FaultServer("127.0.0.2", routes={"/docs/c": srv.sequence(article, article, catch_all)},
                                     default=srv.sequence(srv.status_page(404), catch_all)) as docs:
        # the docs site becomes a catch-all by the third run: its page is gone, every path
        # (the probe too) answers the same welcome page
        urls = [blog.url("/blog/a"), blog.url("/blog/b"), docs.url("/docs/c")]
        seed(db, urls)
        base = make_settings(db_url)

        def run(days: int) -> tuple[dict[str, str], list[str]]:
            before = len(blog.hits()), len(docs.hits())
            now = T0 + timedelta(days=days)
            check_links(db, at(base, now), all_links=True)
            return ({r.url: r.state for r in link_report(db, at(base, now)).rows},
                    _probes(blog, before[0]) + _probes(docs, before[1]))

        first, first_probes = run(0)
        assert set(first.values()) == {"alive"}
        assert len(first_probes) == 2  # one per folder: /blog/ and /docs/

        second, second_probes = run(1)
        assert set(second.values()) == {"alive"} and second_probes == []  # nothing changed, nothing probed

        # /blog/b was rewritten (probed again, still alive); /docs/c now answers the site's
        # catch-all page (probed again: the catch-all answers the probe too, so not alive)
        third, third_probes = run(2)
        assert sorted(p.rsplit("/", 1)[0] for p in third_probes) == ["/blog", "/docs"]
        assert third[urls[0]] == third[urls[1]] == "alive"
        assert third[urls[2]] != "alive"
