"""Use case: check the links of every due resource (``tracker check``, the scheduler's job).

Owns the run: pick what is due (or ``all_links``), one request chain per
resource for the URL its document wrote (RFC 3986-normalised, never its
canonical identity: ``tracker.urls``), one sibling probe per host and folder, judge each exchange,
decide whether the run is inconclusive (then it stores observations that do
not count and changes no state), derive each link's state with the policy,
record content changes as resource versions (origin ``check``), and ask the
Wayback Machine about newly dead links. Does not own: HTTP details
(``tracker.fetch``), judgement (``tracker.links``) or rendering.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import ssl
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import urlsplit

import httpx

from tracker.config import Settings
from tracker.db import repo_links
from tracker.db.repo_links import Session
from tracker.db.models_core import Resource
from tracker.db.models_links import ArchiveLookup, CheckRun, LinkObservation, LinkStatus
from tracker.db.session import Database
from tracker.fetch.links import Clock, FetchRequest, FetchResult, LinkClient, Sleep
from tracker.fetch.wayback import WaybackClient
from tracker.links import archive, judge, policy
from tracker.links.model import Exchange, LinkState, Observation, Outcome, Verdict
from tracker.links.text import content_hash, decode_body, extract_title
from tracker.urls import InvalidURL, request_url

__all__ = ["CheckReport", "check_links", "HEAD_EXTENSIONS"]

#: paths whose body we never need (the type is known): HEAD, with GET as the fallback
HEAD_EXTENSIONS = (".pdf", ".zip", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".7z", ".mp4", ".mp3",
                   ".m4a", ".mov", ".webm", ".avi", ".mkv", ".wav", ".ppt", ".pptx", ".doc",
                   ".docx", ".xls", ".xlsx", ".epub", ".png", ".jpg", ".jpeg", ".gif", ".webp")

Progress = Callable[[str], None]
Tick = Callable[[int, int], None]  # (links done, links due): for a progress bar


@dataclass
class CheckReport:
    """What a run did; ``summary`` counts every link's state after the run."""

    run_id: int
    started_at: datetime
    inconclusive: bool
    total: int
    checked: int
    hosts: int
    requests: int
    elapsed: float
    summary: dict[str, int] = field(default_factory=dict)
    changes: list[dict[str, object]] = field(default_factory=list)
    archive_lookups: int = 0
    new_versions: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"run": self.run_id, "started_at": self.started_at, "inconclusive": self.inconclusive,
                "total": self.total, "checked": self.checked, "hosts": self.hosts,
                "requests": self.requests, "elapsed": round(self.elapsed, 3),
                "summary": self.summary, "changes": self.changes,
                "archive_lookups": self.archive_lookups, "new_versions": self.new_versions}


@dataclass(frozen=True)
class _Item:
    resource_id: int
    url: str
    request: FetchRequest


@dataclass
class _Seen:
    """One checked link, without its body: the page text is reduced to a hash and a
    title as soon as it is judged, so a run's memory does not grow with its size."""

    item: _Item
    result: FetchResult
    verdict: Verdict
    content_hash: str | None
    title: str


def _method_for(url: str, status: LinkStatus | None) -> str:
    path = urlsplit(url).path.lower()
    if path.endswith(HEAD_EXTENSIONS):
        return "HEAD"
    ctype = (status.content_type if status else "").split(";")[0].strip().lower()
    if ctype and status is not None and status.state in ("alive", "redirected") and \
            not ctype.startswith(("text/", "application/xhtml", "application/xml")):
        return "HEAD"
    return "GET"


def address_of(res: Resource) -> str:
    """The URL to request and look up for a resource: the one its document wrote,
    normalised only as RFC 3986 allows (never the canonical identity, which may decode
    or drop what the server needs)."""
    try:
        return request_url(res.url)
    except InvalidURL:  # stored before the normaliser existed: the identity is all we have
        return res.canonical_url


def _plan(rows: list[tuple[Resource, LinkStatus | None]], now: datetime, all_links: bool) -> list[_Item]:
    items = []
    for res, st in rows:
        due = all_links or st is None or st.next_check_at is None or st.next_check_at <= now
        if not due:
            continue
        conditional = st is not None and st.state in ("alive", "redirected") and st.content_hash
        url = address_of(res)
        items.append(_Item(res.id, url, FetchRequest(
            url, _method_for(url, st),
            etag=st.etag if conditional and st else None,
            last_modified=st.last_modified if conditional and st else None)))
    return items


def _exchange(res: FetchResult) -> Exchange:
    ctype = res.headers.get("content-type", "")
    return Exchange(
        url=res.url, status=res.status, final_url=res.final_url,
        redirects=tuple((h.url, h.status) for h in res.redirects), error_class=res.error_class,
        error=res.error, content_type=ctype, headers=tuple(sorted(res.headers.items())),
        html=decode_body(res.body, ctype) if res.body else "", method=res.method)


