"""The plain values passed between the checker, the judge, the policy and the report.

Owns: outcome and state names, ``Exchange`` (what the checker saw, decoded),
``Verdict`` (what one exchange means), ``Observation`` (a stored verdict, the
policy's input) and ``LinkState`` (the policy's output). No logic beyond
trivial properties.
Does not decide anything: ``judge`` and ``policy`` do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = ["Outcome", "STATES", "PROBLEM_STATES", "Exchange", "Verdict", "Observation", "LinkState"]


class Outcome(StrEnum):
    """What one check says about a link."""

    OK = "ok"                 # the page answered (2xx/304), possibly behind redirects
    HARD = "hard"             # a hard failure: counts towards ``dead``
    TRANSIENT = "transient"   # timeouts, resets, 5xx, 408… after the run's retries: counts for nothing
    BLOCKED = "blocked"       # the site refuses automated clients


STATES = ("unchecked", "alive", "redirected", "failing", "dead", "blocked")
PROBLEM_STATES = ("dead", "failing", "blocked", "redirected")


@dataclass(frozen=True)
class Exchange:
    """One finished request chain, with the body already decoded to text."""

    url: str
    status: int | None
    final_url: str
    redirects: tuple[tuple[str, int], ...] = ()
    error_class: str | None = None
    error: str = ""
    content_type: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    html: str = ""
    method: str = "GET"

    def header(self, name: str) -> str:
        low = name.lower()
        return next((v for k, v in self.headers if k == low), "")


@dataclass(frozen=True)
class Verdict:
    """What one exchange means."""

    outcome: Outcome
    reason: str
    soft404: bool = False
    suggested_url: str | None = None   # the target of a permanent redirect


@dataclass(frozen=True)
class Observation:
    """A stored check of one link, as the policy sees it."""

    observed_at: datetime
    outcome: Outcome
    reason: str = ""
    http_status: int | None = None
    final_url: str | None = None
    suggested_url: str | None = None
    soft404: bool = False
    counted: bool = True   # False when the run was inconclusive


@dataclass(frozen=True)
class LinkState:
    """The state of one link at ``now``, derived from its observations."""

    state: str
    reason: str = ""
    http_status: int | None = None
    final_url: str | None = None
    suggested_url: str | None = None
    consecutive_failures: int = 0
    first_failure_at: datetime | None = None
    last_ok_at: datetime | None = None
    last_checked_at: datetime | None = None
    next_check_at: datetime | None = None
    soft404: bool = False
