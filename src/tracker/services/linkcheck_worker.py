"""Where a link-check run judges its pages and writes its batches: here, or in a process of its own.

Owns: ``Worker`` (``look``/``look_again`` a fetched page — ``linkcheck_looks`` —,
``record`` a batch, ``aclose`` on the loop, ``reap`` once the loop has ended) and
``worker_for``, which picks one per run:

- ``LocalWorker`` judges on the event loop (the checker paces it one page per loop
  turn) and records in a worker thread: for small runs and tests.
- ``ProcessWorker`` forks, before the run's event loop starts, a child that opens the
  database anew, judges the pages and records the batches it is sent over a socket
  pair (pickled, length-prefixed frames; replies matched to calls by number). Judging
  a page costs ~0.3 ms of CPU and recording ~0.1 ms per link; on the loop (or in a
  thread holding the GIL it needs) that work made hosts wait for their next request:
  at the server, follow-up requests 30–130 ms late behind a batch (issue 11). In the
  child it runs on the other core. The child never touches the parent's engine or
  its connections (a SQLite connection must not cross a fork) and leaves with
  ``os._exit``.

``auto`` takes a process for runs of at least ``PROCESS_MIN`` due links, on a system
with ``fork``, when this process runs no other thread (a fork can inherit a lock
another thread held) and the database is a file or a server. Failures come back as
the exception the child raised (a batch's transaction rolled back), or as
``WorkerLost`` when the child died. Does not own: judging rules (``linkcheck_looks``,
``tracker.links``), what a batch writes (``linkcheck_store``), the pipeline
(``linkcheck_run``).
"""

from __future__ import annotations

import asyncio
import os
import pickle
import socket
import struct
import sys
import threading
import traceback
from datetime import datetime
from typing import Any, Literal, Protocol

from tracker.config import Settings
from tracker.db.session import Database
from tracker.fetch.core import FetchResult
from tracker.services import linkcheck_looks, linkcheck_store
from tracker.services.linkcheck_looks import Look
from tracker.services.linkcheck_store import BatchOutcome, Seen

__all__ = ["Worker", "LocalWorker", "ProcessWorker", "WorkerLost", "worker_for", "PROCESS_MIN", "WorkIn"]

#: due links from which ``auto`` works in a process of its own (a fork costs ~10–30 ms)
PROCESS_MIN = 2000
WorkIn = Literal["auto", "here", "process"]
_FRAME = struct.Struct("!Q")


class WorkerLost(RuntimeError):
    """The worker process ended without answering."""


class Worker(Protocol):
    #: judging runs on this event loop (the caller paces it)
    local: bool

    async def look(self, res: FetchResult) -> Look:
        """``linkcheck_looks.look``."""

    async def look_again(self, res: FetchResult, sibling: FetchResult) -> Look:
        """``linkcheck_looks.look_again``."""

    async def record(self, batch: list[Seen], counted: bool) -> BatchOutcome:
        """Write one batch in one transaction (states move only when ``counted``)."""

    async def aclose(self) -> None:
        """No more calls (on the loop that made them)."""

    def reap(self) -> None:
        """Release what is left once the loop has ended, however the run ended."""


class LocalWorker:
    """Judging on the loop, recording in a worker thread of this process."""

    local = True

    def __init__(self, db: Database, settings: Settings, run_id: int, now: datetime) -> None:
        self.db, self.settings, self.run_id, self.now = db, settings, run_id, now

    async def look(self, res: FetchResult) -> Look:
        return linkcheck_looks.look(res)

    async def look_again(self, res: FetchResult, sibling: FetchResult) -> Look:
        return linkcheck_looks.look_again(res, sibling)

    async def record(self, batch: list[Seen], counted: bool) -> BatchOutcome:
        return await asyncio.to_thread(linkcheck_store.record_batch, self.db, self.settings, self.run_id, batch,
                                       self.now, counted)

    async def aclose(self) -> None:
        return None

    def reap(self) -> None:
        return None


