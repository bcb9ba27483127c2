"""The moving parts of one link-check run (``services.linkcheck`` calls ``run_check``).

Owns: the streamed pipeline of a run — pages of due links claimed and read by id
in plain SQL (``db.plain_links``; a small first page, so the first requests go out
~0.2 s after the command starts), at most ``WINDOW`` links between claim and record,
queued per host (a few dozen per turn of the loop) and started as
their host has room (``linkcheck_queues``; told of Retry-After pauses by the gate),
fetched through the checker's policy
over one HTTP core, judged on the loop one page per turn (``linkcheck_looks``, plus
the sibling probe of a folder, sent once per folder per run and only for pages not
already judged OK beside an answered probe with the same content: ``probed_hash``),
reduced to a ``Seen`` and recorded in batches of ``BATCH`` (``linkcheck_recorder``: a
process of its own for big runs and for any run from the command line, else a thread);
offline batches (``fetch.network``; the stored canaries are asked of the recorder,
which has the ORM, when a batch first looks offline) change nothing; then the archive
look-ups of dead links (the ORM loaded to read them only when plain SQL says there are
some; stopped, the rest left for the next run, once the archive is down). Imported only
when a run has something to fetch or look up.
Does not own: counting what is due or the run's row (``services.linkcheck``),
HTTP (``tracker.fetch``), judgement (``tracker.links``), storage (``linkcheck_store``).
"""

from __future__ import annotations

import asyncio
import random
import secrets
import ssl
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tracker.config import Settings
from tracker.db.plain_links import DueLink, LinkTables
from tracker.fetch import runner
from tracker.fetch.addresses import Resolver
from tracker.fetch.core import HttpCore
from tracker.fetch.errors import NETWORK_ERRORS
from tracker.fetch.gate import Clock, HostGates, LocalGates, Sleep, shared_gates
from tracker.fetch.links import LinkClient
from tracker.fetch.model import FetchRequest, FetchResult
from tracker.fetch.network import canaries_answer, looks_down
from tracker.fetch.wayback import WaybackClient
from tracker.links import archive, judge
from tracker.services.linkcheck import (BATCH, CANARY_TTL, CLAIM_LEASE, HEAD_EXTENSIONS, MAX_PROBES, WINDOW,
                                        Progress, Tick, WallClock, archive_wanted_at, url_to_fetch, wall_clock)
from tracker.services.linkcheck_looks import look, look_beside, probe_is_2xx
from tracker.services.linkcheck_queues import HostQueues
from tracker.services.linkcheck_recorder import DatabaseSource, Recorder, RecordIn, opened, recorder_for
from tracker.services.linkcheck_seen import Seen

if TYPE_CHECKING:
    import httpx

    from tracker.db.models_links import LinkStatus

__all__ = ["Run", "run_check"]

#: due links read per page (then claimed together); the first page is small, so the first
#: requests start after a short read and claim (the run's start-up, issue 11)
PAGE = 1000
FIRST_PAGE = 100
#: links queued per turn of the event loop (queueing a page of 1,000 held it ~40 ms)
QUEUE_TURN = 50
#: URLs that answered in this run kept as canaries (one per host)
MAX_LEARNED = 3
#: once every link is queued, batches this small: the run's last batch, written after its
#: last answer, is short (a full ``BATCH`` took ~0.1 s after the last answer)
TAIL_BATCH = 50


def _method_for(url: str, link: DueLink) -> str:
    try:
        path = urlsplit(url).path
    except ValueError:  # a stored URL no parser reads: GET it, and the core answers ``invalid_url``
        return "GET"
    if path.lower().endswith(HEAD_EXTENSIONS):
        return "HEAD"
    ctype = link.content_type.split(";")[0].strip().lower()
    if ctype and link.state in ("alive", "redirected") and \
            not ctype.startswith(("text/", "application/xhtml", "application/xml")):
        return "HEAD"
    return "GET"


def _request(link: DueLink, url: str) -> FetchRequest:
    conditional = link.state in ("alive", "redirected") and link.content_hash
    return FetchRequest(url, _method_for(url, link), etag=link.etag if conditional else None,
                        last_modified=link.last_modified if conditional else None)


