"""A caller's own transport under the core: one exchange sent through httpx.

Owns: what ``HttpCore`` does with a transport passed in by a caller (a test's
``MockTransport``, an ``httpx.AsyncHTTPTransport``): the ``httpx.Request`` with its
timeouts and trace, and of the response that transport hands back its kept
headers, its raw body chunks (streamed, synchronous or already in memory) and its
closing. Imported only when a core has such a transport, so neither httpx nor this
module loads for the core's own connections (``fetch.wire``).
Does not own: politeness, the deadline, the decoded-size cap, retries, redirects
(``fetch.core``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import httpx

from tracker.fetch.answer import KEPT_HEADERS

__all__ = ["send", "kept_headers", "raw_chunks", "close"]

_CHUNK = 64 * 1024
#: httpx's trace callback: (event name, its details)
Trace = Callable[[str, Mapping[str, Any]], Awaitable[None]]


async def send(transport: httpx.AsyncBaseTransport, method: str, url: str, headers: Mapping[str, str],
               timeout: float, trace: Trace) -> httpx.Response:
    """The response of ``transport`` to one request, its headers read, its body not yet."""
    extensions = {"timeout": {"connect": timeout, "read": timeout, "write": timeout,
                              "pool": timeout}, "trace": trace}
    return await transport.handle_async_request(
        httpx.Request(method, url, headers=dict(headers), extensions=extensions))


def kept_headers(response: httpx.Response) -> dict[str, str]:
    """The ``KEPT_HEADERS`` of ``response``."""
    return {k: response.headers[k] for k in KEPT_HEADERS if k in response.headers}


def raw_chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    """The body of ``response`` as it comes, still encoded (the core decodes it under its cap)."""
    return _in_memory(response) if response.is_stream_consumed else \
        response.aiter_raw(_CHUNK) if isinstance(response.stream, httpx.AsyncByteStream) \
        else _sync(response)


async def close(response: httpx.Response) -> None:
    if isinstance(response.stream, httpx.AsyncByteStream):
        await response.aclose()
    else:  # a synchronous body from a test transport
        response.close()


async def _in_memory(response: httpx.Response) -> Any:
    """An in-memory response (mock transports): its bytes, already decoded by httpx."""
    yield response.content


async def _sync(response: httpx.Response) -> Any:
    """A synchronous body (a test transport's generator), read as it comes."""
    for chunk in response.iter_raw(_CHUNK):
        yield chunk
