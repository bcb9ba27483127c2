"""Where a link-check run's batches are written: a worker thread, or a process of its own.

Owns: ``Recorder`` (``await recorder.record(batch, counted)`` → ``BatchOutcome``,
``await recorder.aclose()``, then ``recorder.reap()`` once the loop has ended) and
``recorder_for``, which picks one per run:

- ``ThreadRecorder`` runs ``record_batch`` in a worker thread: for small runs and tests.
- ``ProcessRecorder`` forks, before the run's event loop starts, a child that opens the
  database anew and records the batches it is sent over a socket pair (pickled, one
  length-prefixed frame each way per batch). Recording costs ~0.1 ms of Python per link;
  in a thread that work holds the GIL the event loop needs, and measured at the server a
  host's next request then waited 30–130 ms behind a batch of 500 (issue 11). In its own
  process it runs on the other core. The child never touches the parent's engine or its
  connections (a SQLite connection must not cross a fork) and leaves with ``os._exit``.

``auto`` takes a process for runs of at least ``PROCESS_MIN`` due links, on a system
with ``fork``, when the process runs no other thread (forking a threaded process can
inherit a lock some other thread held) and the database is a file or a server.
Failures come back as the exception ``record_batch`` raised (its transaction rolled
back), or as ``RecorderLost`` when the child died. Does not own: what a batch writes
(``linkcheck_store``), the run's pipeline (``linkcheck_run``).
"""

from __future__ import annotations

import asyncio
import os
import pickle
import socket
import struct
import sys
import threading
from datetime import datetime
from typing import Literal, Protocol

from tracker.config import Settings
from tracker.db.session import Database
from tracker.services import linkcheck_store
from tracker.services.linkcheck_store import BatchOutcome, Seen

__all__ = ["Recorder", "ThreadRecorder", "ProcessRecorder", "RecorderLost", "recorder_for", "PROCESS_MIN",
           "RecordIn"]

#: due links from which ``auto`` records in a process of its own (a fork costs ~10–30 ms)
PROCESS_MIN = 2000
RecordIn = Literal["auto", "thread", "process"]
_FRAME = struct.Struct("!Q")


class RecorderLost(RuntimeError):
    """The recording process ended without answering."""


class Recorder(Protocol):
    async def record(self, batch: list[Seen], counted: bool) -> BatchOutcome:
        """Write one batch in one transaction (states move only when ``counted``)."""

    async def aclose(self) -> None:
        """No more batches (on the loop that recorded them)."""

    def reap(self) -> None:
        """Release what is left once the loop has ended, however the run ended."""


class ThreadRecorder:
    """``record_batch`` in a worker thread of this process."""

    def __init__(self, db: Database, settings: Settings, run_id: int, now: datetime) -> None:
        self.db, self.settings, self.run_id, self.now = db, settings, run_id, now

    async def record(self, batch: list[Seen], counted: bool) -> BatchOutcome:
        return await asyncio.to_thread(linkcheck_store.record_batch, self.db, self.settings, self.run_id, batch,
                                       self.now, counted)

    async def aclose(self) -> None:
        return None

    def reap(self) -> None:
        return None


class ProcessRecorder:
    """``record_batch`` in a forked child with its own database connection."""

    def __init__(self, url: str, settings: Settings, run_id: int, now: datetime) -> None:
        ours, theirs = socket.socketpair()
        for stream in (sys.stdout, sys.stderr):  # the child must not write our buffered output again
            stream.flush()
        pid = os.fork()
        if pid == 0:  # the child: record until the parent hangs up, then leave without cleanup
            code = 1
            try:
                ours.close()
                _serve(theirs, url, settings, run_id, now)
                code = 0
            finally:
                os._exit(code)
        theirs.close()
        self.pid: int | None = pid
        self._sock = ours
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def record(self, batch: list[Seen], counted: bool) -> BatchOutcome:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(sock=self._sock)
        assert self._reader is not None
        payload = pickle.dumps((batch, counted), protocol=pickle.HIGHEST_PROTOCOL)
        self._writer.write(_FRAME.pack(len(payload)) + payload)
        try:
            await self._writer.drain()
            (size,) = _FRAME.unpack(await self._reader.readexactly(_FRAME.size))
            ok, value = pickle.loads(await self._reader.readexactly(size))
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            raise RecorderLost("the link check's recording process ended without answering; "
                               "the batches recorded before it are kept, run the check again") from exc
        if not ok:
            raise value
        outcome: BatchOutcome = value
        return outcome

    async def aclose(self) -> None:
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except ConnectionError:
                pass
            self._writer = None

    def reap(self) -> None:
        self._sock.close()  # the child reads the end of its input and leaves
        if self.pid is not None:
            os.waitpid(self.pid, 0)
            self.pid = None


def _serve(sock: socket.socket, url: str, settings: Settings, run_id: int, now: datetime) -> None:
    """The child's loop: one batch in, its outcome (or the exception it raised) out."""
    db = Database(url)  # never the parent's engine: its connections stay the parent's
    stream = sock.makefile("rb")
    while True:
        head = stream.read(_FRAME.size)
        if len(head) < _FRAME.size:
            return
        (size,) = _FRAME.unpack(head)
        batch, counted = pickle.loads(stream.read(size))
        try:
            reply: tuple[bool, object] = (True, linkcheck_store.record_batch(db, settings, run_id, batch, now,
                                                                             counted))
        except Exception as exc:  # handed to the parent, which raises it
            reply = (False, _portable(exc))
        data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        sock.sendall(_FRAME.pack(len(data)) + data)


def _portable(exc: Exception) -> Exception:
    """``exc`` if it survives pickling, else a ``RuntimeError`` with its message."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def recorder_for(mode: RecordIn, db: Database, settings: Settings, run_id: int, now: datetime,
                 due: int) -> Recorder:
    """The recorder of a run of ``due`` links (call before its event loop starts)."""
    if mode == "auto":
        forkable = hasattr(os, "fork") and threading.active_count() == 1
        file_or_server = ":memory:" not in db.url and db.url.rstrip("/") not in ("sqlite:", "sqlite://")
        mode = "process" if due >= PROCESS_MIN and forkable and file_or_server else "thread"
    if mode == "process":
        return ProcessRecorder(db.url, settings, run_id, now)
    return ThreadRecorder(db, settings, run_id, now)
