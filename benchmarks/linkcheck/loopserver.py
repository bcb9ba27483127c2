"""A lean asyncio HTTP/1.1 server for loopback hosts that logs every request for an audit.

Run as its own process (so its clock sees requests when they arrive, not when
the client's interpreter lets it run):

    python loopserver.py LOGFILE LATENCY PAGE_BYTES HOST [HOST ...]

It binds one port on each 127.0.0.x ``HOST``, prints ``ready HOST PORT`` per
host, and serves until stdin closes (or SIGTERM), then writes its log:
one line per request ``host arrival end status retry_after agent path`` (seconds of
the machine's monotonic clock, as ``time.monotonic()`` reads it in any process:
``arrival`` is the kernel's receive stamp of the request, ``end`` the time the
answer started to be written). The kernel stamps in real wall-clock time, which
libfaketime cannot fake; the offset to the monotonic clock is measured once at
start, so the log holds under libfaketime too (with its monotonic clock left real).

Paths:
  ``/p/…``            200, an HTML page of about PAGE_BYTES after LATENCY s
  ``/gone/…``         404 after LATENCY s
  ``/busy/N/…``       the first request per tool: 429 ``Retry-After: N``; then as ``/p/``
  ``/feed/…``         200, a small RSS feed after LATENCY s
  anything else       404 (so sibling probes find nothing)

``audit(log, limit, interval, slack)`` counts politeness violations per host: more
than ``limit`` in flight, two arrivals closer than ``interval - slack``, an arrival
within N s after a ``Retry-After: N`` was sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import socket
import struct
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

FEED = (b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
        b"<item><title>a</title><link>http://x.test/a</link><guid>a</guid></item></channel></rss>")


def page(path: str, size: int) -> bytes:
    seed = hashlib.sha1(path.encode()).hexdigest()
    words = " ".join(f"{seed[i % 40:i % 40 + 6]}word{i}" for i in range(max(1, size // 12)))
    return (f"<!doctype html><html><head><title>Page {path}</title></head><body><h1>{path}</h1>"
            f"<p>{words}</p></body></html>").encode()[:max(size, 200)]


#: Linux's SO_TIMESTAMPNS: the kernel stamps each received segment (CLOCK_REALTIME), so the
#: log says when a request *arrived*, however late this process got to read it
SO_TIMESTAMPNS = 35
_ANC = socket.CMSG_SPACE(16)


def _stamp(anc: list[tuple[int, int, bytes]]) -> float | None:
    """The kernel's receive stamp in ancillary data (real wall-clock seconds), if any."""
    for level, kind, raw in anc:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(raw) >= 16:
            sec, nsec = struct.unpack("qq", raw[:16])
            return sec + nsec / 1e9
    return None


def kernel_offset(tries: int = 20) -> float:
    """Kernel receive stamp minus ``time.monotonic()`` for the same moment: a loopback
    datagram is stamped while ``send`` runs, so the tightest of ``tries`` sends that read
    the monotonic clock just before and after pins it to a few microseconds."""
    rx, tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM), socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        rx.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        rx.bind(("127.0.0.1", 0))
        best = (float("inf"), 0.0)
        for _ in range(tries):
            before = time.monotonic()
            tx.sendto(b".", rx.getsockname())
            after = time.monotonic()
            _data, anc, _flags, _addr = rx.recvmsg(16, _ANC)
            stamp = _stamp(anc)
            if stamp is not None and after - before < best[0]:
                best = (after - before, stamp - (before + after) / 2)
        if best[0] == float("inf"):
            raise OSError("the kernel gave no receive stamps (SO_TIMESTAMPNS)")
        return best[1]
    finally:
        rx.close()
        tx.close()


