"""The web page's guards: who may ask, from where, and which posts are genuine.

Owns: the access token for non-loopback binds (``TRACKER_SERVE_TOKEN``, accepted
once as ``?token=…`` or through the login form, then kept in an HttpOnly,
SameSite=Strict cookie), the Host check that stops DNS rebinding on loopback, the
CSRF token every POST must carry, and the response headers (Content-Security-Policy
with ``script-src 'self'``, no sniffing, no referrer, no framing).
Does not own: pages or decisions.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from urllib.parse import urlencode

from flask import Flask, Response, abort, redirect, render_template, request, session
from werkzeug.wrappers import Response as BaseResponse

__all__ = ["install", "is_loopback", "csrf_token", "TOKEN_COOKIE", "CSP"]

TOKEN_COOKIE = "tracker_token"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def csrf_token() -> str:
    """This browser session's CSRF token (made on first use)."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def _same(given: object, wanted: str) -> bool:
    return isinstance(given, str) and hmac.compare_digest(given.encode(), wanted.encode())


def _host_allowed(loopback: bool) -> bool:
    """On a loopback bind only loopback names may appear in Host (no DNS rebinding)."""
    if not loopback:
        return True
    host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
    return host.lower() in _LOOPBACK_NAMES or is_loopback(host)


def install(app: Flask, token: str | None, loopback: bool) -> None:
    """Register the guards on ``app``; ``token`` None means no token is asked (loopback only)."""

    @app.before_request
    def guard() -> BaseResponse | None:
        if not _host_allowed(loopback):
            abort(400, "this server answers only to localhost / 127.0.0.1")
        if token is not None:
            if request.endpoint == "login" and request.method == "POST":
                return None
            if not _same(request.cookies.get(TOKEN_COOKIE), token):
                given = request.args.get("token")
                if _same(given, token):
                    rest = {k: v for k, v in request.args.items(multi=True) if k != "token"}
                    target = request.path + (f"?{urlencode(rest)}" if rest else "")
                    response = redirect(target, code=303)
                    response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="Strict",
                                        secure=request.is_secure)
                    return response
                return Response(render_template("login.html", failed=given is not None), status=401)
        if request.method == "POST" and request.endpoint != "login":
            if not _same(request.form.get("csrf"), str(session.get("csrf", ""))) or "csrf" not in session:
                abort(403, "this form is missing its CSRF token (or it expired): reload the page and try again")
        return None

    @app.route("/login", methods=["POST"])
    def login() -> BaseResponse:
        if token is None or not _same(request.form.get("token"), token):
            return Response(render_template("login.html", failed=True), status=401)
        response = redirect("/", code=303)
        response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="Strict", secure=request.is_secure)
        return response

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.jinja_env.globals["csrf_token"] = csrf_token
