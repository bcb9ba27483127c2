"""A real local HTTP server for the crawler's wire tests (one per loopback address).

``FeedServer("127.0.0.2")`` serves byte bodies by request path (query included),
answers conditional requests with 304 when the validators match exactly, counts
the body bytes it writes and logs every request with its conditional headers.
Routes can also be functions (slow drips, huge streams, redirects). Fixture bytes
are read at test time from the shared folder, never stored here.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LAST_MODIFIED = "Mon, 02 Nov 2026 10:00:00 GMT"


@dataclass
class Route:
    body: bytes
    content_type: str = "application/xml; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    validators: bool = True

    @property
    def etag(self) -> str:
        return 'W/"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


@dataclass(frozen=True)
class Request:
    path: str
    if_none_match: str | None
    if_modified_since: str | None
    status: int


Dynamic = Callable[["_Handler"], int]


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY on each accepted connection: the headers and the body are two writes, and with
    # Nagle on, the body of every answer after the first on a kept-alive connection waited for
    # the client's delayed ACK (~40 ms an answer; ~0.5 ms without)
    disable_nagle_algorithm = True

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        owner = self.server.owner
        route = owner.routes.get(self.path)
        if callable(route):
            status = route(self)
        elif route is None:
            status = self.reply(404, b"not here", "text/plain")
        else:
            status = self._serve(route)
        with owner.lock:
            owner.log.append(Request(self.path, self.headers.get("If-None-Match"),
                                     self.headers.get("If-Modified-Since"), status))

    def _serve(self, route: Route) -> int:
        headers = dict(route.headers)
        if route.validators and route.status == 200:
            headers.update({"ETag": route.etag, "Last-Modified": LAST_MODIFIED})
            if self.headers.get("If-None-Match") == route.etag or \
                    self.headers.get("If-Modified-Since") == LAST_MODIFIED:
                return self.reply(304, b"", None, headers)
        return self.reply(route.status, route.body, route.content_type, headers)

    def reply(self, status: int, body: bytes, content_type: str | None,
              headers: dict[str, str] | None = None) -> int:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304 and body:
            self.wfile.write(body)
            self.server.owner.count(len(body))
        return status


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: "FeedServer"


class FeedServer:
    """Serve ``routes`` on ``host`` (a 127.0.0.x address) on a free port."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route | Dynamic] = {}
        self.log: list[Request] = []
        self.body_bytes = 0
        self.lock = threading.Lock()
        self._server = _Server((host, 0), _Handler)
        self._server.owner = self
        self.host = host
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def count(self, n: int) -> None:
        with self.lock:
            self.body_bytes += n

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def reset(self) -> None:
        with self.lock:
            self.log.clear()
            self.body_bytes = 0

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
