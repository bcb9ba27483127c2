"""The fetching loop's interpreter tuning (``fetch.runner.responsive``) is applied while a
loop runs and undone afterwards, however the run ends and however many threads run loops."""

from __future__ import annotations

import gc
import sys
import threading

import pytest

from tracker.fetch import runner


async def _settings() -> tuple[tuple[int, int, int], float, int]:
    return gc.get_threshold(), sys.getswitchinterval(), gc.get_freeze_count()


def test_a_run_freezes_what_exists_tunes_the_collector_and_gil_then_restores_them() -> None:
    before = (gc.get_threshold(), sys.getswitchinterval(), gc.get_freeze_count())
    thresholds, interval, frozen = runner.run(_settings())
    assert thresholds == runner.GC_THRESHOLDS and interval == runner.SWITCH_INTERVAL
    assert frozen > 1000  # the modules and objects alive at the start are out of the collector's walks
    assert (gc.get_threshold(), sys.getswitchinterval(), gc.get_freeze_count()) == before


def test_a_failing_run_restores_the_settings_too() -> None:
    before = (gc.get_threshold(), sys.getswitchinterval())

    async def boom() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        runner.run(boom())
    assert (gc.get_threshold(), sys.getswitchinterval()) == before and gc.get_freeze_count() == 0


def test_loops_in_two_threads_restore_only_when_the_last_one_ends() -> None:
    before = gc.get_threshold()
    inner_started, outer_may_end = threading.Event(), threading.Event()
    seen: list[tuple[int, int, int]] = []

    async def outer() -> None:
        inner_started.wait()
        outer_may_end.wait()

    async def inner() -> None:
        inner_started.set()

    t = threading.Thread(target=runner.run, args=(outer(),))
    with runner.responsive():  # the main thread's own block, entered first
        t.start()
        runner.run(inner())
        seen.append(gc.get_threshold())  # the other thread's loop still runs: still tuned
        outer_may_end.set()
        t.join()
        seen.append(gc.get_threshold())  # our block is still open
    assert seen == [runner.GC_THRESHOLDS, runner.GC_THRESHOLDS]
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def _frozen(objects: list[object]) -> list[bool]:
    """Which of ``objects`` (tracked by the collector) sit in its permanent generation:
    ``gc.get_objects()`` lists the collected generations only."""
    assert all(gc.is_tracked(o) for o in objects)
    walked = {id(o) for o in gc.get_objects()}
    return [id(o) not in walked for o in objects]


def test_a_run_leaves_frozen_what_its_caller_froze_before_it() -> None:
    """Found by a second reading: leaving the block called ``gc.unfreeze()``, which thawed
    every frozen object of the process, including those a caller had frozen for itself."""
    gc.unfreeze()
    mine = [[i] for i in range(100)]  # a caller's objects, frozen by the caller
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        assert _frozen(mine) == [True] * 100
        born_in_run: list[list[int]] = []

        async def go() -> None:
            born_in_run.append([1])  # made while the loop runs: not frozen by anyone

        runner.run(go())
        assert _frozen(mine) == [True] * 100  # still the caller's: nothing thawed them
        assert gc.get_freeze_count() >= before - 100  # (frozen objects that died meanwhile leave the count)
        assert _frozen(born_in_run) == [False]
    finally:
        gc.unfreeze()


def test_a_run_with_nothing_frozen_before_it_thaws_its_own_freeze() -> None:
    """Nobody froze anything before the block: undoing its freeze undoes exactly its own (a
    long-lived process, such as the scheduler, running check after check keeps no garbage)."""
    gc.unfreeze()
    alive = [[i] for i in range(10)]
    seen: list[list[bool]] = []

    async def go() -> None:
        seen.append(_frozen(alive))

    runner.run(go())
    assert seen == [[True] * 10]  # frozen while the loop ran
    assert _frozen(alive) == [False] * 10 and gc.get_freeze_count() == 0
