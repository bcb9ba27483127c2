"""A stalled event loop must not turn an answer that has already arrived into a timeout.

When the loop is held (a long collector pass, a slow callback, a loaded machine) for longer
than a request's deadline, the deadline's timer and the socket's bytes are both due when it
wakes. The answer is the server's: if it is complete and readable without waiting, it is the
answer (a link checker promising no false alarms must not call a good page a transient
failure). A server that has not finished by the deadline still ends there.

Each test holds the loop from the server's side: on the request, the handler asks the loop
to run ``stall`` (which blocks it), writes its answer while the loop is held, and ``stall``
keeps the loop blocked until the deadline has passed. Both loops the checker runs on
(asyncio's and uvloop's, whose timers fire before their I/O poll) are tried.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import pytest
import uvloop

from tests.links import server as srv
from tracker.fetch.core import HttpCore
from tracker.fetch.errors import ErrorClass
from tracker.fetch.gate import HostRule, LocalGates
from tracker.fetch.model import FetchRequest, FetchResult, Policy

DEADLINE = 0.5
LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}
PAGE = b"<!doctype html><title>Fine</title>" + b"<p>all here</p>" * 4000  # 60 kB


def _policy(strict: bool = True) -> Policy:
    return Policy(rule_for=lambda _host: HostRule(1, 0.0), timeout_for=lambda _host: DEADLINE,
                  headers={"User-Agent": "tracker-test"},
                  body_limit=lambda _m, _s, _h: (1 << 20, strict))


class Staller:
    """Hold the client's loop, from the server thread, while the server writes its answer.

    ``timer_first``: the answer is written after the loop's last look at its sockets and
    just before the deadline's timer runs (a timer due earlier writes it), so the timer finds
    the answer unread in the socket. Otherwise the answer is written while the loop is held
    and the loop reads it before it runs its timers (asyncio's order; uvloop's too after a
    held callback, whose turn polls the sockets before the next turn's timers)."""

    def __init__(self, timer_first: bool = False) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.timer_first = timer_first

    def around(self, write: Callable[[Any], None]) -> srv.Handler:
        def handle(h: Any) -> None:
            held, go, written = threading.Event(), threading.Event(), threading.Event()
            loop = self.loop
            assert loop is not None

            def release() -> None:  # a timer due before the deadline: the answer is written now
                go.set()
                written.wait(5)

            def stall() -> None:  # runs on the client's loop, blocking it
                held.set()
                if self.timer_first:
                    loop.call_later(0.001, release)
                else:
                    go.set()
                    written.wait(5)
                time.sleep(DEADLINE + 0.1)  # the deadline passes while the loop is held

            loop.call_soon_threadsafe(stall)
            held.wait(5)  # the loop is held from here on
            go.wait(5)
            try:
                write(h)
            finally:
                written.set()
        return handle

    def fetch(self, loop: str, url: str, policy: Policy) -> FetchResult:
        async def go() -> FetchResult:
            self.loop = asyncio.get_running_loop()
            async with HttpCore(gates=LocalGates()) as core:
                return await core.fetch(policy, FetchRequest(url))
        with asyncio.Runner(loop_factory=LOOPS[loop]) as runner:
            return runner.run(go())


def _send(status: int, body: bytes, headers: Mapping[str, str] | None = None) -> Callable[[Any], None]:
    def write(h: Any) -> None:
        h.send(status, body, dict(headers or {}))
        h.wfile.flush()
    return write


@pytest.mark.parametrize("timer_first", [False, True], ids=["read-first", "timer-first"])
@pytest.mark.parametrize("loop", LOOPS)
def test_an_answer_that_arrived_during_a_stall_is_the_answer(loop: str, timer_first: bool) -> None:
    staller = Staller(timer_first)
    with srv.FaultServer("127.0.0.61", routes={"/page": staller.around(_send(200, PAGE))}) as server:
        result = staller.fetch(loop, server.url("/page"), _policy())
    assert (result.status, result.error_class, result.error) == (200, None, "")
    assert (result.body, result.truncated, result.cut_short) == (PAGE, False, False)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_head_answer_and_a_redirect_that_arrived_during_a_stall_count(loop: str) -> None:
    """The status line and headers alone (HEAD, a redirect's hop) are read without waiting too."""
    staller = Staller()
    routes = {"/old": staller.around(_send(301, b"", {"Location": "/new"})),
              "/new": staller.around(_send(200, PAGE))}
    with srv.FaultServer("127.0.0.62", routes=routes) as server:
        result = staller.fetch(loop, server.url("/old"), _policy())
    assert (result.status, result.error_class, len(result.redirects)) == (200, None, 1)
    assert result.final_url == server.url("/new") and result.body == PAGE


@pytest.mark.parametrize("loop", LOOPS)
def test_an_answer_ended_by_closing_the_connection_during_a_stall_counts(loop: str) -> None:
    """No length: the end of the connection ends the body. Reading it after the stall takes more
    than one turn of the loop (the bytes, then the close), none of which waits."""
    def close_delimited(h: Any) -> None:
        h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n" + PAGE)
        h.wfile.flush()
        h.close_connection = True
        h.connection.shutdown(2)  # the end of the answer, sent while the loop is held

    staller = Staller()
    with srv.FaultServer("127.0.0.63", routes={"/page": staller.around(close_delimited)}) as server:
        result = staller.fetch(loop, server.url("/page"), _policy())
    assert (result.status, result.error_class, result.body, result.cut_short) == (200, None, PAGE, False)


@pytest.mark.parametrize("loop", LOOPS)
def test_half_an_answer_at_a_stalled_deadline_is_still_a_timeout(loop: str) -> None:
    """The headers and part of the body came during the stall, the rest never does: the
    deadline stands (strict reader: a timeout; text reader: the prefix, cut short). The server
    holds the connection open for 5 s; a client waiting past its deadline would see it close."""
    def half(h: Any) -> None:
        h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(PAGE)
                      + PAGE[:1000])
        h.wfile.flush()

    def then_hold(h: Any) -> None:
        try:
            staller.around(half)(h)
        finally:
            h.server.owner.stopping.wait(5)
            h.close_connection = True

    staller = Staller()
    with srv.FaultServer("127.0.0.64", routes={"/page": then_hold}) as server:
        strict = staller.fetch(loop, server.url("/page"), _policy(strict=True))
        prefix = staller.fetch(loop, server.url("/page"), _policy(strict=False))
    assert (strict.status, strict.error_class) == (None, ErrorClass.TIMEOUT)
    assert f"within {DEADLINE:g} s" in strict.error
    assert (prefix.status, prefix.body, prefix.cut_short, prefix.truncated) == (200, PAGE[:1000], True, True)


