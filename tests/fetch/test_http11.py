"""HTTP/1.1 on the wire (``fetch.wire``): what a server's bytes turn into, connection by connection.

A scripted TCP server on 127.0.0.1 answers each request with fixed bytes and counts the
connections and requests it saw, so keep-alive, body framing, interim answers and broken
answers are checked as a server would see them. ``target_of`` is checked against httpx's
parser, which it stands in for on plain URLs.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given, settings as hsettings
from hypothesis import strategies as st

from tests.helpers import stop_listening
from tests.links.seed import make_settings
from tracker.fetch import runner
from tracker.fetch.core import HttpCore
from tracker.fetch.errors import ErrorClass
from tracker.fetch.gate import LocalGates
from tracker.fetch.links import link_policy
from tracker.fetch.model import FetchRequest, FetchResult
from tracker.fetch.wire import target_of

PAGE = b"<html><head><title>T</title></head><body>" + b"word " * 50 + b"</body></html>"


def ok(body: bytes = PAGE, extra: bytes = b"") -> bytes:
    return (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " + str(len(body)).encode()
            + b"\r\n" + extra + b"\r\n" + body)


class Scripted:
    """Answers the n-th request with ``answers[n]`` (the last one repeats); ``None`` hangs up."""

    def __init__(self, answers: list[bytes | None]) -> None:
        self.answers = answers
        self.connections = 0
        self.requests: list[bytes] = []
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self, path: str = "/p") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn: socket.socket) -> None:
        try:
            self._answer(conn)
        except OSError:  # the client hung up on an answer it refused (a reset is its right)
            pass

    def _answer(self, conn: socket.socket) -> None:
        buffer = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                self.requests.append(head)
                answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
                if answer is None:
                    return
                conn.sendall(answer)
                if b"Connection: close" in answer or b"HTTP/1.0" in answer[:9]:
                    return

    def close(self) -> None:
        stop_listening(self._sock, self._thread)


@pytest.fixture
def scripted() -> Iterator[Any]:
    made: list[Scripted] = []

    def make(answers: list[bytes | None]) -> Scripted:
        made.append(Scripted(answers))
        return made[-1]
    yield make
    for server in made:
        server.close()


def fetch_all(requests: list[FetchRequest], retries: int = 0) -> list[FetchResult]:
    policy = link_policy(make_settings("sqlite://", check={"retries": retries, "timeout": 10}))

    async def go() -> list[FetchResult]:
        async with HttpCore(gates=LocalGates()) as core:
            return [await core.fetch(policy, req) for req in requests]  # one after the other
    return runner.run(go())


def test_a_keep_alive_connection_serves_every_request_of_a_host(scripted: Any) -> None:
    server = scripted([ok()])
    results = fetch_all([FetchRequest(server.url(f"/p{i}")) for i in range(5)])
    assert [r.status for r in results] == [200] * 5 and all(r.body == PAGE for r in results)
    assert server.connections == 1 and len(server.requests) == 5


def test_connection_close_and_http_1_0_answers_are_not_reused(scripted: Any) -> None:
    server = scripted([ok(extra=b"Connection: close\r\n")])
    assert [r.status for r in fetch_all([FetchRequest(server.url()) for _ in range(3)])] == [200] * 3
    assert server.connections == 3
    old = scripted([b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + PAGE])  # body ends at close
    results = fetch_all([FetchRequest(old.url()) for _ in range(2)])
    assert [r.body for r in results] == [PAGE, PAGE] and old.connections == 2


def test_chunked_bodies_interim_answers_and_head_answers_are_framed_right(scripted: Any) -> None:
    chunked = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\n<html\r\n1\r\n>\r\n0\r\n\r\n")
    early = b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n" + ok()
    # a HEAD answer announces a length and sends no body: the next answer must not be read as it
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nContent-Length: 5000\r\n\r\n"
    server = scripted([chunked, early, head, ok()])
    results = fetch_all([FetchRequest(server.url("/a")), FetchRequest(server.url("/b")),
                         FetchRequest(server.url("/c.pdf"), method="HEAD"), FetchRequest(server.url("/d"))])
    assert [(r.status, r.error_class) for r in results] == [(200, None)] * 4
    assert results[0].body == b"<html>" and results[1].body == PAGE and results[3].body == PAGE
    assert results[2].headers["content-length"] == "5000" and results[2].body == b""
    assert [h.split(b" ")[0] for h in server.requests] == [b"GET", b"GET", b"HEAD", b"GET"]


def test_broken_answers_are_named_by_what_broke(scripted: Any) -> None:
    garbage = scripted([b"SPDY/9 hello\r\n\r\n"])
    hangup = scripted([None])
    cut = scripted([b"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nContent-Length: 100\r\n\r\nonly"])
    results = fetch_all([FetchRequest(garbage.url()), FetchRequest(hangup.url()), FetchRequest(cut.url())])
    assert [r.error_class for r in results] == [ErrorClass.PROTOCOL, ErrorClass.RESET, None]
    assert results[2].status == 200  # a binary body is never read: the answer is its status


def test_a_header_with_a_line_break_is_never_sent(scripted: Any) -> None:
    server = scripted([ok()])
    [result] = fetch_all([FetchRequest(server.url(), etag='"x"\r\nX-Injected: 1')])
    assert result.error_class is ErrorClass.PROTOCOL
    assert server.requests == []


PLAIN_URLS = st.builds(
    lambda scheme, host, port, path, query, frag: f"{scheme}://{host}{port}{path}{query}{frag}",
    st.sampled_from(["http", "https"]),  # (httpx keeps ":80" after an upper-case "HTTP"; both are valid)
    st.sampled_from(["example.org", "Example.ORG", "127.0.0.1", "[::1]", "xn--bcher-kva.test", "a.b.c."]),
    st.sampled_from(["", ":80", ":443", ":8080", ":0081"]),
    st.sampled_from(["", "/", "/a/b", "/100%25-sure", "/a%2Fb", "/~u/x;p=1,2", "/%E3%83%91"]),
    st.sampled_from(["", "?", "?q=1&b=%2F", "?a=b=c", "??"]),
    st.sampled_from(["", "#", "#frag", "#a?b"]),
)


@hsettings(max_examples=300, deadline=None)
@given(PLAIN_URLS)
def test_target_of_sends_what_httpx_would_send(url: str) -> None:
    mine, theirs = target_of(url), httpx.URL(url)
    assert (mine.scheme, mine.host, mine.netloc, mine.target) == \
        (theirs.scheme, theirs.raw_host.decode(), theirs.netloc, theirs.raw_path)
    assert mine.port == (theirs.port or {"http": 80, "https": 443}[theirs.scheme])


def test_urls_httpx_must_parse_still_go_through_httpx() -> None:
    for url in ("http://h/a b", "http://user:pw@h/x", "http://bücher.test/x", "http://h/é"):
        mine, theirs = target_of(url), httpx.URL(url)
        assert (mine.host, mine.netloc, mine.target) == (theirs.raw_host.decode(), theirs.netloc, theirs.raw_path)
    with pytest.raises((httpx.InvalidURL, ValueError)):
        target_of("http://h:99999/x")


def test_the_event_loop_runs_a_coroutine_to_its_result() -> None:
    async def answer() -> int:
        await asyncio.sleep(0)
        return 42
    assert runner.run(answer()) == 42


def test_tls_answers_are_read_and_an_untrusted_certificate_is_named(tmp_path: Any) -> None:
    from pathlib import Path

    from tests.links import server as srv
    server = srv.FaultServer("127.0.0.7", default=srv.html_page("Secret", "<p>" + "word " * 300 + "</p>"),
                             tls=srv.self_signed_context(Path(tmp_path), "127.0.0.7"))
    server.start()
    try:
        trusted = ssl.create_default_context(cafile=str(Path(tmp_path) / "cert.pem"))
        policy = link_policy(make_settings("sqlite://", check={"retries": 0, "timeout": 10}))

        async def go(verify: Any) -> list[FetchResult]:
            async with HttpCore(gates=LocalGates(), verify=verify) as core:
                return [await core.fetch(policy, FetchRequest(server.url(f"/s{i}"))) for i in range(3)]
        good = runner.run(go(trusted))
        assert [(r.status, r.error_class) for r in good] == [(200, None)] * 3
        assert all(b"Secret" in r.body for r in good)
        [bad, *_] = runner.run(go(True))  # the system's trust store does not know this certificate
        assert bad.error_class is ErrorClass.TLS and bad.status is None
    finally:
        server.stop()


def test_a_result_without_its_body_keeps_every_other_field() -> None:
    import dataclasses

    from tracker.fetch.model import Hop
    full = FetchResult("http://h/a", "GET", 200, "http://h/b", (Hop("http://h/a", 301),), ErrorClass.TIMEOUT, "e",
                       1.5, 2, {"etag": '"x"'}, b"body", True, 3.0, True)
    assert full.without_body() == dataclasses.replace(full, body=b"")
    # every field set away from its default above: a field added later must be added there too
    assert all(getattr(full, f.name) != f.default for f in dataclasses.fields(FetchResult) if f.name != "body")


def test_an_endless_header_section_is_cut_off_not_collected(scripted: Any) -> None:
    """A server may stream header lines forever; memory must not follow (h11 stopped at 64 KB too)."""
    flood = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-Pad-%d: %s\r\n" % (i, b"y" * 1000) for i in range(200))
    server = scripted([flood + b"Content-Length: 0\r\n\r\n"])
    [result] = fetch_all([FetchRequest(server.url())])
    assert result.error_class is ErrorClass.PROTOCOL and "header" in result.error


def test_a_closed_scripted_server_answers_nobody_afterwards() -> None:
    """Its accept() thread used to outlive ``close()``: the socket it was blocked on went on
    listening with no descriptor left, and any later connection to that port got ``ok()`` —
    200 with this module's 305-byte page, what the demo's archive look-ups were once answered
    in a full run (tests/pipeline/test_weekly.py)."""
    assert len(PAGE) == 305
    server = Scripted([ok()])
    server.close()
    assert not server._thread.is_alive()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