class _Conn:
    """One client connection, read with ``recvmsg`` for the kernel's arrival stamp."""

    def __init__(self, server: "Server", host: str, sock: socket.socket) -> None:
        self.server, self.host, self.sock = server, host, sock
        self.loop = asyncio.get_running_loop()
        self.buf = b""
        self.out = bytearray()
        self.queue: list[tuple[float, str, str, str]] = []
        self.busy = False
        self.closed = False
        sock.setblocking(False)
        self.loop.add_reader(sock.fileno(), self._read)

    def _read(self) -> None:
        try:
            data, anc, _flags, _addr = self.sock.recvmsg(65536, _ANC)
        except BlockingIOError:
            return
        except OSError:
            self.close()
            return
        if not data:
            self.close()
            return
        stamp = _stamp(anc)
        arrival = time.monotonic() if stamp is None else stamp - self.server.offset
        self.buf += data
        while b"\r\n\r\n" in self.buf:
            head, self.buf = self.buf.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            parts = lines[0].split(" ")
            method, path = (parts + ["", ""])[:2]
            agent = next((ln.split(":", 1)[1].strip() for ln in lines[1:] if ln.lower().startswith("user-agent:")),
                         "")
            self.queue.append((arrival, method, path, "lychee" if "lychee" in agent else "tracker"))
        self._next()

    def _next(self) -> None:
        if self.busy or not self.queue:
            return
        self.busy = True
        arrival, method, path, tool = self.queue.pop(0)
        status, body, extra, delay = self.server.answer(self.host, path, tool)
        self.loop.call_later(delay, self._send, arrival, method, path, tool, status, body, extra)

    def _send(self, arrival: float, method: str, path: str, tool: str, status: int, body: bytes,
              extra: str) -> None:
        end = time.monotonic()  # before writing: once the answer is on its way the request is over,
        # and the client may read it before this process runs again after the write
        if not self.closed:
            reason = {200: "OK", 404: "Not Found", 429: "Too Many Requests"}.get(status, "X")
            ctype = "application/rss+xml" if "/feed/" in path else "text/html; charset=utf-8"
            head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                    + (f"Retry-After: {extra}\r\n" if extra else "") + "\r\n").encode()
            self.out += head if method == "HEAD" else head + body
            self._flush()
        self.server.log.append((self.host, arrival, end, status, extra, tool, path))
        self.busy = False
        self._next()

    def _flush(self) -> None:
        try:
            sent = self.sock.send(self.out) if self.out else 0
        except BlockingIOError:
            sent = 0
        except OSError:
            self.close()
            return
        del self.out[:sent]
        if self.out:
            self.loop.add_writer(self.sock.fileno(), self._flush)
        else:
            self.loop.remove_writer(self.sock.fileno())

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.loop.remove_reader(self.sock.fileno())
            self.loop.remove_writer(self.sock.fileno())
            self.sock.close()


class Server:
    def __init__(self, latency: float, size: int) -> None:
        self.latency, self.size = latency, size
        self.log: list[tuple[str, float, float, int, str, str, str]] = []
        self.busy_seen: set[tuple[str, str, str]] = set()
        self.pages: dict[str, bytes] = {}
        self.offset = kernel_offset()  # kernel stamp - monotonic clock

    def answer(self, host: str, path: str, tool: str) -> tuple[int, bytes, str, float]:
        clean = path.split("?", 1)[0]
        if "tracker-probe" in clean:
            return 404, b"<html><title>Not found</title>nothing here</html>", "", self.latency
        if clean.startswith("/busy/"):
            seconds = clean.split("/")[2]
            if (host, clean, tool) not in self.busy_seen:
                self.busy_seen.add((host, clean, tool))
                return 429, b"slow down", seconds, self.latency
            clean = "/p/" + clean.split("/", 3)[-1]
        if clean.startswith("/p/"):
            body = self.pages.get(clean)
            if body is None:
                body = self.pages[clean] = page(clean, self.size)
                if len(self.pages) > 100_000:
                    self.pages.clear()
            return 200, body, "", self.latency
        if clean.startswith("/feed/"):
            return 200, FEED, "", self.latency
        return 404, b"<html><title>Not found</title>nothing here</html>", "", self.latency


