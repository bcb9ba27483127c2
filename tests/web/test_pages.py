"""Every page over a database the test fixtures fill (SQLite, and PostgreSQL when
``TRACKER_TEST_POSTGRES_URL`` is set), and a decision made through the page."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import httpx
from werkzeug.http import parse_options_header

from tests.candidates.conftest import item, store
from tracker.config import Settings
from tracker.db.session import Database
from tracker.services.import_ import import_document
from tracker.services.propose import propose
from tracker.services.review import queue
from tracker.web import create_app
from tracker.web.server import build_server

HOST = {"Host": "127.0.0.1"}


def test_pages_render_and_a_decision_goes_through_the_service(db: Database, queued: Settings) -> None:
    client = create_app(db, queued, by="dana").test_client()
    for path in ("/", "/links", "/document", "/sources", "/export/resources.json", "/export/changelog.md?pending=1"):
        assert client.get(path, headers=HOST).status_code == 200, path
    page = client.get("/", headers=HOST).get_data(as_text=True)
    assert "BPE-dropout: subword tokenization" in page and '<option value="tokenization">' in page
    week, rows = queue(db, queued)
    assert f"<strong id=\"left\">{len(rows)}</strong>" in page and week in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    cid = rows[0]["id"]
    done = client.post(f"/candidates/{cid}/decide", data={"action": "defer", "csrf": csrf, "back": "/"},
                       headers=HOST, follow_redirects=True)
    assert "deferred" in done.get_data(as_text=True) and "by dana" in done.get_data(as_text=True)
    assert cid not in [r["id"] for r in queue(db, queued)[1]]
    empty_move = client.post(f"/candidates/{rows[1]['id']}/decide", headers=HOST, follow_redirects=True,
                             data={"action": "move", "topic": "", "csrf": csrf, "back": "/"})
    assert "needs a topic" in empty_move.get_data(as_text=True)


def test_unknown_week_and_candidate_are_readable_errors(db: Database, queued: Settings) -> None:
    client = create_app(db, queued).test_client()
    bad = client.get("/?week=2026-W99", headers=HOST)
    assert bad.status_code == 400 and "2026-W99" in bad.get_data(as_text=True)
    page = client.get("/", headers=HOST).get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    for cid in ("999999", "99999999999999999999"):  # past 64 bits: was an OverflowError (500)
        for path in (f"/candidates/{cid}/decide", f"/candidates/{cid}/undo"):
            gone = client.post(path, data={"action": "accept", "csrf": csrf, "back": "/"},
                               headers=HOST, follow_redirects=True)
            assert gone.status_code == 200 and f"no candidate with id {cid}" in gone.get_data(as_text=True)


def test_weeks_at_the_ends_of_the_calendar_are_readable_errors(db: Database, queued: Settings) -> None:
    """The page links the weeks before and after the one shown: 9999-W52 has no week after
    it (the page crashed with a 500) and 0001-W01 none before it. Weeks are bounded like
    every other date (years 1970-9000), and the error names the week as it was typed."""
    client = create_app(db, queued).test_client()
    for week in ("9999-W52", "0001-W01", "1969-W01", "9001-W01"):
        bad = client.get(f"/?week={week}", headers=HOST)
        assert bad.status_code == 400 and week in bad.get_data(as_text=True), week
    assert client.get("/?week=9000-W52", headers=HOST).status_code == 200
    assert client.get("/?week=1970-W02", headers=HOST).status_code == 200


def test_downloads_of_a_version_with_any_label_name_the_file(db: Database, queued: Settings,
                                                             tmp_path: Path) -> None:
    """A version label may hold any character but line breaks; the download's file name
    is built from it. A label outside Latin-1 broke the real server (the header could not
    be written: the client waited for an answer that never came) and a quote ended the
    quoted file name early. Asked over a real server on loopback, as a browser would."""
    folder = tmp_path / "v2"
    folder.mkdir()
    (folder / "guide.md").write_text("# Guide\n\n## Tokenization\n\nSee [BPE](https://arxiv.org/abs/1508.07909)"
                                     " and [more](https://example.org/more).\n", encoding="utf-8")
    label = 'v2 版本 "final"; x'
    import_document(db, folder, queued, label=label)
    server = build_server(db, queued, "127.0.0.1", 0, None)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        for path in ("/export/resources.md", "/export/changelog.json"):
            answer = httpx.get(base + path, timeout=10)
            assert answer.status_code == 200, path
            kind, options = parse_options_header(answer.headers["content-disposition"])
            assert kind == "attachment"
            assert "版本" in options["filename"] and '"final"' in options["filename"], options
            assert options["filename"].endswith(path.rsplit(".", 1)[1])
    finally:
        server.shutdown()
        thread.join()


def test_the_queue_page_drops_direction_overrides_from_titles_and_authors(db: Database, queued: Settings) -> None:
    """An unclosed U+202E in a feed title or author reverses the text after it on the
    card (``Evil \\u202egnp.exe`` reads ``Evil exe.png``); the page shows the text as
    every other output does, through ``one_line``."""
    store(db, queued, [item("https://example.org/rlo", "Evil \u202egnp.exe BPE tokenizer merges",
                            "byte pair merges tokenization " * 5, authors=["\u2067yrallam"])])
    propose(db, queued)
    page = create_app(db, queued).test_client().get("/", headers=HOST).get_data(as_text=True)
    assert "Evil gnp.exe BPE tokenizer merges" in page and "yrallam" in page
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", page)


def test_each_part_of_a_cards_details_line_is_isolated_for_right_to_left_text(db: Database,
                                                                              queued: Settings) -> None:
    """An Arabic author's name reordered its neighbours on the card: "#13" showed as "13#"
    (found in a browser walk-through). Each part of the details line is its own ``<bdi>``."""
    store(db, queued, [item("https://example.org/ar", "BPE tokenizer merges in Arabic text",
                            "byte pair merges tokenization " * 5, authors=["محمد علي"])])
    propose(db, queued)
    page = create_app(db, queued).test_client().get("/", headers=HOST).get_data(as_text=True)
    line = re.search(r'<p class="meta">(.*?)</p>', page.split("BPE tokenizer merges in Arabic text", 1)[1], re.S)
    assert line is not None
    parts = re.findall(r"<bdi>(.*?)</bdi>", line.group(1))
    assert "محمد علي" in parts and any(re.fullmatch(r"#\d+", p) for p in parts), line.group(1)
    assert re.sub(r"<bdi>.*?</bdi>|<span[^>]*>.*?</span>| · |\s", "", line.group(1)) == ""  # nothing outside them
