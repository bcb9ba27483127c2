"""A folder's sibling probe is sent only for pages not already judged OK beside an
*answered* probe with this very content (``link_status.probed_hash``): a weekly run over
unchanged pages sends no probes; a page that changed, or one whose earlier probe went
unanswered (a reset, a 503), is probed again and a catch-all is unmasked. Loopback servers,
``tracker check --all`` through the CLI, the probes counted in the servers' own logs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from tests.conftest import CLI
from tests.links import server as srv
from tests.links.seed import seed
from tests.links.test_cli_links import later
from tracker.db.models_links import LinkStatus
from tracker.db.session import Database
from tracker.fetch.errors import ErrorClass
from tracker.fetch.model import FetchResult
from tracker.links.model import Outcome
from tracker.services.linkcheck_looks import look, look_beside

ARTICLE = srv.html_page("An article", "words of the article " * 40)
OTHER = srv.html_page("Another article", "a second article about something else " * 30)
REWRITTEN = srv.html_page("An article", "the article, rewritten from the start " * 30)
CATCH_ALL = srv.html_page("Welcome", "the same welcome page for every path on this site " * 20)


class Phases:
    """Handlers that change between runs: ``phases.at(1)`` switches every ``pick`` made here."""

    def __init__(self) -> None:
        self.now = 0

    def at(self, phase: int) -> None:
        self.now = phase

    def pick(self, *handlers: srv.Handler) -> srv.Handler:
        """The handler of the current phase (the last one for later phases)."""
        return lambda h: handlers[min(self.now, len(handlers) - 1)](h)


def _probes(*sites: srv.FaultServer) -> list[str]:
    return [h.path for site in sites for h in site.hits() if "tracker-probe" in h.path]


def _check(run: CLI, days: float) -> None:
    result = run("check", "--all", env=later(days))
    assert result.exit_code == 0, result.stderr


def _status(db: Database, url_ids: dict[str, int]) -> dict[str, LinkStatus]:
    with db.transaction() as s:
        rows = {st.resource_id: st for st in s.scalars(select(LinkStatus))}
    return {url: rows[rid] for url, rid in url_ids.items()}


def test_a_week_later_unchanged_pages_send_no_probe_and_stay_alive(run: CLI, db: Database) -> None:
    with srv.FaultServer("127.0.0.1", routes={"/blog/a": ARTICLE, "/blog/b": OTHER}) as blog, \
            srv.FaultServer("127.0.0.2", routes={"/docs/c": ARTICLE}) as docs:
        ids = seed(db, [blog.url("/blog/a"), blog.url("/blog/b"), docs.url("/docs/c")])
        _check(run, 0)
        assert sorted(p.rsplit("/", 1)[0] for p in _probes(blog, docs)) == ["/blog", "/docs"]  # one per folder
        first = _status(db, ids)
        assert {st.state for st in first.values()} == {"alive"}
        # judged beside an answered probe (404): the page's hash is remembered
        assert all(st.probed_hash is not None and st.probed_hash == st.content_hash for st in first.values())

        hits = len(blog.hits()) + len(docs.hits())
        _check(run, 7)
        assert len(_probes(blog, docs)) == 2  # still only the first run's two: none this week
        assert len(blog.hits()) + len(docs.hits()) == hits + 3  # the three pages, nothing else
        second = _status(db, ids)
        assert {st.state for st in second.values()} == {"alive"}
        assert all(second[u].last_checked_at != first[u].last_checked_at for u in ids)  # checked again
        assert {u: st.probed_hash for u, st in second.items()} == {u: st.probed_hash for u, st in first.items()}


def test_a_changed_page_is_probed_again_and_a_catch_all_replacing_it_is_a_soft_404(run: CLI, db: Database) -> None:
    phases = Phases()
    with srv.FaultServer("127.0.0.1", routes={"/blog/a": ARTICLE, "/blog/b": phases.pick(OTHER, REWRITTEN)}) as blog, \
            srv.FaultServer("127.0.0.2", routes={"/docs/c": phases.pick(ARTICLE, CATCH_ALL)},
                            default=phases.pick(srv.status_page(404), CATCH_ALL)) as docs:
        # by the second run /blog/b was rewritten, and the docs site became a catch-all: its
        # page is gone, every path (the probe too) answers the same welcome page
        urls = [blog.url("/blog/a"), blog.url("/blog/b"), docs.url("/docs/c")]
        ids = seed(db, urls)
        _check(run, 0)
        first = _status(db, ids)
        before = len(_probes(blog)), len(_probes(docs))
        assert before == (1, 1) and {st.state for st in first.values()} == {"alive"}

        phases.at(1)
        _check(run, 7)
        probed = _probes(blog)[before[0]:] + _probes(docs)[before[1]:]
        assert sorted(p.rsplit("/", 1)[0] for p in probed) == ["/blog", "/docs"]  # for /blog/b and /docs/c
        second = _status(db, ids)
        a, b, c = (second[u] for u in urls)
        assert a.state == "alive" and a.probed_hash == first[urls[0]].probed_hash  # unchanged: kept
        assert b.state == "alive" and b.probed_hash == b.content_hash != first[urls[1]].probed_hash  # re-judged
        assert c.state != "alive" and c.soft404 and c.probed_hash is None  # unmasked, and not remembered


@pytest.mark.parametrize("unanswered", [srv.reset(), srv.status_page(503, "Busy")], ids=["reset", "503"])
def test_a_page_judged_beside_an_unanswered_probe_is_probed_again(run: CLI, db: Database,
                                                                   unanswered: srv.Handler) -> None:
    """The hole that reverted the first attempt: the page was judged alive while its probe
    got no answer, so nothing about its folder is known; the next run probes again, and
    finds the catch-all the folder was all along (it answers any path with this page)."""
    phases = Phases()
    with srv.FaultServer("127.0.0.3", routes={"/wiki/p": ARTICLE},
                         default=phases.pick(unanswered, ARTICLE)) as wiki:
        ids = seed(db, [wiki.url("/wiki/p")])
        _check(run, 0)
        first = _status(db, ids)[wiki.url("/wiki/p")]
        before = len(_probes(wiki))
        assert before >= 1  # sent (and retried), never answered
        assert first.state == "alive" and first.content_hash is not None and first.probed_hash is None

        phases.at(1)
        _check(run, 7)
        assert len(_probes(wiki)) > before  # the same page, probed again
        second = _status(db, ids)[wiki.url("/wiki/p")]
        assert second.content_hash == first.content_hash  # byte for byte what was judged alive
        assert second.state == "failing" and second.soft404 and second.probed_hash is None


def test_a_probe_answered_on_a_later_run_is_remembered_from_then_on(run: CLI, db: Database) -> None:
    phases = Phases()
    with srv.FaultServer("127.0.0.3", routes={"/wiki/p": ARTICLE},
                         default=phases.pick(srv.reset(), srv.status_page(404))) as wiki:
        ids = seed(db, [wiki.url("/wiki/p")])
        _check(run, 0)
        assert _status(db, ids)[wiki.url("/wiki/p")].probed_hash is None
        phases.at(1)
        _check(run, 7)
        second = _status(db, ids)[wiki.url("/wiki/p")]
        assert second.state == "alive" and second.probed_hash == second.content_hash is not None
        probes = len(_probes(wiki))
        _check(run, 14)
        assert len(_probes(wiki)) == probes and _status(db, ids)[wiki.url("/wiki/p")].state == "alive"


# ----------------------------------------------------------------- the rule, without a server

PAGE = b"<html><head><title>Notes</title></head><body>" + b"some notes on a subject " * 40 + b"</body></html>"
SAME = b"<html><head><title>Home</title></head><body>" + b"some notes on a subject " * 40 + b"</body></html>"


def _res(url: str = "http://127.0.0.9/notes/p", status: int | None = 200, body: bytes = PAGE,
         error: ErrorClass | None = None) -> FetchResult:
    return FetchResult(url=url, method="GET", status=status, final_url=url, error_class=error,
                       headers={"content-type": "text/html"} if status else {}, body=body)


def _probe(status: int | None = 404, body: bytes = b"<html><title>Not found</title></html>",
           error: ErrorClass | None = None) -> FetchResult:
    return _res("http://127.0.0.9/notes/tracker-probe-0", status, body, error)


def test_look_skips_the_probe_only_for_the_remembered_content() -> None:
    fresh = look(_res())
    assert fresh.probe_key is not None and fresh.content_hash is not None
    assert look(_res(), "another hash").probe_key is not None
    remembered = look(_res(), fresh.content_hash)
    assert remembered.probe_key is None and remembered.probed_hash == fresh.content_hash
    assert remembered.verdict.outcome is Outcome.OK


@pytest.mark.parametrize("probe, remembered", [
    (lambda: _probe(404), True), (lambda: _probe(410), True), (lambda: _probe(403), True),
    (lambda: _probe(200, b"<html><title>Other</title><body>" + b"quite another page " * 30 + b"</body></html>"),
     True),
    (lambda: _probe(None, b"", ErrorClass.RESET), False), (lambda: _probe(None, b"", ErrorClass.TIMEOUT), False),
    (lambda: _probe(503), False), (lambda: _probe(429), False), (lambda: _probe(408), False),
    (lambda: _probe(200, SAME), False),  # answered, but the page is the folder's catch-all: not OK
])
def test_look_beside_remembers_only_an_ok_page_beside_an_answered_probe(
        probe: Callable[[], FetchResult], remembered: bool) -> None:
    first = look(_res(), "an older hash")
    seen = look_beside(first, _res(), probe())
    assert seen.probe_key is None
    assert seen.probed_hash == (first.content_hash if remembered else None)
    assert (seen.verdict.outcome is Outcome.OK) == (remembered or probe().status != 200)


def test_without_a_probe_the_memory_is_kept_only_for_the_same_content() -> None:
    old = look(_res()).content_hash
    assert old is not None
    not_modified = look(_res(status=304, body=b""), old)
    assert not_modified.verdict.outcome is Outcome.OK and not_modified.probed_hash == old
    gone = look(_res(status=404, body=b"<html><title>Not found</title></html>"), old)
    assert gone.probed_hash is None
    failed = look(_res(status=None, body=b"", error=ErrorClass.RESET), old)
    assert failed.probed_hash is None
    root = look(_res("http://127.0.0.9/", body=b"<html><title>Home</title>" + b"the home page " * 30), old)
    assert root.probe_key is None and root.verdict.outcome is Outcome.OK and root.probed_hash is None