async def _serve(log_file: str, latency: float, size: int, hosts: list[str]) -> None:
    server = Server(latency, size)
    loop = asyncio.get_running_loop()
    listeners = []
    for host in hosts:
        lsock = socket.socket()
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)  # inherited by accepted sockets
        lsock.bind((host, 0))
        lsock.listen(1024)
        lsock.setblocking(False)

        def accept(lsock: socket.socket = lsock, host: str = host) -> None:
            while True:
                try:
                    conn, _addr = lsock.accept()
                except (BlockingIOError, InterruptedError):
                    return
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                _Conn(server, host, conn)
        loop.add_reader(lsock.fileno(), accept)
        listeners.append(lsock)
        print(f"ready {host} {lsock.getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not os.read(sys.stdin.fileno(), 1024) else None)
    await stop.wait()
    for lsock in listeners:
        loop.remove_reader(lsock.fileno())
        lsock.close()
    with open(log_file, "w") as out:
        for host, arrival, end, status, extra, tool, path in server.log:
            out.write(f"{host} {arrival:.6f} {end:.6f} {status} {extra or '-'} {tool} {path}\n")
    usage = os.times()
    with open(log_file + ".cpu", "w") as out:
        out.write(f"{usage.user + usage.system:.3f}\n")


@dataclass
class Entry:
    host: str
    arrival: float
    end: float
    status: int
    retry_after: float | None
    tool: str
    path: str


def read_log(path: str) -> list[Entry]:
    out = []
    with open(path) as f:
        for line in f:
            host, arrival, end, status, extra, tool, p = line.rstrip("\n").split(" ", 6)
            out.append(Entry(host, float(arrival), float(end), int(status),
                             None if extra == "-" else float(extra), tool, p))
    return out


def audit(entries: Iterable[Entry], limit: int, interval: float, slack: float = 0.005) -> dict[str, int]:
    """Violations by kind over every host: ``in_flight``, ``gap``, ``retry_after`` (and ``min_gap_ms``)."""
    by_host: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        by_host[e.host].append(e)
    out = {"in_flight": 0, "gap": 0, "retry_after": 0, "max_in_flight": 0}
    min_gap = float("inf")
    for rows in by_host.values():
        events = sorted([(e.arrival, 1) for e in rows] + [(e.end, -1) for e in rows])
        active = 0
        for _t, step in events:
            active += step
            out["max_in_flight"] = max(out["max_in_flight"], active)
            if active > limit:
                out["in_flight"] += 1
        arrivals = sorted(e.arrival for e in rows)
        for a, b in zip(arrivals, arrivals[1:]):
            min_gap = min(min_gap, b - a)
            if b - a < interval - slack:
                out["gap"] += 1
        for e in rows:
            if e.retry_after:
                out["retry_after"] += sum(1 for t in arrivals if e.end < t < e.end + e.retry_after)
    out["min_gap_ms"] = int(min_gap * 1000) if min_gap != float("inf") else -1
    return out


class LoopServers:
    """Start ``loopserver.py`` in its own process: ``with LoopServers(hosts, …) as s: s.url(host, path)``."""

    def __init__(self, hosts: list[str], log_file: str, latency: float = 0.0, size: int = 2000) -> None:
        self.hosts, self.log_file, self.latency, self.size = hosts, log_file, latency, size
        self.ports: dict[str, int] = {}
        self.cpu = 0.0

    def __enter__(self) -> "LoopServers":
        import subprocess

        self.proc = subprocess.Popen([sys.executable, __file__, self.log_file, str(self.latency), str(self.size),
                                      *self.hosts], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        for _ in self.hosts:
            _word, host, port = self.proc.stdout.readline().split()
            self.ports[host] = int(port)
        return self

    def url(self, host: str, path: str) -> str:
        return f"http://{host}:{self.ports[host]}{path}"

    def stop(self) -> list[Entry]:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)
        with open(self.log_file + ".cpu") as f:
            self.cpu = float(f.read())
        return read_log(self.log_file)

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.stop()


if __name__ == "__main__":
    asyncio.run(_serve(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]))
