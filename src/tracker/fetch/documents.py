"""Fetching a document's raw Markdown over HTTP (e.g. raw.githubusercontent.com).

Owns: one GET per file through the HTTP core (one overall deadline, a size
cap, redirects within http(s) and never from a public address into a private
one), and strict UTF-8; failures become ``DocumentError`` naming the URL. Does not know
which files a document is made of (the import service follows include tags).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import httpx

from tracker.config import Settings
from tracker.errors import DocumentError
from tracker.fetch import runner
from tracker.fetch.core import HttpCore
from tracker.fetch.errors import ErrorClass
from tracker.fetch.gate import HostRule
from tracker.fetch.model import FetchRequest, Policy

__all__ = ["TextFetcher", "MAX_DOCUMENT_BYTES"]

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


def _document_policy(settings: Settings) -> Policy:
    rule = HostRule(1, 0.0)

    def body_limit(method: str, status: int, headers: Mapping[str, str]) -> tuple[int, bool] | None:
        return (MAX_DOCUMENT_BYTES, True) if status == 200 else None

    return Policy(rule_for=lambda _host: rule, timeout_for=lambda _host: settings.crawl.timeout,
                  headers={"User-Agent": settings.crawl.user_agent, "Accept-Encoding": "gzip, deflate"},
                  body_limit=body_limit, max_redirects=settings.crawl.max_redirects, max_wait=0.0)


class TextFetcher:
    """A small synchronous face over the HTTP core for fetching Markdown files."""

    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None) -> None:
        self._timeout = settings.crawl.timeout
        self._policy = _document_policy(settings)
        self._core = HttpCore(transport=cast("httpx.AsyncBaseTransport | None", transport))

    def get(self, url: str) -> str:
        """The file at ``url`` as text, within ``[crawl] timeout`` seconds in all (a server
        that trickles bytes or header lines is cut off too)."""
        res = runner.run(self._core.fetch(self._policy, FetchRequest(url)))
        if res.error_class is ErrorClass.TOO_LARGE:
            raise DocumentError(f"{url} is larger than {MAX_DOCUMENT_BYTES} bytes; not a Markdown file")
        if res.error_class in (ErrorClass.TIMEOUT, ErrorClass.CONNECT_TIMEOUT):
            raise DocumentError(f"{url} did not arrive within {self._timeout:g} s")
        if res.error_class is not None:
            raise DocumentError(f"cannot fetch {url}: {res.error_class}: {res.error}")
        if res.status != 200:
            raise DocumentError(f"GET {url} answered HTTP {res.status}; check [document] location")
        ctype = res.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype in ("text/html", "application/xhtml+xml", "application/json"):
            raise DocumentError(f"{url} is {ctype}, not Markdown; point at the raw files "
                                "(for GitHub: https://raw.githubusercontent.com/OWNER/REPO/BRANCH/)")
        try:
            return res.body.decode("utf-8-sig").replace("\r\n", "\n")
        except UnicodeDecodeError:
            raise DocumentError(f"{url} is not valid UTF-8") from None

    def close(self) -> None:
        pass  # each get() closes the connections its own event loop opened

    def __enter__(self) -> TextFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
