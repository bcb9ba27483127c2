"""Which checks of a run are under way: a queue of links per host, started as hosts free up.

Owns ``HostQueues``: links wait in a queue per host (plain objects, no task each); one
starts when its host has room (``per_host(host)``: the host's in-flight limit plus
one check ready to go the moment the gap allows) and the run has room (``total``).
When a check's exchange is over (``done``), the next link of that host starts, and
hosts waiting for the run's room take turns. Pure bookkeeping, no I/O, no clock.

Before, every link of the run's 4,000-link window was a task waiting at its host's
gate: ~200,000 live objects that the cyclic collector walked again and again
(gen-1 passes of up to 50 ms, measured at 10,000 links), each pass holding up the
requests the loop should have sent. Now only the checks a host can take are tasks.

Paused hosts. A host that answered ``Retry-After`` is paused at its gate for every
caller, and its started checks wait there (up to ``max_retry_after``; a longer pause
defers them at once). Counted against the run's room, they held it for the whole
pause: with more such hosts than ``total / per_host`` (~43 at 128 / 2) every slot of
the run waited on paused hosts and healthy hosts got nothing for minutes. So the
run's room counts only the checks of hosts that are not paused (``paused(host)``,
asked of the gate): in flight, or next in line for a host that can take them. A
paused host's checks keep to its own room, without the run's: tasks per host stay
within ``per_host`` (memory stays bounded: the rest wait in the queues as plain
objects), and they simply wait at the gate, which stays the rule (nothing is sent
to a paused host; in-flight limit and gap hold as before). The caller says when a
pause begins (``refresh``, from the gate's ``watch``): that is when a paused host's
checks leave the run's count and others may start. The end of a pause is noticed
at the host's next event (``add``/``done``): until then its resumed checks (at most
its room) go uncounted, so the run's count may run over ``total`` briefly (starts
wait until it is back under; the HTTP core's own limit on requests in flight holds
throughout). Waits for the gap between starts still count: a gap is short and is
what keeps the host's pace, and each host holds at most its room of them.

Does not own: politeness (``fetch``'s gates stay the rule; this only keeps the
waiting out of the event loop and the run's room), what a check does (``linkcheck_run``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["HostQueues"]

T = TypeVar("T")


def _never(host: str) -> bool:
    return False


class HostQueues(Generic[T]):
    """``add(host, item)`` queues; ``start(item)`` is called when it may run; ``done(host)``
    when its exchange is over; ``refresh(host)`` when ``host`` may have been paused."""

    def __init__(self, start: Callable[[T], None], per_host: Callable[[str], int], total: int,
                 paused: Callable[[str], bool] = _never) -> None:
        self._start, self._per_host, self._total, self._paused = start, per_host, max(1, total), paused
        self._queues: dict[str, deque[T]] = {}
        self._running: dict[str, int] = {}
        self._turns: deque[str] = deque()  # hosts with a queued item and room, in turn
        self._in_turn: set[str] = set()
        self._held: set[str] = set()  # hosts under way, paused when last asked: not in ``running``
        #: checks holding the run's room (started, not done, at hosts not paused)
        self.running = 0
        self.queued = 0

    def add(self, host: str, item: T) -> None:
        self._queues.setdefault(host, deque()).append(item)
        self.queued += 1
        self._ask(host)
        self._line_up(host)
        self._fill()

    def done(self, host: str) -> None:
        self._ask(host)  # first: the check leaves the count it is in now
        left = self._running[host] - 1
        if left:
            self._running[host] = left
        else:
            del self._running[host]  # forgotten when idle: memory follows the hosts under way
        if host not in self._held:
            self.running -= 1
        elif not left and host not in self._queues:
            self._held.discard(host)
        self._line_up(host)
        self._fill()

    def refresh(self, host: str) -> None:
        """``host`` may have been paused (or its pause may be over): count its checks anew."""
        if host in self._running or host in self._queues:
            self._ask(host)
            self._line_up(host)
            self._fill()

    def _ask(self, host: str) -> None:
        """Is ``host`` paused now? Its checks under way move out of the run's count, or back."""
        if self._paused(host):
            if host not in self._held:
                self._held.add(host)
                self.running -= self._running.get(host, 0)
        elif host in self._held:
            self._held.discard(host)
            self.running += self._running.get(host, 0)

    def _room(self, host: str) -> bool:
        return host in self._queues and self._running.get(host, 0) < max(1, self._per_host(host))

    def _line_up(self, host: str) -> None:
        while host in self._held and self._room(host):
            self._start_next(host)  # a paused host's checks wait at its gate, not in the run's room
        if host not in self._in_turn and host not in self._held and self._room(host):
            self._turns.append(host)
            self._in_turn.add(host)

    def _fill(self) -> None:
        while self._turns and self.running < self._total:
            host = self._turns.popleft()
            self._in_turn.discard(host)
            if self._room(host):  # (a host paused since it lined up has started its own)
                self._start_next(host)
            self._line_up(host)  # more to do and room left: back in line, behind the others

    def _start_next(self, host: str) -> None:
        queue = self._queues[host]
        item = queue.popleft()
        if not queue:
            del self._queues[host]
        self.queued -= 1
        self._running[host] = self._running.get(host, 0) + 1
        if host not in self._held:
            self.running += 1
        self._start(item)
