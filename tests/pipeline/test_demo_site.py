"""The demo's stand-in internet (``tracker.demo.site``) always stops.

A full PostgreSQL CI run hung for good in ``DemoInternet.__exit__``. One of its server threads
sat in a blocking ``accept()``, and its selector had reported the listening socket ready. The
connection had gone by the time it accepted. ``shutdown()`` then waits for that thread for
ever. The stand-in's listening sockets are non-blocking, so such a wake-up is a no-op.
"""

from __future__ import annotations

import selectors
import socketserver
import threading
import urllib.request

import pytest

from tracker.demo.site import SOFT404, DemoInternet


class _AlwaysReady(selectors.PollSelector):
    """A selector that says the listening socket is ready when no connection waits: what the
    server sees when another holder of the socket took the connection first."""

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        return [(key, selectors.EVENT_READ) for key in self.get_map().values()]


def test_a_wake_up_without_a_connection_never_keeps_the_demo_from_stopping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socketserver, "_ServerSelector", _AlwaysReady)
    net = DemoInternet()
    stopped = threading.Event()

    def run() -> None:
        with net:
            # still serves: a real connection is accepted and answered among the empty wake-ups
            with urllib.request.urlopen(net.url(SOFT404, "/any"), timeout=10) as answer:
                assert answer.status == 200
        stopped.set()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    assert stopped.wait(30), "DemoInternet did not stop: a server thread is stuck in accept()"
