"""Redirect safety holds against DNS rebinding: the decision is made on the address connected to.

A name can answer a public address to the redirect check's lookup and a loopback one to the
connection's own lookup. Here the core's injectable resolver says ``public.example`` and
``rebind.test`` are public (93.184.x.x), while ``socket.getaddrinfo`` as the wire sees it
sends both to loopback servers (127.0.0.58 and 127.0.0.59) — the only addresses it ever
returns, so nothing can be sent anywhere but loopback. A hop reached by a redirect from a
public address must connect only to public addresses; links the document itself writes
(and hops from a private address) connect to loopback as before.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.fetch.wire import article
from tests.links import server as srv
from tests.links.seed import make_settings
from tracker.fetch import runner, wire
from tracker.fetch.addresses import literal_ip
from tracker.fetch.core import HttpCore
from tracker.fetch.errors import ErrorClass
from tracker.fetch.gate import LocalGates
from tracker.fetch.links import link_policy
from tracker.fetch.model import FetchRequest, FetchResult

PUBLIC_LOOKING = {"public.example": ["93.184.215.14"], "rebind.test": ["93.184.216.34"]}


async def _resolver(host: str) -> list[str]:
    """What the redirect check is told: both names are public."""
    return PUBLIC_LOOKING.get(host, [])


@pytest.fixture
def servers() -> Iterator[tuple[srv.FaultServer, srv.FaultServer]]:
    inner = srv.FaultServer("127.0.0.59", routes={"/secret": article("Internal admin page"),
                                                  "/ok": article("Loopback page fine")})
    inner.start()
    public = srv.FaultServer("127.0.0.58", routes={
        "/to-rebind": srv.redirect(f"http://rebind.test:{inner.port}/secret"),
        "/to-rebind-ok": srv.redirect(f"http://rebind.test:{inner.port}/ok", 302),
    }).start()
    yield public, inner
    public.stop(), inner.stop()


Lookup = Callable[[str], "list[str] | None"]


@pytest.fixture
def wire_dns(monkeypatch: pytest.MonkeyPatch) -> Callable[[Lookup], list[str]]:
    """Replaces ``socket.getaddrinfo`` as ``fetch.wire`` calls it: ``lookup(name)`` gives the
    addresses (all loopback) or None for "no such name"; the names asked are returned."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def install(lookup: Lookup) -> list[str]:
        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(host, str) and literal_ip(host) is not None:
                return real(host, port, *args, **kwargs)
            asked.append(str(host))
            found = lookup(str(host))
            if found is None:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            assert all(a.startswith("127.") for a in found), "the stub must answer loopback only"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, int(port))) for a in found]

        monkeypatch.setattr(wire.socket, "getaddrinfo", getaddrinfo)
        return asked
    return install


def _loopback(public: srv.FaultServer, inner: srv.FaultServer) -> Lookup:
    names = {"public.example": [public.host], "rebind.test": [inner.host]}
    return lambda host: names.get(host)


def fetch_all(urls: list[str]) -> list[FetchResult]:
    policy = link_policy(make_settings("sqlite://", check={"retries": 0, "timeout": 10}))

    async def go() -> list[FetchResult]:
        async with HttpCore(gates=LocalGates(), resolver=_resolver) as core:
            return [await core.fetch(policy, FetchRequest(u)) for u in urls]  # in order, one core
    return runner.run(go())


def test_a_name_that_rebinds_to_loopback_after_the_check_is_refused_on_the_wire(
        servers: tuple[srv.FaultServer, srv.FaultServer], wire_dns: Callable[[Lookup], list[str]]) -> None:
    public, inner = servers
    asked = wire_dns(_loopback(public, inner))
    [res] = fetch_all([f"http://public.example:{public.port}/to-rebind"])
    assert res.error_class is ErrorClass.UNSAFE_REDIRECT, (res.error_class, res.error)
    assert "private" in res.error and "rebind.test" in res.error
    assert res.status is None and [h.status for h in res.redirects] == [301]
    assert len(public.hits("/to-rebind")) == 1
    assert inner.hits() == []  # the secret server never got a request
    assert asked == ["public.example", "rebind.test"]  # the second lookup happened: refused on its answer


def test_a_pooled_connection_to_a_private_peer_is_not_reused_for_a_guarded_hop(
        servers: tuple[srv.FaultServer, srv.FaultServer], wire_dns: Callable[[Lookup], list[str]]) -> None:
    """The document's own link to ``rebind.test`` leaves a keep-alive connection to 127.0.0.59 in
    the pool; the later redirect into ``rebind.test`` must not ride on it. The name then stops
    resolving, so only a reused connection could reach the secret."""
    public, inner = servers
    lookups = {"rebind.test": 0}

    def once(host: str) -> list[str] | None:
        if host == "rebind.test":
            lookups["rebind.test"] += 1
            return [inner.host] if lookups["rebind.test"] == 1 else None
        return _loopback(public, inner)(host)
    wire_dns(once)
    own, bounced = fetch_all([f"http://rebind.test:{inner.port}/ok",
                              f"http://public.example:{public.port}/to-rebind"])
    assert own.status == 200 and own.error_class is None  # the document's own link: as written
    assert bounced.status is None and bounced.error_class is not None
    assert inner.hits("/secret") == [] and len(inner.hits("/ok")) == 1


def test_links_the_document_writes_to_loopback_are_still_fetched(
        servers: tuple[srv.FaultServer, srv.FaultServer], wire_dns: Callable[[Lookup], list[str]]) -> None:
    public, inner = servers
    wire_dns(_loopback(public, inner))
    literal, named, from_private = fetch_all([
        inner.url("/ok"),                                   # http://127.0.0.59:PORT/ok as written
        f"http://rebind.test:{inner.port}/ok",              # a name that resolves to loopback
        f"http://{public.host}:{public.port}/to-rebind-ok",  # a hop from a private address: not guarded
    ])
    assert literal.status == 200 and b"Loopback page fine" in literal.body
    assert named.status == 200 and named.error_class is None
    assert from_private.status == 200 and from_private.final_url == f"http://rebind.test:{inner.port}/ok"
    assert len(inner.hits("/ok")) == 3 and inner.hits("/secret") == []