@pytest.mark.parametrize("loop", LOOPS)
def test_nothing_at_a_stalled_deadline_is_a_timeout(loop: str) -> None:
    """The server answers nothing while the loop is held: a timeout at the deadline."""
    staller = Staller()

    def silent(h: Any) -> None:
        try:
            staller.around(lambda _h: None)(h)
        finally:
            h.server.owner.stopping.wait(5)
            h.close_connection = True

    with srv.FaultServer("127.0.0.65", routes={"/page": silent}) as server:
        result = staller.fetch(loop, server.url("/page"), _policy())
    assert (result.status, result.error_class) == (None, ErrorClass.TIMEOUT)


@pytest.mark.parametrize("loop", LOOPS)
def test_past_a_stalled_deadline_only_what_had_arrived_is_read(loop: str) -> None:
    """60 kB of an 8 MB answer waited in the socket when the deadline's timer ran; the server
    goes on sending as fast as it can. The client reads what had arrived (and at most a read or
    two more), not the rest: a server that is still sending at the deadline is too late."""
    total = 8 << 20
    first = b"x" * 60_000

    def start(h: Any) -> None:
        h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % total + first)
        h.wfile.flush()

    def stream_on(h: Any) -> None:
        staller.around(start)(h)
        for _ in range((total - len(first)) // 65536):
            h.wfile.write(b"y" * 65536)  # until the client leaves (a broken pipe ends the handler)
        h.close_connection = True

    staller = Staller(timer_first=True)
    with srv.FaultServer("127.0.0.66", routes={"/big": stream_on}) as server:
        result = staller.fetch(loop, server.url("/big"), _policy(strict=False))
    assert (result.status, result.cut_short, result.truncated) == (200, True, True)
    assert result.body.startswith(first) and len(result.body) < 1 << 20
