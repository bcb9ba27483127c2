"""Fetch what the author wrote: the checker requests each link byte for byte as written
(RFC 3986-normalised only), never its canonical identity.

A real server on 127.0.0.1 answers 200 only for the exact raw request target (and,
for the international host, only for its punycode ``Host``), 404 for anything else,
so a rewritten request shows up as a failing link. The international host is
resolved to loopback by a resolver patched into this process (``socket.getaddrinfo``),
not by /etc/hosts.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from tracker.db.session import Database
from tracker.fetch.links import FetchRequest, LinkClient
from tracker.services.linkcheck import check_links
from tracker.urls import request_url
from tests.conftest import CLI
from tests.links import server as srv
from tests.links.seed import T0, at, days, make_settings, seed

ENV = {"TRACKER_NOW": "2026-11-23T09:00:00Z", "TRACKER_CHECK__HOST_INTERVAL": "0",
       "TRACKER_CHECK__BACKOFF_BASE": "0.01", "TRACKER_CHECK__TIMEOUT": "15",
       "TRACKER_CHECK__RETRIES": "0"}
IDN_HOST = "bücher.test"
IDN_A_LABEL = "xn--bcher-kva.test"
#: the raw request targets the server accepts, as the document writes them (the last one's
#: canonical identity sorts its query and drops utm_source: it must not be what is requested)
WRITTEN_PATHS = ("/100%25-sure", "/a%2Fb", "/wiki/C%2B%2B", "/q?b=2&a=1&utm_source=doc")


def _article(title: str) -> srv.Handler:
    words = " ".join(f"{title.split()[0].lower()}{i}" for i in range(200))
    return srv.html_page(title, f"<h1>{title}</h1><p>{words}</p>")


def _exact_only(accepted: dict[tuple[str, str], srv.Handler]) -> srv.Handler:
    """200 for an exact (Host, raw target) pair, 404 for anything else."""
    def handle(h: Any) -> None:
        key = (h.headers.get("Host", ""), h.path)
        accepted.get(key, srv.status_page(404, "Not Found"))(h)
    return handle


@pytest.fixture
def loopback_names(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Resolve chosen names (A-labels) to loopback addresses inside this process only."""
    names: dict[str, str] = {}
    real = socket.getaddrinfo

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode("ascii") if isinstance(host, bytes) else host
        return real(names.get(name, name), port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return names


@pytest.fixture
def exact_server(loopback_names: dict[str, str]) -> Iterator[srv.FaultServer]:
    accepted: dict[tuple[str, str], srv.Handler] = {}
    server = srv.FaultServer("127.0.0.1", default=_exact_only(accepted))
    ip_host = f"127.0.0.1:{server.port}"
    for path in WRITTEN_PATHS:
        accepted[(ip_host, path)] = _article(f"Page {path}")
    accepted[(f"{IDN_A_LABEL}:{server.port}", "/x")] = _article("Bücher x")
    loopback_names[IDN_A_LABEL] = "127.0.0.1"
    with server:
        yield server


def _written(server: srv.FaultServer) -> list[str]:
    return [server.url(p) for p in WRITTEN_PATHS] + [f"http://{IDN_HOST}:{server.port}/x"]


def test_request_url_keeps_what_the_author_wrote() -> None:
    """The reported bug: canonical forms decoded these reserved escapes and rejected the IDN host."""
    assert request_url("http://host/100%25-sure") == "http://host/100%25-sure"
    assert request_url("http://host/a%2Fb") == "http://host/a%2Fb"
    assert request_url("http://host/wiki/C%2B%2B") == "http://host/wiki/C%2B%2B"
    assert request_url("http://bücher.test:8080/x#top") == "http://xn--bcher-kva.test:8080/x"


@pytest.mark.parametrize(("written", "host", "target"), [
    ("http://h/100%25-sure", b"h", b"/100%25-sure"),
    ("http://h/a%2Fb", b"h", b"/a%2Fb"),
    ("http://h/wiki/C%2B%2B", b"h", b"/wiki/C%2B%2B"),
    ("http://bücher.test/x", b"xn--bcher-kva.test", b"/x"),
    ("http://h/a%2fb%3a", b"h", b"/a%2Fb%3A"),
    ("http://h/%7Euser/%41", b"h", b"/~user/A"),
    ("http://h/p|q{r}[s]", b"h", b"/p%7Cq%7Br%7D%5Bs%5D"),
    ("http://h/caf\u00e9?q=a+b&x=%2F&y=/&z='", b"h", b"/caf%C3%A9?q=a+b&x=%2F&y=/&z='"),
    ("http://h/a/./b/../c/;p=1,2$!*()@:", b"h", b"/a/c/;p=1,2$!*()@:"),
    ("http://h/50%", b"h", b"/50%25"),
])
def test_httpx_sends_the_normalised_form_unchanged(written: str, host: bytes, target: bytes) -> None:
    """httpx re-parses the string it is given: the normal form must survive that byte for byte."""
    url = request_url(written)
    request = httpx.Client().build_request("GET", url)
    assert request.url.raw_host == host
    assert request.url.raw_path == target
    assert str(request.url) == url
    port = httpx.URL(url).port
    built = httpx.URL(scheme="http", host=host.decode(), port=port, raw_path=target)
    assert built.raw_path == request.url.raw_path and built.raw_host == request.url.raw_host


def test_link_client_puts_the_written_bytes_on_the_wire(db_url: str, exact_server: srv.FaultServer) -> None:
    settings = make_settings(db_url)

    async def fetch_all() -> list[int | None]:
        async with LinkClient(settings) as client:
            results = await client.fetch_all([FetchRequest(request_url(u)) for u in _written(exact_server)])
        return [r.status for r in results]

    assert asyncio.run(fetch_all()) == [200] * (len(WRITTEN_PATHS) + 1)
    assert sorted(h.path for h in exact_server.hits()) == sorted([*WRITTEN_PATHS, "/x"])


def test_rewritten_forms_are_refused_by_the_exact_server(db_url: str, exact_server: srv.FaultServer) -> None:
    """The server really is strict: the decoded forms tracker used to send get 404."""
    settings = make_settings(db_url)
    decoded = [exact_server.url(p) for p in ("/100%-sure", "/a/b", "/wiki/C++")]

    async def fetch_all() -> list[int | None]:
        async with LinkClient(settings) as client:
            return [r.status for r in await client.fetch_all([FetchRequest(u) for u in decoded])]

    assert asyncio.run(fetch_all()) == [404, 404, 404]


def test_check_through_the_cli_requests_each_link_as_written(run: CLI, tmp_path: Path,
                                                            exact_server: srv.FaultServer) -> None:
    written = _written(exact_server)
    doc = tmp_path / "doc"
    doc.mkdir()
    (doc / "guide.md").write_text("# Guide\n\n## Links\n\n" + "".join(
        f"- [link {i}]({u}) is worth reading.\n" for i, u in enumerate(written)), encoding="utf-8")
    imported = run("import", str(doc), env=ENV)
    assert imported.exit_code == 0, imported.stderr

    result = run("check", "--all", "--format", "json", env=ENV)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["checked"] == len(written)
    report = run("report", "links", "--format", "json", env=ENV)
    assert report.exit_code == 0, report.stderr
    links = {item["url"]: item for item in json.loads(report.stdout)["links"]}
    assert set(links) == set(written)  # the report shows the URL the author wrote
    # each link with its reason: a link that is not alive says why (a timeout, a reset, a soft 404)
    assert {u: (links[u]["state"], links[u]["reason"]) for u in written} == {u: ("alive", "ok (200)") for u in written}
    assert data["summary"]["alive"] == len(written) and data["summary"]["failing"] == 0
    requested = {(h.path) for h in exact_server.hits() if h.method in ("GET", "HEAD")}
    assert {*WRITTEN_PATHS, "/x"} <= requested
    assert not requested & {"/100%-sure", "/a/b", "/wiki/C++", "/q?a=1&b=2"}
    assert all(links[u]["http_status"] == 200 for u in written)

    resources = json.loads(run("resources", "--format", "json", env=ENV).stdout)
    by_url = {r["url"]: r["canonical_url"] for r in resources}
    assert by_url[written[1]] == written[1]  # identity keeps %2F too: /a%2Fb is not /a/b
    assert by_url[written[3]] == exact_server.url("/q?a=1&b=2")  # grouping only
    assert by_url[written[4]] == f"http://{IDN_A_LABEL}:{exact_server.port}/x"

    exported = run("export", "--format", "json", env=ENV)
    assert exported.exit_code == 0, exported.stderr
    assert set(written) <= set(re.findall(r'"url": "([^"]+)"', exported.stdout))


def test_archive_lookup_asks_about_the_written_url(db: Database, db_url: str) -> None:
    """A dead link is looked up in the Wayback Machine under the URL the author wrote."""
    written = ["https://a.example/wiki/C%2B%2B?utm_source=doc#History", "https://bücher.example/x"]
    seed(db, written)
    asked: list[str] = []

    def wayback(request: httpx.Request) -> httpx.Response:
        asked.append(parse_qs(request.url.query.decode())["url"][0])
        return httpx.Response(200, json={"archived_snapshots": {}})

    sites = httpx.MockTransport(lambda request: httpx.Response(404, html="<title>404</title>"))
    settings = make_settings(db_url)
    for d in (0, 1.5, 3):
        check_links(db, at(settings, T0 + days(d)), transport=sites,
                    wayback_transport=httpx.MockTransport(wayback))
    assert sorted(asked) == ["https://a.example/wiki/C%2B%2B?utm_source=doc", "https://xn--bcher-kva.example/x"]
