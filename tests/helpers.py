"""Small helpers shared by tests (no fixtures here: see conftest.py)."""

from __future__ import annotations

import shutil
import socket
import threading
from pathlib import Path

from sqlalchemy import func, select

from tracker.db.models import Base
from tracker.db.session import Database


def table_counts(db: Database) -> dict[str, int]:
    """Row count of every table: to prove a failed command changed nothing."""
    with db.engine.connect() as conn:
        return {name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in Base.metadata.tables.items()}


def copy_tree(src: Path, dst: Path) -> Path:
    """Copy a fixture folder into a test's tmp dir (fixtures are read-only, not ours)."""
    shutil.copytree(src, dst)
    return dst


def stop_listening(listener: socket.socket, acceptor: threading.Thread, timeout: float = 10.0) -> None:
    """Stop a test server whose ``acceptor`` thread loops on a blocking ``listener.accept()``.

    ``close()`` alone does not stop it on Linux: the ``accept()`` under way keeps the socket
    alive, so it goes on listening on its port, with no descriptor left in this process, and
    the thread answers the next connection to that port at any later point of the session
    (tests/fetch/test_http11.py's scripted server answered 200 with its 305-byte page).
    ``shutdown()`` ends the listening itself and wakes that ``accept()`` (``EINVAL``)."""
    try:
        listener.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    listener.close()
    acceptor.join(timeout)
    assert not acceptor.is_alive(), "the test server's accept thread did not stop"
