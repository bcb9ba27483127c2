"""The checker's client against ``httpx.MockTransport``: redirects, fallbacks, retries, caps."""

from __future__ import annotations

import asyncio
import gzip
import random
import socket
import ssl
import zlib
from collections.abc import Callable

import h11
import httpx
import pytest

from tracker.config import USER_AGENT
from tracker.fetch.links import FetchRequest, FetchResult, LinkClient, retry_after_seconds
from tests.links.seed import FakeClock, make_settings

Handler = Callable[[httpx.Request], httpx.Response]


def fetch(handler: Handler, url: str, method: str = "GET", clock: FakeClock | None = None,
          **check: object) -> FetchResult:
    settings = make_settings("sqlite://", check={"host_interval": 0.0, **check})
    clock = clock or FakeClock()

    async def go() -> FetchResult:
        async with LinkClient(settings, transport=httpx.MockTransport(handler), sleep=clock.sleep,
                              clock=clock, rng=random.Random(1)) as client:
            return await client.fetch(FetchRequest(url, method))
    return asyncio.run(go())


class Chunks(httpx.AsyncByteStream):
    """A body that arrives in chunks, as from the network (so the raw bytes are read)."""

    def __init__(self, data: bytes, size: int = 65536) -> None:
        self.data, self.size = data, size

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        for i in range(0, len(self.data), self.size):
            yield self.data[i:i + self.size]


def streamed(status: int, data: bytes, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers, stream=Chunks(data))


def html(text: str = "<title>t</title>hello", status: int = 200, **headers: str) -> httpx.Response:
    return streamed(status, text.encode(), **{"content-type": "text/html", **headers})


def test_user_agent_names_the_project() -> None:
    seen: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req.headers["user-agent"])
        return html()
    assert fetch(handler, "https://a.example/").status == 200
    assert seen == [USER_AGENT] and "tracker" in USER_AGENT


def test_head_refused_falls_back_to_get() -> None:
    methods: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        methods.append(req.method)
        return httpx.Response(405) if req.method == "HEAD" else httpx.Response(
            200, content=b"%PDF", headers={"content-type": "application/pdf"})
    res = fetch(handler, "https://a.example/paper.pdf", method="HEAD")
    assert (res.status, res.method, methods) == (200, "GET", ["HEAD", "GET"])
    assert res.body == b""  # a PDF's body is never read


@pytest.mark.parametrize("status", [400, 403, 404, 501])
def test_head_other_refusals_fall_back_too(status: int) -> None:
    res = fetch(lambda r: httpx.Response(status) if r.method == "HEAD" else html(), "https://a.example/x.pdf",
                method="HEAD")
    assert res.status == 200


def test_redirects_are_followed_and_recorded() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        return {"/a": httpx.Response(301, headers={"location": "/b"}),
                "/b": httpx.Response(302, headers={"location": "https://c.example/c"})}.get(
            req.url.path, html())
    res = fetch(handler, "https://a.example/a")
    assert res.status == 200 and res.final_url == "https://c.example/c"
    assert [(h.url, h.status) for h in res.redirects] == [("https://a.example/a", 301), ("https://a.example/b", 302)]


def test_redirect_loop_and_overlong_chain_stop() -> None:
    loop = fetch(lambda r: httpx.Response(302, headers={"location": "/a" if r.url.path == "/b" else "/b"}),
                 "https://a.example/a")
    assert loop.error_class == "redirect_loop" and len(loop.redirects) == 2

    def hops(req: httpx.Request) -> httpx.Response:
        n = int(req.url.path.strip("/") or 0)
        return httpx.Response(301, headers={"location": f"/{n + 1}"}) if n < 20 else html()
    long = fetch(hops, "https://a.example/0")
    assert long.error_class == "too_many_redirects" and len(long.redirects) == 11


@pytest.mark.parametrize("target", ["file:///etc/passwd", "javascript:alert(1)", "ftp://a.example/x"])
def test_redirects_to_non_http_targets_are_refused(target: str) -> None:
    res = fetch(lambda r: httpx.Response(301, headers={"location": target}), "https://a.example/a")
    assert res.error_class == "bad_redirect" and res.final_url == target


def test_transient_errors_are_retried_with_jittered_backoff() -> None:
    calls = iter([500, 503, 200])
    clock = FakeClock()
    res = fetch(lambda r: html(status=next(calls)), "https://a.example/", clock=clock, retries=2,
                backoff_base=1.0)
    assert res.status == 200 and res.attempts == 3
    assert len(clock.sleeps) == 2
    assert 0.5 <= clock.sleeps[0] <= 1.0 and 1.0 <= clock.sleeps[1] <= 2.0  # base·2ⁿ·U(0.5, 1)
    assert clock.sleeps[0] != 0.5 and clock.sleeps[1] != 1.0  # jittered


def test_a_backoff_never_waits_longer_than_a_retry_after_would() -> None:
    """``backoff_base = 1e9`` (31 years, a valid number of seconds) made a check sleep for
    decades on a 503 (found by the second reading's odd-values pass). A retry's wait is at
    most ``max_retry_after``, as a server's own Retry-After would be."""
    calls = iter([503, 503, 200])
    clock = FakeClock()
    res = fetch(lambda r: html(status=next(calls)), "https://a.example/", clock=clock, retries=2,
                backoff_base=1e9, max_retry_after=30)
    assert res.status == 200 and clock.sleeps == [30.0, 30.0]