@dataclass
class Run:
    """The state of one run shared by its tasks."""

    #: the ORM's way in (opened only by a recorder thread, or when dead links want the archive)
    db: DatabaseSource
    #: the run's own statements (row, pages, claims) in plain SQL
    tables: LinkTables
    settings: Settings
    now: datetime
    run_id: int
    due: int
    all_links: bool
    progress: Progress | None
    tick: Tick | None
    holder: str = ""
    lease_clock: WallClock = wall_clock
    done: int = 0
    skipped: int = 0
    offline: bool = False
    network_failures: int = 0
    hosts: set[str] = field(default_factory=set)
    changes: list[dict[str, object]] = field(default_factory=list)
    new_versions: int = 0
    #: URLs that answered in this run (at most ``MAX_LEARNED``, one per host): canaries besides
    #: the stored ones, which are read from the database when a batch first looks offline
    canaries: list[str] = field(default_factory=list)
    canary_checked: float = -1e18
    canary_up: bool = False
    #: the dead links to look up, when already read before the run (nothing was due)
    archive_wanted: list[tuple[LinkStatus, str]] | None = None
    #: where batches are written (``linkcheck_recorder``): a thread, a process, or by size
    record_in: RecordIn = "auto"
    #: dead links not looked up because the archive was down (asked again next run)
    archive_postponed: int = 0
    #: requests sent so far (set when the run ends, however it ends)
    requests: int = 0


