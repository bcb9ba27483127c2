"""The link checker's HTTP client: polite, bounded, and honest about what happened.

Owns: one ``LinkClient`` over ``httpx.AsyncClient`` with a global concurrency
limit, per-host concurrency and minimum spacing between request starts (both
overridable per host through ``settings.host(host)``), HEAD→GET fallback,
manual redirect following (loop and length limits; only http(s) targets),
reading at most a prefix of the body (streamed and decompressed by us, so a
2 GB body or a gzip bomb costs at most ``max_body_bytes``), a total deadline
per request (a slow drip returns the prefix it got), and within-run retries
with jittered exponential backoff (spacing attempt starts, so a timeout's own
wait counts); ``Retry-After`` pauses only that host.
Every failure becomes a ``FetchResult`` with an ``error_class``, never an
exception. Sleeping and the monotonic clock are injectable so tests need not
wait in real time.

Does not own: deciding what a response means (``tracker.links``), storage, or
which URLs are due.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

import httpx

from tracker import headers
from tracker.config import Settings
from tracker.fetch import body_decoder

__all__ = [
    "FetchRequest", "FetchResult", "Hop", "LinkClient", "Sleep", "Clock",
    "TRANSIENT_ERRORS", "REDIRECT_STATUSES", "TEXT_TYPES",
]

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: failures worth another try within the run (the server or the path may recover)
TRANSIENT_ERRORS = frozenset({"timeout", "connect_timeout", "reset", "refused", "network",
                              "dns_temporary", "protocol"})
#: failures that say more about our own connection than about the link
TEXT_TYPES = ("text/", "application/xhtml", "application/xml", "application/json", "application/rss",
              "application/atom")
_KEPT_HEADERS = ("content-type", "content-length", "etag", "last-modified", "retry-after",
                 "server", "cf-mitigated", "location", "content-encoding")
_CHUNK = 64 * 1024
_LOCATION = "x-tracker-location"


@dataclass(frozen=True)
class FetchRequest:
    """One URL to check; ``method="HEAD"`` when the body is not needed."""

    url: str
    method: str = "GET"
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Hop:
    """One redirect: the URL that answered and its status."""

    url: str
    status: int


@dataclass(frozen=True)
class FetchResult:
    """What one request chain produced (status or ``error_class``, never both missing)."""

    url: str
    method: str
    status: int | None
    final_url: str
    redirects: tuple[Hop, ...] = ()
    error_class: str | None = None
    error: str = ""
    elapsed: float = 0.0
    attempts: int = 1
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    truncated: bool = False


@dataclass
class _Single:
    status: int | None
    headers: dict[str, str]
    body: bytes = b""
    truncated: bool = False
    error_class: str | None = None
    error: str = ""
    sent_at: float = 0.0


class _HostGate:
    """Per-host politeness: a semaphore, spacing between starts, and a pause."""

    def __init__(self, concurrency: int, interval: float) -> None:
        self.sem = asyncio.Semaphore(max(1, concurrency))
        self.lock = asyncio.Lock()
        self.interval = interval
        self.next_start = 0.0
        self.paused_until = 0.0


class _Deferred(Exception):
    """The host asked us to stay away longer than ``max_retry_after``."""


def retry_after_seconds(value: str | None, wall_now: datetime | None = None) -> float | None:
    """``Retry-After`` in seconds. An HTTP date is compared with the real wall clock,
    because it is the server's clock, not ``TRACKER_NOW``, that wrote it."""
    return headers.retry_after_seconds(value, wall_now or datetime.now(timezone.utc))


def error_class_of(exc: BaseException) -> str:
    """Name an httpx/OS failure: ``dns``, ``refused``, ``tls``, ``timeout``, ``reset``…"""
    chain: list[BaseException] = []
    node: BaseException | None = exc
    while node is not None and len(chain) < 8:
        chain.append(node)
        node = node.__cause__ or node.__context__
    text = " ".join(repr(e) for e in chain).lower()
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "refused"
    if any(isinstance(e, ssl.SSLError) for e in chain):
        return "tls"
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect_timeout"
    if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
        return "timeout"
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        return "invalid_url"
    if "certificate" in text or "ssl" in text or "tls" in text or isinstance(exc, ssl.SSLError):
        return "tls"
    if isinstance(exc, httpx.ConnectError):
        if "name or service not known" in text or "nodename nor servname" in text \
                or "no address associated" in text or "errno -2" in text or "errno -5" in text:
            return "dns"
        if "temporary failure in name resolution" in text or "errno -3" in text:
            return "dns_temporary"
        if "refused" in text or "errno 111" in text:
            return "refused"
        if "unreachable" in text or "errno 101" in text or "errno 113" in text:
            return "network"
        return "network"
    if "reset" in text or "broken pipe" in text or "disconnected" in text \
            or isinstance(exc, (httpx.ReadError, httpx.WriteError)):
        return "reset"
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.LocalProtocolError)):
        return "protocol"
    return "error"


