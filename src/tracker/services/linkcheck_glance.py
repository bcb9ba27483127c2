"""Use case: ``tracker check`` when nothing is due, answered without SQLAlchemy.

A check with nothing due and no archive look-up wanted only counts, records an
empty run and prints the summary; loading SQLAlchemy, its ORM and the models for
that costs more than the 0.5 s issue 11 allows the whole command. ``nothing_due``
asks ``db.glance`` (the plain DB-API driver) instead, in one transaction, and
returns exactly the ``CheckReport`` ``services.linkcheck.check_links`` would have
returned, with the same ``check_runs`` row written — or ``None``, having changed
nothing, whenever it cannot be sure: links due, a dead link wanting an archive
look-up, ``--all``, a database URL or a stored value it does not understand, a
schema not at ``SCHEMA_HEAD``, any database error, a lock another connection holds
for more than ``db.glance.GLANCE_LOCK_TIMEOUT`` (a short wait: the normal path then
waits its usual time, so a locked database costs one wait, not two). Then the caller runs
``check_links``, which does the work or reports the error in its usual words.

Does not own: the queries (``db.glance``), the run itself (``services.linkcheck``),
or rendering (the CLI).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from tracker.config import Settings
from tracker.db import glance
from tracker.services.linkcheck_report import CheckReport, summary

__all__ = ["nothing_due"]


def nothing_due(settings: Settings, *, all_links: bool = False,
                progress: Callable[[str], None] | None = None,
                lock_timeout: float = glance.GLANCE_LOCK_TIMEOUT) -> CheckReport | None:
    """The report of a check of ``settings.database_url`` at ``settings.now()`` that found
    nothing to do, with its run recorded; ``None`` (and the database untouched) when
    there may be something to do, or anything else the normal path should handle —
    including a lock held by another connection for more than ``lock_timeout`` seconds
    (the normal path then waits for it as long as it always has)."""
    if all_links:
        return None
    started = time.monotonic()
    now = settings.now()
    try:
        look = glance.open_glance(settings.database_url, lock_timeout)
    except Exception as exc:
        if isinstance(exc, (ImportError, *glance.driver_errors())):
            return None  # cannot open it (or no driver): the normal path says why, in its own words
        raise
    if look is None:
        return None
    failures: tuple[type[BaseException], ...] = (glance.NotUnderstood, *glance.driver_errors())
    try:
        if look.schema_revisions() != [glance.SCHEMA_HEAD]:
            return None
        total, due = look.count_links(now)
        if due or look.archive_wanted(now):
            return None
        counts = look.state_counts()
        elapsed = time.monotonic() - started
        run_id = look.add_check_run(now, int(elapsed * 1000))
        look.commit()
    except failures:
        return None  # rolled back by close(): the normal path starts from the same database
    finally:
        look.close()
    if progress is not None:
        progress(f"{due} of {total} links due")
    return CheckReport(run_id, now, False, total, 0, 0, 0, elapsed, summary=summary(counts, total))