class _Checker:
    def __init__(self, run: Run, client: LinkClient, rng: random.Random, recorder: Recorder) -> None:
        self.run, self.client, self.rng, self.recorder = run, client, rng, recorder
        self.probes: dict[tuple[str, str, str], asyncio.Task[FetchResult]] = {}
        self.window = asyncio.Semaphore(WINDOW)
        self.batch: list[Seen] = []
        self.batches: asyncio.Queue[list[Seen] | None] = asyncio.Queue()
        self.tasks: set[asyncio.Task[None]] = set()
        rule_for, gates = client.policy.rule_for, client.core.gates
        # a host paused by Retry-After keeps its waiting checks out of the run's room
        self.queues: HostQueues[tuple[str, DueLink, str]] = HostQueues(
            self._start, lambda host: rule_for(host).concurrency + 1, 2 * run.settings.check.max_concurrency,
            lambda host: gates.paused_for(host) > 0)
        self.turns: deque[asyncio.Future[None]] = deque()
        self.pumping = False
        self.all_queued = False
        self.stopping = False  # the first Ctrl-C: nothing new starts (``save_checked``)
        #: the batch ``record`` took off the queue and has not handed to the recorder yet (it
        #: may be asking the canaries): ``save_checked`` records it if the run stops there
        self.taken: list[Seen] | None = None
        self.loop = asyncio.get_running_loop()

    def heard_of_pause(self, host: str) -> None:
        """The gate paused ``host`` (any caller, any thread): recount its checks on our loop."""
        try:
            self.loop.call_soon_threadsafe(self.queues.refresh, host)
        except RuntimeError:  # our loop has closed: nothing of ours waits there any more
            pass

    def _judge_turn(self) -> asyncio.Future[None]:
        """A turn to judge a page: one page per turn of the event loop, so answers, and the
        requests their slots make room for, never queue behind a row of pages being judged
        (each costs ~0.3 ms of CPU; the host's next request waits on none of them)."""
        loop = asyncio.get_running_loop()
        turn = loop.create_future()
        self.turns.append(turn)
        if not self.pumping:
            self.pumping = True
            loop.call_soon(self._next_turn)
        return turn

    def _next_turn(self) -> None:
        while self.turns:
            turn = self.turns.popleft()
            if not turn.done():  # a cancelled waiter passes its turn on
                turn.set_result(None)
                asyncio.get_running_loop().call_soon(self._next_turn)
                return
        self.pumping = False

    def _sibling(self, key: tuple[str, str, str], url: str) -> asyncio.Task[FetchResult]:
        """The answer to the one sibling probe of ``key`` this run sends (next to ``url``)."""
        if key not in self.probes:
            if len(self.probes) >= MAX_PROBES:  # forget finished probes: memory stays bounded
                for old in [k for k, t in self.probes.items() if t.done()][:MAX_PROBES // 2]:
                    del self.probes[old]
            token = "%016x" % self.rng.getrandbits(64)
            self.probes[key] = asyncio.ensure_future(self.client.fetch(FetchRequest(judge.probe_url(url, token))))
        return self.probes[key]

    def _start(self, item: tuple[str, DueLink, str]) -> None:
        if self.stopping:
            return
        task = asyncio.ensure_future(self.check(*item))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def check(self, host: str, link: DueLink, url: str) -> None:
        try:
            result = await self.client.fetch(_request(link, url))
        finally:
            self.queues.done(host)  # the host's next link starts now, before this one is judged
        await self._judge_turn()
        seen_as = look(result, link.probed_hash)  # no probe for the very page judged beside one before
        if seen_as.probe_key is not None:
            sibling = await self._sibling(seen_as.probe_key, result.final_url)
            if probe_is_2xx(sibling):
                await self._judge_turn()  # only a 2xx sibling can change the verdict
            seen_as = look_beside(seen_as, result, sibling)
        seen = Seen(link.resource_id, link.url, result.url, result.without_body(),
                    judge.carry_fragment(seen_as.verdict, link.url),
                    seen_as.content_hash, seen_as.title, seen_as.probed_hash)
        run = self.run
        run.done += 1
        if run.tick is not None:
            run.tick(run.done, run.due)
        if run.progress is not None and (run.done % 500 == 0 or run.done == run.due):
            run.progress(f"checked {run.done}/{run.due} links ({self.client.requests} requests so far; archive look-ups come after)")
        self.batch.append(seen)
        if len(self.batch) >= (TAIL_BATCH if self.all_queued else BATCH):
            self.batches.put_nowait(self.batch)
            self.batch = []

    async def produce(self) -> None:
        run, after = self.run, 0
        while True:
            # a small first page: the first requests go out while the next page is read
            size = PAGE if after else FIRST_PAGE
            page = await asyncio.to_thread(_page, run, after, size)
            if not page:
                break
            after = page[-1].resource_id
            mine = await asyncio.to_thread(_claim, run, page)
            if len(mine) < len(page):  # another run holds (or has just checked) the rest
                run.skipped += len(page) - len(mine)
                run.due = max(run.done, run.due - (len(page) - len(mine)))
            gate_key = self.client.policy.gate_key
            for n, link in enumerate(page):
                if link.resource_id in mine:
                    await self.window.acquire()
                    url = url_to_fetch(link)
                    host = gate_key(_hostname(url))
                    self.queues.add(host, (host, link, url))
                if n % QUEUE_TURN == QUEUE_TURN - 1:
                    await asyncio.sleep(0)  # queueing a page holds the loop: answers and due starts go first
            if len(page) < size:  # the last page: no read of an empty one, during which every
                break  # answer would wait for the run's end and be written in one long batch
        self.all_queued = True
        while self.tasks:
            await asyncio.gather(*list(self.tasks))
        if self.batch:
            self.batches.put_nowait(self.batch)
            self.batch = []
        self.batches.put_nowait(None)

    async def record(self) -> None:
        while (batch := await self.batches.get()) is not None:
            self.taken = batch
            counted = not await self._offline(batch)
            self.taken = None  # handed over now: a thread or the child writes it, stopped or not
            await self._store(batch, counted)
            for _ in batch:
                self.window.release()

    async def _store(self, batch: list[Seen], counted: bool) -> None:
        """Hand ``batch`` to the recorder and count what it changed on the run."""
        outcome = await self.recorder.record(batch, counted)
        self.run.changes.extend(outcome.changes)
        self.run.new_versions += outcome.new_versions

    async def save_checked(self) -> None:
        """After the first Ctrl-C (the run's task is cancelled, and with it the fetching and
        the recording loop): nothing new goes out, the requests in flight are dropped, and
        every link already judged is recorded, so what was checked is saved. A batch that
        looks as if our side went offline is stored uncounted (no state moves), as no canary
        is asked now. A second Ctrl-C ends this too (asyncio's runner raises it at once)."""
        self.stopping = True
        flying = [t for t in (*self.tasks, *self.probes.values()) if not t.done()]
        for task in flying:
            task.cancel()
        await asyncio.gather(*flying, return_exceptions=True)
        batches = [self.taken] if self.taken else []
        self.taken = None
        while not self.batches.empty():
            queued = self.batches.get_nowait()
            if queued:
                batches.append(queued)
        if self.batch:
            batches.append(self.batch)
            self.batch = []
        for batch in batches:
            await self._store(batch, not self.run.offline and
                              not looks_down(self._tally(batch), self.run.settings.links.inconclusive_ratio))

    async def _offline(self, batch: list[Seen]) -> bool:
        """Is our side offline for this batch? (see ``fetch.network``)"""
        run = self.run
        errors = self._tally(batch)
        if not looks_down(errors, run.settings.links.inconclusive_ratio):
            return False
        clock = time.monotonic()
        if clock - run.canary_checked > CANARY_TTL:
            stored = await self.recorder.canaries()
            hosts = {_hostname(u) for u in stored}
            canaries = stored + [u for u in run.canaries if _hostname(u) not in hosts]
            run.canary_up = await canaries_answer(self.client.core, run.settings, canaries)
            run.canary_checked = clock
        if not run.canary_up:
            run.offline = True
        return not run.canary_up

    def _tally(self, batch: list[Seen]) -> dict[str, list[str | None]]:
        """The network errors of ``batch`` by host, counting its hosts, network failures and
        canaries learned (a host that answered) on the run."""
        run = self.run
        errors: dict[str, list[str | None]] = defaultdict(list)
        for s in batch:
            host = _hostname(s.fetched_url)
            run.hosts.add(host)
            errors[host].append(s.result.error_class)
            if s.result.error_class in NETWORK_ERRORS:
                run.network_failures += 1
            elif s.result.status is not None and len(run.canaries) < MAX_LEARNED and \
                    all(_hostname(c) != host for c in run.canaries):
                run.canaries.append(s.fetched_url)  # answered in this run: a canary for later batches
        return errors


def _hostname(url: str) -> str:
    """``url``'s host name, or "" for a stored URL no parser reads (it fails as ``invalid_url``)."""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _page(run: Run, after: int, size: int) -> list[DueLink]:
    return run.tables.due_page(run.now, run.all_links, after, size)


def _claim(run: Run, page: list[DueLink]) -> set[int]:
    """The links of ``page`` this run may fetch: claimed by it now and still due."""
    lease_now = run.lease_clock()
    return run.tables.claim([link.resource_id for link in page], run.holder, lease_now, lease_now + CLAIM_LEASE,
                            run.now, run.all_links)


def _release(run: Run) -> None:
    run.tables.release(run.holder)


def _record_answers(run: Run, answers: list[tuple[LinkStatus, str, str, archive.ArchiveAnswer, int | None]]) -> None:
    from tracker.services.linkcheck_store import record_archive_answers

    record_archive_answers(opened(run.db), run.settings, run.now, answers)


async def _fetch_and_record(run: Run, core: HttpCore, wayback_core: HttpCore, rng: random.Random,
                            recorder: Recorder) -> int:
    async with core, wayback_core:
        client = LinkClient(run.settings, core=core)
        checker = _Checker(run, client, rng, recorder)
        unwatch = core.gates.watch(checker.heard_of_pause)
        try:
            if run.due:
                try:
                    await asyncio.gather(checker.produce(), checker.record())
                except asyncio.CancelledError:  # the first Ctrl-C: keep what was checked, then end
                    await checker.save_checked()
                    raise
        finally:
            unwatch()
            await recorder.aclose()
        if not run.offline:
            wanted = run.archive_wanted if run.archive_wanted is not None else \
                await asyncio.to_thread(archive_wanted_at, run.tables, run.db, run.now)
            if wanted:
                answers = await _look_up(run, WaybackClient(run.settings, core=wayback_core), wanted)
                await asyncio.to_thread(_record_answers, run, answers)
                return len(answers)
        return 0


async def _look_up(run: Run, wayback: WaybackClient,
                   wanted: list[tuple[LinkStatus, str]]) -> list[tuple[LinkStatus, str, str, archive.ArchiveAnswer,
                                                                   int | None]]:
    """The archive's answers for ``wanted``, one look-up at a time. When an answer says the
    archive itself is down (``archive.archive_down``, after the core's retries), the rest are
    not asked: each would wait out its own deadline for nothing. They stay unrecorded, so
    still due, and the next run asks again (``run.archive_postponed`` counts them)."""
    answers = []
    for i, (st, url) in enumerate(wanted):
        stamp = archive.wayback_timestamp(archive.snapshot_time_for(st.last_ok_at, st.first_failure_at, run.now))
        reply = await wayback.lookup(url, stamp)
        answer = archive.read_availability(reply.status, reply.body, reply.error_class)
        answers.append((st, url, stamp, answer, reply.status))
        if archive.archive_down(reply.status, reply.error_class) and i + 1 < len(wanted):
            run.archive_postponed = len(wanted) - i - 1
            if run.progress is not None:
                run.progress(f"the archive is not answering ({answer.detail}): {run.archive_postponed} "
                             "look-up(s) left for the next run")
            break
    return answers


def run_check(run: Run, *, transport: httpx.AsyncBaseTransport | None = None,
              wayback_transport: httpx.AsyncBaseTransport | None = None, sleep: Sleep | None = None,
              clock: Clock | None = None, rng: random.Random | None = None, verify: bool | ssl.SSLContext = True,
              gates: HostGates | None = None, resolver: Resolver | None = None) -> tuple[int, int]:
    """Fetch, judge and record ``run``'s due links, then look dead links up in the archive:
    (requests sent, archive look-ups). The run's claims end with it, however it ends."""
    settings = run.settings
    if gates is None:
        gates = LocalGates(clock, sleep) if (clock is not None or sleep is not None) else shared_gates()
    core = HttpCore(gates=gates, transport=transport, verify=verify, clock=clock, sleep=sleep, rng=rng,
                    resolver=resolver, max_concurrency=max(1, settings.check.max_concurrency))
    wayback_core = core if wayback_transport is None and transport is None else \
        HttpCore(gates=gates, transport=wayback_transport, clock=clock, sleep=sleep)
    # forked before the loop starts (and only then): the child inherits no loop and no thread
    recorder = recorder_for(run.record_in, run.db, settings, run.run_id, run.now, run.due)
    try:
        lookups = runner.run(_fetch_and_record(run, core, wayback_core, rng or random.Random(secrets.randbits(64)),
                                               recorder))
    finally:
        run.requests = core.requests
        try:
            recorder.reap()
        finally:  # a second Ctrl-C while waiting for the recorder still ends the run's claims
            _release(run)
    return core.requests, lookups
