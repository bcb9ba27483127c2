"""The suite's HTTP servers answer without Nagle's algorithm (TCP_NODELAY on each accepted
connection): with it, every answer after the first on a kept-alive connection waited ~40 ms
for the client's delayed ACK, which the wire tests paid thousands of times."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from tests.crawl.server import FeedServer
from tests.links import server as srv
from tracker.fetch.core import HttpCore
from tracker.fetch.gate import HostRule, LocalGates
from tracker.fetch.model import FetchRequest, Policy

_POLICY = Policy(rule_for=lambda _host: HostRule(1, 0.0), timeout_for=lambda _host: 5.0, headers={},
                 body_limit=lambda _m, _s, _h: (4096, True))


def _nodelay(h: Any) -> bytes:
    return str(h.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)).encode()


def _bodies(url: str) -> list[bytes]:
    async def go() -> list[bytes]:
        async with HttpCore(gates=LocalGates()) as core:  # the second answer on a kept-alive connection
            return [(await core.fetch(_POLICY, FetchRequest(url))).body for _ in range(2)]
    return asyncio.run(go())


def test_the_fault_server_sets_tcp_nodelay() -> None:
    with srv.FaultServer("127.0.0.67", routes={"/": lambda h: h.send(200, _nodelay(h))}) as server:
        assert _bodies(server.url("/")) == [b"1", b"1"]
        assert len(server.hits()) == 2


def test_the_feed_server_sets_tcp_nodelay() -> None:
    with FeedServer("127.0.0.68") as server:
        server.routes["/"] = lambda h: h.reply(200, _nodelay(h), "text/plain")
        assert _bodies(server.url("/")) == [b"1", b"1"]
