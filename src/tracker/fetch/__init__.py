"""The only package that talks HTTP (httpx).

Owns: politeness (concurrency, per-host intervals, Retry-After), retries, size and
time caps, conditional GET, and turning HTTP outcomes into named results.
Modules: ``links`` (the link checker's client), ``feeds`` (feed polling),
``wayback`` (archive lookups). Nothing here parses documents or decides states.
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
