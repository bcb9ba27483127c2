"""Use case: check the links of every due resource (``tracker check``, the scheduler's job).

Owns the run, streamed so memory stays flat in the number of links: due links
are read in pages by id (``db.plain_links``: plain SQL, so a big run starts fetching
before SQLAlchemy would have loaded, and its process never loads it; the ORM work —
recording, and the canaries when a batch looks offline — is the recorder's, for a big
run in a process of its own), at most ``WINDOW`` of
them are in the pipeline at once, each is fetched through the checker's policy
over the one HTTP core (plus one sibling probe per host and folder), judged,
reduced to a verdict, a hash and a title, and recorded in batches of ``BATCH``
by the recorder while fetching goes on. Before a batch is recorded the run
asks whether *our* side is offline (``fetch.network``: most of the batch's
hosts failed at the network level and no canary answers); an offline batch is
stored with observations that do not count and changes no state, however few
hosts it has. Then dead links are looked up in the Wayback Machine through the
same core and gates.

Two runs at once (a scheduler and a terminal, two cron lines) share the work
instead of doubling it: each page of due links is *claimed* before it is fetched
(``LinkTables.claim``: a lease of ``CLAIM_LEASE`` on the wall clock, taken
by one upsert, then due-ness read again), so a link another run holds, or has just
checked, is skipped; the claims end with the run. Does not own: HTTP details (``tracker.fetch``),
judgement (``tracker.links``), storage details (``linkcheck_store``), the run's
moving parts (``linkcheck_run``, imported only when there is something to fetch or
look up: a check with nothing due never loads the HTTP stack). The command line asks
``linkcheck_glance.nothing_due`` first, which answers a check with nothing to do without
SQLAlchemy; what this function records and returns for nothing due is what that glance
must reproduce (tests/links/test_glance.py compares them).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from tracker.config import Settings
from tracker.db.plain_links import DueLink, LinkTables, tables_for
from tracker.services.linkcheck_report import CheckReport, summary
from tracker.urls import InvalidURL, request_url

if TYPE_CHECKING:  # the HTTP stack is imported only when a run has something to fetch
    import random
    import ssl

    import httpx

    from tracker.fetch.addresses import Resolver
    from tracker.db.models_links import LinkStatus
    from tracker.fetch.gate import Clock, HostGates, Sleep
    from tracker.services.linkcheck_recorder import DatabaseSource, RecordIn
    from tracker.services.linkcheck_run import Run

__all__ = ["CheckReport", "CheckInterrupted", "check_links", "HEAD_EXTENSIONS", "url_to_fetch", "BATCH", "WINDOW", "CLAIM_LEASE"]

#: paths whose body we never need (the type is known): HEAD, with GET as the fallback
HEAD_EXTENSIONS = (".pdf", ".zip", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".7z", ".mp4", ".mp3",
                   ".m4a", ".mov", ".webm", ".avi", ".mkv", ".wav", ".ppt", ".pptx", ".doc",
                   ".docx", ".xls", ".xlsx", ".epub", ".png", ".jpg", ".jpeg", ".gif", ".webp")
#: links recorded per transaction (and judged offline or not together)
BATCH = 500
#: links in the pipeline at once (read, waiting, in flight or waiting to be recorded)
WINDOW = 4000
#: sibling-probe answers kept for reuse (one per host and folder)
MAX_PROBES = 2000
#: how long one canary answer stands for the whole run
CANARY_TTL = 30.0
#: how long a run's claim on a page of links stands (wall clock) unless the run releases it:
#: far longer than a page takes, so only a crashed run's claims ever run out
CLAIM_LEASE = timedelta(hours=1)

Progress = Callable[[str], None]
Tick = Callable[[int, int], None]  # (links done, links due): for a progress bar
WallClock = Callable[[], datetime]


def wall_clock() -> datetime:
    """Leases between live processes run on real time, whatever ``TRACKER_NOW`` says."""
    return datetime.now(timezone.utc)


def url_to_fetch(link: DueLink) -> str:
    """THE choice of which URL string the checker requests (and looks up in the archive) for
    a link: the one its document wrote, normalised only as RFC 3986 allows — never the
    canonical identity, which may decode or drop what the server needs (``tracker.urls``)."""
    try:
        return request_url(link.url)
    except InvalidURL:  # stored before the normaliser existed: the identity is all we have
        return link.canonical_url


class CheckInterrupted(KeyboardInterrupt):
    """Ctrl-C ended a run: ``done`` of its ``due`` links were checked, and the results of
    ``recorded`` of them are saved (``None``: the run's row could not be written to count
    them). Still a ``KeyboardInterrupt``: a job or the weekly cycle ends as before."""

    def __init__(self, done: int, due: int, recorded: int | None, all_links: bool) -> None:
        super().__init__(f"interrupted after {done} of {due} due links")
        self.done, self.due, self.recorded, self.all_links = done, due, recorded, all_links


def _interrupted(tables: LinkTables, run: Run, elapsed: float, how: str = "interrupted") -> int | None:
    """Record an interrupted run's own figures (``how`` it ended, for its note); the links it
    recorded, or ``None`` when that fails (a second Ctrl-C, the database gone): its row stays
    as it was and the first interruption propagates."""
    try:
        return tables.interrupted_run(run.run_id, hosts=len(run.hosts), requests=run.requests,
                                      elapsed_ms=int(elapsed * 1000),
                                      note=f"{how} after {run.done} of {run.due} due links")
    except BaseException:
        return None


def check_links(db: DatabaseSource, settings: Settings, *, all_links: bool = False,
                transport: httpx.AsyncBaseTransport | None = None,
                wayback_transport: httpx.AsyncBaseTransport | None = None,
                sleep: Sleep | None = None, clock: Clock | None = None, rng: random.Random | None = None,
                verify: bool | ssl.SSLContext = True, progress: Progress | None = None,
                tick: Tick | None = None, gates: HostGates | None = None,
                resolver: Resolver | None = None, lease_clock: WallClock = wall_clock,
                record_in: RecordIn = "auto") -> CheckReport:
    """Check every due link (every link with ``all_links``) and store what was seen
    (``record_in``: where batches are written, see ``linkcheck_recorder``). ``db`` is an
    opened ``Database`` or how to open one (then ``settings.database_url`` is the database):
    a big run's fetching side never opens it (``db.plain_links``)."""
    from tracker.services.linkcheck_recorder import database_url, opened

    started = time.monotonic()
    now = settings.now()
    tables = tables_for(database_url(db, settings), lambda: opened(db))
    try:
        run_id, total, due = tables.begin_run(now, all_links)
        if progress is not None:
            progress(f"{due} of {total} links due")
        report = CheckReport(run_id, now, False, total, 0, 0, 0, 0.0)
        network_failures = 0
        # with links due, the dead links to look up are read after the run (it may add some)
        wanted = None if due else archive_wanted_at(tables, db, now)
        if due or wanted:
            from tracker.services.linkcheck_run import Run, run_check
            run = Run(db, tables, settings, now, run_id, due, all_links, progress, tick,
                      holder=f"check-{run_id}-{secrets.token_hex(6)}", lease_clock=lease_clock,
                      archive_wanted=wanted, record_in=record_in)
            try:
                report.requests, report.archive_lookups = run_check(
                    run, transport=transport, wayback_transport=wayback_transport, sleep=sleep, clock=clock,
                    rng=rng, verify=verify, gates=gates, resolver=resolver)
            except KeyboardInterrupt as stop:  # Ctrl-C: the row says what was done, not "all due, 0 requests"
                recorded = _interrupted(tables, run, time.monotonic() - started)
                raise CheckInterrupted(run.done, run.due, recorded, all_links) from stop
            except BaseException:  # a failure: the same, and the failure goes on as it was
                _interrupted(tables, run, time.monotonic() - started, "stopped by an error")
                raise
            report.inconclusive, report.checked, report.hosts = run.offline, run.done, len(run.hosts)
            report.changes, report.new_versions, report.skipped = run.changes, run.new_versions, run.skipped
            report.archive_postponed = run.archive_postponed
            network_failures = run.network_failures
        report.elapsed = time.monotonic() - started
        note = ("most hosts failed at the network level and no canary answered: our connection looks down; "
                "no state changed") if report.inconclusive else None
        counts = tables.finish_run(run_id, inconclusive=report.inconclusive, hosts=report.hosts,
                                   requests=report.requests, links=report.checked,
                                   network_failures=network_failures, elapsed_ms=int(report.elapsed * 1000),
                                   note=note)
    finally:
        tables.close()
    report.summary = summary(counts, total)
    return report


def archive_wanted_at(tables: LinkTables, db: DatabaseSource, now: datetime) -> list[tuple[LinkStatus, str]]:
    """The dead links to look up in the archive at ``now`` (before a run with nothing due,
    and after a run): asked in plain SQL first, so the ORM (which reads them as status rows)
    is loaded only when there are some."""
    if not tables.archive_wanted(now):
        return []
    from tracker.services.linkcheck_recorder import opened
    from tracker.services.linkcheck_store import archive_wanted

    return archive_wanted(opened(db), now)
