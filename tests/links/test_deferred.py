"""A host that asks us to stay away (Retry-After longer than a run waits) defers its other
links: they were never requested, so nothing is known of them. They stay as they were
(a new link stays ``unchecked``) and are due on the next run; the link whose answer asked
for the pause is judged as usual."""

from __future__ import annotations

from tracker.db.session import Database
from tracker.fetch.gate import reset_shared_gates
from tracker.services.linkcheck import check_links
from tracker.services.report import link_report
from tests.links import server as srv
from tests.links.seed import T0, at, days, make_settings, seed


def page(title: str) -> srv.Handler:
    return srv.html_page(title, "<p>" + " ".join(f"{title.lower()}{i}" for i in range(200)) + "</p>")


def test_links_deferred_by_retry_after_are_not_judged(db: Database, db_url: str) -> None:
    with srv.FaultServer("127.0.0.1", routes={
            "/busy": srv.status_page(429, "Slow down", {"Retry-After": "3600"}),
            "/a/one": page("One"), "/b/two": page("Two")}) as site:
        busy, one, two = site.url("/busy"), site.url("/a/one"), site.url("/b/two")
        seed(db, [busy, one, two])  # ids in this order: /busy is asked first
        settings = make_settings(db_url, check={"host_concurrency": 1, "retries": 0, "max_retry_after": 5})
        report = check_links(db, settings, all_links=False)
        requested = {h.path for h in site.hits()}
        assert "/busy" in requested and "/a/one" not in requested and "/b/two" not in requested
        rows = {r.url: r for r in link_report(db, settings).rows}
        assert rows[one].state == "unchecked" and rows[two].state == "unchecked", \
            {u: (r.state, r.reason) for u, r in rows.items()}
        assert rows[busy].state != "unchecked"  # its answer was judged
        assert {c["url"] for c in report.changes} <= {busy}

        # the next run, a day later in a new process (the pause was this process's), checks them
        reset_shared_gates()
        check_links(db, at(settings, T0 + days(1)), all_links=False)
        assert {"/a/one", "/b/two"} <= {h.path for h in site.hits()}
        rows = {r.url: r for r in link_report(db, at(settings, T0 + days(1))).rows}
        assert rows[one].state == "alive" and rows[two].state == "alive"
