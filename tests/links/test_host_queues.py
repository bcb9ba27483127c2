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


def test_a_stored_url_no_parser_reads_is_recorded_invalid_not_lost(db_url: str) -> None:
    """Found by the second reading: ``urlsplit`` raised inside the check task, the link was
    never recorded and its window slot leaked (4,000 such links would hang a run)."""
    from sqlalchemy import select, text

    from tests.links import server as srv
    from tests.links.seed import make_settings, seed
    from tracker.db.models_links import LinkObservation, LinkStatus
    from tracker.db.session import open_database
    from tracker.services.linkcheck import check_links

    db = open_database(db_url)
    page = srv.html_page("A page", "words " * 40)
    with srv.FaultServer("127.0.0.1", routes={"/a": page, "/b": page}) as site:
        ids = seed(db, [site.url("/a"), site.url("/b"), site.url("/odd")])
        with db.transaction() as s:
            s.execute(text("UPDATE resources SET url = :u, canonical_url = :c WHERE id = :i"),
                      {"u": "http://[::1/bad", "c": "http://[::1/bad", "i": ids[site.url("/odd")]})
        report = check_links(db, make_settings(db_url), all_links=True)
    assert report.checked == 3
    with db.transaction() as s:
        odd = s.scalars(select(LinkObservation).where(LinkObservation.resource_id == ids[site.url("/odd")])).one()
        states = {rid: st for rid, st in s.execute(select(LinkStatus.resource_id, LinkStatus.state))}
    assert odd.error_class == "invalid_url"
    assert states[ids[site.url("/a")]] == states[ids[site.url("/b")]] == "alive"
    db.dispose()
