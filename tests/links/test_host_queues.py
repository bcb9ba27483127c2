"""``HostQueues``: a link starts only when its host and the run have room, hosts take turns,
and nothing is left behind or kept once a host is idle."""

from __future__ import annotations

from tracker.services.linkcheck_queues import HostQueues


def _queues(per_host: dict[str, int], total: int) -> tuple[HostQueues[str], list[str]]:
    started: list[str] = []
    return HostQueues(started.append, lambda host: per_host.get(host, 2), total), started


def test_a_host_never_has_more_checks_under_way_than_its_room() -> None:
    queues, started = _queues({"a": 2}, total=10)
    for i in range(5):
        queues.add("a", f"a{i}")
    assert started == ["a0", "a1"] and queues.queued == 3 and queues.running == 2
    queues.done("a")
    assert started == ["a0", "a1", "a2"]  # one over, the next of that host starts at once
    for _ in range(4):
        queues.done("a")
    assert started == ["a0", "a1", "a2", "a3", "a4"] and queues.queued == 0 and queues.running == 0


def test_the_run_room_is_shared_in_turns_by_the_hosts_waiting_for_it() -> None:
    queues, started = _queues({"a": 5, "b": 5, "c": 5}, total=3)
    for i in range(4):
        for host in "abc":
            queues.add(host, f"{host}{i}")
    assert started == ["a0", "b0", "c0"]
    queues.done("a")
    queues.done("a")  # a's turn is over: the run's room goes to b, then c, before a again
    queues.done("b")
    assert started[3:] == ["a1", "b1", "c1"]


def test_a_busy_host_does_not_hold_up_another() -> None:
    queues, started = _queues({"slow": 1, "fast": 1}, total=10)
    for i in range(3):
        queues.add("slow", f"slow{i}")
    queues.add("fast", "fast0")
    queues.add("fast", "fast1")
    assert started == ["slow0", "fast0"]
    queues.done("fast")
    assert started[-1] == "fast1"  # slow is still busy; fast went on


def test_an_idle_host_leaves_nothing_behind() -> None:
    queues, started = _queues({}, total=4)
    queues.add("a", "a0")
    queues.done("a")
    assert started == ["a0"] and queues.running == 0 and queues.queued == 0
    assert not queues._queues and not queues._running and not queues._turns
