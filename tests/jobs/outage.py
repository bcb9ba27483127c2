"""Database outages on demand, for scheduler tests.

PostgreSQL: a TCP proxy on loopback between the schedulers and the server; ``cut()``
closes every connection through it and refuses new ones (as a stopped server does),
``restore()`` lets connections through again. SQLite: ``cut()`` holds an exclusive
lock on the database file and on its coordination file (as a writer that never
commits does); ``restore()`` releases them.
"""

from __future__ import annotations

import socket
import sqlite3
import threading
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.helpers import stop_listening


class _Proxy:
    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.down = threading.Event()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.lock = threading.Lock()
        self.closed = False
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.down.is_set():
                client.close()
                continue
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.pairs.append((client, server))
            threading.Thread(target=self._pipe, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        self.down.set()
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for client, server in pairs:
            for sock in (client, server):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()

    def restore(self) -> None:
        self.down.clear()

    def close(self) -> None:
        self.closed = True
        self.cut()
        stop_listening(self.listener, self._acceptor)  # close() alone leaves accept() listening


class Outage:
    """``url`` is what the schedulers connect to; ``cut()`` / ``restore()`` stop and restart
    the database as they see it."""

    def __init__(self, db_url: str, password: str = "S3cretPW") -> None:
        parsed = make_url(db_url)
        self.sqlite = parsed.get_backend_name() == "sqlite"
        self._locks: list[sqlite3.Connection] = []
        self._proxy: _Proxy | None = None
        if self.sqlite:
            self.url = db_url
            self.files = [Path(parsed.database or ""), Path(f"{parsed.database}-coord")]
        else:
            self._proxy = _Proxy(parsed.host or "127.0.0.1", parsed.port or 5432)
            # a password the server never asks for (trust auth): it must never be printed or logged
            self.url = parsed.set(host="127.0.0.1", port=self._proxy.port, password=password) \
                .render_as_string(hide_password=False)

    def cut(self) -> None:
        if self._proxy is not None:
            self._proxy.cut()
            return
        for file in self.files:
            conn = sqlite3.connect(file, timeout=30, isolation_level=None)
            conn.execute("BEGIN EXCLUSIVE")
            self._locks.append(conn)

    def restore(self) -> None:
        if self._proxy is not None:
            self._proxy.restore()
            return
        for conn in self._locks:
            conn.rollback()
            conn.close()
        self._locks.clear()

    def close(self) -> None:
        self.restore()
        if self._proxy is not None:
            self._proxy.close()
