"""The feed poller's policy over the HTTP core: conditional, polite, bounded.

Owns: ``FeedClient.fetch(url, etag, last_modified)`` → ``FeedFetch`` (never an
exception for a network or HTTP failure: those are results with an
``error_class``). It sends ``If-None-Match`` / ``If-Modified-Since`` exactly as
the server sent the validators; follows redirects only within the same site
(a feed that moved to another host is reported, not followed); needs the whole
body, so a feed beyond ``[crawl] max_body_bytes`` (declared, streamed or
decompressed) is an error; ends every exchange at ``[crawl] timeout`` in all
(a tarpit sending a header line per second included); one request at a time
per host, spaced like the checker's (``[check] host_interval``), through the
process's shared gates, so a host paused by ``Retry-After`` — from a feed or
from the link checker — is not contacted before the pause ends (the poll is
``deferred``). arXiv (API and listing hosts alike) shares one gate key: one
exchange at a time, each starting ``[arxiv] min_interval`` after the previous
one started *and* ended.

Does not own: parsing bodies, deciding next-poll times, storage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

import httpx

from tracker.config import Settings
from tracker.fetch.addresses import Resolver
from tracker.fetch.core import HttpCore
from tracker.fetch.errors import ErrorClass
from tracker.fetch.gate import Clock, HostGates, HostRule, Sleep
from tracker.fetch.model import FetchRequest, FetchResult, Policy

__all__ = ["FeedClient", "FeedFetch", "feed_policy", "ARXIV_HOSTS", "ARXIV_KEY", "Clock", "Sleep"]

ARXIV_HOSTS = frozenset({"arxiv.org", "export.arxiv.org", "rss.arxiv.org", "www.arxiv.org"})
#: the gate key every arXiv host shares
ARXIV_KEY = "arxiv.org (all hosts)"
ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json;q=0.9, "
          "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5")
ERROR_BODY_BYTES = 64 * 1024


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


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _same_site(a: str, b: str) -> bool:
    return a.removeprefix("www.") == b.removeprefix("www.")


def feed_policy(settings: Settings) -> Policy:
    crawl, arxiv = settings.crawl, settings.arxiv
    arxiv_hosts = set(ARXIV_HOSTS) | {h for h in (_host(arxiv.api_url), _host(arxiv.listing_url)) if h}

    def is_arxiv(host: str) -> bool:
        return host in arxiv_hosts or host.endswith(".arxiv.org")

    arxiv_rule = HostRule(1, arxiv.min_interval, after_end=True)

    @lru_cache(maxsize=1024)
    def rule_for(host: str) -> HostRule:
        if is_arxiv(host):
            return arxiv_rule
        over = settings.host(host).host_interval
        return HostRule(1, over if over is not None else settings.check.host_interval)

    def gate_key(host: str) -> str:
        return ARXIV_KEY if is_arxiv(host) else host

    def body_limit(method: str, status: int, headers: Mapping[str, str]) -> tuple[int, bool]:
        if 200 <= status < 300 and status != 204:
            return crawl.max_body_bytes, True
        return ERROR_BODY_BYTES, False

    def same_site(origin: str, target: str) -> str | None:
        if _same_site(_host(target), _host(origin)):
            return None
        return (f"redirected to another host: {target} (if the feed moved, add it again under its "
                "new URL)")

    return Policy(rule_for=rule_for, timeout_for=lambda _host: crawl.timeout, body_limit=body_limit,
                  headers={"User-Agent": crawl.user_agent, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"},
                  max_redirects=crawl.max_redirects, redirect_rule=same_site, retries=0, max_wait=0.0,
                  gate_key=gate_key)


class FeedClient:
    """Polls feeds over the HTTP core: ``async with FeedClient(settings) as c: await c.fetch(url)``."""

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None,
                 clock: Clock | None = None, sleep: Sleep | None = None, core: HttpCore | None = None,
                 gates: HostGates | None = None, resolver: Resolver | None = None) -> None:
        self.settings = settings
        self.policy = feed_policy(settings)
        self.max_wait = settings.crawl.max_interval.total_seconds()
        self._own = core is None
        self.core = core or HttpCore(gates=gates, transport=transport, clock=clock, sleep=sleep,
                                     resolver=resolver, max_concurrency=max(1, settings.crawl.concurrency))

    async def __aenter__(self) -> FeedClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    def __enter__(self) -> FeedClient:
        return self  # for callers outside a loop that hand the client to ``crawl()``

    def __exit__(self, *_exc: object) -> None:
        pass  # each ``crawl()`` closes what its own event loop opened

    async def aclose(self) -> None:
        if self._own:
            await self.core.aclose()

    def is_arxiv(self, host: str) -> bool:
        return self.policy.gate_key(host.lower()) == ARXIV_KEY

    def block_host(self, host: str, seconds: float) -> None:
        """Do not contact ``host`` for ``seconds`` (a Retry-After, possibly from an earlier run)."""
        self.core.gates.pause(self.policy.gate_key(host.lower()), min(seconds, self.max_wait))

    def blocked_for(self, host: str) -> float:
        return self.core.gates.paused_for(self.policy.gate_key(host.lower()))

    async def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FeedFetch:
        """Poll ``url`` once (following same-site redirects). Never raises for HTTP trouble."""
        res = await self.core.fetch(self.policy, FetchRequest(url, "GET", etag, last_modified))
        return self._outcome(url, res, conditional=bool(etag or last_modified))

    def _outcome(self, url: str, res: FetchResult, conditional: bool) -> FeedFetch:
        crawl = self.settings.crawl
        requests = res.attempts - (1 if res.error_class is ErrorClass.DEFERRED else 0)
        common = {"final_url": res.final_url, "status": res.status, "headers": res.headers, "requests": requests}
        if res.error_class is ErrorClass.DEFERRED:
            return FeedFetch(url, "deferred", error_class="retry_after", retry_after=res.retry_after,
                             error=res.error, **common)  # type: ignore[arg-type]
        if res.error_class is not None:
            error = res.error
            if res.error_class is ErrorClass.TOO_LARGE:
                error = f"feed larger than {crawl.max_body_bytes} bytes ([crawl] max_body_bytes)"
            elif res.error_class in (ErrorClass.TIMEOUT, ErrorClass.CONNECT_TIMEOUT):
                error = f"no complete response within {crawl.timeout:g} s ([crawl] timeout)"
            elif res.error_class is ErrorClass.TOO_MANY_REDIRECTS:
                error = f"more than {crawl.max_redirects} redirects"
            elif res.error_class is ErrorClass.BAD_REDIRECT:
                error = f"redirect to a non-http(s) URL {res.final_url!r}"
            elif res.error_class not in (ErrorClass.REDIRECT_REFUSED, ErrorClass.UNSAFE_REDIRECT,
                                         ErrorClass.REDIRECT_LOOP):
                error = f"cannot fetch: {res.error_class}: {res.error}"[:300]
            return FeedFetch(url, "error", error_class=str(res.error_class), error=error,
                             **common)  # type: ignore[arg-type]
        status = res.status or 0
        etag, modified = res.headers.get("etag"), res.headers.get("last-modified")
        if status == 304:
            if not conditional:
                return FeedFetch(url, "error", error_class="protocol",
                                 error="HTTP 304 Not Modified to a request without validators",
                                 **common)  # type: ignore[arg-type]
            return FeedFetch(url, "not_modified", etag=etag, last_modified=modified,
                             **common)  # type: ignore[arg-type]
        if 200 <= status < 300 and status != 204:
            return FeedFetch(url, "fetched", body=res.body, etag=etag, last_modified=modified,
                             **common)  # type: ignore[arg-type]
        reason = httpx.codes.get_reason_phrase(status)
        return FeedFetch(url, "error", body=res.body, error_class=f"http_{status}",
                         error=f"HTTP {status} {reason}".strip(), retry_after=res.retry_after,
                         **common)  # type: ignore[arg-type]
