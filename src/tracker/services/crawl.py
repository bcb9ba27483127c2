"""Use case: poll feed sources and store what they announce (``tracker crawl``).

Owns: ``crawl()`` — the one refresh function the CLI and the scheduler both call.
It picks the sources (due ones, or one by name), fetches them through
``fetch.feeds.FeedClient`` (concurrently, on one event loop; the host gates keep
each host and arXiv polite), treats a run whose hosts fail at the network level
while no canary answers as *offline* (those polls are deferred: nothing counts
towards parking), parses each body with the pure parsers, then per source and in
its own transaction stores the items (``feed_items.store_items``) and updates the
source's health. A failing source is a result (``outcome="error"``), never an
exception, so it cannot stop the others. Validators (ETag/Last-Modified) are
stored exactly as sent with every 200, together with whether that body was
usable, so a 304 for a feed that was broken stays an error (it counts towards
parking) instead of hiding as success.
Two crawls at once (the scheduler and a terminal) never poll one source twice:
the due sources are *claimed* first (``repo_feeds.claim_sources``: a wall-clock
lease of ``CLAIM_LEASE``, then due-ness judged again on the rows read after the
claim), a source another crawl holds is left to it, and the claims end with the
run; an item another crawl stored meanwhile makes the source's transaction run
once more, and that time it is merged.
Does not own: merging, storing and listing items (``services.feed_items``), HTTP
details, parsing, scoring candidates.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tracker.fetch import runner
from tracker.db import UNSTORABLE, IntegrityError
from tracker.db import Session

from tracker.config import Settings
from tracker.db import repo_feeds as repo
from tracker.db.models_feeds import FeedSource
from tracker.db.session import Database
from tracker.errors import InputError, NotFoundError
from tracker.services.feed_items import store_items
from tracker.services.network import network_canaries
from tracker.sources import ParsedFeed, parse_body, request_url
from tracker.sources.arxiv import parse_api
from tracker.sources.model import ARXIV
from tracker.sources.schedule import Health, is_due, on_deferred, on_error, on_success, poll_delay

if TYPE_CHECKING:  # the HTTP stack loads when a crawl runs, not for `tracker --help` or `items`
    from tracker.fetch.feeds import FeedClient, FeedFetch

__all__ = ["CrawlReport", "crawl", "CLAIM_LEASE"]

#: how long a crawl's claim on a source stands (wall clock) unless the crawl releases it:
#: far longer than a crawl takes, so only a crashed crawl's claims ever run out
CLAIM_LEASE = timedelta(hours=1)
WallClock = Callable[[], datetime]


def wall_clock() -> datetime:
    """Leases between live processes run on real time, whatever ``TRACKER_NOW`` says."""
    return datetime.now(timezone.utc)


@dataclass
class CrawlReport:
    """One source's poll. JSON fields: source, outcome, new, updated, error (+ details)."""

    source: str
    outcome: str  # fetched, not_modified, error, deferred
    new: int = 0
    updated: int = 0
    error: str = ""
    items: int = 0
    rejected: int = 0
    versions: int = 0
    status: int | None = None
    bozo: str = ""
    next_poll_at: datetime | None = None
    parked: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class _Plan:
    source_id: int
    name: str
    kind: str
    url: str
    etag: str | None
    last_modified: str | None
    retry_until: datetime | None


def _select(session: Session, name: str | None, now: datetime) -> list[FeedSource]:
    if name is not None:
        source = repo.get_source(session, name)
        if source is None:
            known = ", ".join(s.name for s in repo.list_sources(session)[:10]) or "none yet"
            raise NotFoundError(f"no source named {name!r} (known: {known}); see `tracker sources list`")
        if not source.enabled:
            raise InputError(f"source {name!r} is disabled; run `tracker sources enable {name}` first")
        return [source]
    return [s for s in repo.list_sources(session) if s.enabled and is_due(repo_health(s), now)]


def repo_health(source: FeedSource) -> Health:
    return Health(consecutive_errors=source.consecutive_errors, last_error=source.last_error,
                  last_error_at=source.last_error_at, parked_at=source.parked_at,
                  next_poll_at=source.next_poll_at, retry_until=source.retry_until)


def _apply(source: FeedSource, health: Health) -> None:
    source.consecutive_errors = health.consecutive_errors
    source.last_error = health.last_error
    source.last_error_at = health.last_error_at
    source.parked_at = health.parked_at
    source.next_poll_at = health.next_poll_at
    source.retry_until = health.retry_until


