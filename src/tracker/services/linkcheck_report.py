"""What one ``tracker check`` did: ``CheckReport`` and the state summary (no I/O).

Shared by the run (``services.linkcheck``) and the glance that answers a check with
nothing due without SQLAlchemy (``services.linkcheck_glance``), so this module imports
neither the database nor the HTTP stack. Does not own: running a check, or rendering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["CheckReport", "summary"]

#: the states a summary always lists, in this order (``unchecked``: resources without a status row)
SUMMARY_STATES = ("alive", "redirected", "failing", "dead", "blocked", "unchecked")


@dataclass
class CheckReport:
    """What a run did; ``summary`` counts every link's state after the run."""

    run_id: int
    started_at: datetime
    inconclusive: bool
    total: int
    checked: int
    hosts: int
    requests: int
    elapsed: float
    summary: dict[str, int] = field(default_factory=dict)
    changes: list[dict[str, object]] = field(default_factory=list)
    archive_lookups: int = 0
    new_versions: int = 0
    skipped: int = 0  # due, but claimed (or just checked) by another run
    archive_postponed: int = 0  # dead links not looked up: the archive was down (asked next run)

    def as_dict(self) -> dict[str, object]:
        return {"run": self.run_id, "started_at": self.started_at, "inconclusive": self.inconclusive,
                "total": self.total, "checked": self.checked, "hosts": self.hosts,
                "requests": self.requests, "elapsed": round(self.elapsed, 3),
                "summary": self.summary, "changes": self.changes,
                "archive_lookups": self.archive_lookups, "new_versions": self.new_versions,
                "skipped": self.skipped, "archive_postponed": self.archive_postponed}


def summary(counts: dict[str, int], total: int) -> dict[str, int]:
    """state → links, from the status rows' ``counts`` and the ``total`` of resources."""
    out = {name: 0 for name in SUMMARY_STATES}
    for state, n in counts.items():
        out[state] = out.get(state, 0) + n
    out["unchecked"] = total - sum(v for k, v in out.items() if k != "unchecked")
    return out
