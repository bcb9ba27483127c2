"""Recording what a link-check batch saw (the database half of ``services.linkcheck``).

Owns: turning one batch of judged links into observation rows, deriving each
link's new state with the policy (unless the batch was offline: then the rows
are stored with ``counted=False`` and no state moves; so is a link its host's
``Retry-After`` kept us from requesting at all), recording content
changes as resource versions, storing the ``probed_hash`` the run decided
(``Seen.probed_hash``; never kept beside a verdict that is not OK), and storing
archive answers. Runs in a worker
thread while the next batch is being fetched. Does not own: HTTP, judgement,
which links are due.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tracker.config import Settings
from tracker.db import repo_links, repo_linkstore
from tracker.db.models_links import ArchiveLookup, LinkStatus
from tracker.db.session import Database
from tracker.links import archive, policy
from tracker.links.model import LinkState, Observation, Outcome
from tracker.services.linkcheck_seen import BatchOutcome, Seen
from tracker.urls import InvalidURL, request_url

__all__ = ["Seen", "BatchOutcome", "record_batch", "record_archive_answers"]


_OUTCOMES = {o.value: o for o in Outcome}


def _to_observation(row: Any) -> Observation:
    """A row of ``repo_linkstore.recent_observations`` (``resource_id``, then the fields in order)."""
    return Observation(row[1], _OUTCOMES[row[2]], row[3], row[4], row[5], row[6], row[7], row[8])


def _header(headers: Mapping[str, str], name: str, limit: int) -> str | None:
    """A response header kept for information, cut to its column's size (servers send anything)."""
    value = headers.get(name)
    return value[:limit] if value is not None else None


def _observation(run_id: int, s: Seen, now: datetime, counted: bool) -> dict[str, Any]:
    """One ``link_observations`` row as column values (inserted in bulk: no ORM object per link)."""
    res = s.result
    return dict(
        run_id=run_id, resource_id=s.resource_id, url=s.fetched_url, observed_at=now,
        method=res.method, http_status=res.status, final_url=res.final_url,
        redirects=json.dumps([[h.url, h.status] for h in res.redirects]),
        error_class=str(res.error_class) if res.error_class is not None else None,
        outcome=s.verdict.outcome.value, reason=s.verdict.reason,
        soft404=s.verdict.soft404, suggested_url=s.verdict.suggested_url,
        elapsed_ms=int(res.elapsed * 1000), attempts=res.attempts,
        content_type=res.headers.get("content-type", "")[:200], content_hash=s.content_hash,
        title=s.title, etag=_header(res.headers, "etag", 300),
        last_modified=_header(res.headers, "last-modified", 100), counted=counted)


def _deferred(s: Seen) -> bool:
    """Was the link never requested, its host having asked us to stay away longer than a run
    waits (``Retry-After``)? Nothing is known of it: its observation is stored uncounted, its
    state stays as it was (a new link stays ``unchecked``) and it is due again next run."""
    return s.result.error_class is not None and str(s.result.error_class) == "deferred"


def _apply_state(st: dict[str, Any], new: LinkState, obs: dict[str, Any], now: datetime) -> str:
    """Move a status row (a dict from ``lock_status_rows``) to the policy's ``new`` state;
    returns the state it had."""
    old_state: str = st["state"]
    if new.state != old_state:
        st["previous_state"], st["state_since"] = old_state, now
    st["state"], st["reason"], st["http_status"] = new.state, new.reason, new.http_status
    st["final_url"], st["suggested_url"], st["soft404"] = new.final_url, new.suggested_url, new.soft404
    st["consecutive_failures"], st["first_failure_at"] = new.consecutive_failures, new.first_failure_at
    st["last_ok_at"], st["last_checked_at"], st["next_check_at"] = new.last_ok_at, new.last_checked_at, new.next_check_at
    st["elapsed_ms"] = obs["elapsed_ms"]
    if obs["outcome"] == Outcome.OK.value and obs["http_status"] != 304:
        st["content_type"] = obs["content_type"]
        st["etag"], st["last_modified"] = obs["etag"], obs["last_modified"]
    if new.state != "dead":
        st["archive_outcome"] = st["archive_outcome"] if new.state == "failing" else None
    return old_state


