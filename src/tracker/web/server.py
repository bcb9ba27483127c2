"""Running the web application: the bind rules and the HTTP server.

Owns: refusing a non-loopback bind without ``TRACKER_SERVE_TOKEN``, and serving the
WSGI app with Werkzeug's threaded server — enough for the handful of maintainers a
document has; behind a reverse proxy, any WSGI server can host ``create_app`` instead.
Does not own: the pages or the guards.
"""

from __future__ import annotations

from werkzeug.serving import BaseWSGIServer, make_server

from tracker.config import Settings
from tracker.db.session import Database
from tracker.errors import InputError
from tracker.web.app import create_app
from tracker.web.security import is_loopback

__all__ = ["build_server", "warm_up", "MIN_TOKEN_CHARS"]

MIN_TOKEN_CHARS = 16


def warm_up() -> None:
    """Import what the queue page needs before the server says it is serving: the scoring
    (scikit-learn, SciPy) is imported on first use so the command line starts fast, which
    made the first queue page after ``tracker serve`` take 2-2.5 s instead of 0.1 s."""
    import tracker.services.propose  # noqa: F401  (review.queue imports it on each call)


def build_server(db: Database, settings: Settings, host: str, port: int, token: str | None,
                 by: str | None = None) -> BaseWSGIServer:
    """A bound, not yet serving, server (``port`` 0: any free port, see ``server_port``)."""
    loopback = is_loopback(host)
    token = (token or "").strip() or None
    if not loopback and token is None:
        raise InputError(f"--host {host} is reachable from other machines: set TRACKER_SERVE_TOKEN "
                         f"(at least {MIN_TOKEN_CHARS} characters) so only people with it can use the page")
    if token is not None and len(token) < MIN_TOKEN_CHARS:
        raise InputError(f"TRACKER_SERVE_TOKEN is too short: use at least {MIN_TOKEN_CHARS} characters")
    app = create_app(db, settings, token=token, loopback=loopback, by=by)
    warm_up()
    try:
        return make_server(host, port, app, threaded=True)
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