class ProcessWorker:
    """Judging and recording in a forked child with its own database connection."""

    local = False

    def __init__(self, url: str, settings: Settings, run_id: int, now: datetime) -> None:
        ours, theirs = socket.socketpair()
        for stream in (sys.stdout, sys.stderr):  # the child must not write our buffered output again
            stream.flush()
        pid = os.fork()
        if pid == 0:  # the child: serve until the parent hangs up, then leave without cleanup
            code = 1
            try:
                ours.close()
                _serve(theirs, url, settings, run_id, now)
                code = 0
            except BaseException:  # what ended it, for the parent's WorkerLost to be explained
                traceback.print_exc()
                sys.stderr.flush()
            finally:
                os._exit(code)
        theirs.close()
        self.pid: int | None = pid
        self._sock = ours
        self._writer: asyncio.StreamWriter | None = None
        self._opening: asyncio.Future[asyncio.StreamWriter] | None = None
        self._replies: asyncio.Task[None] | None = None
        self._waiting: dict[int, asyncio.Future[tuple[bool, Any]]] = {}
        self._calls = 0
        self._lost: WorkerLost | None = None

    async def look(self, res: FetchResult) -> Look:
        found: Look = await self._call("look", res)
        return found

    async def look_again(self, res: FetchResult, sibling: FetchResult) -> Look:
        found: Look = await self._call("look_again", res, sibling)
        return found

    async def record(self, batch: list[Seen], counted: bool) -> BatchOutcome:
        outcome: BatchOutcome = await self._call("record", batch, counted)
        return outcome

    async def _connected(self) -> asyncio.StreamWriter:
        """The one stream to the child (the first of several concurrent calls opens it)."""
        if self._opening is None:
            self._opening = asyncio.ensure_future(self._open())
        return await asyncio.shield(self._opening)

    async def _open(self) -> asyncio.StreamWriter:
        # the loop's transport owns a duplicate: ``reap`` can always end the exchange
        reader, self._writer = await asyncio.open_connection(sock=self._sock.dup())
        self._replies = asyncio.ensure_future(self._read_replies(reader))
        return self._writer

    async def _call(self, kind: str, *args: Any) -> Any:
        writer = await self._connected()
        if self._lost is not None:
            raise self._lost
        self._calls += 1
        number = self._calls
        reply: asyncio.Future[tuple[bool, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[number] = reply
        payload = pickle.dumps((number, kind, args), protocol=pickle.HIGHEST_PROTOCOL)
        writer.write(_FRAME.pack(len(payload)) + payload)
        try:
            await writer.drain()
        except ConnectionError:
            pass  # the reader reports the child's end to every call waiting
        ok, value = await reply
        if not ok:
            raise value
        return value

    async def _read_replies(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                (size,) = _FRAME.unpack(await reader.readexactly(_FRAME.size))
                number, ok, value = pickle.loads(await reader.readexactly(size))
                reply = self._waiting.pop(number, None)
                if reply is not None and not reply.done():
                    reply.set_result((ok, value))
        except (asyncio.IncompleteReadError, ConnectionError):
            self._lost = WorkerLost("the link check's worker process ended without answering; the batches "
                                    "recorded before it are kept, run the check again")
            for reply in self._waiting.values():
                if not reply.done():
                    reply.set_exception(self._lost)
            self._waiting.clear()

    async def aclose(self) -> None:
        if self._opening is not None and not self._opening.done():
            await asyncio.wait([self._opening])
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except ConnectionError:
                pass
        if self._replies is not None:
            self._replies.cancel()

    def reap(self) -> None:
        try:  # the child reads the end of its input and leaves, whoever else holds the socket
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        if self.pid is not None:
            os.waitpid(self.pid, 0)
            self.pid = None


def _serve(sock: socket.socket, url: str, settings: Settings, run_id: int, now: datetime) -> None:
    """The child's loop: a call in, its result (or the exception it raised) out, in order."""
    db = Database(url)  # never the parent's engine: its connections stay the parent's
    stream = sock.makefile("rb")
    while True:
        head = stream.read(_FRAME.size)
        if len(head) < _FRAME.size:
            return
        (size,) = _FRAME.unpack(head)
        number, kind, args = pickle.loads(stream.read(size))
        try:
            if kind == "record":
                value: object = linkcheck_store.record_batch(db, settings, run_id, args[0], now, args[1])
            elif kind == "look":
                value = linkcheck_looks.look(*args)
            else:
                value = linkcheck_looks.look_again(*args)
            reply: tuple[int, bool, object] = (number, True, value)
        except Exception as exc:  # handed to the parent, which raises it
            reply = (number, False, _portable(exc))
        data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        sock.sendall(_FRAME.pack(len(data)) + data)


def _portable(exc: Exception) -> Exception:
    """``exc`` if it survives pickling, else a ``RuntimeError`` with its message."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def worker_for(mode: WorkIn, db: Database, settings: Settings, run_id: int, now: datetime, due: int) -> Worker:
    """The worker of a run of ``due`` links (call before its event loop starts)."""
    if mode == "auto":
        forkable = hasattr(os, "fork") and threading.active_count() == 1
        file_or_server = ":memory:" not in db.url and db.url.rstrip("/") not in ("sqlite:", "sqlite://")
        mode = "process" if due >= PROCESS_MIN and forkable and file_or_server else "here"
    if mode == "process":
        return ProcessWorker(db.url, settings, run_id, now)
    return LocalWorker(db, settings, run_id, now)
