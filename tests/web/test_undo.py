"""``review.undo`` and ``tracker candidates undo``: every decision can be reversed until the
document version that applied it exists; the candidate is back exactly as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import CLI
from tracker.config import Settings
from tracker.db.models_candidates import Candidate, CandidateDecision
from tracker.db.models_core import Resource
from tracker.db.session import Database
from tracker.errors import ConflictError
from tests.web.conftest import _write
from tracker.services.import_ import import_document
from tracker.services.review import decide, queue, recent_decisions, undo

def _ids(db: Database, settings: Settings) -> dict[str, int]:
    _week, rows = queue(db, settings)
    return {r["url"]: int(r["id"]) for r in rows}


def _row(db: Database, cid: int) -> Candidate:
    with db.transaction() as session:
        found = session.get(Candidate, cid)
        assert found is not None
        return found


def test_undo_reverses_each_action_and_restores_the_candidate(db: Database, queued: Settings) -> None:
    cid = _ids(db, queued)["https://example.org/bpe-dropout"]
    start = _row(db, cid)
    for action, topic in (("reject", None), ("defer", None), ("move", "diffusion-models")):
        decide(db, queued, cid, action, topic=topic, by="alice")
        assert (_row(db, cid).status, _row(db, cid).topic_id, _row(db, cid).week) != \
            (start.status, start.topic_id, start.week)
        done = undo(db, queued, cid, by="bob")
        back = _row(db, cid)
        assert (back.status, back.week, back.topic_id, back.decided_by) == \
            (start.status, start.week, start.topic_id, start.decided_by), action
        assert done.note == f"undid {action}"
    with db.transaction() as session:
        actions = [(d.action, d.undone_at is not None) for d in session.scalars(
            select(CandidateDecision).where(CandidateDecision.candidate_id == cid).order_by(CandidateDecision.id))]
    assert actions == [("reject", True), ("undo", False), ("defer", True), ("undo", False),
                       ("move", True), ("undo", False)]


def test_undo_walks_back_one_decision_at_a_time(db: Database, queued: Settings) -> None:
    cid = _ids(db, queued)["https://example.org/bpe-dropout"]
    first_topic = _row(db, cid).topic_id
    decide(db, queued, cid, "move", topic="diffusion-models", by="alice")
    moved_topic = _row(db, cid).topic_id
    decide(db, queued, cid, "accept", by="alice")
    assert _row(db, cid).status == "accepted"
    undo(db, queued, cid)
    assert (_row(db, cid).status, _row(db, cid).topic_id) == ("queued", moved_topic)
    undo(db, queued, cid)
    assert (_row(db, cid).status, _row(db, cid).topic_id) == ("queued", first_topic)
    with pytest.raises(ConflictError, match="no decision to undo"):
        undo(db, queued, cid)


def test_undone_accept_removes_the_resource_it_created(db: Database, queued: Settings) -> None:
    cid = _ids(db, queued)["https://example.org/bpe-dropout"]
    done = decide(db, queued, cid, "accept", by="alice")
    assert done.resource_id is not None
    undo(db, queued, cid, by="alice")
    with db.transaction() as session:
        assert session.get(Resource, done.resource_id) is None
    assert cid in _ids(db, queued).values()  # back in the queue
    assert recent_decisions(db, queued) == []


def test_accept_cannot_be_undone_once_a_version_cites_it(db: Database, queued: Settings, tmp_path: Path) -> None:
    cid = _ids(db, queued)["https://example.org/bpe-dropout"]
    decide(db, queued, cid, "accept", by="alice")
    import_document(db, _write(tmp_path / "doc", "\nSee [BPE-dropout](https://example.org/bpe-dropout).\n"),
                    queued)
    with pytest.raises(ConflictError, match="in the document since version"):
        undo(db, queued, cid)
    assert _row(db, cid).status == "accepted"


def test_undo_with_an_expected_status_refuses_someone_elses_newer_decision(db: Database, queued: Settings) -> None:
    cid = _ids(db, queued)["https://example.org/denoise"]
    decide(db, queued, cid, "reject", by="alice")
    with pytest.raises(ConflictError, match="now rejected"):
        undo(db, queued, cid, by="bob", expect="accepted")
    assert _row(db, cid).status == "rejected"


def test_cli_undo(db: Database, queued: Settings, run: CLI) -> None:
    cid = _ids(db, queued)["https://example.org/denoise"]
    env = {"TRACKER_NOW": "2026-11-23T09:00:00Z"}
    assert run("candidates", "reject", str(cid), "--by", "alice", env=env).exit_code == 0
    result = run("candidates", "undo", str(cid), "--by", "bob", "--format", "json", env=env)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "queued"
    again = run("candidates", "undo", str(cid), env=env)
    assert again.exit_code == 1 and again.stderr.startswith("Error: candidate") and "no decision" in again.stderr
