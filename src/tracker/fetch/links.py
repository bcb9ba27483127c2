"""The link checker's policy over the HTTP core.

Owns: ``LinkClient`` — the checker's rules for ``fetch.core.HttpCore``: per-host
concurrency and spacing from ``[check]`` (overridable per host through
``settings.host(host)``), the per-host deadline, HEAD→GET fallback, reading at
most ``max_body_bytes`` of a *text* body (a prefix is enough to judge; a slow
drip returns the prefix it got), within-run retries with jittered backoff,
waiting out a ``Retry-After`` up to ``max_retry_after``, and following any
http(s) redirect (the core refuses public→private hops). A global limit of
``max_concurrency`` requests in flight.

Does not own: deciding what a response means (``tracker.links``), storage, or
which URLs are due.
"""

from __future__ import annotations

import asyncio
import random
import ssl
from collections.abc import Awaitable, Callable, Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

from tracker.config import Settings
from tracker.fetch.addresses import Resolver
from tracker.fetch.core import HttpCore
from tracker.fetch.errors import TRANSIENT_ERRORS, ErrorClass, classify_exception
from tracker.fetch.gate import Clock, HostGates, HostRule, Sleep, plan_catch_up
from tracker.fetch.model import REDIRECT_STATUSES, FetchRequest, FetchResult, Hop, Policy, retry_after_seconds

if TYPE_CHECKING:
    import httpx

__all__ = [
    "FetchRequest", "FetchResult", "Hop", "LinkClient", "Sleep", "Clock", "link_policy",
    "TRANSIENT_ERRORS", "REDIRECT_STATUSES", "TEXT_TYPES", "retry_after_seconds", "error_class_of",
]

TEXT_TYPES = ("text/", "application/xhtml", "application/xml", "application/json", "application/rss",
              "application/atom")
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def error_class_of(exc: BaseException) -> ErrorClass:
    """Name a failure by the types in its exception chain (see ``fetch.errors``)."""
    return classify_exception(exc)


def _is_text(content_type: str) -> bool:
    ctype = content_type.split(";")[0].strip().lower()
    return not ctype or ctype.startswith(TEXT_TYPES)


def link_policy(settings: Settings) -> Policy:
    """The checker's rules for every host, from ``[check]`` and its per-host overrides."""
    cfg = settings.check

    @lru_cache(maxsize=4096)
    def rule_for(host: str) -> HostRule:
        over = settings.host(host)
        conc = over.host_concurrency if over.host_concurrency is not None else cfg.host_concurrency
        interval = over.host_interval if over.host_interval is not None else cfg.host_interval
        return HostRule(conc, interval, catch_up=plan_catch_up(interval))  # spaced by plan, as lychee

    @lru_cache(maxsize=4096)
    def timeout_for(host: str) -> float:
        over = settings.host(host).timeout
        return over if over is not None else cfg.timeout

    cap = max(0, cfg.max_body_bytes)

    def body_limit(method: str, status: int, headers: Mapping[str, str]) -> tuple[int, bool] | None:
        return (cap, False) if method == "GET" and _is_text(headers.get("content-type", "")) else None

    return Policy(rule_for=rule_for, timeout_for=timeout_for, body_limit=body_limit,
                  headers={"User-Agent": cfg.user_agent, "Accept-Encoding": "gzip, deflate", "Accept": ACCEPT},
                  max_redirects=cfg.max_redirects, retries=cfg.retries, backoff_base=cfg.backoff_base,
                  max_wait=cfg.max_retry_after, head_fallback=True)


class LinkClient:
    """Checks URLs politely; ``async with LinkClient(settings) as c: await c.fetch_all(...)``.

    Pass ``core`` to share one ``HttpCore`` (and its pools) with other callers of the run."""

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None,
                 sleep: Sleep | None = None, clock: Clock | None = None,
                 rng: random.Random | None = None, verify: bool | ssl.SSLContext = True,
                 core: HttpCore | None = None, gates: HostGates | None = None,
                 resolver: Resolver | None = None) -> None:
        self.settings = settings
        self.policy = link_policy(settings)
        self._own = core is None
        self.core = core or HttpCore(gates=gates, transport=transport, verify=verify, clock=clock, sleep=sleep,
                                     rng=rng, resolver=resolver,
                                     max_concurrency=max(1, settings.check.max_concurrency))

    @property
    def requests(self) -> int:
        return self.core.requests

    @property
    def requests_by_host(self) -> dict[str, int]:
        return self.core.requests_by_host

    async def __aenter__(self) -> LinkClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own:
            await self.core.aclose()

    def pause_host(self, host: str, seconds: float) -> None:
        """No request to ``host`` starts within ``seconds`` from now (Retry-After)."""
        self.core.gates.pause(host.lower(), seconds)

    async def fetch(self, req: FetchRequest) -> FetchResult:
        """Follow ``req.url`` to its final answer; failures are results, not exceptions."""
        return await self.core.fetch(self.policy, req)

    async def fetch_all(self, requests: Iterable[FetchRequest],
                        on_result: Callable[[FetchResult], None] | None = None) -> list[FetchResult]:
        """Fetch every request concurrently (within the limits); results in input order."""
        async def one(req: FetchRequest) -> FetchResult:
            res = await self.fetch(req)
            if on_result is not None:
                on_result(res)
            return res
        return list(await asyncio.gather(*(one(r) for r in requests)))


