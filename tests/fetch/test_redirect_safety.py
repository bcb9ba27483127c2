"""A public page cannot bounce the checker into our own network.

``public.example`` is a public-looking name that a transport stub sends to a real
loopback server (as DNS would send it somewhere public); its redirects into
169.254.169.254, 10.0.0.0/8 and 127.0.0.0/8 are refused before any connection and
reported, never counted as death. A link the document itself writes to loopback is
checked as written (tests and the demo rely on that).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.fetch.wire import article
from tests.links import server as srv
from tests.links.seed import make_settings, seed
from tracker.db.session import Database
from tracker.fetch.addresses import HostAddresses
from tracker.services.linkcheck import check_links
from tracker.services.report import link_report


class PublicNames(httpx.AsyncBaseTransport):
    """Sends ``public.example`` to a loopback server; refuses to connect anywhere else but loopback."""

    def __init__(self, target: srv.FaultServer) -> None:
        self.target = target
        self.inner = httpx.AsyncHTTPTransport()
        self.hosts: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.hosts.append(request.url.host)
        if request.url.host == "public.example":
            request.url = request.url.copy_with(host=self.target.host, port=self.target.port)
        assert request.url.host.startswith("127."), f"would leave the machine: {request.url}"
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def servers() -> Iterator[tuple[srv.FaultServer, srv.FaultServer]]:
    inner = srv.FaultServer("127.0.0.57", routes={"/secret": article("Internal admin page"),
                                                  "/ok": article("Loopback page fine")})
    public = srv.FaultServer("127.0.0.56", routes={
        "/to-metadata": srv.redirect("http://169.254.169.254/latest/meta-data/"),
        "/to-ten": srv.redirect("http://10.1.2.3/admin", 302),
        "/to-internal-name": srv.redirect("http://intranet.example/admin", 302),
        "/fine": srv.redirect("/landing"), "/landing": article("Landing page public"),
    })
    inner.start(), public.start()
    public.routes["/to-loopback"] = srv.redirect(inner.url("/secret"), 307)
    yield public, inner
    public.stop(), inner.stop()


async def _resolver(host: str) -> list[str]:
    return {"intranet.example": ["10.9.8.7"], "public.example": ["93.184.215.14"]}.get(host, [])


def test_redirects_from_public_into_private_addresses_are_refused_and_reported(
        db: Database, db_url: str, servers: tuple[srv.FaultServer, srv.FaultServer]) -> None:
    public, inner = servers
    paths = ["/to-metadata", "/to-ten", "/to-loopback", "/to-internal-name", "/fine"]
    urls = [f"http://public.example:{public.port}{p}" for p in paths]
    written_loopback = inner.url("/ok")  # the document itself points at loopback: checked as written
    seed(db, [*urls, written_loopback])
    settings = make_settings(db_url, check={"retries": 0})
    transport = PublicNames(public)
    report = check_links(db, settings, all_links=True, transport=transport, resolver=_resolver)
    rows = {r.url: r for r in link_report(db, settings).rows}
    for path in ("/to-metadata", "/to-ten", "/to-loopback", "/to-internal-name"):
        row = rows[f"http://public.example:{public.port}{path}"]
        assert row.state == "failing" and "private network refused" in row.reason, (path, row.reason)
    assert rows[f"http://public.example:{public.port}/fine"].state == "redirected"  # public → public: followed
    assert rows[written_loopback].state == "alive"
    assert inner.hits("/secret") == []  # never contacted
    assert set(transport.hosts) <= {"public.example", "127.0.0.57"}  # nothing went to 169.254/10.x
    assert not report.inconclusive


def test_a_private_failure_is_never_a_reason_for_dead(db: Database, db_url: str,
                                                      servers: tuple[srv.FaultServer, srv.FaultServer]) -> None:
    from dataclasses import replace

    from tests.links.seed import T0, days
    public, _inner = servers
    url = f"http://public.example:{public.port}/to-metadata"
    seed(db, [url])
    settings = make_settings(db_url, check={"retries": 0})
    for d in (0, 4, 8, 12):
        check_links(db, replace(settings, now_override=T0 + days(d)), all_links=True,
                    transport=PublicNames(public), resolver=_resolver)
    [row] = link_report(db, settings).rows
    assert row.state == "failing" and row.state != "dead"


@pytest.mark.parametrize("host, private", [
    ("169.254.169.254", True), ("10.0.0.1", True), ("127.0.0.1", True), ("192.168.1.1", True),
    ("[::1]", True), ("::ffff:127.0.0.1", True), ("100.100.100.200", True), ("localhost", True),
    ("intranet.example", True), ("public.example", False), ("8.8.8.8", False), ("nowhere.example", False),
])
def test_which_hosts_are_private(host: str, private: bool) -> None:
    assert asyncio.run(HostAddresses(_resolver).is_private(host)) is private
