"""The feed HTTP client on a fake web and a fake clock: validators, caps, redirects,
arXiv spacing and exclusivity, Retry-After. No real waiting anywhere."""

from __future__ import annotations

import asyncio
import gzip

import httpx

from tests.crawl.conftest import API, LISTING, FakeClock, FakeWeb, make_settings
from tracker.fetch.feeds import FeedClient, FeedFetch
from tracker.fetch.gate import HostRule, LocalGates


def test_validators_are_echoed_exactly(web: FakeWeb) -> None:
    settings = make_settings("sqlite://")
    etag, modified = 'W/"5f1e-Ab/c+d"', "Tue, 03 Nov 2026 07:28:00 GMT"
    web.add("https://b.example/feed", b"<rss/>", headers={"ETag": etag, "Last-Modified": modified})
    with web.client(settings) as client:
        first = client.fetch("https://b.example/feed")
        assert (first.outcome, first.etag, first.last_modified) == ("fetched", etag, modified)
        web.add("https://b.example/feed", b"", status=304)
        second = client.fetch("https://b.example/feed", etag=first.etag, last_modified=first.last_modified)
    assert second.outcome == "not_modified" and second.body == b""
    assert "if-none-match" not in web.requests[0].headers
    assert web.requests[1].headers["If-None-Match"] == etag
    assert web.requests[1].headers["If-Modified-Since"] == modified


def test_304_without_validators_is_an_error(web: FakeWeb) -> None:
    web.add("https://b.example/feed", b"", status=304)
    with web.client(make_settings("sqlite://")) as client:
        result = client.fetch("https://b.example/feed")
    assert result.outcome == "error" and "without validators" in result.error


def test_size_caps_by_header_by_stream_and_for_gzip_bombs(web: FakeWeb) -> None:
    settings = make_settings("sqlite://", crawl={"max_body_bytes": 1000})

    def streamed(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=iter([b"x" * 600] * 5))  # no Content-Length

    web.add("https://b.example/declared", b"x" * 2000)
    web.pages["https://b.example/streamed"] = streamed
    web.add("https://b.example/bomb", gzip.compress(b"\0" * 5_000_000),
            headers={"Content-Encoding": "gzip", "Content-Type": "application/xml"})
    web.add("https://b.example/small", gzip.compress(b"<rss/>"), headers={"Content-Encoding": "gzip"})
    with web.client(settings) as client:
        for path in ("declared", "streamed", "bomb"):
            result = client.fetch(f"https://b.example/{path}")
            assert (result.outcome, result.error_class) == ("error", "too_large"), path
        assert client.fetch("https://b.example/small").body == b"<rss/>"


def test_same_host_redirects_followed_other_hosts_refused(web: FakeWeb) -> None:
    web.add("http://b.example/feed", b"", status=301, headers={"Location": "https://b.example/feed.xml"})
    web.add("https://b.example/feed.xml", b"<rss/>")
    web.add("https://b.example/moved", b"", status=302, headers={"Location": "https://evil.example/feed"})
    web.add("https://b.example/loop", b"", status=302, headers={"Location": "/loop"})
    with web.client(make_settings("sqlite://")) as client:
        ok = client.fetch("http://b.example/feed")
        assert (ok.outcome, ok.final_url, ok.body) == ("fetched", "https://b.example/feed.xml", b"<rss/>")
        moved = client.fetch("https://b.example/moved")
        assert moved.outcome == "error" and "another host: https://evil.example/feed" in moved.error
        assert client.fetch("https://b.example/loop").error_class == "redirect_loop"
    assert not any(r.url.host == "evil.example" for r in web.requests)


def test_network_failures_are_results(web: FakeWeb) -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    web.pages["https://t.example/feed"] = timeout
    web.pages["https://r.example/feed"] = refused
    with web.client(make_settings("sqlite://")) as client:
        assert client.fetch("https://t.example/feed").error_class == "timeout"
        assert client.fetch("https://r.example/feed").error_class == "network"  # no OS cause: unreachable
        assert client.fetch("https://n.example/feed").error == "HTTP 404 Not Found"


def test_arxiv_requests_are_3s_apart_and_never_concurrent() -> None:
    """API and listing hosts share one gate key: measured on a fake clock, all polls at once."""
    clock = FakeClock()
    settings = make_settings("sqlite://", arxiv={"min_interval": 3.0})
    starts: list[tuple[float, str]] = []
    active, peak = [0], [0]

    async def handler(request: httpx.Request) -> httpx.Response:
        active[0] += 1
        peak[0] = max(peak[0], active[0])
        starts.append((clock(), request.url.host))
        await asyncio.sleep(0.005)  # widen the window in which a second request could overlap
        active[0] -= 1
        return httpx.Response(200, content=b"<feed/>")

    urls = [f"{API}?search_query=q{i}" for i in range(4)] + [f"{LISTING}cs.CL{i}" for i in range(4)]
    urls.append("http://other.example/feed")  # not arXiv: not held by the arXiv key
    client = FeedClient(settings, transport=httpx.MockTransport(handler), gates=LocalGates(clock, clock.sleep),
                        clock=clock, sleep=clock.sleep)

    async def go() -> list[FeedFetch]:
        return list(await asyncio.gather(*(client.fetch(u) for u in urls)))
    results = asyncio.run(go())
    assert all(r.outcome == "fetched" for r in results)
    arxiv = sorted(t for t, host in starts if host.endswith("arxiv.test"))
    assert len(arxiv) == 8 and {h for _t, h in starts} >= {"export.arxiv.test", "rss.arxiv.test"}
    assert all(b - a >= 3.0 for a, b in zip(arxiv, arxiv[1:])), arxiv
    assert peak[0] <= 2  # the non-arXiv host may overlap one arXiv call, two arXiv calls never do


def test_a_gate_with_one_slot_is_exclusive_and_spaced() -> None:
    clock = FakeClock()
    gates = LocalGates(clock, clock.sleep)
    rule = HostRule(1, 3.0, after_end=True)
    inside, peak = [0], [0]

    async def work() -> None:
        slot = await gates.acquire("arxiv", rule)
        gates.started(slot)
        inside[0] += 1
        peak[0] = max(peak[0], inside[0])
        await asyncio.sleep(0.001)
        inside[0] -= 1
        gates.release(slot)

    async def go() -> None:
        await asyncio.gather(*(work() for _ in range(12)))
    asyncio.run(go())
    assert peak[0] == 1 and clock.now >= 1000.0 + 3.0 * 11


def test_retry_after_keeps_the_host_away(web: FakeWeb) -> None:
    clock = FakeClock()
    settings = make_settings("sqlite://")
    web.add("https://busy.example/a", b"slow down", status=429, headers={"Retry-After": "120"})
    web.add("https://busy.example/b", b"<rss/>")
    web.add("https://calm.example/c", b"<rss/>")
    with web.client(settings, clock=clock) as client:
        first = client.fetch("https://busy.example/a")
        assert (first.outcome, first.status, first.retry_after) == ("error", 429, 120.0)
        contacted = len(web.requests)
        for step in (1, 60, 58.9):  # t = +1, +61, +119.9 s
            clock.advance(step)
            result = client.fetch("https://busy.example/b")
            assert result.outcome == "deferred" and result.requests == 0
            assert client.fetch("https://calm.example/c").outcome == "fetched"  # other hosts unaffected
        assert [r.url.host for r in web.requests[contacted:]] == ["calm.example"] * 3
        clock.advance(0.1)  # t = +120 s: allowed again
        assert client.fetch("https://busy.example/b").outcome == "fetched"