async def _fetch_phase(items: list[_Item], settings: Settings, *, transport: httpx.AsyncBaseTransport | None,
                       sleep: Sleep | None, clock: Clock | None, rng: random.Random | None,
                       verify: bool | ssl.SSLContext, progress: Progress | None,
                       tick: Tick | None = None) -> tuple[list[_Seen], int]:
    token_rng = rng or random.Random(secrets.randbits(64))
    async with LinkClient(settings, transport=transport, sleep=sleep, clock=clock, rng=rng,
                          verify=verify) as client:
        probes: dict[tuple[str, str, str], asyncio.Task[FetchResult]] = {}
        done = 0

        async def one(item: _Item) -> _Seen:
            nonlocal done
            result = await client.fetch(item.request)
            ex = _exchange(result)
            sibling: Exchange | None = None
            if judge.needs_probe(ex) and judge.classify(ex).outcome is Outcome.OK:
                key = judge.probe_key(ex.final_url)
                if key not in probes:
                    token = "%016x" % token_rng.getrandbits(64)
                    probes[key] = asyncio.ensure_future(
                        client.fetch(FetchRequest(judge.probe_url(ex.final_url, token))))
                sibling = _exchange(await probes[key])
            done += 1
            if tick is not None:
                tick(done, len(items))
            if progress is not None and (done % 50 == 0 or done == len(items)):
                progress(f"checked {done}/{len(items)} links ({client.requests} requests)")
            verdict = judge.classify(ex, sibling)
            chash = content_hash(ex.html) if ex.html and verdict.outcome is Outcome.OK else None
            return _Seen(item, replace(result, body=b""), verdict, chash,
                         extract_title(ex.html) if ex.html else "")

        seen = list(await asyncio.gather(*(one(i) for i in items)))
        return seen, client.requests


def _to_observation(row: LinkObservation) -> Observation:
    return Observation(row.observed_at, Outcome(row.outcome), row.reason, row.http_status,
                       row.final_url, row.suggested_url, row.soft404, row.counted)


def _store_observation(run: CheckRun, s: _Seen, now: datetime, counted: bool) -> LinkObservation:
    res = s.result
    return LinkObservation(
        run_id=run.id, resource_id=s.item.resource_id, url=s.item.url, observed_at=now,
        method=res.method, http_status=res.status, final_url=res.final_url,
        redirects=json.dumps([[h.url, h.status] for h in res.redirects]),
        error_class=res.error_class, outcome=s.verdict.outcome.value, reason=s.verdict.reason,
        soft404=s.verdict.soft404, suggested_url=s.verdict.suggested_url,
        elapsed_ms=int(res.elapsed * 1000), attempts=res.attempts,
        content_type=res.headers.get("content-type", "")[:200], content_hash=s.content_hash,
        title=s.title, etag=_header(res.headers, "etag", 300),
        last_modified=_header(res.headers, "last-modified", 100), counted=counted)


def _header(headers: Mapping[str, str], name: str, limit: int) -> str | None:
    """A response header kept for information, cut to its column's size (servers send anything)."""
    value = headers.get(name)
    return value[:limit] if value is not None else None


def _apply_state(st: LinkStatus | None, rid: int, new: LinkState, obs: LinkObservation,
                 now: datetime) -> tuple[LinkStatus, str]:
    old_state = st.state if st is not None else "unchecked"
    if st is None:
        st = LinkStatus(resource_id=rid, state=new.state, state_since=now, content_hash=None,
                        title="", soft404=False, consecutive_failures=0, elapsed_ms=0, content_type="")
    if new.state != old_state:
        st.previous_state, st.state_since = old_state, now
    st.state, st.reason, st.http_status = new.state, new.reason, new.http_status
    st.final_url, st.suggested_url, st.soft404 = new.final_url, new.suggested_url, new.soft404
    st.consecutive_failures, st.first_failure_at = new.consecutive_failures, new.first_failure_at
    st.last_ok_at, st.last_checked_at, st.next_check_at = new.last_ok_at, new.last_checked_at, new.next_check_at
    st.elapsed_ms = obs.elapsed_ms
    if obs.outcome == Outcome.OK.value and obs.http_status != 304:
        st.content_type = obs.content_type
        st.etag, st.last_modified = obs.etag, obs.last_modified
    if new.state != "dead":
        st.archive_outcome = st.archive_outcome if new.state == "failing" else None
    return st, old_state


def _freshness(session: Session, st: LinkStatus, obs: LinkObservation, now: datetime) -> bool:
    """A changed normalised-text hash of a working page is a new version of the resource."""
    if obs.outcome != Outcome.OK.value or obs.content_hash is None:
        return False
    changed = st.content_hash is not None and st.content_hash != obs.content_hash
    created = False
    if changed:
        label = f"check {now.strftime('%Y-%m-%dT%H:%M:%SZ')} {obs.content_hash[:8]}"
        created = repo_links.add_resource_version(session, st.resource_id, label,
                                                  obs.title, st.title or "", now)
    st.content_hash, st.title = obs.content_hash, obs.title or st.title
    return created


