"""Bulk work without the cyclic garbage collector's re-scans (pure; no I/O).

Owns ``gc_paused``: a context manager for code that builds many acyclic objects at once
(the rows, dataclasses and dicts of an export or a link report of 50,000 links, and the
strings of its JSON). CPython's cyclic collector runs each time container allocations
cross its thresholds and, every so often, walks every tracked object of the process: on
a heap growing by hundreds of thousands of containers that walking cost 20-40% of an
export (issue 15). Reference counting still frees everything at once; only cycles wait,
and the collector is switched back on when the outermost block ends.
Does not own: anything else (no tuning of thresholds, no ``gc.freeze``).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause automatic cyclic garbage collection for the block (nested blocks, or a
    collector already off, leave the switching to whoever turned it off)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
