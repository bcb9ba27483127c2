"""The only package that talks HTTP: one async core, and the callers' policies over it.

Modules: ``core`` (``HttpCore``: per-host pools, one overall deadline per request,
decoded-size caps, the one redirect loop, retries), ``model`` (what callers pass the
core and get back: ``FetchRequest``, ``Policy``, ``FetchResult``), ``answer`` (kept
headers, the body read under the decoded-size cap), ``gate`` (per-host politeness
shared by every caller of the process, behind the small ``HostGates`` interface),
``errors`` (``ErrorClass`` from the exception chain), ``addresses`` (private/loopback/
metadata addresses for redirect safety), ``wire`` (HTTP/1.1 exchanges on per-host
keep-alive pools), ``connection`` (one connection's protocol and llhttp parser),
``httpx_transport`` (a caller's own transport, through httpx), ``runner`` (the event
loop the services run on), ``network`` (is our side offline?), and the policies:
``links`` (the link checker), ``feeds`` (the feed poller), ``wayback`` (archive
look-ups), ``documents`` (URL import). Nothing here parses documents or decides states.

    HttpCore.fetch(policy, request) → FetchResult        never raises for HTTP trouble
      ├─ HostGates.acquire / started / release / pause   in-flight, gap, Retry-After
      ├─ per-host WirePool (llhttp parser)                no scan of other hosts' connections
      └─ ErrorClass: dns, dns_temporary, refused, connect_timeout, network, tls, timeout,
         reset, protocol, invalid_url, too_large, decode, bad_redirect, unsafe_redirect,
         redirect, redirect_loop, too_many_redirects, deferred, error
"""

from __future__ import annotations

import zlib
from typing import Any

__all__ = ["body_decoder"]


def body_decoder(content_encoding: str | None) -> Any:
    """A streaming decompressor for a ``Content-Encoding`` (``None`` for identity).

    The clients read raw bytes and decompress themselves so a size cap applies to the
    *decoded* body (a gzip bomb stops at the cap). Raises ``zlib.error`` for an
    encoding tracker did not ask for."""
    encoding = (content_encoding or "").strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise zlib.error(f"unsupported Content-Encoding {encoding!r}")
