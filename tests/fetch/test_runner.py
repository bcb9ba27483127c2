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
