"""A link-check run's plain-SQL connection (``db.plain_links``) when things go wrong: the
run fails in one line and leaves no claims held, as the ORM's pooled connections did."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import CLI
from tests.links.seed import T0, days, make_settings, seed
from tracker.db import plain_links
from tracker.db.models_links import LinkClaim, LinkStatus
from tracker.db.session import Database
from tracker.services.linkcheck import check_links


def _drop_connections(db: Database) -> None:
    """What a server restart does to every connection open to the test database: on
    PostgreSQL each backend is terminated; a SQLite file has no connection to drop, so
    the run there is the control (it must end the same way)."""
    if not db.url.startswith("postgresql"):
        return
    import psycopg

    params = plain_links.glance.postgresql_params(db.url.replace("postgresql+psycopg", "postgresql"))
    assert params is not None
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND pid <> pg_backend_pid()")


def test_a_connection_dropped_mid_run_leaves_no_claims_held(db: Database, db_url: str) -> None:
    urls = [f"https://a.example/{i}" for i in range(3)]
    ids = seed(db, urls)
    dropped: list[str] = []

    def site(request: httpx.Request) -> httpx.Response:
        if not dropped:  # the server restarts while the first page is being fetched
            dropped.append(str(request.url))
            _drop_connections(db)
        if str(request.url) not in ids:
            return httpx.Response(404, html="<title>Not found</title>")
        return httpx.Response(200, html=f"<title>{request.url.path}</title><p>hello {request.url.path}</p>")

    # the run goes on over a new connection, as the engine's pooled ones did (``pool_pre_ping``)
    report = check_links(db, make_settings(db_url), transport=httpx.MockTransport(site), record_in="thread")
    assert dropped and report.checked == 3
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(LinkClaim)) == 0  # released
        assert s.scalar(select(func.count()).select_from(LinkStatus)) == 3


def test_claims_are_released_while_a_worker_still_reads_on_the_same_connection(db: Database) -> None:
    """After a second Ctrl-C a run releases its claims while one of its page reads may still be
    under way in a worker thread, on the same connection: the second ``BEGIN`` failed
    ("cannot start a transaction within a transaction") and the claims stayed held until
    their lease ran out. The release now waits for the read to end."""
    ids = seed(db, [f"https://a.example/{i}" for i in range(3)])
    tables = plain_links.open_tables(db.url)
    assert tables is not None
    try:
        assert tables.claim(sorted(ids.values()), "run-1", T0, T0 + days(1), T0, True) == set(ids.values())
        reading, finish, failures = threading.Event(), threading.Event(), []

        def worker() -> None:
            with tables._transaction(False) as tx:  # a page read, still under way
                tx.rows("SELECT count(*) FROM link_claims")
                reading.set()
                finish.wait(30)

        def release() -> None:
            try:
                tables.release("run-1")
            except Exception as exc:  # noqa: BLE001 - what the run's last step met
                failures.append(exc)

        read = threading.Thread(target=worker)
        read.start()
        assert reading.wait(30)
        ending = threading.Thread(target=release)
        ending.start()
        ending.join(0.3)  # the time the release had to fail in before the fix (it waits now)
        finish.set()
        read.join()
        ending.join()
    finally:
        tables.close()
    assert failures == []
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(LinkClaim)) == 0


@pytest.mark.parametrize("command", [("check",), ("check", "--all")])
def test_a_postgresql_server_that_cannot_be_reached_is_tried_once(
        tmp_path: Path, clean_env: None, command: tuple[str, ...]) -> None:
    """The nothing-due glance, the run's own connection and the ORM each tried the server in
    turn (three connection attempts for one ``tracker check``, each waiting out the system's
    connect timeout at a host that does not answer); one failure now says it, in the words
    the ORM's way in uses."""
    attempts: list[int] = []
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def refuse() -> None:  # a server that hangs up at once: no PostgreSQL there
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            attempts.append(1)
            conn.close()
    server = threading.Thread(target=refuse, daemon=True)
    server.start()
    try:
        result = CLI(f"postgresql://u:S3cret@127.0.0.1:{port}/x", tmp_path)(*command)
    finally:
        listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() under way (close alone does not)
        listener.close()
        server.join()
    assert result.exit_code == 1 and len(attempts) == 1
    assert result.stderr.startswith(f"Error: cannot open database postgresql://u:***@127.0.0.1:{port}/x: ")
    assert len(result.stderr.strip().splitlines()) == 1 and "S3cret" not in result.stderr
