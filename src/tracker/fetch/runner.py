"""The event loop every fetching service runs on.

Owns: ``run(coro)`` — ``asyncio.run`` on uvloop (libuv's loop: cheaper callbacks,
transports and timers for a checker juggling thousands of exchanges) where it is
installed, the standard loop otherwise (``TRACKER_EVENT_LOOP=asyncio`` forces it).
Name resolution does not depend on the loop: ``fetch.wire`` resolves through
``socket.getaddrinfo`` in a worker thread on either loop.
Does not own: anything that runs on the loop.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["run", "loop_factory"]

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
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(coro)
