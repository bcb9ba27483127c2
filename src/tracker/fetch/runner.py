"""The event loop every fetching service runs on.

Owns: ``run(coro)`` — ``asyncio.run`` on uvloop (libuv's loop: cheaper callbacks,
transports and timers for a checker juggling thousands of exchanges) where it is
installed, the standard loop otherwise (``TRACKER_EVENT_LOOP=asyncio`` forces it).
Name resolution does not depend on the loop: ``fetch.wire`` resolves through
``socket.getaddrinfo`` in a worker thread on either loop.

While the loop runs, the interpreter is tuned for answering quickly (``responsive``):
a host's next request waits on whatever holds the loop, and measured at the
server the worst waits were the cyclic collector walking every object of the
process (gen-2 passes of 80–130 ms at 10,000 links) and worker threads writing
to the database holding the GIL for the default 5 ms switch interval at a time.
So everything alive when the run starts (modules, mappers, settings) is frozen
out of the collector's walks, collections come less often, and a thread that
wants the GIL gets it within 0.5 ms. Afterwards the settings are restored, and
the freeze is undone unless objects were frozen before it (CPython can only thaw
all of them; see ``responsive``).
Does not own: anything that runs on the loop.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["run", "loop_factory", "responsive"]

#: the GIL switch interval while a loop runs (CPython's default is 5 ms)
SWITCH_INTERVAL = 0.0005
#: collector thresholds while a loop runs (CPython's default is 700, 10, 10)
GC_THRESHOLDS = (10_000, 20, 20)

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's ``new_event_loop`` when installed and not turned off, else ``None`` (asyncio's)."""
    if os.environ.get("TRACKER_EVENT_LOOP", "").strip().lower() == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)`` on the loop ``loop_factory`` picks."""
    with responsive(), asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(coro)


@contextmanager
def responsive() -> Iterator[None]:
    """Tune the interpreter for latency-bound loops for the block, then restore it: the
    objects alive now are frozen out of collections, collections are rarer, GIL hand-overs
    quicker. The settings are the process's: with loops in several threads, the first block
    to enter applies them and the last to leave restores them.

    The freeze is undone only when nothing was frozen before the block. CPython keeps one
    permanent generation with no owner per object, and ``gc.unfreeze()`` thaws all of it:
    after a caller's own ``gc.freeze()`` it would hand the caller's objects back to the
    collector too. So when the block finds objects frozen already, its own stay frozen with
    them: they still die by reference counting, and only the ones that end up in
    reference cycles wait for the process's end (memory such a caller has chosen to keep).
    With nothing frozen before, the thaw undoes the block's freeze and no more (a freeze
    made by another thread inside the block is undone with it), so a long-lived process
    running check after check (the scheduler) keeps no cyclic garbage of earlier runs."""
    global _active, _saved
    with _lock:
        if _active == 0:
            _saved = (gc.get_threshold(), sys.getswitchinterval(), gc.get_freeze_count() == 0)
            gc.freeze()
            gc.set_threshold(*GC_THRESHOLDS)
            sys.setswitchinterval(SWITCH_INTERVAL)
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _saved is not None:
                thresholds, interval, thaw = _saved
                sys.setswitchinterval(interval)
                gc.set_threshold(*thresholds)
                if thaw:
                    gc.unfreeze()


_lock = threading.Lock()
_active = 0
#: what the first block to enter found: collector thresholds, switch interval, nothing frozen yet
_saved: tuple[tuple[int, int, int], float, bool] | None = None
