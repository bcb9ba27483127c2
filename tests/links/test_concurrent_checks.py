"""Two ``tracker check`` processes at once on one database: both finish, each link is
fetched once in total, and every link ends with exactly one status row (issue 12:
the second run failed with ``duplicate key … "pk_link_status"``)."""

from __future__ import annotations

import json
from collections import Counter

from sqlalchemy import func, select

from tests.links import server as srv
from tests.links.seed import seed
from tests.twins import run_twins
from tracker.db.models_links import LinkObservation, LinkStatus
from tracker.db.session import Database

ENV = {"TRACKER_NOW": "2026-11-23T09:00:00Z", "TRACKER_CHECK__HOST_INTERVAL": "0",
       "TRACKER_CHECK__BACKOFF_BASE": "0.01", "TRACKER_CHECK__TIMEOUT": "5",
       "TRACKER_CHECK__HOST_CONCURRENCY": "8"}
LINKS = 100


def test_two_checks_at_once_fetch_each_link_once(db: Database, db_url: str) -> None:
    words = "<p>" + " ".join(f"w{i}" for i in range(100)) + "</p>"
    paths = [f"/post/{i}" for i in range(LINKS)]
    pages = {p: srv.html_page(f"Post {i} | site", f"<h1>Post {i}</h1>{words}") for i, p in enumerate(paths)}
    with srv.FaultServer("127.0.0.1", routes=pages) as site:  # any other path: 404 (sibling probes)
        ids = seed(db, [site.url(p) for p in paths])
        runs = run_twins(db_url, ["check", "--format", "json"], ENV)
        hits = Counter(h.path for h in site.hits())
    for run in runs:
        assert run.code == 0, run.stderr
    assert {p: hits[p] for p in paths} == {p: 1 for p in paths}  # the server saw each link once
    reports = [json.loads(run.stdout) for run in runs]
    assert sum(r["checked"] for r in reports) == LINKS  # between them, every link was checked
    with db.transaction() as s:
        rows = dict(s.execute(select(LinkStatus.resource_id, LinkStatus.state)).all())
        observed = Counter(s.scalars(select(LinkObservation.resource_id)))
        assert s.scalar(select(func.count()).select_from(LinkStatus)) == LINKS
    assert rows == {rid: "alive" for rid in ids.values()}
    assert observed == Counter(ids.values())  # one observation per link: nothing discarded, nothing twice
