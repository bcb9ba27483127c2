"""The Flask application: configuration, shared template helpers, error pages.

Owns: building the app for one database and settings (``create_app``), the
template filters (dates, safe link targets, percentages), the reviewer's name
(a cookie, defaulting to ``--by`` or ``$USER``) and turning ``TrackerError`` into a
readable page or message, its next step worded as the page's button, field or key
(``error_text``). Does not own: the pages (``queue``, ``reports``, ``sources``) or
the guards (``security``).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from flask import Flask, flash, redirect, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from tracker.config import Settings
from tracker.db.session import Database
from tracker.errors import TrackerError
from tracker.export.text import safe_url
from tracker.web import security

__all__ = ["create_app", "reviewer", "back", "error_text"]

REVIEWER_COOKIE = "tracker_reviewer"

#: each next step a service's refusal can suggest (``tracker.errors.NEXT_STEPS``), as what a
#: maintainer does in the browser: never a command or a command-line option
NEXT_STEPS = {
    "undo": "to change it, undo it first: its Undo button under “Decided recently” (u undoes the newest)",
    "choose_topic": "choose a chapter in “Move to” (key m), then {action} it",
    "list_topics": "choose one from the “Move to” list",
    "list_candidates": "reload the queue to see the current candidates",
    "reload": "reload the page to see it",
    "list_sources": "reload the page to see the current sources",
    "choose_document": "choose one with name = … in the [document] section of the server's configuration",
    "pending": "import another version, or see the pending changes on the Document page",
}


def _day(value: Any) -> str:
    return value.strftime("%Y-%m-%d") if isinstance(value, datetime) else ""


def _stamp(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if isinstance(value, datetime) else ""


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def reviewer(app_default: str) -> str:
    """Who decides: the name this browser chose, else the server's default."""
    name = (request.cookies.get(REVIEWER_COOKIE) or "").strip()[:200]
    return name or app_default


def error_text(exc: TrackerError) -> str:
    """What a page says of ``exc``: its message and, when it suggests a next step, that step
    as the page offers it."""
    return exc.worded(NEXT_STEPS)


def back(default: str = "/") -> Response:
    """Redirect (303) to the page the form came from: its ``back`` field if it is a local path
    (no control character or space anywhere: browsers drop tabs and line breaks, so
    ``/<TAB>/evil.example/`` would be ``//evil.example/`` to them)."""
    target = request.form.get("back", "")
    if not target.startswith("/") or target.startswith("//") or "\\" in target or \
            any(ord(c) <= 0x20 or ord(c) == 0x7f for c in target):
        target = default
    return redirect(target, code=303)


def create_app(db: Database, settings: Settings, *, token: str | None = None, loopback: bool = True,
               by: str | None = None) -> Flask:
    """The application over ``db``; ``token`` is required from every client when given."""
    from tracker.services.review import default_reviewer
    from tracker.web import queue, reports, sources

    app = Flask(__name__)
    app.config.update(SECRET_KEY=secrets.token_bytes(32), SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_NAME="tracker_session",
                      MAX_CONTENT_LENGTH=64 * 1024, TEMPLATES_AUTO_RELOAD=False)
    app.extensions["tracker"] = {"db": db, "settings": settings, "by": by or default_reviewer()}
    app.jinja_env.autoescape = True  # every template, whatever its extension
    app.jinja_env.filters.update(day=_day, stamp=_stamp, percent=_percent, href=safe_url)
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    security.install(app, token, loopback)

    @app.context_processor
    def common() -> dict[str, Any]:
        return {"reviewer": reviewer(app.extensions["tracker"]["by"]), "now": settings.now()}

    @app.errorhandler(TrackerError)
    def tracker_error(exc: TrackerError) -> tuple[str, int]:
        return render_template("error.html", message=error_text(exc), status=400), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int]:
        code = exc.code or 500
        return render_template("error.html", message=exc.description or exc.name, status=code), code

    @app.post("/reviewer")
    def set_reviewer() -> Response:
        name = " ".join((request.form.get("name") or "").split())[:200]
        response = back()
        if name:
            response.set_cookie(REVIEWER_COOKIE, name, httponly=True, samesite="Strict",
                                max_age=365 * 86400)
            flash(f"decisions from this browser are signed {name}", "ok")
        return response

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status=204)

    app.register_blueprint(queue.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(sources.bp)
    return app
