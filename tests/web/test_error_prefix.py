"""A refused decision on the queue page names the candidate once (found by a reading: a
form without a title flashed "candidate 12: candidate 12 was already accepted …", and a
missing one "candidate 99: no candidate with id 99 …")."""

from __future__ import annotations

import re
from typing import Any

from tracker.config import Settings
from tracker.db.session import Database
from tracker.services.review import queue
from tracker.web import create_app

HOST = {"Host": "127.0.0.1"}


def _errors(client: Any, path: str, **form: str) -> list[str]:
    """The error messages after posting ``form`` as a script would (the session's CSRF token
    and nothing else the page adds: no title, no seen state, unless given)."""
    page = client.get("/", headers=HOST).get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    answer = client.post(path, data={"csrf": csrf.group(1), **form}, headers=HOST, follow_redirects=True)
    assert answer.status_code == 200
    return re.findall(r'<p class="msg error">([^<]*)</p>', answer.get_data(as_text=True))


def test_a_conflict_without_a_title_names_the_candidate_once(db: Database, queued: Settings) -> None:
    client = create_app(db, queued, by="ann").test_client()
    cid = int(queue(db, queued)[1][0]["id"])
    assert _errors(client, f"/candidates/{cid}/decide", action="accept") == []
    [again] = _errors(client, f"/candidates/{cid}/decide", action="reject")
    assert again.startswith(f"candidate {cid} was already accepted by ann"), again
    assert again.count(f"candidate {cid}") == 1, again
    [undo] = _errors(client, f"/candidates/{cid}/undo", expect="rejected")
    assert undo.startswith(f"candidate {cid} is now accepted") and undo.count(f"candidate {cid}") == 1, undo


def test_a_missing_candidate_is_named_once(db: Database, queued: Settings) -> None:
    client = create_app(db, queued, by="ann").test_client()
    for path in ("/candidates/99999/decide", "/candidates/99999/undo"):
        [missing] = _errors(client, path, action="accept")
        assert missing.startswith("no candidate with id 99999") and missing.count("99999") == 1, missing


def test_a_conflict_with_the_cards_title_shows_the_title_then_the_reason(db: Database, queued: Settings) -> None:
    client = create_app(db, queued, by="ann").test_client()
    cid = int(queue(db, queued)[1][0]["id"])
    assert _errors(client, f"/candidates/{cid}/decide", action="accept") == []
    [again] = _errors(client, f"/candidates/{cid}/decide", action="reject", title="BPE-dropout")
    assert again.startswith(f"BPE-dropout (candidate {cid}) was already accepted by ann"), again
    assert again.count(f"candidate {cid}") == 1, again