def test_retries_are_bounded() -> None:
    count = 0

    def handler(req: httpx.Request) -> httpx.Response:
        nonlocal count
        count += 1
        raise httpx.ReadTimeout("slow", request=req)
    res = fetch(handler, "https://a.example/", retries=2)
    assert res.error_class == "timeout" and count == 3


def test_retry_after_pauses_only_that_host() -> None:
    clock = FakeClock()
    settings = make_settings("sqlite://", check={"host_interval": 0.0, "max_retry_after": 60})
    first = {"a.example": True}
    log: list[tuple[str, float]] = []

    def handler(req: httpx.Request) -> httpx.Response:
        log.append((req.url.host, clock.t))
        if req.url.host == "a.example" and first["a.example"]:
            first["a.example"] = False
            return html(status=429, **{"retry-after": "7"})
        return html()

    async def go() -> list[FetchResult]:
        async with LinkClient(settings, transport=httpx.MockTransport(handler), sleep=clock.sleep,
                              clock=clock) as client:
            return await client.fetch_all([FetchRequest("https://a.example/1"), FetchRequest("https://b.example/1")])
    results = asyncio.run(go())
    assert [r.status for r in results] == [200, 200]
    a_times = [t for h, t in log if h == "a.example"]
    assert a_times[1] - a_times[0] >= 7.0
    assert clock.sleeps == [7.0]  # one pause, for a.example only
    assert [h for h, _ in log] == ["a.example", "b.example", "a.example"]  # b did not wait behind it


def test_retry_after_beyond_the_cap_defers_the_host() -> None:
    res = fetch(lambda r: html(status=503, **{"retry-after": "3600"}), "https://a.example/", max_retry_after=60)
    assert res.status == 503 and res.attempts == 1


def test_retry_after_parsing() -> None:
    assert retry_after_seconds("5") == 5.0
    assert retry_after_seconds("-3") == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
    from datetime import datetime, timezone
    wall = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert retry_after_seconds("Thu, 01 Jan 2026 00:00:30 GMT", wall) == 30.0


def test_body_is_capped() -> None:
    big = b"<html><title>Big</title>" + b"x" * 5_000_000
    res = fetch(lambda r: streamed(200, big, **{"content-type": "text/html"}),
                "https://a.example/", max_body_bytes=10_000)
    assert len(res.body) == 10_000 and res.truncated


def test_gzip_bomb_is_capped_while_decoding() -> None:
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = comp.compress(b"\0" * 200_000_000) + comp.flush()
    assert len(bomb) < 300_000
    res = fetch(lambda r: streamed(200, bomb, **{"content-type": "text/html", "content-encoding": "gzip"}),
                "https://a.example/", max_body_bytes=50_000)
    assert res.status == 200 and len(res.body) == 50_000 and res.truncated


def test_gzip_page_is_decoded() -> None:
    body = gzip.compress(b"<title>Zipped</title><p>hello</p>")
    res = fetch(lambda r: streamed(200, body, **{"content-type": "text/html", "content-encoding": "gzip"}),
                "https://a.example/")
    assert res.body.startswith(b"<title>Zipped") and not res.truncated


def test_conditional_get_sends_validators() -> None:
    seen: dict[str, str] = {}

    def handler(req: httpx.Request) -> httpx.Response:
        seen.update(req.headers)
        return httpx.Response(304)
    settings = make_settings("sqlite://")

    async def go() -> FetchResult:
        async with LinkClient(settings, transport=httpx.MockTransport(handler)) as client:
            return await client.fetch(FetchRequest("https://a.example/", etag='"v1"',
                                                   last_modified="Mon, 01 Jan 2024 00:00:00 GMT"))
    assert asyncio.run(go()).status == 304
    assert seen["if-none-match"] == '"v1"' and seen["if-modified-since"].startswith("Mon")


def _caused(outer: Exception, cause: BaseException) -> Exception:
    """``outer`` raised ``from cause``, as httpx/httpcore chain the socket error."""
    outer.__cause__ = cause
    return outer


# Names come from the *types* in the exception chain, never from the message text: the
# messages below deliberately say something else.
@pytest.mark.parametrize("exc, name", [
    (_caused(httpx.ConnectError("x"), socket.gaierror(socket.EAI_NONAME, "no such name")), "dns"),
    (_caused(httpx.ConnectError("x"), socket.gaierror(socket.EAI_AGAIN, "try again")), "dns_temporary"),
    (_caused(httpx.ConnectError("x"), ConnectionRefusedError(111, "nope")), "refused"),
    (_caused(httpx.ConnectError("x"), OSError("All connection attempts failed")), "network"),
    (_caused(httpx.ConnectError("x"), _caused(OSError("all failed"),
                                              ExceptionGroup("attempts", [ConnectionRefusedError()]))), "refused"),
    (_caused(httpx.ConnectError("x"), ssl.SSLCertVerificationError("verify failed")), "tls"),
    (_caused(httpx.ConnectError("Name or service not known"), ssl.SSLError("handshake")), "tls"),
    (httpx.ConnectTimeout("t"), "connect_timeout"),
    (httpx.ReadTimeout("t"), "timeout"),
    (_caused(httpx.ReadError("x"), ConnectionResetError()), "reset"),
    (httpx.ReadError("x"), "reset"),
    (httpx.RemoteProtocolError("Server disconnected without sending a response."), "reset"),
    (_caused(httpx.RemoteProtocolError("x"), h11.RemoteProtocolError("illegal header")), "protocol"),
])
def test_errors_are_named(exc: Exception, name: str) -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        raise exc
    assert fetch(handler, "https://a.example/", retries=0).error_class == name
