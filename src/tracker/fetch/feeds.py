"""The feed poller's HTTP client: conditional, polite, bounded.

Owns: ``FeedClient.fetch(url, etag, last_modified)`` → ``FeedFetch`` (never an
exception for a network or HTTP failure: those are results with an
``error_class``). It sends ``If-None-Match`` / ``If-Modified-Since`` exactly as the
server sent the validators; follows redirects only within the same host (a feed
that moved to another host is reported, not followed); streams and decompresses
the body itself so neither a 50 MB feed nor a gzip bomb costs more than
``[crawl] max_body_bytes``; enforces a total deadline (``[crawl] timeout``) even
against a server that drips bytes; remembers ``Retry-After`` per host so a host
that said "wait 120 s" is not contacted again before then; and keeps one request
at a time per host. arXiv (API and listing hosts alike) goes through one
``ArxivGate``: one connection at a time, each request starting at least
``[arxiv] min_interval`` (3 s) after the previous one ended. Clock and sleep are
injectable, so tests measure spacing on a fake clock instead of waiting.

Does not own: parsing bodies, deciding next-poll times, storage.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

import httpx

from tracker.config import Settings
from tracker.headers import retry_after_seconds
from tracker.fetch import body_decoder

__all__ = ["ArxivGate", "FeedClient", "FeedFetch", "shared_arxiv_gate", "ARXIV_HOSTS",
           "Clock", "Sleep"]

Clock = Callable[[], float]
Sleep = Callable[[float], None]

ARXIV_HOSTS = frozenset({"arxiv.org", "export.arxiv.org", "rss.arxiv.org", "www.arxiv.org"})
ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json;q=0.9, "
          "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5")
ERROR_BODY_BYTES = 64 * 1024
_KEPT = ("content-type", "content-length", "etag", "last-modified", "cache-control", "expires",
         "date", "age", "retry-after", "location", "content-encoding")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class ArxivGate:
    """One arXiv exchange at a time; each starts ≥ ``interval`` s after the previous ended."""

    def __init__(self, interval: float = 3.0, clock: Clock = time.monotonic,
                 sleep: Sleep = time.sleep) -> None:
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._last_end: float | None = None

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._lock:
            if self._last_end is not None:
                wait = self._last_end + self.interval - self.clock()
                if wait > 0:
                    self.sleep(wait)
            try:
                yield
            finally:
                self._last_end = self.clock()


_shared_lock = threading.Lock()
_shared: dict[float, ArxivGate] = {}


def shared_arxiv_gate(interval: float) -> ArxivGate:
    """The process-wide gate, so two crawls in one process still space their arXiv calls."""
    with _shared_lock:
        return _shared.setdefault(interval, ArxivGate(interval))


@dataclass(frozen=True)
class FeedFetch:
    """What one poll produced. ``outcome``: fetched, not_modified, error or deferred."""

    url: str
    outcome: str
    final_url: str = ""
    status: int | None = None
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    error: str = ""
    error_class: str = ""
    retry_after: float | None = None
    requests: int = 0

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


class _TooLarge(Exception):
    pass


class _Deadline(Exception):
    pass


def _same_site(a: str, b: str) -> bool:
    return a.removeprefix("www.") == b.removeprefix("www.")


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


class FeedClient:
    """A synchronous httpx client for polling feeds (one per crawl run; thread-safe)."""

    def __init__(self, settings: Settings, *, transport: httpx.BaseTransport | None = None,
                 clock: Clock = time.monotonic, sleep: Sleep = time.sleep,
                 timer: Clock = time.monotonic, arxiv_gate: ArxivGate | None = None) -> None:
        crawl = settings.crawl
        self.max_body_bytes = crawl.max_body_bytes
        self.timeout = crawl.timeout
        self.max_redirects = crawl.max_redirects
        self.max_wait = crawl.max_interval.total_seconds()
        self.clock = clock
        self.timer = timer
        self.gate = arxiv_gate or shared_arxiv_gate(settings.arxiv.min_interval)
        self.arxiv_hosts = set(ARXIV_HOSTS) | {
            h for h in (_host(settings.arxiv.api_url), _host(settings.arxiv.listing_url)) if h
        }
        self._client = httpx.Client(
            transport=transport, follow_redirects=False, trust_env=False,
            timeout=httpx.Timeout(crawl.timeout),
            headers={"User-Agent": crawl.user_agent, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"},
        )
        self._lock = threading.Lock()
        self._host_locks: dict[str, threading.Lock] = {}
        self._blocked_until: dict[str, float] = {}

    # -- context management -------------------------------------------
    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> FeedClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- politeness ----------------------------------------------------
    def is_arxiv(self, host: str) -> bool:
        return host in self.arxiv_hosts or host.endswith(".arxiv.org")

    def block_host(self, host: str, seconds: float) -> None:
        """Do not contact ``host`` for ``seconds`` (a Retry-After, possibly from an earlier run)."""
        until = self.clock() + min(seconds, self.max_wait)
        with self._lock:
            self._blocked_until[host] = max(until, self._blocked_until.get(host, 0.0))

    def blocked_for(self, host: str) -> float:
        with self._lock:
            return max(0.0, self._blocked_until.get(host, 0.0) - self.clock())

    @contextmanager
    def _slot(self, host: str) -> Iterator[None]:
        if self.is_arxiv(host):
            with self.gate.slot():
                yield
            return
        with self._lock:
            lock = self._host_locks.setdefault(host, threading.Lock())
        with lock:
            yield

    # -- the exchange --------------------------------------------------
    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FeedFetch:
        """Poll ``url`` once (following same-host redirects). Never raises for HTTP trouble."""
        origin = _host(url)
        conditional = bool(etag or last_modified)
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current, requests = url, 0
        for _hop in range(self.max_redirects + 1):
            host = _host(current)
            wait = self.blocked_for(host)
            if wait > 0:
                return FeedFetch(url, "deferred", current, error_class="retry_after", retry_after=wait,
                                 error=f"{host} asked us to wait; {wait:.0f} s left (Retry-After)",
                                 requests=requests)
            with self._slot(host):
                requests += 1
                result = self._exchange(url, current, headers, conditional)
            result = replace(result, requests=requests)
            if result.outcome != "redirect":
                if result.retry_after is not None:
                    self.block_host(host, result.retry_after)
                return result
            target = urljoin(current, result.headers.get("location", ""))
            if urlsplit(target).scheme not in ("http", "https"):
                return FeedFetch(url, "error", current, result.status, error_class="redirect",
                                 error=f"redirect to a non-http(s) URL {target!r}", requests=requests)
            if not _same_site(_host(target), origin):
                return FeedFetch(url, "error", current, result.status, error_class="redirect",
                                 error=f"redirected to another host: {target} (if the feed moved, "
                                       "add it again under its new URL)", requests=requests)
            current = target
        return FeedFetch(url, "error", current, error_class="redirect",
                         error=f"more than {self.max_redirects} redirects", requests=requests)

    def _exchange(self, url: str, current: str, headers: dict[str, str], conditional: bool) -> FeedFetch:
        deadline = self.timer() + self.timeout
        try:
            with self._client.stream("GET", current, headers=headers) as response:
                status = response.status_code
                kept = {k: response.headers[k] for k in _KEPT if k in response.headers}
                etag, modified = kept.get("etag"), kept.get("last-modified")
                if status in _REDIRECTS and "location" in kept:
                    return FeedFetch(url, "redirect", current, status, headers=kept)
                if status == 304:
                    if not conditional:
                        return FeedFetch(url, "error", current, status, headers=kept, error_class="protocol",
                                         error="HTTP 304 Not Modified to a request without validators")
                    return FeedFetch(url, "not_modified", current, status, headers=kept,
                                     etag=etag, last_modified=modified)
                if 200 <= status < 300 and status != 204:
                    length = kept.get("content-length", "")
                    if length.isdigit() and int(length) > self.max_body_bytes:
                        raise _TooLarge(length)
                    body = self._read(response, self.max_body_bytes, deadline)
                    return FeedFetch(url, "fetched", current, status, body, kept, etag, modified)
                retry = retry_after_seconds(kept.get("retry-after"), datetime.now(timezone.utc)) if status in (429, 503) else None
                try:
                    body = self._read(response, ERROR_BODY_BYTES, deadline)
                except (_TooLarge, _Deadline, zlib.error, httpx.HTTPError):
                    body = b""
                reason = response.reason_phrase or ""
                return FeedFetch(url, "error", current, status, body, kept, error_class=f"http_{status}",
                                 error=f"HTTP {status} {reason}".strip(), retry_after=retry)
        except _TooLarge:
            return FeedFetch(url, "error", current, error_class="too_large",
                             error=f"feed larger than {self.max_body_bytes} bytes ([crawl] max_body_bytes)")
        except _Deadline:
            return FeedFetch(url, "error", current, error_class="timeout",
                             error=f"no complete response within {self.timeout:g} s ([crawl] timeout)")
        except httpx.ConnectTimeout:
            return FeedFetch(url, "error", current, error_class="timeout", error="connection timed out")
        except httpx.TimeoutException:
            return FeedFetch(url, "error", current, error_class="timeout",
                             error=f"no response within {self.timeout:g} s")
        except httpx.ConnectError as exc:
            return FeedFetch(url, "error", current, error_class="connect", error=f"cannot connect: {exc}")
        except zlib.error as exc:
            return FeedFetch(url, "error", current, error_class="decode", error=f"bad compressed body: {exc}")
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            return FeedFetch(url, "error", current, error_class="network",
                             error=f"{type(exc).__name__}: {exc}"[:300])

    def _read(self, response: httpx.Response, cap: int, deadline: float) -> bytes:
        """The decoded body, at most ``cap`` bytes (else ``_TooLarge``), before ``deadline``."""
        decoder = body_decoder(response.headers.get("content-encoding"))
        if response.is_stream_consumed:  # a transport that pre-read (and decoded) the body
            if len(response.content) > cap:
                raise _TooLarge()
            return response.content
        out = bytearray()
        for chunk in response.iter_raw():  # as it arrives, so the deadline is checked per read
            if self.timer() > deadline:
                raise _Deadline()
            if decoder is None:
                out += chunk
            else:
                pending = chunk
                while pending:
                    out += decoder.decompress(pending, cap + 1 - len(out))
                    if len(out) > cap:
                        raise _TooLarge()
                    pending = decoder.unconsumed_tail
            if len(out) > cap:
                raise _TooLarge()
        if decoder is not None:
            out += decoder.flush()
            if len(out) > cap:
                raise _TooLarge()
        return bytes(out)
