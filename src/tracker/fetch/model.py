"""What a caller hands the HTTP core and what it gets back: plain values.

Owns: ``FetchRequest`` (one URL, its method and validators), ``Policy`` (one
caller's rules over the core: per-host politeness and deadline, headers, the
body it wants read (``BodyLimit``), redirects (``RedirectRule``), retries),
``FetchResult`` with its ``Hop``s (what one request chain produced),
``REDIRECT_STATUSES`` and ``retry_after_seconds`` (a ``Retry-After`` header in
seconds, as ``FetchResult.retry_after`` holds it). Code that only builds
policies or reads results needs nothing else of the core.
Does not own: sending anything, retries or the redirect loop (``fetch.core``),
what an answer means (the callers).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

from tracker.fetch.errors import ErrorClass
from tracker.fetch.gate import HostRule

__all__ = ["Policy", "FetchRequest", "FetchResult", "Hop", "BodyLimit", "RedirectRule", "REDIRECT_STATUSES",
           "retry_after_seconds"]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

#: (method, status, headers) → (byte cap, strict) or None to leave the body unread
BodyLimit = Callable[[str, int, Mapping[str, str]], "tuple[int, bool] | None"]
#: (the URL as requested, the redirect target) → why the hop is refused, or None
RedirectRule = Callable[[str, str], "str | None"]


def retry_after_seconds(value: str | None, wall_now: datetime | None = None) -> float | None:
    """``Retry-After`` in seconds; an HTTP date is compared with the real wall clock (the
    server's clock wrote it, not ``TRACKER_NOW``). ``tracker.headers`` and the email package's
    date parser under it load with the first 429 or 503, not with every check's start."""
    from tracker import headers

    return headers.retry_after_seconds(value, wall_now or datetime.now(timezone.utc))


@dataclass(frozen=True)
class FetchRequest:
    """One URL to fetch; ``method="HEAD"`` when the body is not needed."""

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
    """What one request chain produced (a status or an ``error_class``)."""

    url: str
    method: str
    status: int | None
    final_url: str
    redirects: tuple[Hop, ...] = ()
    error_class: ErrorClass | None = None
    error: str = ""
    elapsed: float = 0.0
    attempts: int = 1
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    truncated: bool = False
    retry_after: float | None = None
    #: the body stopped before its end (deadline or connection lost mid-body): ``body`` is a
    #: prefix kept for the judge, not the page (``truncated`` alone may be the reader's cap)
    cut_short: bool = False

    def without_body(self) -> FetchResult:
        """The same result without its body (what is kept once the page is judged)."""
        return FetchResult(self.url, self.method, self.status, self.final_url, self.redirects, self.error_class,
                           self.error, self.elapsed, self.attempts, self.headers, b"", self.truncated,
                           self.retry_after, self.cut_short)


def _no_body(method: str, status: int, headers: Mapping[str, str]) -> tuple[int, bool] | None:
    return None


@dataclass(frozen=True)
class Policy:
    """One caller's rules over the core."""

    rule_for: Callable[[str], HostRule]
    timeout_for: Callable[[str], float]
    headers: Mapping[str, str]
    body_limit: BodyLimit = _no_body
    max_redirects: int = 10
    redirect_rule: RedirectRule | None = None
    retries: int = 0
    backoff_base: float = 0.5
    #: the longest Retry-After pause a request waits out (beyond it: ``DEFERRED``), and the
    #: longest backoff between two tries
    max_wait: float = 60.0
    #: a HEAD refused with 4xx/5xx is asked again with GET
    head_fallback: bool = False
    gate_key: Callable[[str], str] = str.lower
