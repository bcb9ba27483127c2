"""An experiment, not a product option: tracker with lychee's way of spacing starts ("by plan").

    python benchmarks/linkcheck/plan_pacing.py [--slack-ms 2] --db URL check --all ...

``throughput.py --tools tracker-plan`` runs it. tracker's gate never starts two requests on
a host closer than ``host_interval`` as stamped when each went on the wire, so when the
event loop wakes a waiting start late by δ, that host's whole timeline slides by δ. lychee
spaces starts by plan: a late start lets the next come early (its smallest gaps at the
server were 48 ms at 50 ms set, 18 ms at 20 ms). Here a start that waited for the gap and
went out δ late is stamped min(δ, slack) earlier, so the next may catch up by at most
``--slack-ms`` (default 2 ms, inside the audit's 5 ms allowance). A start that did not wait
for the gap (the host was idle, or held back by its in-flight limit) is stamped as it was
sent: idle time is never caught up. Measures what planners would gain by allowing it.
"""

from __future__ import annotations

import asyncio
import math
import sys

from tracker.fetch import gate as g

SLACK = 0.002


class _Planned(g.Slot):
    due: float | None = None  # when the gap allowed this start (it waited for the gap), else None


async def _acquire(self: g.LocalGates, key: str, rule: g.HostRule, max_wait: float = math.inf) -> g.Slot:
    """``LocalGates.acquire``, remembering whether the start waited for the gap and until when."""
    loop = asyncio.get_running_loop()
    limit = max(1, rule.concurrency)
    while True:
        with self._lock:
            host = self._host(key)
            paused = host.paused_until - self._clock()
            if paused > max_wait:
                self._wake_one(host)
                raise g.Deferred(key, paused)
            if host.in_flight < limit and not host.starting:
                host.in_flight += 1
                host.starting = True
                slot = _Planned(key)
                break
            fut: asyncio.Future[None] = loop.create_future()
            host.waiters.append((loop, fut))
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                with self._lock:
                    self._wake_one(self._host(key))
            raise
    try:
        while True:
            with self._lock:
                now = self._clock()
                paused = host.paused_until - now
                if paused > max_wait:
                    raise g.Deferred(key, paused)
                gap_until = host.last_start + rule.interval
                wait = max(paused, gap_until - now, host.last_end + rule.interval - now if rule.after_end else -1.0)
            if wait <= 0:
                return slot
            if gap_until - now >= wait:  # the gap is what this start waits for
                slot.due = gap_until
            await self._sleep(wait)
    except BaseException:
        self.release(slot)
        raise


def _started(self: g.LocalGates, slot: g.Slot) -> None:
    if slot.started or slot.released:
        return
    with self._lock:
        slot.started = True
        host = self._host(slot.key)
        now = self._clock()
        due = getattr(slot, "due", None)
        stamp = now - min(max(0.0, now - due), SLACK) if due is not None else now
        host.last_start = max(host.last_start, stamp)
        host.starting = False
        self._wake_one(host)


def main() -> int:
    global SLACK
    args = sys.argv[1:]
    if args[:1] == ["--slack-ms"]:
        SLACK, args = float(args[1]) / 1000, args[2:]
    g.LocalGates.acquire = _acquire  # type: ignore[method-assign]
    g.LocalGates.started = _started  # type: ignore[method-assign]
    from tracker.cli import main as tracker

    sys.argv = ["tracker", *args]
    return int(tracker() or 0)


if __name__ == "__main__":
    sys.exit(main())
