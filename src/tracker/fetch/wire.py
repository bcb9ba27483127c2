"""HTTP/1.1 on the wire: one connection per exchange, kept alive in small per-host pools.

Owns: ``WirePool`` (the idle keep-alive connections of one scheme/host/port,
opened with ``loop.create_connection``, TLS included), ``Exchange`` (one
request written on one connection, its status line and headers, then its body
as it arrives) and what a request puts on the wire (``target_of``: where a URL
goes; ``request_head``: the request line and headers). The bytes of an answer are
parsed by the connection's protocol (``fetch.connection``: llhttp through
``httptools``).

A request the core marks ``public_only`` (a hop a redirect from a public address
led to) connects only to the public addresses of its own lookup and never takes
an idle connection whose peer is private: the redirect check cannot be slipped
by a name that resolves differently the second time (DNS rebinding).

A connection goes back to its pool only after a complete answer that allows
keep-alive; anything else (a body left unread, a HEAD answer, an error, the
deadline) closes it.

The request's one overall deadline (``loop.time()`` based, chosen by the caller) is kept
here: a new connection is made within it (``WirePool.exchange``, an ``asyncio.timeout``:
no connection, nothing to keep), then ``Exchange.send`` arms it for the answer, where
waiting ends at it but not by cancelling. A loop held past the deadline (a long collector
pass, a slow callback, a loaded machine) wakes with the deadline's timer and the answer's
bytes both due, and a cancelling timer turned an answer that had fully arrived into a
timeout (asyncio parses the bytes first and cancels the reader anyway; uvloop runs its
timers before it polls the sockets). So at the deadline the exchange takes what has
already arrived: what is parsed, and the bytes the socket holds at that moment
(``connection.arrived``: ``FIONREAD``; a close counts), read turn by turn of the loop without waiting for more. A
complete answer among them is the answer; otherwise ``TimeoutError`` at the first turn that
brings nothing or once the bytes that were there are read: a server still sending at its
deadline (a tarpit, a drip, an endless stream) is too late, and the look is bounded by the
socket's buffer, not by time.

Does not own: parsing the answer (``fetch.connection``); the deadline's length,
politeness, redirects, decoding, retries (``fetch.core``).
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import time
from collections.abc import AsyncIterator, Mapping
from typing import NamedTuple
from urllib.parse import urlsplit

import httptools

from tracker.fetch.addresses import is_private_ip, literal_ip
from tracker.fetch.connection import HIGH_WATER, ClosedEarly, Connection, arrived
from tracker.fetch.errors import ProtocolViolation, UnsafeAddress

__all__ = ["WirePool", "Exchange", "request_head", "Target", "target_of"]

KEEPALIVE_EXPIRY = 5.0
MAX_IDLE = 16

_DEFAULT_PORTS = {"http": 80, "https": 443}
#: characters httpx would percent-encode (or reject) in a URL: such URLs take its parser
_NEEDS_PARSER = re.compile(r'[^\x21-\x7e]|["<>\\^`{|}]')


class Target(NamedTuple):
    """Where a request goes: the connection's scheme, host and port, the ``Host`` header and
    the request target, byte for byte as ``httpx.URL`` would send them."""

    scheme: str
    host: str
    port: int
    netloc: bytes
    target: bytes


def target_of(url: str) -> Target:
    """``url`` split for the wire. A plain ASCII URL without user info (every URL the
    checker writes is one: ``tracker.urls`` normalises them) is split with ``urlsplit``
    and kept byte for byte; anything else goes through ``httpx.URL`` (~25 µs each).
    Raises ``httpx.InvalidURL`` or ``ValueError`` for URLs that cannot be requested."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in _DEFAULT_PORTS and "@" not in parts.netloc and not _NEEDS_PARSER.search(url) and parts.hostname:
        host = parts.hostname
        port = parts.port
        if port == _DEFAULT_PORTS[scheme]:
            port = None
        netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port is not None else "")
        rest = url.split("#", 1)[0]
        target = rest[rest.index("//") + 2 + len(parts.netloc):]
        if not target.startswith("/"):
            target = "/" + target
        return Target(scheme, host, port or _DEFAULT_PORTS[scheme], netloc.encode("ascii"), target.encode("ascii"))
    import httpx  # ~0.1 s to import: only for the rare URL that needs its parser

    parsed = httpx.URL(url)
    return Target(parsed.scheme, parsed.raw_host.decode("ascii"), parsed.port or _DEFAULT_PORTS.get(parsed.scheme, 0),
                  parsed.netloc, parsed.raw_path)


def request_head(method: str, target: bytes, host: bytes, headers: Mapping[str, str]) -> bytes:
    """The request line and headers, as bytes; a header containing CR or LF is refused."""
    lines = [method.encode("ascii") + b" " + target + b" HTTP/1.1\r\nHost: " + host + b"\r\n"]
    for name, value in headers.items():
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name or ":" in name:
            raise ProtocolViolation(f"refused to send header {name!r}: it contains a line break")
        lines.append(f"{name}: {value}\r\n".encode("utf-8"))
    lines.append(b"\r\n")
    return b"".join(lines)



