"""Fetching a document's raw Markdown over HTTP (e.g. raw.githubusercontent.com).

Owns: one GET per file with a timeout, a size cap, redirects within http(s), and
strict UTF-8; failures become ``DocumentError`` naming the URL. Does not know
which files a document is made of (the import service follows include tags).
"""

from __future__ import annotations

import time

import httpx

from tracker.config import Settings
from tracker.errors import DocumentError

__all__ = ["TextFetcher", "MAX_DOCUMENT_BYTES"]

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


class TextFetcher:
    """A small synchronous client for fetching Markdown files."""

    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None) -> None:
        self._timeout = settings.crawl.timeout
        self._client = httpx.Client(timeout=settings.crawl.timeout, follow_redirects=True, transport=transport,
                                    trust_env=False, max_redirects=settings.crawl.max_redirects,
                                    headers={"User-Agent": settings.crawl.user_agent})

    def get(self, url: str) -> str:
        """The file at ``url`` as text, within ``[crawl] timeout`` seconds in all (a server
        that trickles bytes is cut off too)."""
        deadline = time.monotonic() + self._timeout
        try:
            with self._client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise DocumentError(f"GET {url} answered HTTP {response.status_code}; check [document] location")
                ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if ctype in ("text/html", "application/xhtml+xml", "application/json"):
                    raise DocumentError(f"{url} is {ctype}, not Markdown; point at the raw files "
                                        "(for GitHub: https://raw.githubusercontent.com/OWNER/REPO/BRANCH/)")
                data = bytearray()
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > MAX_DOCUMENT_BYTES:
                        raise DocumentError(f"{url} is larger than {MAX_DOCUMENT_BYTES} bytes; not a Markdown file")
                    if time.monotonic() > deadline:
                        raise DocumentError(f"{url} did not arrive within {self._timeout:g} s")
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
