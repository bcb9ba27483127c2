"""What the core keeps of an answer: its headers by name, its body up to a decoded-size cap.

Owns: ``KEPT_HEADERS`` (the response headers a ``FetchResult`` carries),
``kept_headers`` (those of a raw header list, in one pass) and ``read_chunks``
(a body read and decompressed as it arrives, at most ``cap`` decoded bytes: a gzip
bomb costs at most the cap; beyond it a prefix, or for strict callers an error).
Does not own: the exchange that yields the chunks (``fetch.wire``,
``fetch.httpx_transport``), the cap a caller wants (``Policy.body_limit``) or what
a cut-off body means (``fetch.core``).
"""

from __future__ import annotations

import zlib
from typing import Any

from tracker.fetch import body_decoder
from tracker.fetch.errors import ErrorClass

__all__ = ["KEPT_HEADERS", "kept_headers", "read_chunks"]

KEPT_HEADERS = ("content-type", "content-length", "etag", "last-modified", "retry-after", "server",
                "cf-mitigated", "location", "content-encoding", "cache-control", "expires", "date", "age")
_KEPT = frozenset(KEPT_HEADERS)


def kept_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """The ``KEPT_HEADERS`` of a raw header list, lower-case names, repeated ones joined with
    ", " (as httpx's ``Headers`` does), in one pass."""
    kept: dict[str, str] = {}
    for name_bytes, value_bytes in raw:
        name = name_bytes.decode("latin-1").lower()
        if name in _KEPT:
            try:
                value = value_bytes.decode("utf-8")
            except UnicodeDecodeError:
                value = value_bytes.decode("latin-1")
            kept[name] = f"{kept[name]}, {value}" if name in kept else value
    return kept


async def read_chunks(chunks: Any, encoding: str | None, cap: int, strict: bool,
                      out: bytearray) -> tuple[bool, ErrorClass | None]:
    """Read at most ``cap`` decoded bytes into ``out``: (truncated, error for strict callers)."""
    try:
        decoder = body_decoder(encoding)
    except zlib.error:
        return True, (ErrorClass.DECODE if strict else None)
    try:
        async for chunk in chunks:
            if decoder is None:
                out += chunk
            else:
                pending = chunk
                while pending and len(out) <= cap:
                    out += decoder.decompress(pending, cap + 1 - len(out))
                    pending = decoder.unconsumed_tail
            if len(out) > cap:
                del out[cap:]
                return True, (ErrorClass.TOO_LARGE if strict else None)
        if decoder is not None:
            out += decoder.flush()
            if len(out) > cap:
                del out[cap:]
                return True, (ErrorClass.TOO_LARGE if strict else None)
    except zlib.error:
        return True, (ErrorClass.DECODE if strict else None)
    return False, None