def _freshness(st: dict[str, Any], obs: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    """A changed normalised-text hash of a working page is a new version of the resource:
    the version row to add (``repo_linkstore.add_check_versions``), if any."""
    if obs["outcome"] != Outcome.OK.value or obs["content_hash"] is None:
        return None
    version = None
    if st["content_hash"] is not None and st["content_hash"] != obs["content_hash"]:
        version = dict(resource_id=st["resource_id"], title=obs["title"], old_title=st["title"] or "", seen_at=now,
                       label=f"check {now.strftime('%Y-%m-%dT%H:%M:%SZ')} {obs['content_hash'][:8]}")
    st["content_hash"], st["title"] = obs["content_hash"], obs["title"] or st["title"]
    return version


def record_batch(db: Database, settings: Settings, run_id: int, batch: list[Seen], now: datetime,
                 counted: bool) -> BatchOutcome:
    """Store one batch in its own transaction; states move only when ``counted``.

    A few statements per batch, each built once and run over the whole batch: the
    observations (``COPY``/executemany), the status rows created where missing and locked
    in id order, the recent history, the changed columns of the status rows (one ``UPDATE``
    executemany per set of changed columns), one insert of the new resource versions. No
    ORM objects."""
    out = BatchOutcome([])
    with db.transaction() as session:
        rows = [_observation(run_id, s, now, counted and not _deferred(s)) for s in batch]
        repo_linkstore.add_observations(session, rows)
        judged = [(s, obs) for s, obs in zip(batch, rows) if obs["counted"]]
        if not judged:
            return out
        ids = [s.resource_id for s, _ in judged]
        # created by upsert and locked: a concurrent run recording the same link waits, never collides;
        # the history is read after the lock, so it includes what that run stored
        statuses = repo_linkstore.lock_status_rows(session, ids, now)
        history = repo_linkstore.recent_observations(session, ids)
        versions: list[dict[str, Any]] = []
        written: dict[int, dict[str, Any]] = {}
        for s, obs in judged:
            new = policy.state_of([_to_observation(o) for o in history.get(s.resource_id, ())], now, settings.links)
            st = written.get(s.resource_id) or written.setdefault(s.resource_id, dict(statuses[s.resource_id]))
            old = _apply_state(st, new, obs, now)
            version = _freshness(st, obs, now)
            st["probed_hash"] = s.probed_hash if s.verdict.outcome is Outcome.OK else None
            if version is not None:
                versions.append(version)
            if old != st["state"]:
                out.changes.append({"url": s.url, "from": old, "to": st["state"], "reason": st["reason"]})
        repo_linkstore.write_status_rows(session, statuses, written.values())
        out.new_versions = repo_linkstore.add_check_versions(session, versions)
    return out


def archive_wanted(db: Database, now: datetime) -> list[tuple[LinkStatus, str]]:
    """Dead links still without an archive answer (or due for another try), checked now or not."""
    with db.transaction() as session:
        return [(st, _written(url)) for st, url in repo_links.dead_links(session)
                if archive.archive_due(st.state, st.archive_outcome, st.archive_retry_at, now)]


def _written(url: str) -> str:
    """The archive is asked about the URL the document wrote (RFC 3986-normalised), as the checker fetched it."""
    try:
        return request_url(url)
    except InvalidURL:
        return url


def record_archive_answers(db: Database, settings: Settings, now: datetime,
                           answers: list[tuple[LinkStatus, str, str, archive.ArchiveAnswer, int | None]]) -> None:
    with db.transaction() as session:
        for st, url, stamp, ans, status in answers:
            session.add(ArchiveLookup(resource_id=st.resource_id, url=url, requested_timestamp=stamp,
                                      looked_up_at=now, outcome=ans.outcome, http_status=status,
                                      archive_url=ans.archive_url, archived_at=ans.archived_at,
                                      detail=ans.detail))
            # only the archive columns: the lookups took a while and the state may have moved on
            repo_links.record_archive_answer(
                session, st.resource_id, ans.outcome, now,
                now + settings.wayback.retry_after if ans.outcome == "retry" else None,
                ans.archive_url if ans.outcome == "found" else None,
                ans.archived_at if ans.outcome == "found" else None)