def _parse(kind: str, fetched: FeedFetch) -> ParsedFeed:
    try:
        return parse_body(kind, fetched.body, fetched.final_url or fetched.url, fetched.content_type)
    except Exception as exc:  # a parser bug on one feed must not stop the run: it is that feed's error
        return ParsedFeed(error=f"parser failed: {type(exc).__name__}: {exc}"[:300])


def _error_message(kind: str, fetched: FeedFetch) -> str:
    message = fetched.error or "request failed"
    if kind == ARXIV and fetched.body and fetched.status and 400 <= fetched.status < 500:
        detail = _parse_quietly(fetched)
        if detail:
            message = f"{message}: {detail}"
    return message


def _parse_quietly(fetched: FeedFetch) -> str:
    try:
        return parse_api(fetched.body, fetched.url).error.removeprefix("arXiv API error: ")
    except Exception:
        return ""


def _record(session: Session, settings: Settings, plan: _Plan, fetched: FeedFetch, now: datetime,
            index: repo.CitedIndex) -> CrawlReport:
    source = session.get(FeedSource, plan.source_id)
    if source is None:  # removed while we were fetching
        return CrawlReport(plan.name, "error", error="source was removed during the crawl")
    crawl = settings.crawl
    report = CrawlReport(plan.name, fetched.outcome, status=fetched.status)
    health = repo_health(source)
    wait = timedelta(seconds=fetched.retry_after) if fetched.retry_after is not None else None
    if fetched.outcome == "deferred":
        _apply(source, on_deferred(health, now=now))
        report.error, report.next_poll_at = fetched.error, source.next_poll_at
        return report
    source.last_polled_at, source.last_status = now, fetched.status
    error, ttl = "", None
    if fetched.outcome == "fetched":
        parsed = _parse(plan.kind, fetched)
        # Validators always describe the body we got; if that body was unusable a later
        # 304 is still an error (validated_error), never a silent "not modified".
        source.etag, source.last_modified = fetched.etag, fetched.last_modified
        source.validated_error = parsed.error
        error = parsed.error
        if parsed.usable:
            stored = store_items(session, source, parsed.items, now, index)
            report.new, report.updated, report.versions = stored.new, stored.updated, stored.versions
            report.items, report.rejected, report.bozo = len(parsed.items), parsed.rejected, parsed.bozo_reason
            source.bozo, source.feed_title = parsed.bozo_reason, parsed.title or source.feed_title
            ttl = parsed.ttl_minutes
    elif fetched.outcome == "not_modified":
        source.etag = fetched.etag or source.etag
        source.last_modified = fetched.last_modified or source.last_modified
        if source.validated_error:
            error = f"not modified since the last poll, which was unusable: {source.validated_error}"
    else:
        error = _error_message(plan.kind, fetched)
    if error:
        report.outcome, report.error = "error", error
        health = on_error(health, now=now, message=error, interval=crawl.interval,
                          cap=crawl.max_interval, park_after=crawl.park_after_errors, wait=wait)
    else:
        source.last_success_at = now
        delay = poll_delay(interval=crawl.interval, cap=crawl.max_interval, headers=fetched.headers,
                           ttl_minutes=ttl, now=now)
        health = on_success(health, now=now, delay=delay,
                            wait=min(wait, crawl.max_interval) if wait else None)
    source.last_outcome = report.outcome
    _apply(source, health)
    report.next_poll_at, report.parked = health.next_poll_at, health.parked_at is not None
    return report


def _claim(db: Database, settings: Settings, name: str | None, now: datetime, holder: str,
           lease_clock: WallClock) -> tuple[list[_Plan], list[CrawlReport], list[str]]:
    """Claim the sources to poll (see the module docstring): their plans, a report for a
    named source another crawl is polling right now, and the run's canaries."""
    lease_now = lease_clock()
    with db.transaction() as session:
        wanted = _select(session, name, now)
        held = repo.claim_sources(session, [s.id for s in wanted], holder, lease_now, lease_now + CLAIM_LEASE)
        # judged again on the rows read after the claim: a crawl that polled one meanwhile moved it on
        chosen = held if name is not None else [s for s in held if is_due(repo_health(s), now)]
        repo.release_sources(session, holder, [s.id for s in held if s not in chosen])
        busy = [CrawlReport(name, "deferred", error="another crawl is polling this source right now")
                ] if name is not None and not held else []
        plans = [_Plan(s.id, s.name, s.kind, request_url(s.kind, s.target, settings), s.etag,
                       s.last_modified, s.retry_until) for s in chosen]
        canaries = network_canaries(session, settings) if plans else []
    return plans, busy, canaries


