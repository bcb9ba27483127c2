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


def _pausable(per_host: dict[str, int], total: int) -> tuple[HostQueues[str], list[str], set[str]]:
    started: list[str] = []
    paused: set[str] = set()
    return HostQueues(started.append, lambda host: per_host.get(host, 2), total, paused.__contains__), \
        started, paused


def test_checks_waiting_at_a_paused_host_leave_the_run_room_to_ready_hosts() -> None:
    queues, started, paused = _pausable({}, total=4)
    for item in ("a0", "a1", "a2", "b0", "b1", "h0", "h1", "h2"):
        queues.add(item[0], item)
    assert started == ["a0", "a1", "b0", "b1"] and queues.running == 4
    paused.add("a")  # a answered 429 Retry-After: its checks wait at its gate for the pause
    queues.refresh("a")
    assert started[4:] == ["h0", "h1"] and queues.running == 4  # b's two and h's two hold the room
    paused.add("b")
    queues.refresh("b")
    assert queues.running == 2  # only h's: nothing else is ready
    queues.done("h")
    assert started[6:] == ["h2"]


def test_a_paused_host_keeps_to_its_own_room_and_counts_again_once_its_pause_is_over() -> None:
    queues, started, paused = _pausable({"a": 2, "h": 1}, total=2)
    for item in ("a0", "a1", "a2", "a3", "h0", "h1"):
        queues.add(item[0], item)
    assert started == ["a0", "a1"]
    paused.add("a")
    queues.refresh("a")
    assert started[2:] == ["h0"] and queues.running == 1
    queues.done("a")  # deferred or over: the next of a paused host starts in a's room, not the run's
    assert started[3:] == ["a2"] and queues.running == 1
    paused.discard("a")  # the pause is over: a's checks go on the wire
    queues.done("h")
    assert started[4:] == ["h1"] and queues.running == 1  # a's end of pause is heard at a's next event
    queues.done("a")  # heard: a's remaining check counts again (with h1: the run's room is full)
    assert queues.running == 2 and started[5:] == []
    queues.done("h")
    assert started[5:] == ["a3"] and queues.running == 2
    queues.done("a")
    queues.done("a")
    assert queues.running == 0 and queues.queued == 0
    assert not queues._queues and not queues._running and not queues._turns and not queues._held


def test_a_pause_of_a_host_with_nothing_under_way_is_not_remembered() -> None:
    queues, started, paused = _pausable({}, total=4)
    paused.add("x")
    queues.refresh("x")
    assert not queues._held and started == []


def test_hosts_paused_by_retry_after_do_not_starve_the_others(db_url: str) -> None:
    """Found by a second reading: a check counted against the run's room while it waited out
    its host's Retry-After pause, so hosts answering 429 held every slot of the run for their
    pause and a healthy host got nothing (at 128 / 2: ~43 such hosts). Here: room for 4, two
    per host, three hosts pausing for 30 s and one healthy host; the pauses end (fake clock)
    only when the healthy host has had its links, or after many idle turns of the loop."""
    import asyncio

    import httpx

    from tests.links.seed import FakeClock, make_settings, seed
    from tracker.db.session import open_database
    from tracker.services.linkcheck import check_links

    asked: set[str] = set()
    log: list[tuple[float, str, int]] = []  # (fake time, host, status) of every request
    healthy = [f"https://h.example/{i}" for i in range(3)]
    served: set[str] = set()  # the healthy links answered so far

    class PauseClock(FakeClock):
        """Waits of 10 s or more (a Retry-After pause) end once the healthy host was served."""

        def __init__(self) -> None:
            super().__init__()
            self.served_when_pauses_ended: list[int] = []

        async def sleep(self, seconds: float) -> None:
            if seconds >= 10:
                for _ in range(2000):  # the turns of the loop a starved run gets before we give up
                    if len(served) == len(healthy):
                        break
                    await asyncio.sleep(0)
                self.served_when_pauses_ended.append(len(served))
            await super().sleep(seconds)

    clock = PauseClock()

    def site(request: httpx.Request) -> httpx.Response:
        url, host = str(request.url), request.url.host
        status = 429 if host != "h.example" and url not in asked else 200
        asked.add(url)
        if url in healthy:
            served.add(url)
        log.append((clock(), host, status))
        headers = {"retry-after": "30"} if status == 429 else {}
        return httpx.Response(status, headers=headers, html="<title>A page</title><p>" + "words " * 60)

    db = open_database(db_url)
    slow = [f"https://{h}.example/{i}" for h in "abc" for i in range(2)]
    seed(db, slow + healthy)  # queued first: today they take all the run's room
    settings = make_settings(db_url, check={"max_concurrency": 2, "host_concurrency": 1, "max_retry_after": 60})
    report = check_links(db, settings, all_links=True, transport=httpx.MockTransport(site), clock=clock,
                         sleep=clock.sleep, record_in="thread")
    db.dispose()
    assert report.checked == 9
    assert clock.served_when_pauses_ended and set(clock.served_when_pauses_ended) == {len(healthy)}
    # and every politeness promise held: nothing reached a host within its pause
    for when, host, status in log:
        if status == 429:
            assert not [t for t, h, _ in log if h == host and when < t < when + 30], host
    assert {h for _, h, s in log if s == 429} == {"a.example", "b.example", "c.example"}
