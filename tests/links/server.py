"""A small threaded HTTP(S) server for wire tests: one per loopback address, every fault on a path.

``FaultServer("127.0.0.2")`` serves ``routes`` (path → handler) and a ``default``
handler for every other path; it logs each request (monotonic time, method,
path) and the highest number of requests it handled at once. Handlers are
plain functions of the request handler; the factories below build the faults
the issue lists. Nothing here is stored data: big bodies and bombs are generated.
"""

from __future__ import annotations

import socket
import ssl
import struct
import subprocess
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

Handler = Callable[["_RequestHandler"], None]


@dataclass(frozen=True)
class Hit:
    at: float
    method: str
    path: str


class _RequestHandler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY on each accepted connection: the headers and the body are two writes, and with
    # Nagle on, the body of every answer after the first on a kept-alive connection waited for
    # the client's delayed ACK (~40 ms an answer; ~0.5 ms without)
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr
        pass

    def _dispatch(self) -> None:
        owner = self.server.owner
        path = self.path.split("?", 1)[0]
        with owner.lock:
            owner.log.append(Hit(time.monotonic(), self.command, self.path))
            owner.active += 1
            owner.max_active = max(owner.max_active, owner.active)
        try:
            handler = owner.routes.get(self.path) or owner.routes.get(path) or owner.default
            handler(self)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, ssl.SSLError, OSError):
            self.close_connection = True
        finally:
            with owner.lock:
                owner.active -= 1

    do_GET = do_HEAD = do_POST = _dispatch

    # -- helpers for handlers -------------------------------------------------
    def send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
             content_type: str = "text/html; charset=utf-8") -> None:
        self.send_response(status)
        hdrs = {"Content-Type": content_type, "Content-Length": str(len(body))}
        hdrs.update(headers or {})
        for k, v in hdrs.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    owner: "FaultServer"


class FaultServer:
    """A real HTTP server on ``host`` (any 127.0.0.x), optionally with TLS."""

    def __init__(self, host: str = "127.0.0.1", routes: dict[str, Handler] | None = None,
                 default: Handler | None = None, tls: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.routes: dict[str, Handler] = dict(routes or {})
        self.default: Handler = default or status_page(404, "Not here")
        self.log: list[Hit] = []
        self.lock = threading.Lock()
        self.active = 0
        self.max_active = 0
        self.stopping = threading.Event()
        self._server = _Server((host, 0), _RequestHandler)
        self._server.owner = self
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self.scheme = "https" if tls else "http"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def url(self, path: str = "/") -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def hits(self, path: str | None = None) -> list[Hit]:
        with self.lock:
            return [h for h in self.log if path is None or h.path == path]

    def start(self) -> "FaultServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "FaultServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ------------------------------------------------------------------ handler factories

def html_page(title: str, body: str = "", status: int = 200, headers: dict[str, str] | None = None) -> Handler:
    doc = f"<!doctype html><html><head><title>{title}</title></head><body>{body}</body></html>".encode()
    return lambda h: h.send(status, doc, headers)


def raw_page(doc: bytes | str, status: int = 200, headers: dict[str, str] | None = None,
             content_type: str = "text/html; charset=utf-8") -> Handler:
    data = doc.encode() if isinstance(doc, str) else doc
    return lambda h: h.send(status, data, headers, content_type)


def status_page(status: int, text: str = "", headers: dict[str, str] | None = None) -> Handler:
    return html_page(f"{status} {text}", f"<h1>{text}</h1>", status, headers)


def redirect(location: str, status: int = 301) -> Handler:
    return lambda h: h.send(status, b"", {"Location": location})


def sequence(*handlers: Handler) -> Handler:
    """Each call uses the next handler; the last one repeats."""
    calls = iter(range(1 << 30))

    def handle(h: _RequestHandler) -> None:
        handlers[min(next(calls), len(handlers) - 1)](h)
    return handle


def by_method(**handlers: Handler) -> Handler:
    return lambda h: handlers.get(h.command, handlers.get("other", status_page(405)))(h)


def delayed(seconds: float, then: Handler) -> Handler:
    def handle(h: _RequestHandler) -> None:
        h.server.owner.stopping.wait(seconds)
        then(h)
    return handle


def reset() -> Handler:
    """Close the connection with a TCP RST before answering."""
    def handle(h: _RequestHandler) -> None:
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.connection.close()
        h.close_connection = True
    return handle


def hang(limit: float = 30.0) -> Handler:
    """Accept the request and never answer (until the server stops)."""
    def handle(h: _RequestHandler) -> None:
        h.server.owner.stopping.wait(limit)
        h.close_connection = True
    return handle


def drip(every: float = 0.05, limit: int = 2000) -> Handler:
    """Headers at once, then one byte of body every ``every`` seconds."""
    def handle(h: _RequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(limit + 40))
        h.end_headers()
        h.wfile.write(b"<html><head><title>Drip</title></head>")
        h.wfile.flush()
        for _ in range(limit):
            if h.server.owner.stopping.wait(every):
                break
            h.wfile.write(b"x")
            h.wfile.flush()
        h.close_connection = True
    return handle


def huge(size: int = 2 * 1024 ** 3) -> Handler:
    """A ``size``-byte body generated on the fly (never stored)."""
    chunk = (b"<p>" + b"all work and no play " * 3000 + b"</p>")[:65536]

    def handle(h: _RequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(size))
        h.end_headers()
        h.wfile.write(b"<html><head><title>Huge</title></head><body>")
        sent = 0
        while sent < size and not h.server.owner.stopping.is_set():
            h.wfile.write(chunk)
            sent += len(chunk)
        h.close_connection = True
    return handle


def gzip_bomb(decoded: int = 1024 ** 3) -> Handler:
    """``Content-Encoding: gzip`` whose body inflates to ``decoded`` bytes of zeros (streamed)."""
    def handle(h: _RequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Connection", "close")
        h.end_headers()
        comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        block = b"\0" * (1024 * 1024)
        for _ in range(decoded // len(block)):
            if h.server.owner.stopping.is_set():
                break
            out = comp.compress(block)
            if out:
                h.wfile.write(out)
        h.wfile.write(comp.flush())
        h.close_connection = True
    return handle


# ------------------------------------------------------------------ TLS

def self_signed_context(folder: Path, host: str = "127.0.0.1") -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate (cryptography, else the openssl CLI)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        _with_cryptography(cert, key, host)
    except ImportError:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", f"/CN={host}", "-keyout", str(key), "-out", str(cert)],
                       check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


def _with_cryptography(cert: Path, key: Path, host: str) -> None:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    pkey = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(pkey.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=2))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
                                  critical=False)
                   .sign(pkey, hashes.SHA256()))
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(pkey.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))


def closed_port(host: str = "127.0.0.1") -> int:
    """A port on ``host`` with nothing listening (connections are refused)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def servers(*hosts: str) -> Iterator[FaultServer]:
    for host in hosts:
        yield FaultServer(host)