class Exchange:
    """One request on one connection: ``status, headers = await ex.head()``, then ``ex.body()``.

    With a ``deadline`` (``loop.time()`` based), ``head`` and ``body`` raise ``TimeoutError``
    once it has passed, but only after taking what had already arrived (see the module
    docstring)."""

    def __init__(self, pool: WirePool, conn: Connection) -> None:
        self._pool, self._conn = pool, conn
        self._timer: asyncio.TimerHandle | None = None
        self._expired = False
        #: past the deadline: the byte count (``conn.received``) up to which arrived bytes are read
        self._budget: int | None = None
        self._idle_turn = False

    def send(self, method: str, data: bytes, deadline: float | None = None) -> None:
        conn = self._conn
        conn.reset()
        conn.head = method == "HEAD"
        conn.parser = httptools.HttpResponseParser(conn)
        assert conn.transport is not None
        if conn.closed or conn.transport.is_closing():
            raise ClosedEarly("the connection closed before the request was sent")
        conn.transport.write(data)
        if deadline is not None:
            self._timer = asyncio.get_running_loop().call_at(deadline, self._expire)

    def _expire(self) -> None:
        self._expired = True
        self._conn.wake(False)

    async def _wait(self) -> None:
        """Wait for the answer to move on; past the deadline, only on bytes already there."""
        conn = self._conn
        if not self._expired and (await conn.wait() or not self._expired):
            return
        if self._budget is None:  # the deadline has just passed: what had arrived by then?
            waiting = arrived(conn)
            if waiting is None:
                raise TimeoutError()
            self._budget = conn.received + waiting
        elif self._idle_turn or conn.received > self._budget:
            raise TimeoutError()  # what had arrived is read (a server still sending is too late)
        before = conn.received
        await conn.wait(turn=True)
        self._idle_turn = conn.received == before

    async def head(self) -> tuple[int, list[tuple[bytes, bytes]]]:
        conn = self._conn
        while not conn.headers_done:
            if conn.error is not None:
                raise conn.error
            await self._wait()
        return conn.status, conn.headers

    async def body(self) -> AsyncIterator[bytes]:
        conn = self._conn
        while True:
            while conn.chunks:
                chunk = conn.chunks.popleft()
                conn.buffered -= len(chunk)
                if conn.paused and conn.buffered <= HIGH_WATER // 2 and conn.transport is not None:
                    conn.paused = False
                    conn.transport.resume_reading()
                yield chunk
            if conn.complete:
                return
            if conn.error is not None:
                raise conn.error
            await self._wait()

    def finish(self) -> None:
        """Back to the pool after a complete keep-alive answer; closed otherwise."""
        if self._timer is not None:
            self._timer.cancel()
        conn = self._conn
        reusable = conn.reusable
        conn.parser = None
        if reusable:
            self._pool.put_back(conn)
        else:
            conn.close()


def _is_private(address: str) -> bool:
    """An address ``getaddrinfo`` gave (a scope suffix such as ``%eth0`` dropped); one that does
    not parse counts as private."""
    ip = literal_ip(address.split("%", 1)[0])
    return ip is None or is_private_ip(ip)


class WirePool:
    """Idle keep-alive connections to one ``(scheme, host, port)``."""

    def __init__(self, scheme: str, host: str, port: int, ssl_context: ssl.SSLContext | None) -> None:
        self.scheme, self.host, self.port = scheme, host, port
        self._ssl = ssl_context if scheme == "https" else None
        self._idle: list[Connection] = []

    async def exchange(self, public_only: bool = False, deadline: float | None = None) -> Exchange:
        """An idle connection, or a new one (made by ``deadline``, else ``TimeoutError``).
        ``public_only`` (a hop a redirect from a public address led to): only a connection to a
        public address, never one whose peer is private; raises ``UnsafeAddress`` when the host
        has no public address."""
        now = time.monotonic()
        kept: list[Connection] = []  # idle connections to private peers, left for other requests
        try:
            while self._idle:
                conn = self._idle.pop()
                if conn.closed or conn.transport is None or conn.transport.is_closing():
                    continue
                if now - conn.idle_since > KEEPALIVE_EXPIRY:
                    conn.close()
                    continue
                if public_only and conn.private_peer:
                    kept.append(conn)
                    continue
                return Exchange(self, conn)
        finally:
            self._idle.extend(reversed(kept))
        async with asyncio.timeout_at(deadline):
            conn = await self._connect(public_only)
        return Exchange(self, conn)

    async def _connect(self, public_only: bool = False) -> Connection:
        """A new connection to the first address that accepts one. Names are resolved with
        ``socket.getaddrinfo`` in a worker thread, as asyncio's own loop does, so uvloop's
        built-in resolver never bypasses the system's (or a test's) resolution. With
        ``public_only``, private addresses are dropped from *this* resolution before any
        connection, so a name that answered a public address to an earlier check and a
        private one now (DNS rebinding) reaches nothing."""
        loop = asyncio.get_running_loop()
        if literal_ip(self.host) is not None:
            addresses = [self.host]
        else:
            infos = await loop.run_in_executor(None, socket.getaddrinfo, self.host, self.port, 0,
                                               socket.SOCK_STREAM)
            addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        private = {a for a in addresses if _is_private(a)}
        if public_only:
            if addresses and len(private) == len(addresses):
                raise UnsafeAddress(f"refused a redirect from a public address to a private one: {self.host} "
                                    f"connects to {', '.join(addresses[:3])}")
            addresses = [a for a in addresses if a not in private]
        last: OSError | None = None
        for address in addresses:
            try:
                _, conn = await loop.create_connection(
                    Connection, address, self.port, ssl=self._ssl,
                    server_hostname=self.host if self._ssl is not None else None)
                conn.private_peer = address in private
                return conn
            except OSError as exc:
                last = exc
        raise last if last is not None else OSError(f"no address for {self.host}")

    def put_back(self, conn: Connection) -> None:
        if len(self._idle) >= MAX_IDLE:
            conn.close()
            return
        conn.idle_since = time.monotonic()
        self._idle.append(conn)

    def close(self) -> None:
        for conn in self._idle:
            conn.close()
        self._idle.clear()