def crawl(db: Database, settings: Settings, *, source: str | None = None,
          client: FeedClient | None = None, now: datetime | None = None,
          tick: Callable[[int, int], None] | None = None,
          lease_clock: WallClock = wall_clock) -> list[CrawlReport]:
    """Poll the due sources (or the one named ``source``, due or parked) that no other crawl
    is polling; one report each."""
    now = now or settings.now()
    holder = f"crawl-{secrets.token_hex(8)}"
    plans, busy, canaries = _claim(db, settings, source, now, holder, lease_clock)
    if not plans:
        return busy
    try:
        return _poll(db, settings, plans, client, now, canaries, tick)
    finally:
        with db.transaction() as session:
            repo.release_sources(session, holder)


def _poll(db: Database, settings: Settings, plans: list[_Plan], client: FeedClient | None, now: datetime,
          canaries: list[str], tick: Callable[[int, int], None] | None) -> list[CrawlReport]:
    from tracker.fetch.errors import NETWORK_ERRORS

    fetched, offline = runner.run(_fetch_all(plans, settings, client, now, canaries, tick))
    reports = []
    with db.transaction() as session:
        index = repo.load_cited(session)
    for plan, result in zip(plans, fetched):
        if offline and result.error_class in NETWORK_ERRORS:
            # our side is offline: not this feed's fault; nothing counts towards parking
            result = replace(result, outcome="deferred", error=f"network down ({result.error}); "
                             "no canary answered, so nothing was counted")
        try:
            with db.transaction() as session:
                reports.append(_record(session, settings, plan, result, now, index))
        except IntegrityError:
            # Another crawl (the scheduler, a second terminal) stored the same item in
            # between; once more, and this time the look-up finds and merges it.
            try:
                with db.transaction() as session:
                    reports.append(_record(session, settings, plan, result, now, repo.load_cited(session)))
            except IntegrityError as exc:  # still colliding: this source's result, not the run's end
                reports.append(CrawlReport(plan.name, "error",
                                           error=f"could not store items: {str(exc.orig).splitlines()[0]}"))
        except UNSTORABLE as exc:  # a value the database refuses: this source's result, not the run's end
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
            reports.append(CrawlReport(plan.name, "error", error=f"could not store items: {reason}"))
    with db.transaction() as session:
        repo.mark_cited_items(session)
    return reports


async def _fetch_all(plans: list[_Plan], settings: Settings, client: FeedClient | None, now: datetime,
                     canaries: list[str], tick: Callable[[int, int], None] | None
                     ) -> tuple[list[FeedFetch], bool]:
    """Fetch every plan concurrently (the gates keep each host, and arXiv, polite); then
    decide whether the run was offline (most hosts failed at the network level and no
    canary answers)."""
    from tracker.fetch.feeds import FeedClient
    from tracker.fetch.network import canaries_answer, looks_down

    http = client or FeedClient(settings)
    try:
        for plan in plans:
            if plan.retry_until is not None and plan.retry_until > now:
                http.block_host(urlsplit(plan.url).hostname or "", (plan.retry_until - now).total_seconds())
        done = 0
        if tick is not None:
            tick(0, len(plans))

        async def one(plan: _Plan) -> FeedFetch:
            nonlocal done
            result = await http.fetch(plan.url, etag=plan.etag, last_modified=plan.last_modified)
            done += 1
            if tick is not None:
                tick(done, len(plans))  # (sources fetched, sources due): for a progress bar
            return result

        fetched = list(await asyncio.gather(*(one(p) for p in plans)))
        errors: dict[str, list[str | None]] = defaultdict(list)
        for plan, result in zip(plans, fetched):
            if result.outcome != "deferred":
                errors[urlsplit(plan.url).hostname or ""].append(result.error_class or None)
        offline = looks_down(errors, settings.links.inconclusive_ratio) and \
            not await canaries_answer(http.core, settings, canaries)
        return fetched, offline
    finally:
        if client is None:
            await http.aclose()
