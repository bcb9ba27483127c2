"""Helpers for the HTTP core's wire tests: a server log audit and the faults they need.

``Audit`` wraps a ``FaultServer`` handler so every request's arrival and end
(server clock) and every ``Retry-After`` the server sent are logged; ``violations``
then reads that log the way the issue measures politeness: more than ``limit``
requests in flight on the host, two arrivals closer than ``interval`` (5 ms of
scheduling slack), or any arrival within N s of a ``Retry-After: N``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from tests.links import server as srv


@dataclass
class Audit:
    arrivals: list[float] = field(default_factory=list)
    spans: list[tuple[float, float]] = field(default_factory=list)
    pauses: list[tuple[float, float]] = field(default_factory=list)  # (sent at, seconds)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wrap(self, handler: srv.Handler) -> srv.Handler:
        def handle(h: srv._RequestHandler) -> None:
            start = time.monotonic()
            with self.lock:
                self.arrivals.append(start)
            try:
                handler(h)
            finally:
                with self.lock:
                    self.spans.append((start, time.monotonic()))
        return handle

    def retry_after(self, seconds: int, then: srv.Handler, times: int = 1) -> srv.Handler:
        """Answer ``429 Retry-After: seconds`` the first ``times`` times, then ``then``."""
        left = [times]

        def handle(h: srv._RequestHandler) -> None:
            with self.lock:
                busy = left[0] > 0
                left[0] -= 1
            if not busy:
                then(h)
                return
            srv.status_page(429, "Slow down", {"Retry-After": str(seconds)})(h)
            with self.lock:
                self.pauses.append((time.monotonic(), float(seconds)))
        return handle

    def violations(self, limit: int, interval: float, slack: float = 0.005) -> list[str]:
        out: list[str] = []
        with self.lock:
            arrivals, spans, pauses = sorted(self.arrivals), list(self.spans), list(self.pauses)
        events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans], key=lambda x: (x[0], x[1]))
        active = 0
        for _t, step in events:
            active += step
            if active > limit:
                out.append(f"{active} requests in flight (limit {limit})")
        out += [f"arrivals {b - a:.4f} s apart (interval {interval})"
                for a, b in zip(arrivals, arrivals[1:]) if b - a < interval - slack]
        out += [f"arrival {t - sent:.3f} s after Retry-After: {n:g}"
                for sent, n in pauses for t in arrivals if sent < t < sent + n]
        return out


def article(title: str) -> srv.Handler:
    stem = title.split()[0].lower()
    return srv.html_page(title, f"<h1>{title}</h1><p>{' '.join(f'{stem}{i}' for i in range(300))}</p>")


def slow(seconds: float, then: srv.Handler) -> srv.Handler:
    """Answer after ``seconds`` (server side), so requests overlap."""
    def handle(h: srv._RequestHandler) -> None:
        h.server.owner.stopping.wait(seconds)
        then(h)
    return handle


def _trickle(h: srv._RequestHandler, pieces: Iterable[bytes], every: float, sent: list[int]) -> None:
    """Write one piece every ``every`` seconds, counting them in ``sent[0]``, until the pieces,
    the client or the server run out; then close the connection."""
    for piece in pieces:
        if h.server.owner.stopping.wait(every):
            break
        try:
            h.wfile.write(piece)
            h.wfile.flush()
        except OSError:
            break
        sent[0] += 1
    h.close_connection = True


def tarpit(lines_sent: list[int], every: float = 1.0, limit: int = 60) -> srv.Handler:
    """A status line, then one header line every ``every`` seconds, never a blank line."""
    def handle(h: srv._RequestHandler) -> None:
        h.wfile.write(b"HTTP/1.1 200 OK\r\n")
        h.wfile.flush()
        _trickle(h, (f"X-Tarpit-{i}: still here\r\n".encode() for i in range(limit)), every, lines_sent)
    return handle


def slow_body(bytes_sent: list[int], every: float = 0.5, limit: int = 120,
              content_type: str = "application/rss+xml") -> srv.Handler:
    """Headers at once, then one byte of body every ``every`` seconds."""
    def handle(h: srv._RequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(limit + 10))
        h.end_headers()
        h.wfile.write(b"<rss>")
        h.wfile.flush()
        _trickle(h, (b" " for _ in range(limit)), every, bytes_sent)
    return handle
