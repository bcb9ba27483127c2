"""Per-host politeness gates: the one place that decides when a request may start.

Owns: ``HostRule`` (in-flight limit, minimum gap between request starts,
optionally counted from the end of the previous exchange too), the small
``HostGates`` interface every caller goes through (acquire a slot, say when the
request went on the wire, release it, pause a host after ``Retry-After``, hear
of pauses as they begin), and
``LocalGates``, the in-process implementation. ``shared_gates()`` is the one
instance of the process, so the link checker, the feed poller, archive
look-ups, retries, probes and canaries all count against the same limits, even
from different event loops or threads.

A rule with ``catch_up`` (the link checker's: ``plan_catch_up``) spaces starts by plan,
as lychee spaces them: a start that waited for its host's gap and went out δ late (the
event loop woke it late: timers in whole milliseconds, a busy loop) is stamped
min(δ, ``catch_up``) earlier, so the next start on that host may catch up by that much
instead of the whole timeline sliding by δ per gap. At the server no two of its starts
on a host are closer than ``interval - catch_up`` (at most ``CATCH_UP`` = 2 ms and a
tenth of the interval), inside the 5 ms that issue 11's audit allows for scheduling; a
start that did not wait for the gap (an idle host, one held by its in-flight limit or a
pause) is stamped as it went out: idle time is never caught up. Other rules (feeds,
arXiv's 3 s, the archive) keep ``catch_up = 0`` and count their gap from the last start
as it went out, whichever rule sent it: never a millisecond early.
Measured at 128/10/20 (10,000 links): 0.17–0.29 ms late per gap against 0.72–1.18
without, lychee 0.24–0.28 (benchmarks/linkcheck/README.md).

A later step can put another implementation of ``HostGates`` behind PostgreSQL
(rows per host holding ``last_start``/``paused_until`` and an in-flight count)
to share limits between processes; nothing here depends on being in-process
except ``LocalGates`` itself.

Does not own: HTTP, which rule applies to which host (the callers' policies).
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["HostRule", "plan_catch_up", "CATCH_UP", "HostGates", "LocalGates", "Slot", "Deferred", "shared_gates",
           "reset_shared_gates", "Clock", "Sleep"]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

#: how much earlier than it went out a late start may be stamped, at most (``plan_catch_up``)
CATCH_UP = 0.002


@dataclass(frozen=True)
class HostRule:
    """How one caller treats one host: ``concurrency`` requests in flight at most, starts
    at least ``interval`` s apart (and that long after the last one ended when ``after_end``)."""

    concurrency: int = 1
    interval: float = 0.0
    after_end: bool = False
    #: spacing by plan: how much earlier than it went out a start that waited for the gap
    #: and went out late may be stamped (0: every start is stamped as it went out)
    catch_up: float = 0.0


def plan_catch_up(interval: float) -> float:
    """The catch-up of a rule spaced by plan: ``CATCH_UP``, and at most a tenth of ``interval``."""
    return min(CATCH_UP, max(0.0, interval) / 10)


class Deferred(Exception):
    """The host is paused (``Retry-After``) for longer than the caller is willing to wait."""

    def __init__(self, key: str, remaining: float) -> None:
        super().__init__(f"{key} asked us to wait; {remaining:.0f} s left (Retry-After)")
        self.key, self.remaining = key, remaining


@dataclass
class Slot:
    """One admitted request; hand it back through ``started`` and ``release``."""

    key: str
    started: bool = False
    released: bool = False
    #: when the gap allowed this start, if it waited for the gap (else None), and by how
    #: much a late start may be stamped early (``CATCH_UP``, by rule)
    due: float | None = None
    catch_up: float = 0.0


class HostGates(Protocol):
    """What every caller needs from a politeness gate (in-process or shared between processes)."""

    async def acquire(self, key: str, rule: HostRule, max_wait: float = math.inf) -> Slot:
        """Wait for an in-flight slot, the end of any pause and the gap; ``Deferred`` when
        the pause is longer than ``max_wait``."""

    def started(self, slot: Slot) -> None:
        """The request is on the wire now: the next start on this host is counted from here."""

    def release(self, slot: Slot) -> None:
        """The exchange is over (answered, failed or cancelled)."""

    def pause(self, key: str, seconds: float) -> None:
        """Nothing starts on ``key`` within ``seconds`` from now (``Retry-After``)."""

    def paused_for(self, key: str) -> float:
        """Seconds left of the current pause of ``key`` (0 when none)."""

    def watch(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """From now on, ``listener(key)`` is called after each ``pause`` (in the thread that
        paused ``key``, so it must be quick and thread-safe); returns what stops it. The link
        checker hands a paused host's waiting checks' share of its room to other hosts."""


@dataclass
class _Host:
    in_flight: int = 0
    starting: bool = False  # one request at a time between admission and going on the wire
    last_start: float = -math.inf  # as planned: a late start of a rule with catch_up is stamped early
    last_out: float = -math.inf  # as it went out: what a rule without catch_up counts its gap from
    last_end: float = -math.inf
    paused_until: float = -math.inf
    waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = field(default_factory=deque)


class LocalGates:
    """``HostGates`` for one process: thread-safe state, waiters woken one at a time (FIFO)."""

    def __init__(self, clock: Clock | None = None, sleep: Sleep | None = None) -> None:
        self._clock: Clock = clock or time.monotonic
        self._sleep: Sleep = sleep or asyncio.sleep
        self._lock = threading.Lock()
        self._hosts: dict[str, _Host] = {}
        self._listeners: list[Callable[[str], None]] = []

    def _host(self, key: str) -> _Host:
        host = self._hosts.get(key)
        if host is None:
            host = self._hosts[key] = _Host()
        return host

    async def acquire(self, key: str, rule: HostRule, max_wait: float = math.inf) -> Slot:
        loop = asyncio.get_running_loop()
        limit = max(1, rule.concurrency)
        while True:
            with self._lock:
                host = self._host(key)
                paused = host.paused_until - self._clock()
                if paused > max_wait:
                    self._wake_one(host)  # a wake-up we may have consumed goes to the next waiter
                    raise Deferred(key, paused)
                if host.in_flight < limit and not host.starting:
                    host.in_flight += 1
                    host.starting = True
                    slot = Slot(key)
                    break
                fut: asyncio.Future[None] = loop.create_future()
                host.waiters.append((loop, fut))
            try:
                await fut
            except asyncio.CancelledError:
                if fut.done() and not fut.cancelled():
                    with self._lock:
                        self._wake_one(self._host(key))  # pass on a wake-up we can no longer use
                raise
        try:
            while True:  # we hold the start token: wait out the pause and the gap
                with self._lock:
                    now = self._clock()
                    paused = host.paused_until - now
                    if paused > max_wait:
                        raise Deferred(key, paused)
                    # only a rule spaced by plan counts from the plan (another rule's start
                    # on this host may have been stamped early): the others from the wire
                    gap_until = (host.last_start if rule.catch_up > 0 else host.last_out) + rule.interval
                    wait = max(paused, gap_until - now,
                               host.last_end + rule.interval - now if rule.after_end else -1.0)
                if wait <= 0:
                    return slot
                if gap_until - now >= wait:  # the gap is what this start waits for: it has a plan
                    slot.due, slot.catch_up = gap_until, rule.catch_up
                else:
                    slot.due = None
                await self._sleep(wait)
        except BaseException:
            self.release(slot)
            raise

    def started(self, slot: Slot) -> None:
        if slot.started or slot.released:
            return
        with self._lock:
            slot.started = True
            host = self._host(slot.key)
            now = self._clock()
            # a late start is stamped up to ``catch_up`` earlier, never before its plan
            stamp = now if slot.due is None else now - min(max(0.0, now - slot.due), slot.catch_up)
            host.last_start = max(host.last_start, stamp)
            host.last_out = max(host.last_out, now)
            host.starting = False
            self._wake_one(host)

    def release(self, slot: Slot) -> None:
        if slot.released:
            return
        with self._lock:
            host = self._host(slot.key)
            if not slot.started:  # never went out (deferred, cancelled): give the token back
                slot.started = True
                host.starting = False
            slot.released = True
            host.in_flight -= 1
            host.last_end = self._clock()
            self._wake_one(host)
            if host.waiters:  # a start token and an in-flight slot may both have come free
                self._wake_one(host)

    def pause(self, key: str, seconds: float) -> None:
        with self._lock:
            host = self._host(key)
            host.paused_until = max(host.paused_until, self._clock() + max(0.0, seconds))
            listeners = list(self._listeners)
        for listener in listeners:  # outside the lock: a listener may ask ``paused_for``
            listener(key)

    def watch(self, listener: Callable[[str], None]) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def stop() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)
        return stop

    def paused_for(self, key: str) -> float:
        with self._lock:
            host = self._hosts.get(key)
            return max(0.0, host.paused_until - self._clock()) if host is not None else 0.0

    @staticmethod
    def _wake_one(host: _Host) -> None:
        while host.waiters:
            loop, fut = host.waiters.popleft()
            if fut.done():
                continue
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if loop is running:
                fut.set_result(None)
            elif not loop.is_closed():
                loop.call_soon_threadsafe(_set_if_pending, fut)
            else:
                continue
            return


def _set_if_pending(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


_shared: LocalGates | None = None
_shared_lock = threading.Lock()


def shared_gates() -> LocalGates:
    """The process's gates (real clock): every caller that is not a test uses these."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = LocalGates()
        return _shared


def reset_shared_gates() -> None:
    """Forget every pause and spacing of the process (tests: one test's hosts are not the next's)."""
    global _shared
    with _shared_lock:
        _shared = None
