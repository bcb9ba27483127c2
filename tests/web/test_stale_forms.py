"""Two maintainers on one queue, and a double click: a decision form carries the candidate
as the page showed it, and a decision on a candidate that changed since is refused
(found by the second reading: pressing Defer twice deferred a candidate two weeks, and an
Accept on a card another reviewer had moved meanwhile accepted it in the other chapter)."""

from __future__ import annotations

import re
from typing import Any

from tests.web.pages import HOST, decision_form, queue_page
from tracker.config import Settings
from tracker.db.models_candidates import Candidate, CandidateDecision
from tracker.db.session import Database
from tracker.services.review import queue
from tracker.web import create_app




def _post(client: Any, cid: int, fields: dict[str, str], **extra: str) -> str:
    answer = client.post(f"/candidates/{cid}/decide", data={**fields, **extra}, headers=HOST,
                         follow_redirects=True)
    assert answer.status_code == 200
    return " ".join(re.findall(r'<p class="msg [^"]*">([^<]*)</p>', answer.get_data(as_text=True)))


def _state(db: Database, cid: int) -> tuple[str, str, int | None, int]:
    with db.transaction() as session:
        row = session.get(Candidate, cid)
        assert row is not None
        decisions = session.query(CandidateDecision).filter_by(candidate_id=cid).count()
        return row.status, row.week, row.topic_id, decisions


def test_a_double_submitted_defer_defers_one_week(db: Database, queued: Settings) -> None:
    client = create_app(db, queued, by="ann").test_client()
    week, rows = queue(db, queued)
    cid = int(rows[0]["id"])
    fields = decision_form(queue_page(client), cid)
    first = _post(client, cid, fields, action="defer")
    assert "deferred" in first and "until 2026-W49" in first
    second = _post(client, cid, fields, action="defer")  # the same form again (a double click)
    assert "changed since this page was shown" in second and "nothing was changed" in second, second
    status, deferred_to, _topic, decisions = _state(db, cid)
    assert (status, deferred_to, decisions) == ("deferred", "2026-W49", 1)


def test_a_stale_card_is_not_decided_after_another_reviewer_moved_it(db: Database, queued: Settings) -> None:
    ann = create_app(db, queued, by="ann").test_client()
    bob = create_app(db, queued, by="bob").test_client()
    _week, rows = queue(db, queued)
    cid = int(next(r["id"] for r in rows if r["topic"] == "diffusion-models"))
    seen_by_bob = decision_form(queue_page(bob), cid)  # bob's card says "Chapter Diffusion Models"
    moved = _post(ann, cid, decision_form(queue_page(ann), cid), action="move", topic="tokenization")
    assert "moved" in moved
    status, _week_of, topic_after_move, _n = _state(db, cid)
    refused = _post(bob, cid, seen_by_bob, action="accept")
    assert "changed since this page was shown" in refused and "tokenization" in refused, refused
    assert _state(db, cid)[:3] == (status, _week_of, topic_after_move) and status == "queued"
    # reloaded, bob's page shows the new chapter, and his accept goes through
    accepted = _post(bob, cid, decision_form(queue_page(bob), cid), action="accept")
    assert "accepted" in accepted and "in tokenization" in accepted, accepted


def test_a_form_without_the_seen_state_still_decides(db: Database, queued: Settings) -> None:
    """Scripts posting the form as it was before keep working: no ``expect``, no check."""
    client = create_app(db, queued, by="ann").test_client()
    _week, rows = queue(db, queued)
    cid = int(rows[0]["id"])
    fields = {k: v for k, v in decision_form(queue_page(client), cid).items() if k != "expect"}
    assert "rejected" in _post(client, cid, fields, action="reject")
    assert _state(db, cid)[0] == "rejected"
