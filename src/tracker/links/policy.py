"""The dead-link policy: a link's state from its observations, ``now`` and settings.

Owns: ``state_of`` (the Internet Archive bot's rule: ``dead`` only after
``dead_after_failures`` hard failures in a row spread over at least
``min_failure_spacing``; any success resets the count; transient failures
neither count nor reset; blocks are never death), re-check intervals by state
(``next_check_at``, ``is_due``) and the inconclusive-run rule (most hosts
failing at the network level means *our* connection is down).
Does not own: judging one response (``judge``) or storing anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from tracker.config import LinkSettings
from tracker.links.model import LinkState, Observation, Outcome

__all__ = ["state_of", "next_check_at", "is_due", "run_is_inconclusive", "NETWORK_ERRORS"]

#: error classes that say more about our own connection than about the link
NETWORK_ERRORS = frozenset({"refused", "connect_timeout", "network", "dns", "dns_temporary"})


def _last_ok(obs: Sequence[Observation]) -> datetime | None:
    return next((o.observed_at for o in reversed(obs) if o.outcome is Outcome.OK), None)


def state_of(observations: Iterable[Observation], now: datetime, settings: LinkSettings) -> LinkState:
    """Derive the state at ``now``; observations of inconclusive runs and of the future are ignored."""
    obs = sorted((o for o in observations if o.counted and o.observed_at <= now),
                 key=lambda o: o.observed_at)
    if not obs:
        return LinkState("unchecked", reason="never checked")
    latest = obs[-1]
    last_ok_at = _last_ok(obs)
    # the streak since the last success: hard failures count, transient ones are skipped
    streak: list[Observation] = []
    trailing_transient = 0
    conclusive: Observation | None = None
    for o in reversed(obs):
        if o.outcome is Outcome.OK:
            conclusive = conclusive or o
            break
        if o.outcome is Outcome.HARD:
            streak.append(o)
            conclusive = conclusive or o
        elif o.outcome is Outcome.BLOCKED:
            conclusive = conclusive or o
        elif conclusive is None:
            trailing_transient += 1
    streak.reverse()
    if conclusive is None or conclusive.outcome is Outcome.BLOCKED:  # blocked, or only transient
        name, reason = ("failing", f"{latest.reason} (transient, never confirmed)") if conclusive is None \
            else ("blocked", conclusive.reason)
        state = LinkState(name, reason=reason, http_status=latest.http_status, final_url=latest.final_url,
                          last_ok_at=last_ok_at, last_checked_at=latest.observed_at)
    elif conclusive.outcome is Outcome.OK:
        name = "redirected" if conclusive.suggested_url else "alive"
        reason = conclusive.reason
        if trailing_transient >= settings.dead_after_failures:
            name, reason = "failing", f"{latest.reason} ({trailing_transient} checks in a row, transient)"
        elif trailing_transient:
            reason = f"{conclusive.reason}; last check: {latest.reason} (transient)"
        state = LinkState(name, reason=reason, http_status=conclusive.http_status,
                          final_url=conclusive.final_url, suggested_url=conclusive.suggested_url,
                          last_ok_at=last_ok_at, last_checked_at=latest.observed_at)
    else:
        first, last = streak[0], streak[-1]
        spread = last.observed_at - first.observed_at
        confirmed = len(streak) >= settings.dead_after_failures and spread >= settings.min_failure_spacing
        state = LinkState(
            "dead" if confirmed else "failing", reason=last.reason, http_status=last.http_status,
            final_url=last.final_url, consecutive_failures=len(streak),
            first_failure_at=first.observed_at, last_ok_at=last_ok_at,
            last_checked_at=latest.observed_at, soft404=last.soft404)
    return _with_next(state, trailing_transient, settings)


def _interval(state: str, settings: LinkSettings) -> timedelta:
    return {
        "alive": settings.recheck_alive, "redirected": settings.recheck_redirected,
        "failing": settings.recheck_failing, "dead": settings.recheck_dead,
        "blocked": settings.recheck_blocked,
    }.get(state, timedelta(0))


def _with_next(state: LinkState, trailing_transient: int, settings: LinkSettings) -> LinkState:
    if state.last_checked_at is None:
        return state
    interval = _interval(state.state, settings)
    if trailing_transient:  # a link we could not judge last time is looked at again sooner
        interval = min(interval, settings.recheck_failing)
    if state.state == "failing" and state.consecutive_failures:
        # no sooner than needed to spread the confirmations over the spacing
        step = settings.min_failure_spacing / max(1, settings.dead_after_failures - 1)
        interval = min(interval, step) if step > timedelta(0) else interval
    return replace(state, next_check_at=state.last_checked_at + interval)


def next_check_at(state: LinkState) -> datetime | None:
    """When the link is next due (``None``: never checked, due now)."""
    return state.next_check_at


def is_due(state: LinkState, now: datetime) -> bool:
    """Should a run at ``now`` (without ``--all``) check this link?"""
    return state.state == "unchecked" or state.next_check_at is None or state.next_check_at <= now


def run_is_inconclusive(errors_by_host: Mapping[str, Sequence[str | None]],
                        settings: LinkSettings) -> bool:
    """True when at least ``inconclusive_ratio`` of the run's hosts (and at least
    ``inconclusive_min_hosts`` of them) failed every request at the network level."""
    hosts = len(errors_by_host)
    if hosts == 0:
        return False
    down = sum(1 for errs in errors_by_host.values()
               if errs and all(e in NETWORK_ERRORS for e in errs))
    return down >= max(1, settings.inconclusive_min_hosts) and down / hosts >= settings.inconclusive_ratio
