"""The Wayback Machine availability API client (``[wayback] api_url``), over the HTTP core.

Owns: one polite GET per lookup (``?url=…&timestamp=YYYYMMDDhhmmss``) through the
process's host gates, asked again within the run on a transient failure (408, 429, 5xx,
a reset, a timeout: ``[check] retries`` with the checker's jittered backoff, a
``Retry-After`` waited out up to ``[check] max_retry_after``; one glitch no longer leaves
a dead link without its archived copy until the next run), the project's User-Agent, one overall deadline
(``[check] timeout``: a slow archive answer cannot hang a check), at most 1 MB
of answer, and turning failures into a reply with an ``error_class`` (an answer cut short
mid-body is one: ``truncated``, never a prefix handed on as if it were the answer). Does not
own: reading the JSON answer or deciding whether to retry later
(``tracker.links.archive``), or storage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracker.config import Settings
from tracker.fetch.core import HttpCore
from tracker.fetch.gate import HostRule
from tracker.fetch.model import FetchRequest, Policy

if TYPE_CHECKING:
    import httpx

__all__ = ["WaybackReply", "WaybackClient", "wayback_policy"]

_MAX_ANSWER = 1024 * 1024


@dataclass(frozen=True)
class WaybackReply:
    """The raw answer of one availability lookup."""

    status: int | None
    body: bytes = b""
    error_class: str | None = None
    error: str = ""


def _answer(method: str, status: int, headers: Mapping[str, str]) -> tuple[int, bool]:
    return _MAX_ANSWER, False


def wayback_policy(settings: Settings) -> Policy:
    cfg = settings.check
    rule = HostRule(cfg.host_concurrency, cfg.host_interval)
    return Policy(rule_for=lambda _host: rule, timeout_for=lambda _host: cfg.timeout,
                  headers={"User-Agent": cfg.user_agent, "Accept": "application/json",
                           "Accept-Encoding": "gzip, deflate"},
                  body_limit=_answer, max_redirects=3, max_wait=cfg.max_retry_after,
                  retries=cfg.retries, backoff_base=cfg.backoff_base)


class WaybackClient:
    """``async with WaybackClient(settings) as w: await w.lookup(url, "20240101000000")``."""

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None,
                 core: HttpCore | None = None) -> None:
        self.api_url = settings.wayback.api_url
        self.policy = wayback_policy(settings)
        self.requests = 0
        self._own = core is None
        self.core = core or HttpCore(transport=transport)

    async def __aenter__(self) -> WaybackClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._own:
            await self.core.aclose()

    async def lookup(self, url: str, timestamp: str) -> WaybackReply:
        """Ask for the snapshot of ``url`` closest to ``timestamp``; never raises."""
        self.requests += 1
        try:
            import httpx

            address = str(httpx.URL(self.api_url, params={"url": url, "timestamp": timestamp}))
        except (httpx.InvalidURL, ValueError) as exc:
            return WaybackReply(None, b"", "invalid_url", str(exc)[:300])
        res = await self.core.fetch(self.policy, FetchRequest(address))
        if res.error_class is not None:
            return WaybackReply(None, b"", str(res.error_class), res.error)
        if res.truncated:  # cut short (deadline or connection lost mid-body, or over 1 MB): no answer
            return WaybackReply(None, b"", "truncated",
                                f"the answer ({res.status}) was cut short after {len(res.body)} bytes")
        return WaybackReply(res.status, res.body)
