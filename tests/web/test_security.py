"""The web page's guards: CSRF on every POST, the token on non-loopback binds, the Host
check on loopback, the response headers, and escaping of hostile text."""

from __future__ import annotations

import re
from typing import Any

import httpx
from click.testing import CliRunner
import pytest
from sqlalchemy import func, select

from tests.web.conftest import HOSTILE_URL, add_hostile_candidate, start_serve
from tests.helpers import table_counts
from tracker.config import Settings
from tracker.db.models_candidates import Candidate, CandidateDecision
from tracker.db.session import Database
from tracker.errors import InputError
from tracker.cli import cli
from tracker.web import create_app
from tracker.web.security import CSP, TOKEN_COOKIE
from tracker.web.server import build_server

Demo = tuple[Database, Settings]
TOKEN = "s3cret-token-for-the-tests"
HOST = {"Host": "127.0.0.1:8787"}


def _csrf(client: Any, path: str = "/") -> str:
    page = client.get(path, headers=HOST).get_data(as_text=True)
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def _first_queued(db: Database) -> int:
    with db.transaction() as session:
        return int(session.scalars(select(Candidate.id).where(Candidate.status == "queued")
                                   .order_by(Candidate.id)).first() or 0)


def _decisions(db: Database) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(CandidateDecision)) or 0)


def test_a_post_without_or_with_a_wrong_csrf_token_is_refused(demo: Demo) -> None:
    db, settings = demo
    client = create_app(db, settings).test_client()
    cid = _first_queued(db)
    before = table_counts(db)
    for form in ({"action": "accept"}, {"action": "accept", "csrf": "forged"}, {"action": "accept", "csrf": ""}):
        response = client.post(f"/candidates/{cid}/decide", data=form, headers=HOST)
        assert response.status_code == 403 and b"CSRF" in response.data
    for path in ("/sources/demo-blog/disable", f"/candidates/{cid}/undo", "/reviewer"):
        assert client.post(path, data={}, headers=HOST).status_code == 403
    fresh = create_app(db, settings).test_client()  # a token from another session is no good either
    assert fresh.post(f"/candidates/{cid}/decide", data={"action": "accept", "csrf": _csrf(client)},
                      headers=HOST).status_code == 403
    assert table_counts(db) == before
    ok = client.post(f"/candidates/{cid}/decide", data={"action": "accept", "csrf": _csrf(client), "back": "/"},
                     headers=HOST)
    assert ok.status_code == 303 and ok.headers["Location"] == "/"
    assert _decisions(db) == 1


def test_get_never_changes_anything(demo: Demo) -> None:
    db, settings = demo
    client = create_app(db, settings).test_client()
    cid = _first_queued(db)
    assert client.get(f"/candidates/{cid}/decide?action=accept", headers=HOST).status_code == 405
    assert _decisions(db) == 0


def test_without_javascript_a_decision_is_a_form_post_that_redirects_back(demo: Demo) -> None:
    db, settings = demo
    client = create_app(db, settings, by="carol").test_client()
    cid = _first_queued(db)
    response = client.post(f"/candidates/{cid}/decide", follow_redirects=True, headers=HOST, data={
        "action": "move", "topic": "attention", "csrf": _csrf(client), "back": "/?week=2026-W46"})
    assert response.status_code == 200 and "moved" in response.get_data(as_text=True)
    response = client.post(f"/candidates/{cid}/undo", follow_redirects=True, headers=HOST, data={
        "csrf": _csrf(client), "back": "//evil.example/"})  # only local paths are followed back
    assert response.request.path == "/" and "undid move" in response.get_data(as_text=True)


def test_responses_carry_the_content_security_policy(demo: Demo) -> None:
    db, settings = demo
    client = create_app(db, settings).test_client()
    for path in ("/", "/links", "/document", "/sources", "/static/app.js"):
        response = client.get(path, headers=HOST)
        assert response.status_code == 200, path
        assert response.headers["Content-Security-Policy"] == CSP and "script-src 'self'" in CSP
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    page = client.get("/", headers=HOST).get_data(as_text=True)
    assert not re.search(r"\son[a-z]+\s*=", page)  # no inline event handlers
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/app.js" defer>']


