"""Where a link-check run writes its batches: a worker thread, or a process of its own.

Owns: ``Recorder`` (``await recorder.record(batch, counted)`` → ``BatchOutcome``,
``await recorder.canaries()`` → the stored canary URLs, ``services.network``, as the
database knew them before the run's first batch (``_StoredCanaries``); ``await
recorder.aclose()`` on the loop, then ``recorder.reap()`` once the loop has ended) and
``recorder_for``, which picks one per run. These are the run's only ORM work while it
fetches: the fetching side itself speaks plain SQL (``db.plain_links``), so a big run's
process never loads SQLAlchemy unless a dead link wants an archive look-up.

- ``ThreadRecorder`` runs ``record_batch`` in a worker thread: for small runs and tests.
- ``ProcessRecorder`` forks, before the run's event loop starts, a child that loads the
  ORM (on the other core, while the first answers arrive), opens the database anew and
  records the batches it is sent over a socket pair (pickled, length-prefixed frames;
  replies matched to calls by number). Recording costs ~0.1 ms of Python per link; in a
  thread that work holds the GIL the event loop needs, and measured at the server a
  host's next request then waited 30–130 ms behind a batch of 500 (issue 11). In the
  child it runs on the other core. The child never touches the parent's engine or its
  connections (a SQLite connection must not cross a fork),
  keeps what it inherited out of its collector's walks, and leaves with ``os._exit``.
  (Judging pages there too was measured and dropped: the round trip per page cost the
  loop more than the ~0.3 ms of judging it saved; pages are judged on the loop, one
  per turn.)

``auto`` takes a process for runs of at least ``PROCESS_MIN`` due links, and for a run
of any size when this process has not loaded the ORM yet (the command line: a thread
would load it, ~0.25 s, before the first request; the child loads it beside the first
answers, and a fork costs ~2 ms), on Linux, when this process runs no other thread (a
fork can inherit a lock another thread held) and the database is a file or a server. Failures come back as
the exception ``record_batch`` raised (its transaction rolled back), or as
``RecorderLost`` when the child died. ``reap`` never waits without end for a
child stuck in a database call (see ``ProcessRecorder.reap``). Does not own: what a batch writes
(``linkcheck_store``), the run's pipeline (``linkcheck_run``).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import pickle
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol, Union

from tracker.config import Settings
from tracker.errors import TrackerError
from tracker.fetch.runner import GC_THRESHOLDS
from tracker.services.linkcheck_seen import BatchOutcome, Seen

if TYPE_CHECKING:  # the ORM is loaded where batches are recorded, never by the fetching side
    from tracker.db.session import Database

__all__ = ["Recorder", "ThreadRecorder", "ProcessRecorder", "RecorderLost", "recorder_for", "PROCESS_MIN", "RecordIn",
           "DatabaseSource", "database_url", "opened"]

#: due links from which ``auto`` records in a process of its own even when this process has
#: the ORM loaded already (a fork costs ~2–30 ms, more for a bigger process)
PROCESS_MIN = 2000
RecordIn = Literal["auto", "thread", "process"]
#: an opened database, or how to open it (on first need: a big run's fetching side never does)
DatabaseSource = Union["Database", Callable[[], "Database"]]
#: seconds ``reap`` gives the child to leave by itself once hung up on (it takes milliseconds
#: when it is reading; longer only when stuck in a database call), then SIGTERM
REAP_GRACE = 5.0
#: seconds after SIGTERM before SIGKILL
KILL_GRACE = 2.0
_FRAME = struct.Struct("!Q")
log = logging.getLogger("tracker.check")


class RecorderLost(TrackerError):
    """The recording process ended without answering."""


class Recorder(Protocol):


    async def record(self, batch: list[Seen], counted: bool) -> BatchOutcome:
        """Write one batch in one transaction (states move only when ``counted``)."""

    async def canaries(self) -> list[str]:
        """The canary URLs the database knows (``services.network.network_canaries``)."""

    async def aclose(self) -> None:
        """No more calls (on the loop that made them)."""

    def reap(self) -> None:
        """Release what is left once the loop has ended, however the run ended."""


class ThreadRecorder:
    """``record_batch`` in a worker thread of this process."""

    def __init__(self, db: Database, settings: Settings, run_id: int, now: datetime) -> None:
        self.db, self.settings, self.run_id, self.now = db, settings, run_id, now
        self._canaries = _StoredCanaries(db, settings)

    def _record(self, batch: list[Seen], counted: bool) -> BatchOutcome:
        from tracker.services import linkcheck_store

        self._canaries.before_recording()
        return linkcheck_store.record_batch(self.db, self.settings, self.run_id, batch, self.now, counted)

    async def record(self, batch: list[Seen], counted: bool) -> BatchOutcome:
        return await asyncio.to_thread(self._record, batch, counted)

    async def canaries(self) -> list[str]:
        return await asyncio.to_thread(self._canaries.read)

    async def aclose(self) -> None:
        return None

    def reap(self) -> None:
        return None


class ProcessRecorder:
    """``record_batch`` in a forked child with its own database connection."""

    def __init__(self, url: str, settings: Settings, run_id: int, now: datetime, *,
                 grace: float = REAP_GRACE, kill_grace: float = KILL_GRACE) -> None:
        self.grace, self.kill_grace = grace, kill_grace
        ours, theirs = socket.socketpair()
        for stream in (sys.stdout, sys.stderr):  # the child must not write our buffered output again
            stream.flush()
        pid = os.fork()
        if pid == 0:  # the child: serve until the parent hangs up, then leave without cleanup
            code = 1
            # Ctrl-C reaches the whole process group: the parent alone handles it, and ends
            # this child by hanging up once the batch under way is written (as a thread would)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            # ``reap``'s SIGTERM ends it at once, whatever handler the parent had installed
            # (the scheduler's would run the parent's shutdown in here)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            # everything inherited stays out of the collector's walks: walking it would cost
            # CPU and copy every page the walk writes to (copy-on-write)
            gc.freeze()
            gc.set_threshold(*GC_THRESHOLDS)
            try:
                ours.close()
                _serve(theirs, url, settings, run_id, now)
                code = 0
            except BaseException as exc:  # what ended it, for the parent's RecorderLost to be explained
                try:  # frame 0: the child's last word (one line at the CLI, never a traceback)
                    data = pickle.dumps((0, False, f"{type(exc).__name__}: {exc}"[:500]))
                    theirs.sendall(_FRAME.pack(len(data)) + data)
                except BaseException:
                    pass
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
        self._lost: RecorderLost | None = None
        self._why = ""


    async def record(self, batch: list[Seen], counted: bool) -> BatchOutcome:
        outcome: BatchOutcome = await self._call("record", batch, counted)
        return outcome

    async def canaries(self) -> list[str]:
        urls: list[str] = await self._call("canaries")
        return urls

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

    async def _call(self, *args: Any) -> Any:
        self._calls += 1
        number = self._calls
        payload = pickle.dumps((number, args), protocol=pickle.HIGHEST_PROTOCOL)
        frame = _FRAME.pack(len(payload)) + payload
        try:
            writer = await self._connected()
        except asyncio.CancelledError:  # a call made is sent (as a thread would go on): Ctrl-C
            # cancels the run's recording loop, and a batch it handed over is saved by nobody else
            if self._opening is not None:
                self._opening.add_done_callback(lambda opened: None if opened.cancelled() or opened.exception()
                                                else opened.result().write(frame))
            raise
        if self._lost is not None:
            raise self._lost
        reply: asyncio.Future[tuple[bool, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[number] = reply
        writer.write(frame)
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
                if number == 0:  # the child is ending on an error: say which
                    self._why = f" ({value})"
                    continue
                reply = self._waiting.pop(number, None)
                if reply is not None and not reply.done():
                    reply.set_result((ok, value))
        except (asyncio.IncompleteReadError, ConnectionError):
            self._lost = RecorderLost(f"the link check's recording process ended without answering{self._why}; "
                                      "the batches recorded before it are kept, run the check again")
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
        """Hang up, and wait for the child to leave: ``grace`` seconds, then SIGTERM, then
        SIGKILL after ``kill_grace`` more; it is reaped in every case (no zombie), also when
        a second Ctrl-C ends the wait (SIGKILL at once). A child still there after the grace
        is stuck in a database call (a lock another session holds, a hung connection):
        ending it ends its connection, and the database rolls back the batch it was writing
        (PostgreSQL aborts the transaction of a closed connection; SQLite's journal is rolled
        back by the next writer). Batches answered before stay recorded. That is one warning
        line, not an error: the run is ending already (interrupted, or failed for a reason of
        its own that is reported), and its claims are released after this either way."""
        try:  # the child reads the end of its input and leaves, whoever else holds the socket
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        pid, self.pid = self.pid, None
        if pid is None:
            return
        try:
            if _left(pid, self.grace):
                return
            os.kill(pid, signal.SIGTERM)
            if not _left(pid, self.kill_grace):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        except BaseException:  # interrupted while waiting: the child does not outlive the run
            _kill(pid)
            raise
        log.warning("Warning: the link check's recording process did not leave within %g s of the end of "
                    "the run (stuck in a database call?); it was stopped, and the batch it was writing, if "
                    "any, was rolled back by the database", self.grace)


def _left(pid: int, timeout: float) -> bool:
    """Has child ``pid`` left (and been reaped) within ``timeout`` seconds? Polled as
    ``subprocess`` does, with waits growing from 0.5 ms to 50 ms; no clock read when 0."""
    delay, deadline = 0.0005, 0.0
    while True:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:  # reaped already
            return True
        if timeout <= 0:
            return False
        now = time.monotonic()
        if not deadline:
            deadline = now + timeout
        if now >= deadline:
            return False
        time.sleep(min(delay, deadline - now))
        delay = min(2 * delay, 0.05)


def _kill(pid: int) -> None:
    """SIGKILL child ``pid`` and reap it, unless it is reaped already (its number may then
    be another process's: only a child of ours not yet reaped is signalled)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _canaries(db: Database, settings: Settings) -> list[str]:
    from tracker.services.network import network_canaries

    with db.transaction() as session:
        return network_canaries(session, settings)


class _StoredCanaries:
    """The canaries the database knew before the run recorded its first batch: asked only
    when needed, but read before anything is recorded. Read after, they would be this run's
    own links, checked most recently (``repo_links.answered_urls``), maybe the very hosts
    whose failures made a batch look offline, crowding out the hosts of earlier runs."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db, self.settings = db, settings
        self._urls: list[str] | None = None

    def before_recording(self) -> None:
        self.read()

    def read(self) -> list[str]:
        if self._urls is None:
            self._urls = _canaries(self.db, self.settings)
        return self._urls


def _serve(sock: socket.socket, url: str, settings: Settings, run_id: int, now: datetime) -> None:
    """The child's loop: a call in (a batch to record, or the canaries), its answer (or the
    exception it raised) out, in order."""
    from tracker.db.session import Database
    from tracker.services import linkcheck_store

    db = Database(url)  # never the parent's engine: its connections stay the parent's
    stored = _StoredCanaries(db, settings)
    stream = sock.makefile("rb")
    while True:
        head = stream.read(_FRAME.size)
        if len(head) < _FRAME.size:
            return
        (size,) = _FRAME.unpack(head)
        number, args = pickle.loads(stream.read(size))
        try:
            if args[0] == "canaries":
                value: object = stored.read()
            else:
                stored.before_recording()
                value = linkcheck_store.record_batch(db, settings, run_id, args[1], now, args[2])
            reply: tuple[int, bool, object] = (number, True, value)
        except Exception as exc:  # handed to the parent, which raises it
            reply = (number, False, _portable(exc))
        data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            sock.sendall(_FRAME.pack(len(data)) + data)
        except (BrokenPipeError, ConnectionResetError):  # the parent gave up on the run: nobody to answer
            return


def _portable(exc: Exception) -> Exception:
    """``exc`` if it survives pickling, else a ``RuntimeError`` with its message."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def database_url(db: DatabaseSource, settings: Settings) -> str:
    """The URL of ``db`` (of ``settings`` when ``db`` is how to open it)."""
    return settings.database_url if callable(db) else db.url


def opened(db: DatabaseSource) -> Database:
    return db() if callable(db) else db


def orm_loaded() -> bool:
    """Has this process loaded the ORM already (a thread recorder would then cost no import)?"""
    return "sqlalchemy.orm" in sys.modules


def recorder_for(mode: RecordIn, db: DatabaseSource, settings: Settings, run_id: int, now: datetime,
                 due: int) -> Recorder:
    """The recorder of a run of ``due`` links (call before its event loop starts). A process
    never opens ``db`` here; a thread opens it."""
    url = database_url(db, settings)
    if mode == "auto":
        # Linux only: macOS's system libraries are not safe to use in a forked child (Python's
        # own multiprocessing stopped forking there), Windows has no fork
        forkable = sys.platform.startswith("linux") and threading.active_count() == 1
        file_or_server = ":memory:" not in url and url.rstrip("/") not in ("sqlite:", "sqlite://")
        worth_it = due >= PROCESS_MIN or not orm_loaded()
        mode = "process" if worth_it and forkable and file_or_server else "thread"
    if mode == "process":
        return ProcessRecorder(url, settings, run_id, now)
    return ThreadRecorder(opened(db), settings, run_id, now)
