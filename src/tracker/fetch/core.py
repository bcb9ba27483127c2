"""The one HTTP core: every request tracker sends goes through ``HttpCore.fetch``.

Owns, for every caller (link checker, feed poller, archive look-ups, URL import,
network canaries):

- politeness through one ``HostGates`` (``shared_gates()`` by default): the
  in-flight limit, the gap between request starts *as the server sees them*
  (a start is marked when the request headers go on the wire, including
  retries and probes) and ``Retry-After`` pauses of a host for everyone;
- one small pool of keep-alive connections per host (``fetch.wire``: HTTP/1.1
  parsed by llhttp in ``fetch.connection``, no httpx request/response objects
  per exchange; a transport passed in by a caller, such as a test's
  ``MockTransport``, is used through httpx: ``fetch.httpx_transport``), so a
  request never scans the connections of other hosts; one shared TLS context;
  idle pools closed beyond a bound;
- one overall deadline per request (connect, headers and body together;
  httpx's own timeouts are per read and a server sending a header line per
  second would outlive them), enforced by the wire (``fetch.wire``), which at the
  deadline still takes an answer that has already arrived — after a loop stalled
  past the deadline, the ``asyncio.timeout`` that used to wrap the exchange
  called such an answer a timeout. A caller's transport is still cancelled by an
  ``asyncio.timeout``: its socket is its own (a ``MockTransport`` answers from
  memory without suspending, so no stall comes between);
- the decoded-size cap (streamed and decompressed by ``fetch.answer``: a gzip
  bomb costs at most the cap) — a prefix for callers that judge text, an error
  for callers that need the whole body;
- one redirect loop (only http(s) targets, loop and length limits, no hop from
  a public address into a private one, then the caller's own rule); such a hop
  is checked twice: on the resolver's answer before it is requested (the clear,
  early refusal) and on the wire, which connects it only to public addresses
  (the answer of the lookup actually connected with, so DNS rebinding cannot
  slip past the first check) and never over a kept-alive private connection;
- retries with jittered exponential backoff for transient failures;
- ``ErrorClass`` names from the exception chain (``fetch.errors``).

Failures are ``FetchResult`` values, never exceptions. Clock, sleep, gates,
transport and resolver are injectable. Does not own: the values callers pass and
get back (``fetch.model``), what an answer means, which URLs to fetch, storage.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from tracker.fetch.addresses import HostAddresses, Resolver, system_resolver
from tracker.fetch.answer import kept_headers, read_chunks
from tracker.fetch.connection import tls_context
from tracker.fetch.errors import (TRANSIENT_ERRORS, ErrorClass, UnsupportedTarget, classify_exception, describe,
                                  exchange_errors)
from tracker.fetch.gate import Clock, Deferred, HostGates, LocalGates, Sleep, shared_gates
from tracker.fetch.model import REDIRECT_STATUSES, FetchRequest, FetchResult, Hop, Policy, retry_after_seconds
from tracker.fetch.wire import Exchange, WirePool, request_head, target_of

if TYPE_CHECKING:  # httpx is imported only by callers that bring a transport (tests) or odd URLs
    import httpx

__all__ = ["HttpCore", "MAX_PAUSE"]

#: the longest Retry-After pause we honour for a host (longer answers are capped)
MAX_PAUSE = 24 * 3600.0
_MAX_POOLS = 256


@dataclass
class _Single:
    status: int | None
    headers: dict[str, str]
    body: bytes = b""
    truncated: bool = False
    error_class: ErrorClass | None = None
    error: str = ""
    sent_at: float = 0.0
    retry_after: float | None = None
    cut_short: bool = False


class _PausedMeanwhile(Exception):
    """The host was paused between admission and sending: the request is withdrawn unsent."""


class HttpCore:
    """``async with HttpCore() as core: await core.fetch(policy, FetchRequest(url))``."""

    def __init__(self, *, gates: HostGates | None = None, transport: httpx.AsyncBaseTransport | None = None,
                 verify: bool | ssl.SSLContext = True, clock: Clock | None = None, sleep: Sleep | None = None,
                 rng: random.Random | None = None, resolver: Resolver | None = None,
                 max_concurrency: int | None = None) -> None:
        if gates is None:
            gates = LocalGates(clock, sleep) if (clock is not None or sleep is not None) else shared_gates()
        self.gates = gates
        self._clock: Clock = clock or time.monotonic
        self._sleep: Sleep = sleep or asyncio.sleep
        self._rng = rng or random.Random()
        self._shared_transport = transport
        self._verify = verify
        self._ssl: ssl.SSLContext | None = verify if isinstance(verify, ssl.SSLContext) else None
        self._pools: OrderedDict[tuple[str, str, int], WirePool] = OrderedDict()
        self._busy: dict[tuple[str, str, int], int] = {}
        self._max_concurrency = max_concurrency
        self._global: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.addresses = HostAddresses(resolver if resolver is not None
                                       else (system_resolver if transport is None else None))
        self.requests = 0
        self.requests_by_host: dict[str, int] = {}

    async def __aenter__(self) -> HttpCore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._loop is not asyncio.get_running_loop():
            self._pools = OrderedDict()  # made on a loop that has ended: nothing left to close
        pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            pool.close()
        if self._shared_transport is not None:
            await self._shared_transport.aclose()

    # -- pools ---------------------------------------------------------------
    def _bind_loop(self) -> None:
        """A core may serve several ``asyncio.run`` calls in turn (a crawl per run): pools and
        the global semaphore belong to one event loop, so a new loop gets new ones."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop = loop
            self._pools = OrderedDict()  # connections of a finished loop cannot be reused
            self._busy = {}
            self._global = asyncio.Semaphore(self._max_concurrency) if self._max_concurrency else None

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = tls_context(bool(self._verify))
        return self._ssl

    def _pool(self, key: tuple[str, str, int]) -> WirePool:
        pool = self._pools.get(key)
        if pool is not None:
            self._pools.move_to_end(key)
            return pool
        pool = WirePool(key[0], key[1], key[2], self._ssl_context() if key[0] == "https" else None)
        self._pools[key] = pool
        if len(self._pools) > _MAX_POOLS:  # close the least recently used idle pool
            for old in list(self._pools):
                if old != key and not self._busy.get(old):
                    self._pools.pop(old).close()
                    break
        return pool

    # -- one exchange --------------------------------------------------------
    async def _once(self, policy: Policy, method: str, url: str, host: str, headers: Mapping[str, str],
                    public_only: bool = False) -> _Single:
        self._bind_loop()
        key = policy.gate_key(host)
        while True:
            try:
                slot = await self.gates.acquire(key, policy.rule_for(host), policy.max_wait)
            except Deferred as exc:
                return _Single(None, {}, error_class=ErrorClass.DEFERRED, error=str(exc),
                               retry_after=exc.remaining)
            try:
                if self._global is not None:
                    async with self._global:
                        return await self._exchange(policy, method, url, headers, host, slot, public_only)
                return await self._exchange(policy, method, url, headers, host, slot, public_only)
            except _PausedMeanwhile:
                continue  # nothing was sent: queue again behind the pause
            finally:
                self.gates.release(slot)

    async def _exchange(self, policy: Policy, method: str, url: str, headers: Mapping[str, str],
                        host: str, slot: Any, public_only: bool = False) -> _Single:
        self.requests += 1
        self.requests_by_host[host] = self.requests_by_host.get(host, 0) + 1
        timeout = policy.timeout_for(host)
        gates = self.gates
        key = policy.gate_key(host)
        phase = "connect"
        out = bytearray()
        single = _Single(None, {}, sent_at=self._clock())
        exchange: Exchange | None = None
        response: httpx.Response | None = None
        pool_key: tuple[str, str, int] | None = None
        try:
            deadline = asyncio.get_running_loop().time() + timeout
            # the wire keeps the deadline itself (fetch.wire); a caller's transport is cancelled at it
            async with asyncio.timeout_at(deadline if self._shared_transport is not None else None):
                if self._shared_transport is None:
                    target = target_of(url)
                    if target.scheme not in ("http", "https"):
                        raise UnsupportedTarget(f"not an http(s) URL: {url[:200]}")
                    pool_key = (target.scheme, target.host, target.port)
                    self._busy[pool_key] = self._busy.get(pool_key, 0) + 1
                    data = request_head(method, target.target, target.netloc, headers)
                    exchange = await self._pool(pool_key).exchange(public_only, deadline)
                    if gates.paused_for(key) > 0:
                        raise _PausedMeanwhile()  # a Retry-After arrived while we were connecting
                    exchange.send(method, data, deadline)
                    # the bytes are with the kernel: the next start on this host counts from here
                    gates.started(slot)
                    phase = "wait"
                    single.status, raw_headers = await exchange.head()
                    single.headers = kept_headers(raw_headers)
                    chunks: Any = exchange.body()
                else:  # a caller's transport (tests): through httpx, started when its trace says so
                    from tracker.fetch import httpx_transport

                    async def trace(name: str, info: Mapping[str, Any]) -> None:
                        if name.endswith("send_request_headers.started") and gates.paused_for(key) > 0:
                            raise _PausedMeanwhile()
                        if name.endswith("send_request_headers.complete"):
                            gates.started(slot)

                    response = await httpx_transport.send(self._shared_transport, method, url, headers, timeout, trace)
                    gates.started(slot)
                    phase = "wait"
                    single.status = response.status_code
                    single.headers = httpx_transport.kept_headers(response)
                    chunks = httpx_transport.raw_chunks(response)
                phase = "body"
                limit = None if single.status in REDIRECT_STATUSES else \
                    policy.body_limit(method, single.status, single.headers)
                if limit is not None and method != "HEAD":
                    cap, strict = limit
                    length = single.headers.get("content-length", "")
                    if strict and length.isdigit() and int(length) > cap:
                        single.error_class, single.error = ErrorClass.TOO_LARGE, f"larger than {cap} bytes"
                        return single
                    single.truncated, single.error_class = await read_chunks(
                        chunks, single.headers.get("content-encoding"), cap, strict, out)
                    if single.error_class is ErrorClass.TOO_LARGE:
                        single.error = f"larger than {cap} bytes"
                    elif single.error_class is ErrorClass.DECODE:
                        single.error = "corrupt or unsupported compressed body"
                    single.body = bytes(out)
                return single
        except _PausedMeanwhile:
            raise
        except TimeoutError:
            if _keeps_prefix(policy, method, phase, single):  # a slow drip: keep the prefix we got
                single.body, single.truncated, single.cut_short = bytes(out), True, True
                return single
            cls = ErrorClass.CONNECT_TIMEOUT if phase == "connect" else ErrorClass.TIMEOUT
            return _Single(None, {}, error_class=cls, sent_at=single.sent_at,
                           error=f"no complete answer within {timeout:g} s")
        except exchange_errors() as exc:
            if _keeps_prefix(policy, method, phase, single):  # reset mid-body: keep the prefix
                single.body, single.truncated, single.cut_short = bytes(out), True, True
                return single
            return _Single(None, {}, error_class=classify_exception(exc), error=describe(exc),
                           sent_at=single.sent_at)
        finally:
            gates.started(slot)  # a refused connection counts as a start too
            if exchange is not None:
                exchange.finish()  # kept alive after a complete answer, closed otherwise
            if response is not None:  # a caller's transport (tests)
                from tracker.fetch.httpx_transport import close

                await close(response)
            if pool_key is not None:
                self._busy[pool_key] -= 1

    # -- retries -------------------------------------------------------------
    @staticmethod
    def _transient(single: _Single) -> bool:
        if single.error_class is not None:
            return single.error_class in TRANSIENT_ERRORS
        status = single.status or 0
        return status in (408, 429) or 500 <= status <= 599

    async def _with_retries(self, policy: Policy, method: str, url: str, host: str,
                            headers: Mapping[str, str], public_only: bool = False) -> tuple[_Single, int]:
        key = policy.gate_key(host)
        attempts = 0
        while True:
            single = await self._once(policy, method, url, host, headers, public_only)
            attempts += 1
            wait = None
            if single.status in (429, 503):
                wait = retry_after_seconds(single.headers.get("retry-after"))
                if wait is not None:
                    single.retry_after = wait
                    self.gates.pause(key, min(wait, MAX_PAUSE))  # for every caller of this host
            head_refused = (policy.head_fallback and method == "HEAD" and (single.status or 0) >= 400
                            and single.status != 429)
            if head_refused or not self._transient(single) or attempts > policy.retries:
                return single, attempts
            if wait is not None:
                if wait > policy.max_wait:
                    return single, attempts
                continue  # the gate holds the retry until the pause is over
            step = policy.backoff_base * (2 ** (attempts - 1))
            # "equal jitter", and never longer than a Retry-After this caller would wait out
            delay = min(step / 2 + self._rng.uniform(0.0, step / 2), policy.max_wait)
            if single.error_class in (ErrorClass.TIMEOUT, ErrorClass.CONNECT_TIMEOUT):
                delay -= self._clock() - single.sent_at  # space attempt *starts* by the backoff
            if delay > 0:
                await self._sleep(delay)

    # -- a whole chain -------------------------------------------------------
    async def fetch(self, policy: Policy, req: FetchRequest) -> FetchResult:
        """Follow ``req.url`` to its final answer under ``policy``; never raises for HTTP trouble."""
        started = self._clock()
        method, url = req.method.upper(), req.url
        headers: dict[str, str] = dict(policy.headers)
        if req.etag:
            headers["If-None-Match"] = req.etag
        if req.last_modified:
            headers["If-Modified-Since"] = req.last_modified
        hops: list[Hop] = []
        seen = {url}
        attempts = 0
        public_only = False  # the hop was reached by a redirect from a public address

        def result(single: _Single, final: str, error_class: ErrorClass | None = None,
                   error: str = "") -> FetchResult:
            return FetchResult(req.url, method, single.status, final, tuple(hops),
                               error_class or single.error_class, error or single.error,
                               self._clock() - started, attempts, single.headers, single.body,
                               single.truncated, single.retry_after, single.cut_short)

        while True:
            try:
                parts = urlsplit(url)
                host = (parts.hostname or "").lower()
            except ValueError:
                return result(_Single(None, {}), url, ErrorClass.INVALID_URL, f"not a URL we can request: {url}")
            if parts.scheme.lower() not in ("http", "https"):
                return result(_Single(None, {}), url, ErrorClass.INVALID_URL, f"not an http(s) URL: {url}")
            single, n = await self._with_retries(policy, method, url, host, headers, public_only)
            attempts += n
            if single.error_class is not None:
                return result(single, url)
            status = single.status or 0
            if policy.head_fallback and method == "HEAD" and status >= 400 and status != 429:
                method = "GET"  # many servers refuse or mishandle HEAD: ask again properly
                continue
            location = single.headers.get("location", "").strip()
            if status not in REDIRECT_STATUSES or not location:
                return result(single, url)
            hops.append(Hop(url, status))
            try:
                target = urljoin(url, location)
                scheme = urlsplit(target).scheme.lower()
            except ValueError:
                return result(single, location[:200], ErrorClass.BAD_REDIRECT, location[:200])
            if scheme not in ("http", "https"):
                return result(single, target, ErrorClass.BAD_REDIRECT, target[:200])
            if target in seen:
                return result(single, target, ErrorClass.REDIRECT_LOOP, f"redirect loop back to {target}")
            if len(hops) > policy.max_redirects:
                return result(single, target, ErrorClass.TOO_MANY_REDIRECTS,
                              f"more than {policy.max_redirects} redirects")
            public_only = await self._guarded(url)  # for the hop to ``target``, asked next
            refusal = await self._unsafe(target) if public_only else None
            if refusal is None and policy.redirect_rule is not None:
                if (refused := policy.redirect_rule(req.url, target)) is not None:
                    return result(single, target, ErrorClass.REDIRECT_REFUSED, refused)
            if refusal is not None:
                return result(single, target, ErrorClass.UNSAFE_REDIRECT, refusal)
            seen.add(target)
            url = target
            if status == 303 and method != "HEAD":
                method = "GET"

    async def _guarded(self, source: str) -> bool:
        """Whether a hop from ``source`` must stay out of private networks (a public source)."""
        return not await self.addresses.is_private(urlsplit(source).hostname or "")

    async def _unsafe(self, target: str) -> str | None:
        """Why a hop from a public address (``_guarded``; a document that itself points into a
        private network is its own business) to ``target`` is refused: a private address."""
        if await self.addresses.is_private(urlsplit(target).hostname or ""):
            return f"refused a redirect from a public address to a private one: {target[:200]}"
        return None


def _keeps_prefix(policy: Policy, method: str, phase: str, single: _Single) -> bool:
    """Whether a body cut off mid-way (deadline, reset) still answers: the status came, and the
    caller reads text prefixes (a non-strict body limit)."""
    if phase != "body" or single.status is None:
        return False
    limit = policy.body_limit(method, single.status, single.headers)
    return limit is not None and not limit[1]
