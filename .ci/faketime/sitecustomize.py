"""Loaded by every Python process of .ci/run's faketime stage (PYTHONPATH), never by tracker.

The stage fakes the wall clock only (FAKETIME_DONT_FAKE_MONOTONIC=1): a monotonic clock
carries no date, and faking it makes every timed lock or event wait of Python >= 3.11
hang (sem_clockwait is not intercepted: wolfcw/libfaketime#390). With the monotonic
clock excluded, Debian's libfaketime 0.9.10 still shifts clock_nanosleep(CLOCK_MONOTONIC,
TIMER_ABSTIME) by the fake offset, so ``time.sleep`` fails with EINVAL
(wolfcw/libfaketime#426). This sleeps the same length through select() instead.
"""

from __future__ import annotations

import select
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        select.select([], [], [], left)


time.sleep = _sleep
