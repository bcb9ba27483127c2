"""``tracker review`` takes exact answers only: one key or the whole word, anything else
asks again (issue 12: "absolutely not" accepted; a chapter name typed at the main prompt
after a mistyped move accepted the candidate in its old chapter)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.conftest import CLI
from tracker.cli.candidates import review_answer
from tracker.config import Settings
from tracker.db.models_candidates import Candidate
from tracker.db.session import Database
from tracker.services.propose import propose


@pytest.mark.parametrize("answer, action", [
    ("a", "accept"), ("A", "accept"), (" accept ", "accept"), ("r", "reject"), ("reject", "reject"),
    ("d", "defer"), ("m", "move"), ("move", "move"), ("o", "open"), ("s", "skip"), ("q", "quit"),
    ("quit", "quit"), ("absolutely not", None), ("attention", None), ("acc", None), ("ab", None),
    ("yes", None), ("rejected", None), ("", None), ("aa", None),
])
def test_only_exact_keys_and_words_are_answers(answer: str, action: str | None) -> None:
    assert review_answer(answer) == action


def _status(db: Database, cid: int) -> tuple[str, int | None]:
    with db.transaction() as session:
        c = session.scalars(select(Candidate).where(Candidate.id == cid)).one()
        return c.status, c.topic_id


def test_a_sentence_is_asked_again_not_read_as_its_first_letter(
        db: Database, crawled: Settings, run: CLI) -> None:
    propose(db, crawled)
    first = json.loads(run("queue", "--format", "json").stdout)[0]
    result = run("review", "--by", "bob", input="absolutely not\nq\n")
    assert result.exit_code == 0, result.stderr
    assert "please answer with one of the keys or words" in result.stderr
    assert _status(db, first["id"])[0] == "queued"
    assert "0 decisions saved" in result.stderr


def test_after_a_mistyped_move_the_chapter_is_asked_again(
        db: Database, crawled: Settings, run: CLI) -> None:
    propose(db, crawled)
    first = json.loads(run("queue", "--format", "json").stdout)[0]
    before = _status(db, first["id"])
    # "m", a typo, then the chapter name: it is the move's answer, not "a"ccept at the main prompt
    result = run("review", "--by", "bob", input="m\ntokenizaton\ntokenization\nq\n")
    assert result.exit_code == 0, result.stderr
    assert "no topic with slug 'tokenizaton'" in result.stderr
    status, topic_id = _status(db, first["id"])
    assert status == "queued" and "moved to tokenization" in result.stderr
    assert topic_id != before[1] or first["topic"] == "tokenization"
    # and a chapter name typed at the main prompt is not an answer either
    again = run("review", "--by", "bob", input="attention\nq\n")
    assert "please answer with one of the keys or words" in again.stderr
    assert _status(db, first["id"])[0] == "queued"


def test_u_in_review_takes_back_the_last_decision_and_asks_again(
        db: Database, crawled: Settings, run: CLI) -> None:
    """Issue 12: decisions were final; `u` reverses the last one made in this review."""
    propose(db, crawled)
    rows = json.loads(run("queue", "--format", "json").stdout)
    first, second = rows[0], rows[1]
    # accept the first, then undo it (back on the first card), then reject it, then quit
    result = run("review", "--by", "bob", input="a\nu\nr\nnot this one\nq\n")
    assert result.exit_code == 0, result.stderr
    assert f"candidate {first['id']}:" in result.stderr and "now queued" in result.stderr
    assert _status(db, first["id"])[0] == "rejected"
    assert _status(db, second["id"])[0] == "queued"
    assert "1 decision saved" in result.stderr
    nothing = run("review", "--by", "bob", input="u\nq\n")
    assert "nothing to undo yet" in nothing.stderr


def test_u_is_an_answer() -> None:
    assert review_answer("u") == "undo" and review_answer("undo") == "undo"


def test_an_empty_answer_asks_again_with_the_keys_and_skips_nothing(
        db: Database, crawled: Settings, run: CLI) -> None:
    """Pressing Enter at the review prompt silently skipped the candidate (the prompt's
    hidden default was "s"). Now it asks again, saying which keys answer."""
    propose(db, crawled)
    rows = json.loads(run("queue", "--format", "json").stdout)
    first, second = rows[0], rows[1]
    result = run("review", "--by", "bob", input="\n\na\nq\n")
    assert result.exit_code == 0, result.stderr
    hints = [line for line in result.stderr.splitlines() if line.startswith("no answer")]
    assert len(hints) == 2 and all("s to skip" in h and "q to quit" in h for h in hints), result.stderr
    assert _status(db, first["id"])[0] == "accepted"  # the Enters did not move past the first card
    assert _status(db, second["id"])[0] == "queued"
    assert result.stderr.count(f"[1/{len(rows)}]") == 1 and "1 decision saved" in result.stderr
