"""What ``linkcheck_store.record_batch`` writes, batch after batch, for links with a status
and a history: the observation rows, every ``link_status`` column, resource versions, and
the changes list (alive → failing → dead → alive, blocked, transient, redirected, a 304,
an offline batch, archive answers kept or cleared)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from tracker.db import repo_links
from tracker.db.models_core import ResourceVersion
from tracker.db.models_links import CheckRun, LinkObservation, LinkStatus
from tracker.db.session import Database
from tracker.fetch.errors import ErrorClass
from tracker.fetch.model import FetchResult, Hop
from tracker.links import policy
from tracker.links.model import Observation, Outcome, Verdict
from tracker.services.linkcheck_store import Seen, record_batch
from tests.links.seed import T0, days, make_settings, seed

URLS = {k: f"https://{k}.example/page" for k in "abcde"}


def _ok(rid: int, url: str, chash: str | None, title: str, etag: str | None = None, status: int = 200,
        suggested: str | None = None) -> Seen:
    headers = {"content-type": "text/html"} | ({"etag": etag} if etag else {})
    final = suggested or url
    hops = (Hop(url, 301),) if suggested else ()
    res = FetchResult(url=url, method="GET", status=status, final_url=final, redirects=hops, elapsed=0.25,
                      headers=headers)
    reason = "moved permanently" if suggested else f"{status}"
    return Seen(rid, url, url, res, Verdict(Outcome.OK, reason, suggested_url=suggested), chash, title)


def _bad(rid: int, url: str, outcome: Outcome, status: int | None, error: ErrorClass | None = None) -> Seen:
    res = FetchResult(url=url, method="GET", status=status, final_url=url, error_class=error, elapsed=1.5,
                      attempts=3, headers={"content-type": "text/plain"} if status else {})
    return Seen(rid, url, url, res, Verdict(outcome, f"{outcome.value} {status or error}"), None, "")


def _record(db: Database, batch: list[Seen], now: datetime, counted: bool = True) -> tuple[list[dict[str, object]], int]:
    settings = make_settings(str(db.engine.url))
    with db.transaction() as s:
        run = CheckRun(started_at=now)
        s.add(run)
        s.flush()
        run_id = run.id
    out = record_batch(db, settings, run_id, batch, now, counted)
    return out.changes, out.new_versions


def _status(db: Database, rid: int) -> dict[str, Any]:
    with db.transaction() as s:
        row = s.execute(select(LinkStatus.__table__).where(LinkStatus.resource_id == rid)).mappings().one()
        return dict(row)


def _matches_policy(db: Database, rid: int, now: datetime) -> None:
    """The stored policy columns are ``policy.state_of`` over the stored observations."""
    with db.transaction() as s:
        obs = [Observation(o.observed_at, Outcome(o.outcome), o.reason, o.http_status, o.final_url,
                           o.suggested_url, o.soft404, o.counted)
               for o in s.scalars(select(LinkObservation).where(LinkObservation.resource_id == rid))]
    want = policy.state_of(obs, now, make_settings(str(db.engine.url)).links)
    st = _status(db, rid)
    for key in ("state", "reason", "http_status", "final_url", "suggested_url", "soft404", "consecutive_failures",
                "first_failure_at", "last_ok_at", "last_checked_at", "next_check_at"):
        assert st[key] == getattr(want, key), (rid, key)


def test_a_link_with_status_and_history_moves_as_the_policy_says(db: Database, db_url: str) -> None:
    ids = seed(db, list(URLS.values()))
    a, b, c, d, e = (ids[URLS[k]] for k in "abcde")
    ua, ub, uc, ud, ue = (URLS[k] for k in "abcde")

    # 1. first sight of every link
    t1 = T0
    changes, versions = _record(db, [
        _ok(a, ua, "h-a1", "A one", '"a1"'), _ok(b, ub, "h-b1", "B", suggested="https://b.example/new"),
        _bad(c, uc, Outcome.BLOCKED, 403), _bad(d, ud, Outcome.TRANSIENT, 503), _ok(e, ue, "h-e1", "E one", '"e1"'),
    ], t1)
    assert versions == 0
    assert [(ch["url"], ch["from"], ch["to"]) for ch in changes] == [
        (ua, "unchecked", "alive"), (ub, "unchecked", "redirected"), (uc, "unchecked", "blocked"),
        (ud, "unchecked", "failing"), (ue, "unchecked", "alive")]
    st = _status(db, a)
    assert (st["state"], st["previous_state"], st["state_since"], st["content_hash"], st["title"], st["etag"],
            st["content_type"], st["elapsed_ms"], st["archive_outcome"]) == (
        "alive", "unchecked", t1, "h-a1", "A one", '"a1"', "text/html", 250, None)
    assert _status(db, b)["suggested_url"] == "https://b.example/new"
    assert (_status(db, d)["content_type"], _status(db, d)["etag"]) == ("", None)  # only OK answers set them
    for rid in (a, b, c, d, e):
        _matches_policy(db, rid, t1)
    with db.transaction() as s:  # stored as every other statement stores times: SQL comparisons find them
        assert set(s.scalars(select(LinkStatus.resource_id).where(LinkStatus.next_check_at == t1 + days(7),
                                                                  LinkStatus.last_checked_at == t1))) == {a, b, c, e}
        assert len(list(s.scalars(select(LinkObservation.id).where(LinkObservation.observed_at == t1)))) == 5
    before = {rid: _status(db, rid) for rid in (a, b, c, d, e)}

    # 2. an offline batch: stored, not counted, nothing moves
    t2 = T0 + days(1)
    changes, versions = _record(db, [_bad(rid, URLS[k], Outcome.TRANSIENT, None, ErrorClass.NETWORK)
                                     for k, rid in zip("abcde", (a, b, c, d, e))], t2, counted=False)
    assert (changes, versions) == ([], 0)
    assert {rid: _status(db, rid) for rid in (a, b, c, d, e)} == before
    with db.transaction() as s:
        assert [o.counted for o in s.scalars(select(LinkObservation).where(LinkObservation.observed_at == t2))] \
            == [False] * 5

    # 3. a fails (404), d recovers, e answers 304 (no body: hash and validators kept), c still blocked
    t3 = T0 + days(1) + timedelta(hours=1)
    changes, versions = _record(db, [
        _bad(a, ua, Outcome.HARD, 404), _bad(c, uc, Outcome.BLOCKED, 403), _ok(d, ud, "h-d1", "D"),
        _ok(e, ue, None, "", status=304)], t3)
    assert versions == 0
    assert [(ch["url"], ch["from"], ch["to"], ch["reason"]) for ch in changes] == [
        (ua, "alive", "failing", "hard 404"), (ud, "failing", "alive", "200")]
    st = _status(db, a)
    assert (st["state"], st["previous_state"], st["state_since"], st["consecutive_failures"], st["first_failure_at"],
            st["last_ok_at"], st["content_hash"], st["title"], st["etag"], st["content_type"], st["elapsed_ms"]) == (
        "failing", "alive", t3, 1, t3, t1, "h-a1", "A one", '"a1"', "text/html", 1500)
    st = _status(db, e)
    assert (st["state"], st["previous_state"], st["state_since"], st["content_hash"], st["title"], st["etag"],
            st["http_status"], st["last_checked_at"]) == ("alive", "unchecked", t1, "h-e1", "E one", '"e1"', 304, t3)
    assert _status(db, c)["state_since"] == t1 and _status(db, c)["last_checked_at"] == t3
    for rid in (a, c, d, e):
        _matches_policy(db, rid, t3)

    # an archive answer arrives for a while it is failing: a failing batch keeps it, dead keeps it
    with db.transaction() as s:
        repo_links.record_archive_answer(s, a, "retry", t3, t3 + days(1), None, None)
    t4 = T0 + days(2.5)
    changes, _ = _record(db, [_bad(a, ua, Outcome.HARD, 404)], t4)
    assert changes == []
    st = _status(db, a)
    assert (st["state"], st["consecutive_failures"], st["archive_outcome"], st["state_since"]) == (
        "failing", 2, "retry", t3)
    _matches_policy(db, a, t4)
    t5 = T0 + days(4.5)
    changes, _ = _record(db, [_bad(a, ua, Outcome.HARD, 410)], t5)
    assert [(ch["from"], ch["to"], ch["reason"]) for ch in changes] == [("failing", "dead", "hard 410")]
    st = _status(db, a)
    assert (st["state"], st["previous_state"], st["state_since"], st["consecutive_failures"], st["first_failure_at"],
            st["archive_outcome"], st["http_status"]) == ("dead", "failing", t5, 3, t3, "retry", 410)
    _matches_policy(db, a, t5)
    with db.transaction() as s:
        repo_links.record_archive_answer(s, a, "found", t5, None, "https://web.archive.org/x", t1)

    # 6. a comes back with new text and no title; e's text changes: one version each
    t6 = T0 + days(6)
    changes, versions = _record(db, [_ok(a, ua, "h-a2", "", '"a2"'), _ok(e, ue, "h-e2", "E two", '"e2"')], t6)
    assert versions == 2
    assert [(ch["url"], ch["from"], ch["to"]) for ch in changes] == [(ua, "dead", "alive")]
    st = _status(db, a)
    assert (st["state"], st["previous_state"], st["state_since"], st["consecutive_failures"], st["first_failure_at"],
            st["archive_outcome"], st["archive_url"], st["content_hash"], st["title"], st["etag"], st["last_ok_at"]) \
        == ("alive", "dead", t6, 0, None, None, "https://web.archive.org/x", "h-a2", "A one", '"a2"', t6)
    assert (_status(db, e)["content_hash"], _status(db, e)["title"]) == ("h-e2", "E two")
    _matches_policy(db, a, t6)
    with db.transaction() as s:
        got = [(v.resource_id, v.label, v.origin, v.title, v.old_title, v.seen_at)
               for v in s.scalars(select(ResourceVersion).order_by(ResourceVersion.id))]
    assert got == [(a, "check 2026-11-29T09:00:00Z h-a2", "check", "", "A one", t6),
                   (e, "check 2026-11-29T09:00:00Z h-e2", "check", "E two", "E one", t6)]
    # text changed again, then back, at the same instant: the second label exists, no version
    assert _record(db, [_ok(e, ue, "h-e3", "E three")], t6) == ([], 1)
    assert _record(db, [_ok(e, ue, "h-e2", "E two")], t6) == ([], 0)
    assert (_status(db, e)["content_hash"], _status(db, e)["title"]) == ("h-e2", "E two")
    with db.transaction() as s:
        observations = list(s.scalars(select(LinkObservation).where(LinkObservation.resource_id == a)
                                      .order_by(LinkObservation.id)))
    assert [(o.observed_at, o.outcome, o.http_status, o.counted, o.content_hash) for o in observations] == [
        (t1, "ok", 200, True, "h-a1"), (t2, "transient", None, False, None), (t3, "hard", 404, True, None),
        (t4, "hard", 404, True, None), (t5, "hard", 410, True, None), (t6, "ok", 200, True, "h-a2")]
    assert observations[0].redirects == "[]" and observations[0].etag == '"a1"' and observations[0].elapsed_ms == 250
