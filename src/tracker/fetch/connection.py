"""One HTTP/1.1 connection of the core's own wire: the socket's protocol and the answer's parser.

Owns: ``Connection`` (the ``asyncio.Protocol`` of one TCP or TLS connection),
which parses the answer to the request in progress with ``httptools`` (llhttp,
the C parser Node.js uses: chunked and length-delimited bodies, keep-alive rules
and malformed input are its business, so no HTTP state machine runs in Python
and a request costs a few callbacks instead of h11's per-event objects) into its
status, headers (at most ``MAX_HEADER_BYTES``) and body chunks as they arrive;
reading pauses while more than ``HIGH_WATER`` bytes wait for the caller
(``Exchange.body`` resumes it), so a body the caller stops reading costs at most
that much. Also ``arrived`` (what waits unread in a connection's socket right
now: a deadline's last look) and ``tls_context`` (the TLS context of the core's
connections).
Does not own: making connections, pools, keep-alive reuse or the deadline
(``fetch.wire``), politeness, decoding, retries (``fetch.core``).
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import select
import ssl
import struct
import termios
from collections import deque
from typing import cast

import httptools

from tracker.fetch.errors import ProtocolViolation

__all__ = ["Connection", "ClosedEarly", "arrived", "tls_context", "HIGH_WATER", "MAX_HEADER_BYTES"]

HIGH_WATER = 256 * 1024
#: the most header bytes one answer may send (h11's default too): beyond it, not HTTP we read
MAX_HEADER_BYTES = 64 * 1024


class ClosedEarly(ConnectionResetError):
    """The server closed the connection before a complete answer."""


class Connection(asyncio.Protocol):
    """One TCP (or TLS) connection; parses the answer to the request in progress."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser: httptools.HttpResponseParser | None = None
        self.closed = False
        self.idle_since = 0.0
        #: bytes handed to ``data_received`` so far (a deadline's last look counts them)
        self.received = 0
        #: connected to a loopback/private/link-local/metadata address
        self.private_peer = False
        self.reset()

    def reset(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.header_bytes = 0
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.headers_done = False
        self.complete = False
        self.keep_alive = False  # llhttp forgets it once the message is over: kept here
        self.head = False
        self.error: BaseException | None = None
        self.waiter: asyncio.Future[bool] | None = None
        self.paused = False

    # -- asyncio.Protocol ------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses

    def data_received(self, data: bytes) -> None:
        self.received += len(data)
        if self.parser is None or self.complete:  # bytes nobody asked for: this connection is done
            self.close()
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(ProtocolViolation("the server switched protocols"))
        except httptools.HttpParserError as exc:
            cause = exc.__context__ if isinstance(exc.__context__, ProtocolViolation) else None
            self._fail(cause or ProtocolViolation(f"malformed HTTP answer: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.parser is None or self.complete:
            return
        if self.headers_done and self._until_close():
            self.complete = True  # a body delimited by the end of the connection
            self.wake()
        else:
            self._fail(ClosedEarly("the server closed the connection before a complete answer")
                       if exc is None else exc)

    # -- httptools callbacks -----------------------------------------------------
    def on_message_begin(self) -> None:
        self.headers = []
        self.header_bytes = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_bytes += len(name) + len(value) + 4
        if self.header_bytes > MAX_HEADER_BYTES:
            # raised inside llhttp's callback: feed_data stops and reports a callback error
            raise ProtocolViolation(f"more than {MAX_HEADER_BYTES} bytes of response headers")
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        assert self.parser is not None
        status = self.parser.get_status_code()
        if 100 <= status < 200:
            return  # an interim answer (100 Continue, 103 Early Hints): the real one follows
        self.status = status
        self.headers_done = True
        if self.head:
            self.complete = True  # no body follows a HEAD answer, whatever its headers say
        self.wake()

    def on_body(self, body: bytes) -> None:
        if not self.headers_done:
            return
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        self.wake()

    def on_message_complete(self) -> None:
        if not self.headers_done:
            return  # the end of an interim answer
        assert self.parser is not None
        self.keep_alive = self.parser.should_keep_alive()
        self.complete = True
        self.wake()

    # -- helpers -------------------------------------------------------------------
    def _until_close(self) -> bool:
        for name, value in self.headers:
            lower = name.lower()
            if lower == b"content-length" or (lower == b"transfer-encoding" and b"chunked" in value.lower()):
                return False
        return True

    def _fail(self, exc: BaseException) -> None:
        if self.error is None:
            self.error = exc
        self.close()
        self.wake()

    def wake(self, moved: bool = True) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(moved)

    async def wait(self, turn: bool = False) -> bool:
        """Until the answer moves on (True), or the exchange's deadline wakes it (False). With
        ``turn``, at most one turn of the loop: False unless the loop's next poll of its sockets
        moved the answer (asyncio runs a timer due now after that poll; uvloop runs a delay of 0
        as a ready callback, after the poll of the turn in progress)."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        self.waiter = waiter
        timer = loop.call_later(0, self.wake, False) if turn else None
        try:
            return await waiter
        finally:
            self.waiter = None
            if timer is not None:
                timer.cancel()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    @property
    def reusable(self) -> bool:
        return not self.closed and self.complete and self.keep_alive and not self.head and self.error is None


def arrived(conn: Connection) -> int | None:
    """What waits in the connection's socket, unread, right now: its byte count (0 for only
    the peer's close or an error), or None when nothing does."""
    sock = conn.transport.get_extra_info("socket") if conn.transport is not None else None
    fd = sock.fileno() if sock is not None else -1
    if fd < 0:
        return None
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    if not poller.poll(0):
        return None
    try:
        return int(struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0])
    except OSError:
        return HIGH_WATER  # readable, but the count is unknown: a bounded look all the same


def tls_context(verify: bool) -> ssl.SSLContext:
    """The TLS context of the core's own connections, as ``httpx.create_ssl_context`` makes it:
    ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` when set, else certifi's roots; no checks when
    ``verify`` is false."""
    if not verify:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    if os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    import certifi

    return ssl.create_default_context(cafile=certifi.where())
