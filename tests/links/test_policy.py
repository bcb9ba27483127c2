"""The dead-link policy over time, due-ness and inconclusive runs (pure)."""

from __future__ import annotations

from datetime import timedelta

from tracker.config import LinkSettings
from tracker.links.model import Observation, Outcome
from tracker.links.policy import is_due, run_is_inconclusive, state_of
from tests.links.seed import T0, days

S = LinkSettings()
OK, HARD, TRANS, BLOCK = Outcome.OK, Outcome.HARD, Outcome.TRANSIENT, Outcome.BLOCKED


def obs(*items: tuple[float, Outcome]) -> list[Observation]:
    return [Observation(T0 + days(d), o, reason=o.value, http_status={OK: 200, HARD: 404}.get(o))
            for d, o in items]


def test_unchecked() -> None:
    assert state_of([], T0, S).state == "unchecked"


def test_dead_needs_three_failures_spread_over_three_days() -> None:
    assert state_of(obs((0, HARD)), T0, S).state == "failing"
    assert state_of(obs((0, HARD), (1, HARD)), T0 + days(1), S).state == "failing"
    close = obs((0, HARD), (0.1, HARD), (0.2, HARD), (0.3, HARD))
    assert state_of(close, T0 + days(1), S).state == "failing"  # too close together
    st = state_of(obs((0, HARD), (1.5, HARD), (3, HARD)), T0 + days(3), S)
    assert (st.state, st.consecutive_failures, st.first_failure_at) == ("dead", 3, T0)


def test_any_success_resets() -> None:
    st = state_of(obs((0, HARD), (1.5, HARD), (2, OK), (3, HARD)), T0 + days(3), S)
    assert (st.state, st.consecutive_failures, st.last_ok_at) == ("failing", 1, T0 + days(2))


def test_transient_failures_never_kill_and_do_not_reset() -> None:
    many = obs(*[(d, TRANS) for d in range(10)])
    assert state_of(many, T0 + days(10), S).state == "failing"
    assert state_of(obs((0, OK), (1, TRANS)), T0 + days(1), S).state == "alive"
    st = state_of(obs((0, HARD), (1, TRANS), (1.5, HARD), (2, TRANS), (3, HARD)), T0 + days(3), S)
    assert st.state == "dead" and st.consecutive_failures == 3


def test_blocked_is_never_dead() -> None:
    assert state_of(obs(*[(d, BLOCK) for d in range(10)]), T0 + days(10), S).state == "blocked"


def test_inconclusive_observations_and_future_ones_are_ignored() -> None:
    items = obs((0, OK)) + [Observation(T0 + days(1), HARD, counted=False), Observation(T0 + days(9), HARD)]
    assert state_of(items, T0 + days(2), S).state == "alive"


def test_redirected_state() -> None:
    items = [Observation(T0, OK, suggested_url="https://new.example/")]
    st = state_of(items, T0, S)
    assert st.state == "redirected" and st.suggested_url == "https://new.example/"


def test_recheck_intervals_and_due() -> None:
    alive = state_of(obs((0, OK)), T0, S)
    assert alive.next_check_at == T0 + S.recheck_alive
    assert not is_due(alive, T0 + days(6)) and is_due(alive, T0 + days(7))
    failing = state_of(obs((0, HARD)), T0, S)
    assert failing.next_check_at == T0 + timedelta(days=1.5)  # spacing / (N-1)
    assert is_due(state_of([], T0, S), T0)


def test_inconclusive_run_rule() -> None:
    down = {f"h{i}": ["refused"] for i in range(9)} | {"h9": [None]}
    assert run_is_inconclusive(down, S)
    assert not run_is_inconclusive({"h1": ["refused"], "h2": ["dns"]}, S)  # too few hosts to say
    assert not run_is_inconclusive({f"h{i}": ["refused", None] for i in range(5)}, S)
    assert not run_is_inconclusive({}, S)