async def _archive_phase(wanted: list[tuple[LinkStatus, str]], settings: Settings, now: datetime,
                         transport: httpx.AsyncBaseTransport | None) -> list[tuple[LinkStatus, str, str, archive.ArchiveAnswer, int | None]]:
    out = []
    async with WaybackClient(settings, transport=transport) as client:
        for st, url in wanted:
            when = archive.snapshot_time_for(st.last_ok_at, st.first_failure_at, now)
            stamp = archive.wayback_timestamp(when)
            reply = await client.lookup(url, stamp)
            out.append((st, url, stamp, archive.read_availability(reply.status, reply.body, reply.error_class),
                        reply.status))
    return out


def check_links(db: Database, settings: Settings, *, all_links: bool = False,
                transport: httpx.AsyncBaseTransport | None = None,
                wayback_transport: httpx.AsyncBaseTransport | None = None,
                sleep: Sleep | None = None, clock: Clock | None = None, rng: random.Random | None = None,
                verify: bool | ssl.SSLContext = True, progress: Progress | None = None,
                tick: Tick | None = None) -> CheckReport:
    """Check every due link (every link with ``all_links``) and store what was seen."""
    started = time.monotonic()
    now = settings.now()
    with db.transaction() as session:
        rows = repo_links.resources_with_status(session)
        items = _plan(rows, now, all_links)
        urls = {r.id: r.url for r, _ in rows}
        addresses = {r.id: address_of(r) for r, _ in rows}
    hosts = {urlsplit(i.url).hostname or "" for i in items}
    if progress is not None:
        progress(f"{len(items)} of {len(rows)} links due on {len(hosts)} hosts")
    seen: list[_Seen] = []
    requests = 0
    if items:
        seen, requests = asyncio.run(_fetch_phase(items, settings, transport=transport, sleep=sleep,
                                                  clock=clock, rng=rng, verify=verify, progress=progress,
                                                  tick=tick))
    errors_by_host: dict[str, list[str | None]] = defaultdict(list)
    for s in seen:
        errors_by_host[urlsplit(s.item.url).hostname or ""].append(s.result.error_class)
    inconclusive = policy.run_is_inconclusive(errors_by_host, settings.links)
    report = CheckReport(0, now, inconclusive, len(rows), len(items), len(hosts), requests, 0.0)
    wanted: list[tuple[LinkStatus, str]] = []
    with db.transaction() as session:
        run = CheckRun(started_at=now, finished_at=now, all_links=all_links, inconclusive=inconclusive,
                       links=len(items), hosts=len(hosts), requests=requests,
                       network_failures=sum(1 for errs in errors_by_host.values()
                                            for e in errs if e in policy.NETWORK_ERRORS),
                       elapsed_ms=0, note="")
        if inconclusive:
            run.note = "most hosts failed at the network level: our connection looks down; no state changed"
        session.add(run)
        session.flush()
        stored = []
        for s in seen:
            obs = _store_observation(run, s, now, counted=not inconclusive)
            session.add(obs)
            stored.append(obs)
        session.flush()
        if not inconclusive and stored:
            ids = [o.resource_id for o in stored]
            history = repo_links.recent_observations(session, ids)
            statuses = repo_links.status_rows(session, ids)
            for obs in stored:
                new = policy.state_of([_to_observation(o) for o in history[obs.resource_id]], now,
                                      settings.links)
                st, old = _apply_state(statuses.get(obs.resource_id), obs.resource_id, new, obs, now)
                session.add(st)
                if _freshness(session, st, obs, now):
                    report.new_versions += 1
                if old != st.state:
                    report.changes.append({"url": urls[obs.resource_id], "from": old, "to": st.state,
                                           "reason": st.reason})
        report.run_id = run.id
        if not inconclusive:  # dead links still without an archive answer, checked now or not
            session.flush()
            wanted = [(st, addresses[rid]) for rid, st in repo_links.status_rows(session).items()
                      if archive.archive_due(st.state, st.archive_outcome, st.archive_retry_at, now)]
    if wanted:
        answers = asyncio.run(_archive_phase(wanted, settings, now, wayback_transport))
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
        report.archive_lookups = len(answers)
    report.elapsed = time.monotonic() - started
    with db.transaction() as session:
        run_row = session.get(CheckRun, report.run_id)
        if run_row is not None:
            run_row.elapsed_ms = int(report.elapsed * 1000)
        report.summary = _summary(session, len(rows))
    return report


def _summary(session: Session, total: int) -> dict[str, int]:
    counts = {name: 0 for name in ("alive", "redirected", "failing", "dead", "blocked", "unchecked")}
    for st in repo_links.status_rows(session).values():
        counts[st.state] = counts.get(st.state, 0) + 1
    counts["unchecked"] = total - sum(v for k, v in counts.items() if k != "unchecked")
    return counts