def test_a_loopback_server_refuses_other_host_names(demo: Demo) -> None:
    db, settings = demo
    client = create_app(db, settings).test_client()
    assert client.get("/", headers={"Host": "attacker.example"}).status_code == 400
    for host in ("localhost:8787", "127.0.0.1", "[::1]:8787"):
        assert client.get("/", headers={"Host": host}).status_code == 200, host


def test_with_a_token_every_request_without_it_is_refused(demo: Demo) -> None:
    db, settings = demo
    client = create_app(db, settings, token=TOKEN, loopback=False).test_client()
    for path in ("/", "/links", "/document", "/sources", "/export/resources.csv", "/static/app.js"):
        assert client.get(path).status_code == 401, path
    assert client.get("/?token=wrong").status_code == 401
    assert client.post("/sources/demo-blog/disable", data={}).status_code == 401
    response = client.get(f"/links?token={TOKEN}")
    assert response.status_code == 303 and response.headers["Location"] == "/links"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{TOKEN_COOKIE}=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert client.get("/links").status_code == 200  # the cookie is enough from now on
    other = create_app(db, settings, token=TOKEN, loopback=False).test_client()
    assert other.post("/login", data={"token": "nope"}).status_code == 401
    login = other.post("/login", data={"token": TOKEN})
    assert login.status_code == 303 and other.get("/sources").status_code == 200


def test_serve_on_a_non_loopback_address_needs_the_token(demo: Demo) -> None:
    db, settings = demo
    with pytest.raises(InputError, match="TRACKER_SERVE_TOKEN"):
        build_server(db, settings, "0.0.0.0", 0, None)
    with pytest.raises(InputError, match="too short"):
        build_server(db, settings, "0.0.0.0", 0, "short")
    refused = CliRunner().invoke(cli, ["--db", settings.database_url, "serve", "--host", "0.0.0.0", "--port", "0"])
    assert refused.exit_code == 1 and refused.stderr.startswith("Error: --host 0.0.0.0")


def test_a_real_server_on_all_interfaces_refuses_requests_without_the_token(demo: Demo) -> None:
    _db, settings = demo
    server = start_serve(settings.database_url, "--host", "0.0.0.0", TRACKER_SERVE_TOKEN=TOKEN)
    port = server.url.rsplit(":", 1)[1]
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client() as client:
            assert client.get(base + "/").status_code == 401
            assert client.post(base + "/sources/demo-blog/disable").status_code == 401
            first = client.get(base + f"/?token={TOKEN}")
            assert first.status_code == 303 and TOKEN_COOKIE in client.cookies
            assert client.get(base + "/").status_code == 200
    finally:
        server.stop()


def test_hostile_text_is_escaped_and_unsafe_links_are_not_links(demo: Demo) -> None:
    db, settings = demo
    add_hostile_candidate(db, settings)
    page = create_app(db, settings).test_client().get("/", headers=HOST).get_data(as_text=True)
    assert "&lt;script&gt;alert(" in page and "<script>alert" not in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    assert 'href="javascript' not in page.lower() and HOSTILE_URL not in page


@pytest.mark.parametrize("target", ["/\t/evil.example/", "/\n/evil.example/", "/\r/evil.example/",
                                    "/\\evil.example/", "//evil.example/", "https://evil.example/", " /x"])
def test_back_is_followed_only_to_a_plain_local_path(demo: Demo, target: str) -> None:
    """Browsers drop tabs and line breaks from a URL, so ``/\\t/evil.example/`` is ``//evil.example/``
    to them: any control character or space in ``back`` makes it the default."""
    db, settings = demo
    client = create_app(db, settings, by="carol").test_client()
    cid = _first_queued(db)
    response = client.post(f"/candidates/{cid}/decide", headers=HOST, data={
        "action": "defer", "csrf": _csrf(client), "back": target})
    assert response.status_code == 303 and response.headers["Location"] == "/", response.headers["Location"]
