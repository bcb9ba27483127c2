"""A lean asyncio network backend for httpcore (the sockets under the HTTP core's pools).

Owns: ``AsyncioBackend`` — TCP connections on asyncio streams, TLS through
``StreamWriter.start_tls``, and the ``is_readable`` probe httpcore uses to see that
a server closed an idle keep-alive connection. httpcore's default (anyio) backend
adds cancel scopes, shielded checkpoints and attribute look-ups to every read and
write; on a checker sending thousands of requests that is most of its CPU.
Per-operation timeouts are not needed here: ``fetch.core`` puts one deadline
around each whole exchange and cancellation closes the connection.
Does not own: HTTP (httpcore/h11), pools, politeness.
"""

from __future__ import annotations

import asyncio
import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore

__all__ = ["AsyncioBackend"]


class _Stream(httpcore.AsyncNetworkStream):
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            return await self._reader.read(max_bytes)
        except (ConnectionError, OSError) as exc:
            raise httpcore.ReadError(str(exc) or exc.__class__.__name__) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            self._writer.write(buffer)
            await self._writer.drain()
        except (ConnectionError, OSError) as exc:
            raise httpcore.WriteError(str(exc) or exc.__class__.__name__) from exc

    async def aclose(self) -> None:
        self._writer.close()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        try:
            await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except (ConnectionError, OSError, ssl.SSLError) as exc:
            self._writer.close()
            raise httpcore.ConnectError(str(exc) or exc.__class__.__name__) from exc
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            sock = self._writer.get_extra_info("socket")
            if sock is None or self._reader.at_eof():
                return True
            try:
                return bool(select.select([sock], [], [], 0)[0])
            except (OSError, ValueError):
                return True
        if info == "ssl_object":
            return self._writer.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._writer.get_extra_info("sockname")
        if info == "server_addr":
            return self._writer.get_extra_info("peername")
        if info == "socket":
            return self._writer.get_extra_info("socket")
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """``httpcore.AsyncConnectionPool(network_backend=AsyncioBackend())``."""

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        try:
            reader, writer = await asyncio.open_connection(
                host, port, local_addr=(local_address, 0) if local_address else None, limit=2 ** 20)
        except (ConnectionError, OSError) as exc:
            raise httpcore.ConnectError(str(exc) or exc.__class__.__name__) from exc
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for option in socket_options or ():
                sock.setsockopt(*option)
        return _Stream(reader, writer)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        reader, writer = await asyncio.open_unix_connection(path)
        return _Stream(reader, writer)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
