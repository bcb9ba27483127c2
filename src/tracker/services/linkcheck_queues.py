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
Does not own: politeness (``fetch``'s gates stay the rule; this only keeps the
waiting out of the event loop), what a check does (``linkcheck_run``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["HostQueues"]

T = TypeVar("T")


class HostQueues(Generic[T]):
    """``add(host, item)`` queues; ``start(item)`` is called when it may run; ``done(host)``
    when its exchange is over."""

    def __init__(self, start: Callable[[T], None], per_host: Callable[[str], int], total: int) -> None:
        self._start, self._per_host, self._total = start, per_host, max(1, total)
        self._queues: dict[str, deque[T]] = {}
        self._running: dict[str, int] = {}
        self._turns: deque[str] = deque()  # hosts with a queued item and room, in turn
        self._in_turn: set[str] = set()
        self.running = 0
        self.queued = 0

    def add(self, host: str, item: T) -> None:
        self._queues.setdefault(host, deque()).append(item)
        self.queued += 1
        self._line_up(host)
        self._fill()

    def done(self, host: str) -> None:
        left = self._running[host] - 1
        if left:
            self._running[host] = left
        else:
            del self._running[host]  # forgotten when idle: memory follows the hosts under way
        self.running -= 1
        self._line_up(host)
        self._fill()

    def _line_up(self, host: str) -> None:
        if host not in self._in_turn and host in self._queues and \
                self._running.get(host, 0) < max(1, self._per_host(host)):
            self._turns.append(host)
            self._in_turn.add(host)

    def _fill(self) -> None:
        while self._turns and self.running < self._total:
            host = self._turns.popleft()
            self._in_turn.discard(host)
            queue = self._queues[host]
            item = queue.popleft()
            if not queue:
                del self._queues[host]
            self.queued -= 1
            self._running[host] = self._running.get(host, 0) + 1
            self.running += 1
            self._start(item)
            self._line_up(host)  # more to do and room left: back in line, behind the others
