"""Fetching a document's raw Markdown over HTTP (e.g. raw.githubusercontent.com).

Owns: one GET per file with a timeout, a size cap, redirects within http(s), and
strict UTF-8; failures become ``DocumentError`` naming the URL. Does not know
which files a document is made of (the import service follows include tags).
"""

from __future__ import annotations

import httpx

from tracker.config import Settings
from tracker.errors import DocumentError

__all__ = ["TextFetcher", "MAX_DOCUMENT_BYTES"]

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


class TextFetcher:
    """A small synchronous client for fetching Markdown files."""

    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None) -> None:
        self._client = httpx.Client(timeout=settings.crawl.timeout, follow_redirects=True, transport=transport,
                                    headers={"User-Agent": settings.crawl.user_agent})

    def get(self, url: str) -> str:
        try:
            with self._client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise DocumentError(f"GET {url} answered HTTP {response.status_code}; check [document] location")
                data = bytearray()
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > MAX_DOCUMENT_BYTES:
                        raise DocumentError(f"{url} is larger than {MAX_DOCUMENT_BYTES} bytes; not a Markdown file")
        except httpx.HTTPError as exc:
            raise DocumentError(f"cannot fetch {url}: {exc.__class__.__name__}: {exc}") from None
        try:
            return bytes(data).decode("utf-8-sig").replace("\r\n", "\n")
        except UnicodeDecodeError:
            raise DocumentError(f"{url} is not valid UTF-8") from None

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> TextFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
