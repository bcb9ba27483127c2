"""The Wayback Machine availability API client (``[wayback] api_url``).

Owns: one polite GET per lookup (``?url=…&timestamp=YYYYMMDDhhmmss``), the
project's User-Agent, a timeout, and turning transport failures into a reply
with an ``error_class``. Does not own: reading the JSON answer or deciding
whether to retry later (``tracker.links.archive``), or storage.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from tracker.config import Settings
from tracker.fetch.links import error_class_of

__all__ = ["WaybackReply", "WaybackClient"]

_MAX_ANSWER = 1024 * 1024


@dataclass(frozen=True)
class WaybackReply:
    """The raw answer of one availability lookup."""

    status: int | None
    body: bytes = b""
    error_class: str | None = None
    error: str = ""


class WaybackClient:
    """``async with WaybackClient(settings) as w: await w.lookup(url, "20240101000000")``."""

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.api_url = settings.wayback.api_url
        self.requests = 0
        self._client = httpx.AsyncClient(
            transport=transport, timeout=httpx.Timeout(settings.check.timeout), trust_env=False,
            follow_redirects=True, max_redirects=3,
            headers={"User-Agent": settings.check.user_agent, "Accept": "application/json"},
        )

    async def __aenter__(self) -> WaybackClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    async def lookup(self, url: str, timestamp: str) -> WaybackReply:
        """Ask for the snapshot of ``url`` closest to ``timestamp``; never raises."""
        self.requests += 1
        try:
            async with self._client.stream("GET", self.api_url,
                                           params={"url": url, "timestamp": timestamp}) as resp:
                body = bytearray()
                async for chunk in resp.aiter_bytes():
                    body += chunk
                    if len(body) > _MAX_ANSWER:
                        break
                return WaybackReply(resp.status_code, bytes(body[:_MAX_ANSWER]))
        except (httpx.HTTPError, OSError, ValueError) as exc:
            return WaybackReply(None, b"", error_class_of(exc), str(exc)[:300])
