"""The per-host gate on a fake clock: in-flight limit, gap between starts, pauses for all."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from tests.links.seed import FakeClock
from tracker.fetch.gate import Deferred, HostRule, LocalGates


def test_in_flight_gap_and_pause_hold_for_every_caller() -> None:
    clock = FakeClock()
    gates = LocalGates(clock, clock.sleep)
    starts: list[float] = []
    active, peak = [0], [0]

    async def request(rule: HostRule) -> None:
        slot = await gates.acquire("h", rule)
        gates.started(slot)
        starts.append(clock())
        active[0] += 1
        peak[0] = max(peak[0], active[0])
        await clock.sleep(0.3)  # the exchange takes a while (fake time)
        active[0] -= 1
        gates.release(slot)

    async def go() -> None:
        checker, crawler = HostRule(2, 0.5), HostRule(1, 0.0)
        await asyncio.gather(*(request(checker) for _ in range(6)), *(request(crawler) for _ in range(2)))
    asyncio.run(go())
    assert peak[0] <= 2 and len(starts) == 8
    assert all(b - a >= 0.5 - 1e-9 for a, b in zip(starts[:6], starts[1:6]))


def test_a_pause_defers_callers_that_will_not_wait_and_holds_those_that_will() -> None:
    clock = FakeClock()
    gates = LocalGates(clock, clock.sleep)
    gates.pause("h", 2.0)

    async def go() -> float:
        with pytest.raises(Deferred):
            await gates.acquire("h", HostRule(1, 0.0), max_wait=0.0)
        slot = await gates.acquire("h", HostRule(1, 0.0), max_wait=60.0)
        gates.started(slot)
        gates.release(slot)
        return clock()
    assert asyncio.run(go()) >= 1000.0 + 2.0


def test_watchers_hear_of_each_pause_as_it_begins_until_they_stop() -> None:
    clock = FakeClock()
    gates = LocalGates(clock, clock.sleep)
    heard: list[tuple[str, float]] = []
    stop = gates.watch(lambda key: heard.append((key, gates.paused_for(key))))  # may ask the gate back
    gates.pause("a", 30.0)
    gates.pause("b", 5.0)
    stop()
    gates.pause("c", 1.0)
    assert heard == [("a", 30.0), ("b", 5.0)]


def test_commands_that_do_not_score_do_not_import_scikit_learn() -> None:
    for args in (["--help"], ["check", "--help"]):  # --help loads every area's commands
        out = subprocess.run([sys.executable, "-X", "importtime", "-m", "tracker", *args],
                             capture_output=True, text=True, check=True)
        modules = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if "|" in line}
        assert not {m for m in modules if m.split(".")[0] in ("sklearn", "scipy")}, args
