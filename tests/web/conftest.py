"""Fixtures for the web tests: a database filled by ``tracker demo`` (made once, copied per
test), a hostile candidate, ``tracker serve`` started as a real process on a free loopback
port, and Debian's headless Chromium driven through Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.candidates.conftest import candidate_settings, item, store
from tracker.config import Settings, load_settings
from tracker.db.session import Database, open_database
from tracker.services.import_ import import_document
from tracker.services.propose import propose

NOW = "2026-11-09T12:00:00Z"  # the demo's second Monday, noon: its week 2026-W46
WEEK = "2026-W46"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
HOSTILE_TITLE = "<script>alert('title')</script> Byte pair tokenizers <img src=x onerror=alert(2)>"
HOSTILE_URL = "javascript:alert(1)"


GUIDE = """# Guide

## Tokenization

Byte pair encoding (BPE) merges frequent byte pairs into subword tokens; see the
[BPE paper](https://arxiv.org/abs/1508.07909).

## Diffusion Models

Diffusion models learn to denoise images step by step with score matching, see
[this post](https://lilianweng.github.io/posts/2021-07-11-diffusion-models/).
"""


def _write(folder: Path, extra: str = "") -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "guide.md").write_text(GUIDE + extra, encoding="utf-8")
    return folder


@pytest.fixture
def queued(db: Database, db_url: str, tmp_path: Path) -> Settings:
    settings = candidate_settings(db_url)
    import_document(db, _write(tmp_path / "doc"), settings)
    store(db, settings, [
        item("https://example.org/bpe-dropout", "BPE-dropout: subword tokenization", "byte pair merges " * 5),
        item("https://example.org/denoise", "Faster denoising diffusion", "score matching diffusion denoise images"),
    ])
    propose(db, settings)
    return settings



def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_") or k == "TRACKER_FIXTURES"}
    env.update(TRACKER_NOW=NOW, **extra)
    return env


@pytest.fixture(scope="session")
def demo_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``tracker demo`` run once for the session (it serves its own stand-in internet on loopback)."""
    out = tmp_path_factory.mktemp("demo")
    done = subprocess.run([sys.executable, "-m", "tracker", "demo", "--out", str(out / "run")],
                          env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out / "run" / "demo.db"


def add_hostile_candidate(db: Database, settings: Settings) -> int:
    """A queued candidate whose feed title is markup and whose URL is ``javascript:``, as a
    hostile feed would deliver them (stored directly: the crawler would already refuse the URL)."""
    from tracker.db.models_candidates import Candidate
    from tracker.db.models_core import Topic
    from tracker.db.models_feeds import FeedItem, FeedSource
    from sqlalchemy import select

    now = settings.now()
    with db.transaction() as session:
        source = session.scalars(select(FeedSource).order_by(FeedSource.id)).first()
        topic = session.scalars(select(Topic).where(Topic.slug == "tokenization")).one()
        item = FeedItem(canonical_id="hostile:1", canonical_url="hostile:1", kind="blog", url=HOSTILE_URL,
                        title=HOSTILE_TITLE, summary="<script>alert('summary')</script>tokenizers",
                        authors=["<b>Mallory</b>"], first_source_id=source.id if source else None,
                        first_seen_at=now, last_seen_at=now, published_at=now)
        session.add(item)
        session.flush()
        candidate = Candidate(document_id=topic.document_id, item_id=item.id, canonical_url="hostile:1",
                              status="queued", week=WEEK, topic_id=topic.id, score=0.9,
                              scores=[{"slug": "tokenization", "score": 0.9}],
                              reason="matched: <script>alert('reason')</script>", created_at=now,
                              scored_version_id=None)
        session.add(candidate)
        session.flush()
        return candidate.id


@pytest.fixture
def demo(demo_db_file: Path, tmp_path: Path) -> Iterator[tuple[Database, Settings]]:
    """A private copy of the demo's database, with its settings at ``NOW``."""
    target = tmp_path / "demo.db"
    shutil.copy(demo_db_file, target)
    settings = load_settings(env={"TRACKER_NOW": NOW}, overrides={"database_url": f"sqlite:///{target}"})
    db = open_database(settings.database_url)
    yield db, settings
    db.dispose()


class Served:
    """A running ``tracker serve`` process and its address."""

    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process, self.url = process, url

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_serve(database_url: str, *args: str, **env: str) -> Served:
    """``tracker serve --port 0 ...``; waits for its "serving on" line (no sleeping)."""
    process = subprocess.Popen([sys.executable, "-m", "tracker", "--db", database_url, "serve", "--port", "0",
                                *args], env=_env(**env), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               text=True)
    assert process.stderr is not None
    for line in process.stderr:
        found = re.search(r"serving on (http://\S+/)", line)
        if found:
            served = Served(process, found.group(1).rstrip("/"))
            # keep draining stderr so the request log never blocks the server
            import threading
            threading.Thread(target=lambda: [None for _ in process.stderr or ()], daemon=True).start()
            return served
    process.wait()
    raise AssertionError(f"tracker serve did not start (exit {process.returncode})")


@pytest.fixture
def plain(demo: tuple[Database, Settings]) -> Iterator[Served]:
    """``tracker serve`` over a copy of the demo's database, reviewing as alice."""
    _db, settings = demo
    server = start_serve(settings.database_url, "--by", "alice")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module: Playwright's sync API keeps an event loop running in
    this thread while it is open, which would make any later test's ``asyncio.run`` fail."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"the browser tests drive Debian's Chromium at {CHROMIUM}: `apt-get install chromium` "
                    "(.ci/run installs it; Playwright's own browser download is not used)")

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def loopback_only(context: Any) -> list[str]:
    """Abort every request that is not for 127.0.0.1, so no test can reach the internet;
    returns the list the stopped URLs are appended to."""
    stopped: list[str] = []

    def route(route: Any) -> None:
        if route.request.url.startswith("http://127.0.0.1:"):
            route.continue_()
        else:
            stopped.append(route.request.url)
            route.abort()
    context.route("**/*", route)
    return stopped


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    stopped = loopback_only(context)
    page = context.new_page()
    page.stopped = stopped  # type: ignore[attr-defined]
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs  # type: ignore[attr-defined]
    yield page
    context.close()