def _is_text(content_type: str) -> bool:
    ctype = content_type.split(";")[0].strip().lower()
    return not ctype or ctype.startswith(TEXT_TYPES)


class LinkClient:
    """Checks URLs politely; use as ``async with LinkClient(settings) as c: await c.fetch_all(...)``."""

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None,
                 sleep: Sleep | None = None, clock: Clock | None = None,
                 rng: random.Random | None = None, verify: bool | ssl.SSLContext = True) -> None:
        self.settings = settings
        self.cfg = settings.check
        self._sleep: Sleep = sleep or asyncio.sleep
        self._clock: Clock = clock or time.monotonic
        self._rng = rng or random.Random()
        self._global = asyncio.Semaphore(max(1, self.cfg.max_concurrency))
        self._gates: dict[str, _HostGate] = {}
        self.requests = 0
        self.requests_by_host: dict[str, int] = {}
        limits = httpx.Limits(max_connections=max(1, self.cfg.max_concurrency),
                              max_keepalive_connections=max(1, self.cfg.max_concurrency))
        self._client = httpx.AsyncClient(
            transport=transport, follow_redirects=False, limits=limits, verify=verify,
            timeout=httpx.Timeout(self.cfg.timeout, pool=None), trust_env=False,
            event_hooks={"response": [_hide_location]},
            headers={"User-Agent": self.cfg.user_agent, "Accept-Encoding": "gzip, deflate",
                     "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
        )

    async def __aenter__(self) -> LinkClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    # -- politeness --------------------------------------------------------
    def _gate(self, host: str) -> _HostGate:
        gate = self._gates.get(host)
        if gate is None:
            over = self.settings.host(host)
            conc = over.host_concurrency if over.host_concurrency is not None else self.cfg.host_concurrency
            interval = over.host_interval if over.host_interval is not None else self.cfg.host_interval
            gate = self._gates[host] = _HostGate(conc, interval)
        return gate

    def _timeout(self, host: str) -> float:
        over = self.settings.host(host).timeout
        return over if over is not None else self.cfg.timeout

    def pause_host(self, host: str, seconds: float) -> None:
        """No request to ``host`` starts within ``seconds`` from now (Retry-After)."""
        gate = self._gate(host)
        gate.paused_until = max(gate.paused_until, self._clock() + seconds)

    async def _wait_turn(self, host: str, gate: _HostGate) -> None:
        """Wait out any pause of the host, then reserve its next start time and sleep until it."""
        while True:
            async with gate.lock:
                now = self._clock()
                paused = gate.paused_until - now
                if paused <= 0:
                    start = max(now, gate.next_start)
                    gate.next_start = start + gate.interval
                    break
                if paused > self.cfg.max_retry_after:
                    raise _Deferred(f"{host} asked us to wait {paused:.0f} s")
            await self._sleep(paused)
        if start > now:
            await self._sleep(start - now)

    # -- one request -------------------------------------------------------
    async def _once(self, method: str, url: str, headers: Mapping[str, str]) -> _Single:
        host = (urlsplit(url).hostname or "").lower()
        gate = self._gate(host)
        async with gate.sem:
            try:
                await self._wait_turn(host, gate)
            except _Deferred as exc:
                return _Single(None, {}, error_class="deferred", error=str(exc))
            async with self._global:
                self.requests += 1
                self.requests_by_host[host] = self.requests_by_host.get(host, 0) + 1
                sent_at = self._clock()
                single = await self._send(method, url, headers, self._timeout(host))
                single.sent_at = sent_at
                return single

    async def _send(self, method: str, url: str, headers: Mapping[str, str], timeout: float) -> _Single:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            request = self._client.build_request(method, url, headers=dict(headers),
                                                 timeout=httpx.Timeout(timeout, pool=None))
            async with asyncio.timeout_at(deadline):
                response = await self._client.send(request, stream=True)
        except (httpx.HTTPError, httpx.InvalidURL, OSError, TimeoutError, ValueError) as exc:
            return _Single(None, {}, error_class=error_class_of(exc), error=_describe(exc))
        try:
            kept = {k: response.headers[k] for k in _KEPT_HEADERS if k in response.headers}
            if _LOCATION in response.headers:
                kept["location"] = response.headers[_LOCATION]
            single = _Single(response.status_code, kept)
            wants_body = (method == "GET" and response.status_code not in REDIRECT_STATUSES
                          and _is_text(kept.get("content-type", "")))
            if wants_body:
                single.body, single.truncated = await self._read_prefix(response, deadline)
            return single
        finally:
            await response.aclose()

    async def _read_prefix(self, response: httpx.Response, deadline: float) -> tuple[bytes, bool]:
        """At most ``max_body_bytes`` of decoded body, stopping at the deadline."""
        cap = max(0, self.cfg.max_body_bytes)
        if response.is_stream_consumed:  # an in-memory response (tests, mock transports)
            return response.content[:cap], len(response.content) > cap
        try:
            decoder = body_decoder(response.headers.get("content-encoding"))
        except zlib.error:
            return b"", True  # an encoding we did not ask for: no text to judge
        out = bytearray()
        try:
            async with asyncio.timeout_at(deadline):
                async for chunk in response.aiter_raw(_CHUNK):
                    if decoder is not None:
                        chunk = decoder.decompress(chunk, cap - len(out) + 1)
                    out += chunk
                    if len(out) > cap:
                        return bytes(out[:cap]), True
                    if decoder is not None and decoder.unconsumed_tail:
                        return bytes(out[:cap]), True
        except (TimeoutError, httpx.HTTPError, OSError, zlib.error):
            return bytes(out[:cap]), True  # slow drip, reset or corrupt stream: keep the prefix
        return bytes(out), False

    # -- retries -----------------------------------------------------------
    def _transient(self, single: _Single) -> bool:
        if single.error_class is not None:
            return single.error_class in TRANSIENT_ERRORS
        status = single.status or 0
        return status in (408, 429) or 500 <= status <= 599

    async def _with_retries(self, method: str, url: str, headers: Mapping[str, str]) -> tuple[_Single, int]:
        host = (urlsplit(url).hostname or "").lower()
        attempts = 0
        while True:
            single = await self._once(method, url, headers)
            attempts += 1
            head_refused = method == "HEAD" and (single.status or 0) >= 400 and single.status != 429
            if head_refused or not self._transient(single) or attempts > self.cfg.retries:
                return single, attempts
            wait = retry_after_seconds(single.headers.get("retry-after"))
            if wait is not None:
                self.pause_host(host, wait)  # our retry waits for it in _wait_turn
                if wait > self.cfg.max_retry_after:
                    return single, attempts
            else:
                # "equal jitter": half the exponential step fixed, half random
                step = self.cfg.backoff_base * (2 ** (attempts - 1))
                delay = step / 2 + self._rng.uniform(0.0, step / 2)
                if single.error_class in ("timeout", "connect_timeout"):
                    # a timed-out attempt has already waited: space attempt *starts* by the backoff
                    delay -= self._clock() - single.sent_at
                if delay > 0:
                    await self._sleep(delay)

    # -- a whole chain -----------------------------------------------------
    async def fetch(self, req: FetchRequest) -> FetchResult:
        """Follow ``req.url`` to its final answer; failures are results, not exceptions."""
        started = self._clock()
        method, url = req.method.upper(), req.url
        headers: dict[str, str] = {}
        if req.etag:
            headers["If-None-Match"] = req.etag
        if req.last_modified:
            headers["If-Modified-Since"] = req.last_modified
        hops: list[Hop] = []
        seen = {url}
        total_attempts = 0

        def result(single: _Single, final: str, error_class: str | None = None, error: str = "") -> FetchResult:
            return FetchResult(req.url, method, single.status, final, tuple(hops),
                               error_class or single.error_class, error or single.error,
                               self._clock() - started, total_attempts, single.headers,
                               single.body, single.truncated)

        while True:
            if urlsplit(url).scheme.lower() not in ("http", "https"):
                return result(_Single(None, {}), url, "invalid_url", f"not an http(s) URL: {url}")
            single, attempts = await self._with_retries(method, url, headers)
            total_attempts += attempts
            if single.error_class is not None:
                return result(single, url)
            status = single.status or 0
            if method == "HEAD" and status >= 400 and status != 429:
                method = "GET"  # many servers refuse or mishandle HEAD: ask again properly
                continue
            location = single.headers.get("location", "").strip()
            if status not in REDIRECT_STATUSES or not location:
                return result(single, url)
            hops.append(Hop(url, status))
            target = urljoin(url, location)
            if urlsplit(target).scheme.lower() not in ("http", "https"):
                return result(single, target, "bad_redirect",
                              target[:200])
            if target in seen:
                return result(single, target, "redirect_loop", f"redirect loop back to {target}")
            if len(hops) > self.cfg.max_redirects:
                return result(single, target, "too_many_redirects",
                              f"more than {self.cfg.max_redirects} redirects")
            seen.add(target)
            url = target
            if status == 303 and method != "HEAD":
                method = "GET"

    async def fetch_all(self, requests: Iterable[FetchRequest],
                        on_result: Callable[[FetchResult], None] | None = None) -> list[FetchResult]:
        """Fetch every request concurrently (within the limits); results in input order."""
        async def one(req: FetchRequest) -> FetchResult:
            res = await self.fetch(req)
            if on_result is not None:
                on_result(res)
            return res
        return list(await asyncio.gather(*(one(r) for r in requests)))


async def _hide_location(response: httpx.Response) -> None:
    """We follow redirects ourselves; httpx would still parse ``Location`` and raise on a
    ``javascript:`` target, so the header is moved out of its sight."""
    if "location" in response.headers:
        response.headers[_LOCATION] = response.headers["location"]
        del response.headers["location"]


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0][:300]
