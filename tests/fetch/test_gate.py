"""The per-host gate on a fake clock: in-flight limit, gap between starts, pauses for all."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from tests.links.seed import FakeClock
from tracker.fetch import gate
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


class _LateClock(FakeClock):
    """A fake clock whose sleeps wake ``late`` s after they were due (a busy event loop)."""

    def __init__(self, late: float) -> None:
        super().__init__()
        self.late = late

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds + self.late)


def _starts(clock: FakeClock, rule: HostRule, n: int, idle_before: float = 0.0) -> list[float]:
    """When each of ``n`` back-to-back requests to one host went out (after ``idle_before`` s idle)."""
    gates = LocalGates(clock, clock.sleep)
    starts: list[float] = []

    async def request() -> None:
        slot = await gates.acquire("h", rule)
        gates.started(slot)
        starts.append(clock())
        gates.release(slot)

    async def go() -> None:
        await request()
        clock.t += idle_before
        for _ in range(n - 1):
            await request()
    asyncio.run(go())
    return starts


@pytest.mark.parametrize("late", [0.0005, 0.0015, 0.004, 0.02])
def test_late_starts_catch_up_by_plan_but_never_come_closer_than_the_allowance(late: float) -> None:
    """Spaced by plan (as lychee spaces them): a start the loop woke δ late lets the next one
    come min(δ, CATCH_UP) early, so the host keeps its pace instead of sliding δ per gap;
    two starts are never closer than ``interval - CATCH_UP`` (the audit allows 5 ms)."""
    assert gate.plan_catch_up(0.05) == 0.002
    clock = _LateClock(late)
    starts = _starts(clock, HostRule(4, 0.05, catch_up=gate.plan_catch_up(0.05)), 40)
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert min(gaps) >= 0.05 - 0.002 - 1e-9
    # each start is ``late`` after its plan; the plan slides only by what exceeds the catch-up
    slide = max(0.0, late - 0.002)
    expected = [starts[0] + n * (0.05 + slide) + (late if n else 0.0) - (slide if n else 0.0) for n in range(40)]
    assert starts == pytest.approx(expected, abs=1e-9)
    # without catching up the whole timeline would slide by ``late`` per gap
    if late <= 0.002:
        assert starts[-1] - starts[0] == pytest.approx(39 * 0.05 + late, abs=1e-9)


def test_a_rule_without_catch_up_never_starts_early_and_the_checker_plans() -> None:
    """Feeds, arXiv's 3 s and the archive keep every start as it went out; the link checker's
    rule is the one spaced by plan."""
    starts = _starts(_LateClock(0.0015), HostRule(1, 3.0, after_end=True), 5)
    assert [b - a for a, b in zip(starts, starts[1:])] == pytest.approx([3.0015] * 4, abs=1e-9)
    from tests.links.seed import make_settings
    from tracker.fetch.links import link_policy

    rule = link_policy(make_settings("sqlite:///unused.db", check={"host_interval": 0.05})).rule_for("a.example")
    assert (rule.interval, rule.catch_up) == (0.05, 0.002)


def test_idle_time_is_never_caught_up_and_short_intervals_catch_up_a_tenth() -> None:
    clock = _LateClock(0.004)
    # the host was idle: the first start after it did not wait for a gap, so it plans nothing
    starts = _starts(clock, HostRule(4, 0.05, catch_up=0.002), 3, idle_before=5.0)
    assert starts[1] - starts[0] == pytest.approx(5.0, abs=1e-9)  # went out at once, as sent
    assert starts[2] - starts[1] == pytest.approx(0.05 + 0.004, abs=1e-9)  # a full gap after it, then late
    # a 5 ms interval catches up at most 0.5 ms (a tenth of it)
    starts = _starts(_LateClock(0.004), HostRule(4, 0.005, catch_up=gate.plan_catch_up(0.005)), 10)
    assert min(b - a for a, b in zip(starts, starts[1:])) == pytest.approx(0.005 + 0.004 - 0.0005, abs=1e-9)


def test_a_rule_without_catch_up_keeps_its_whole_gap_after_a_checker_start_stamped_early() -> None:
    """One host, two rules (the checker's, spaced by plan, and the archive's or a feed's,
    which are not): a checker start the loop woke late is stamped early for the checker's
    next start only; the next start of a rule without catch-up still waits its whole
    interval after that start as it went out — never a millisecond early."""
    clock = _LateClock(0.004)
    gates = LocalGates(clock, clock.sleep)
    checker, archive = HostRule(1, 0.05, catch_up=gate.plan_catch_up(0.05)), HostRule(1, 0.05)
    starts: list[float] = []

    async def request(rule: HostRule) -> None:
        slot = await gates.acquire("h", rule)
        gates.started(slot)
        starts.append(clock())
        gates.release(slot)

    async def go() -> None:
        await request(checker)
        await request(checker)  # waited for the gap, woken 4 ms late: stamped 2 ms early
        clock.late = 0.0
        await request(archive)
    asyncio.run(go())
    assert starts[1] - starts[0] == pytest.approx(0.054, abs=1e-9)
    assert starts[2] - starts[1] >= 0.05 - 1e-9
