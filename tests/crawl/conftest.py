"""Fixtures for the crawler tests: settings on this test's database, a fake clock, a
fake web (``httpx.MockTransport`` over a URL → response table)."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tracker.config import Settings, load_settings
from tracker.fetch.feeds import FeedClient, FeedFetch
from tracker.fetch.gate import LocalGates

API = "http://export.arxiv.test/api/query"
LISTING = "http://rss.arxiv.test/rss/"
YOUTUBE = "http://yt.test/feeds/videos.xml"
NOW = "2026-11-23T12:00:00Z"


def make_settings(db_url: str, **sections: Any) -> Settings:
    overrides: dict[str, Any] = {"database_url": db_url, "now": NOW, "check": {"host_interval": 0},
                                 "arxiv": {"api_url": API, "listing_url": LISTING, "min_interval": 0},
                                 "youtube": {"feed_url": YOUTUBE}}
    for name, values in sections.items():
        overrides[name] = {**overrides.get(name, {}), **values}
    return load_settings(env={}, overrides=overrides)


@pytest.fixture
def feed_settings(db_url: str) -> Settings:
    return make_settings(db_url)


class FakeClock:
    """Monotonic time that only moves when someone sleeps (``await clock.sleep(s)``)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.lock = threading.Lock()
        self.slept: list[float] = []

    def __call__(self) -> float:
        with self.lock:
            return self.now

    async def sleep(self, seconds: float) -> None:
        with self.lock:
            self.slept.append(seconds)
            self.now += max(0.0, seconds)
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


class Chunks(httpx.AsyncByteStream):
    """A streamed body (as from a socket), so the client's own streaming code runs."""

    def __init__(self, body: bytes, size: int = 16384) -> None:
        self.body, self.size = body, size

    async def __aiter__(self) -> Any:
        for start in range(0, len(self.body), self.size):
            yield self.body[start:start + self.size]


@dataclass
class FakeWeb:
    """URL → (status, body, headers) or a callable; logs every request it saw."""

    pages: dict[str, Any] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def add(self, url: str, body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.pages[url] = (status, body, headers or {"Content-Type": "application/xml"})

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        page = self.pages.get(str(request.url))
        if page is None:
            return httpx.Response(404, content=b"missing")
        if callable(page):
            response: httpx.Response = page(request)
            return response
        status, body, headers = page
        return httpx.Response(status, headers=headers, stream=Chunks(body))

    def client(self, settings: Settings, clock: FakeClock | None = None) -> SyncFeeds:
        clock = clock or FakeClock()
        return SyncFeeds(FeedClient(settings, transport=httpx.MockTransport(self.handler),
                                    gates=LocalGates(clock, clock.sleep), clock=clock, sleep=clock.sleep))


class SyncFeeds:
    """A ``FeedClient`` for synchronous tests: each ``fetch`` runs on its own event loop."""

    def __init__(self, client: FeedClient) -> None:
        self.client = client

    def fetch(self, url: str, **kwargs: Any) -> FeedFetch:
        return asyncio.run(self.client.fetch(url, **kwargs))

    def __enter__(self) -> SyncFeeds:
        return self

    def __exit__(self, *_exc: object) -> None:
        pass


@pytest.fixture
def web() -> FakeWeb:
    return FakeWeb()
