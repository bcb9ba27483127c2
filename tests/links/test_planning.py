"""Set-based planning queries of a check (issue 15): what is due, counts by state, dead
links awaiting an archive answer, their query plans (indexes), and array lookups."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import event, text

from tracker.db import repo_documents, repo_links
from tracker.db.models_links import LinkStatus
from tracker.db.session import Database

from .seed import T0, days, seed


def _status(rid: int, state: str, next_check_at: datetime | None, **extra: Any) -> LinkStatus:
    return LinkStatus(resource_id=rid, state=state, state_since=T0, reason="", soft404=False,
                      consecutive_failures=0, elapsed_ms=0, content_type="", title="",
                      next_check_at=next_check_at, **extra)


def _seed_states(db: Database) -> dict[str, int]:
    urls = [f"https://h{i}.example.org/p" for i in range(7)]
    ids = seed(db, urls)
    r = [ids[u] for u in urls]
    with db.transaction() as s:
        s.add_all([
            _status(r[1], "alive", T0 - days(1)),          # its time has come
            _status(r[2], "alive", T0),                    # exactly now: due
            _status(r[3], "alive", T0 + days(3)),          # later: not due
            _status(r[4], "failing", None),                # no time: due
            _status(r[5], "dead", T0 + days(1), archive_outcome="retry", archive_retry_at=T0 + days(2)),
            _status(r[6], "dead", T0 + days(1), archive_outcome="found", archive_url="https://web.archive.org/x"),
        ])
    return {"never": r[0], "past": r[1], "now": r[2], "later": r[3], "no_time": r[4], "retry": r[5],
            "found": r[6]}


def test_due_resource_ids_follows_the_check_rule(db: Database) -> None:
    r = _seed_states(db)
    with db.transaction() as s:
        assert repo_links.due_resource_ids(s, T0) == sorted([r["never"], r["past"], r["now"], r["no_time"]])
        # three days later the "later" link and both dead ones are due too
        assert repo_links.due_resource_ids(s, T0 + days(3)) == sorted(r.values())
        assert repo_links.count_resources(s) == 7
        assert repo_links.state_counts(s) == {"alive": 3, "failing": 1, "dead": 2}
        # the ORM rows for exactly those ids, by id (what linkcheck._plan reads)
        rows = repo_links.resources_with_status(s, [r["later"], r["never"]])
        assert [(res.id, st.state if st else None) for res, st in rows] == \
            sorted([(r["never"], None), (r["later"], "alive")])


def test_nothing_due_is_an_empty_list(db: Database) -> None:
    ids = seed(db, ["https://a.example.org/", "https://b.example.org/"])
    with db.transaction() as s:
        s.add_all([_status(rid, "alive", T0 + days(7)) for rid in ids.values()])
    with db.transaction() as s:
        assert repo_links.due_resource_ids(s, T0) == []
        assert repo_links.resources_with_status(s, []) == []


def test_archive_candidates_are_dead_links_without_a_final_answer(db: Database) -> None:
    r = _seed_states(db)
    with db.transaction() as s:
        s.add(_status(r["never"], "dead", None))  # dead, never asked
    with db.transaction() as s:
        found = repo_links.archive_candidates(s)
        assert sorted(found) == sorted([r["never"], r["retry"]])
        assert found[r["retry"]].archive_outcome == "retry"
        assert set(repo_links.resources_by_id(s, found)) == set(found)
        # with the clock: a "retry" answer counts only once its retry time has come
        assert sorted(repo_links.archive_candidates(s, T0)) == [r["never"]]
        assert sorted(repo_links.archive_candidates(s, T0 + days(2))) == sorted([r["never"], r["retry"]])


@contextmanager
def _statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_resource_lookup_is_one_statement_with_one_parameter(db: Database) -> None:
    """The known cause of the superlinear PostgreSQL import: one ``IN (…)`` of 500 URLs per
    500 links, prepared by psycopg after five runs. The lookup is now one statement with
    one parameter whatever the count: an array on PostgreSQL, JSON on SQLite."""
    urls = [f"https://h{i % 50}.example.org/p/{i}" for i in range(1200)]
    rows = {u: dict(canonical_url=u, url=u, kind="web", host=u.split("/")[2], external_id=None, title="",
                    origin="document", created_at=T0) for u in urls}
    with db.transaction() as s:
        ids, created = repo_documents.ensure_resources(s, rows)
        assert len(ids) == len(set(ids.values())) == 1200 and created == set(urls)
    with db.transaction() as s, _statements(db) as seen:
        found = repo_documents.resource_ids(s, urls + ["https://missing.example.org/"])
        assert found == ids
    assert len(seen) == 1
    if db.engine.dialect.name == "postgresql":
        assert "= ANY" in seen[0] and "IN (" not in seen[0]
    else:  # one JSON parameter, not 1,201 placeholders
        assert "json_each" in seen[0] and seen[0].count("?") == 1
    # again: nothing is created twice, and the existing ids come back
    with db.transaction() as s:
        again, created = repo_documents.ensure_resources(s, rows)
        assert again == ids and created == set()


def test_planning_queries_use_indexes(db: Database) -> None:
    """EXPLAIN of every due-time and state query names an index (PostgreSQL is told not to
    prefer a sequential scan, which it rightly does on a tiny table)."""
    _seed_states(db)
    with db.transaction() as s:
        if db.engine.dialect.name == "postgresql":
            s.execute(text("SET LOCAL enable_seqscan = off"))
        plans = dict(repo_links.explain_planning(s, T0))
    text_of = {title: " ".join(lines) for title, lines in plans.items()}
    assert "ix_link_status_next_check_at" in text_of["due: next_check_at <= now"]
    assert "ix_link_status_next_check_at" in text_of["due: next_check_at IS NULL"]
    assert "pk_link_status" in text_of["due: never checked"] or \
        "USING INTEGER PRIMARY KEY" in text_of["due: never checked"] or \
        "PRIMARY KEY" in text_of["due: never checked"].upper()
    assert "ix_link_status_archive_due" in text_of["archive candidates"]
    assert "ix_link_status_state" in text_of["state counts"] or \
        "ix_link_status_archive_due" in text_of["state counts"]  # both begin with the state
    placements = text_of["placements of a version"]  # the (version_id, position) unique index
    assert "index" in placements.lower() and "version_id" in placements and "Seq Scan" not in placements
