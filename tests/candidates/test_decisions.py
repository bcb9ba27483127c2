"""Bad input around proposals and decisions: unknown or decided ids, interrupted decisions,
topics renamed or removed under queued candidates, duplicates, awkward items."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.candidates.conftest import WEEK, candidate_settings, item, store
from tests.conftest import CLI
from tests.helpers import table_counts
from tracker.config import Settings
from tracker.db import repo_documents
from tracker.db.models_candidates import Candidate
from tracker.db.repo_candidates import accepted_candidates
from tracker.db.session import Database
from tracker.errors import NotFoundError
from tracker.services.import_ import import_document
from tracker.services.propose import propose
from tracker.services.review import decide, queue

GUIDE = """# Guide

## Tokenization

Byte pair encoding (BPE) merges frequent byte pairs into subword tokens; see the
[BPE paper](https://arxiv.org/abs/1508.07909) and [SentencePiece](https://github.com/google/sentencepiece).

## {diffusion}

Diffusion models learn to denoise images step by step with score matching, see
[this post](https://lilianweng.github.io/posts/2021-07-11-diffusion-models/).

## Optimizers

Adam and SGD with momentum; learning rate schedules and warmup.
"""


def _guide(tmp_path: Path, name: str, diffusion: str = "Diffusion Models", extra: str = "") -> Path:
    """The guide; ``diffusion`` renames that chapter, ``""`` removes it (and its link)."""
    folder = tmp_path / name
    folder.mkdir()
    text = GUIDE.format(diffusion=diffusion)
    if not diffusion:
        head, rest = text.split("## \n", 1)
        text = head + "## Optimizers" + rest.split("## Optimizers", 1)[1]
    (folder / "guide.md").write_text(text + extra, encoding="utf-8")
    return folder


@pytest.fixture
def guide(db: Database, db_url: str, tmp_path: Path) -> Settings:
    settings = candidate_settings(db_url)
    import_document(db, _guide(tmp_path, "v1"), settings)
    store(db, settings, [
        item("https://example.org/denoising-diffusion", "Faster <b>denoising</b> diffusion for images",
             "We speed up **score matching** diffusion models that denoise images."),
        item("https://example.org/bpe-dropout", "BPE-dropout: subword tokenization", "byte pair merges " * 5),
        item("https://example.org/adam-warmup", "On warmup for Adam", ""),  # empty summary
        item("https://example.org/huge", "Momentum SGD learning rate schedules", "momentum " * 120_000),
        item("https://example.org/lunar", "Lunar lander eclipse photographs", "Astronauts photograph the Moon."),
        item("https://example.org/ru", "Диффузионные модели для изображений", "Шумоподавление шаг за шагом"),
        item("https://lilianweng.github.io/posts/2021-07-11-diffusion-models/", "What are Diffusion Models?"),
        item("https://example.org/denoising-diffusion?utm_source=rss", "Faster denoising (mirror)",
             canonical_id="mirror:1"),
    ])
    return settings


def _candidates(db: Database) -> dict[str, Candidate]:
    from tracker.db.models_feeds import FeedItem

    with db.transaction() as session:
        return {url: c for url, c in session.execute(
            select(FeedItem.url, Candidate).join(Candidate, Candidate.item_id == FeedItem.id))}


def _slug(db: Database, candidate: Candidate) -> str | None:
    from tracker.db.models_core import Topic

    with db.transaction() as session:
        topic = session.get(Topic, candidate.topic_id) if candidate.topic_id else None
        return topic.slug if topic else None


def test_statuses_of_awkward_items(db: Database, guide: Settings) -> None:
    result = propose(db, guide)
    assert (result.items, result.in_document, result.duplicates) == (8, 1, 1)
    c = _candidates(db)
    assert c["https://lilianweng.github.io/posts/2021-07-11-diffusion-models/"].status == "in_document"
    mirror = c["https://example.org/denoising-diffusion?utm_source=rss"]
    assert mirror.status == "duplicate" and mirror.duplicate_of_id == c["https://example.org/denoising-diffusion"].id
    assert _slug(db, c["https://example.org/denoising-diffusion"]) == "diffusion-models"
    assert "score matching" in c["https://example.org/denoising-diffusion"].reason
    assert _slug(db, c["https://example.org/bpe-dropout"]) == "tokenization"
    assert _slug(db, c["https://example.org/adam-warmup"]) == "optimizers"
    assert _slug(db, c["https://example.org/huge"]) == "optimizers"
    assert c["https://example.org/lunar"].status == "off_topic"
    assert c["https://example.org/ru"].status == "off_topic" and c["https://example.org/ru"].score == 0.0
    week, rows = queue(db, guide)
    assert week == WEEK and {r["url"] for r in rows} == {
        "https://example.org/denoising-diffusion", "https://example.org/bpe-dropout",
        "https://example.org/adam-warmup", "https://example.org/huge"}
    assert [r["chapter"] for r in rows] == ["Tokenization", "Diffusion Models", "Optimizers", "Optimizers"]


def test_deciding_unknown_or_decided_ids_fails_and_changes_nothing(db: Database, guide: Settings, run: CLI) -> None:
    propose(db, guide)
    c = _candidates(db)
    bpe = c["https://example.org/bpe-dropout"].id
    before = table_counts(db)
    usage = run("candidates", "reject", str(bpe), "--topic", "tokenization")  # no such option
    assert usage.exit_code == 1 and usage.stderr.startswith("Error: ") and table_counts(db) == before
    for args in (["accept", "9999"], ["accept", str(bpe), "--topic", "tokenisation"],
                 ["defer", str(c["https://example.org/lunar"].id + 100)],
                 ["accept", str(c["https://lilianweng.github.io/posts/2021-07-11-diffusion-models/"].id)]):
        result = run("candidates", *args)
        assert result.exit_code == 1 and result.stderr.startswith("Error: ") and result.stdout == "", args
        assert table_counts(db) == before
    assert "did you mean tokenization" in run("candidates", "accept", str(bpe), "--topic", "tokenisation").stderr
    ok = run("candidates", "accept", str(bpe), "--note", "clear intro", "--by", "carol", "--format", "json")
    assert ok.exit_code == 0, ok.stderr
    data = json.loads(ok.stdout)
    assert (data["status"], data["topic"], data["by"], data["note"]) == ("accepted", "tokenization", "carol",
                                                                         "clear intro")
    again = run("candidates", "reject", str(bpe))
    assert again.exit_code == 1 and "already accepted by carol" in again.stderr
    off = c["https://example.org/lunar"].id
    assert run("candidates", "reject", str(off), "--note", "space").exit_code == 0  # off-topic: decidable
    defer = run("candidates", "defer", str(c["https://example.org/huge"].id),
                env={"TRACKER_NOW": "2026-11-23T09:00:00Z"})  # never the real clock
    assert defer.exit_code == 0 and "until 2026-W49" in defer.stderr


def test_an_interrupt_mid_decision_writes_nothing(db: Database, guide: Settings,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    propose(db, guide)
    cid = _candidates(db)["https://example.org/bpe-dropout"].id
    before = table_counts(db)
    real = repo_documents.ensure_resources

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)  # the resource row is written, then Ctrl-C arrives
        raise KeyboardInterrupt

    monkeypatch.setattr(repo_documents, "ensure_resources", interrupted)
    with pytest.raises(KeyboardInterrupt):
        decide(db, guide, cid, "accept", by="dave")
    assert table_counts(db) == before
    assert _candidates(db)["https://example.org/bpe-dropout"].status == "queued"


def test_topics_renamed_or_removed_under_queued_candidates(db: Database, guide: Settings, tmp_path: Path) -> None:
    propose(db, guide)
    diffusion = _candidates(db)["https://example.org/denoising-diffusion"]
    assert _slug(db, diffusion) == "diffusion-models"
    import_document(db, _guide(tmp_path, "v2", diffusion="Denoising Diffusion"), guide)  # renamed
    _week, rows = queue(db, guide)
    row = next(r for r in rows if r["id"] == diffusion.id)
    assert row["topic"] == "denoising-diffusion" and row["chapter"] == "Denoising Diffusion"
    import_document(db, _guide(tmp_path, "v3", diffusion=""), guide)  # removed
    _week, rows = queue(db, guide)
    assert all(r["topic"] in ("tokenization", "optimizers") for r in rows)
    now = _candidates(db)["https://example.org/denoising-diffusion"]
    assert now.status in ("queued", "off_topic") and _slug(db, now) in ("tokenization", "optimizers")
    with pytest.raises(NotFoundError):
        decide(db, guide, diffusion.id, "move", topic="denoising-diffusion")


def test_accepted_candidates_are_pending_until_a_version_cites_them(db: Database, guide: Settings,
                                                                    tmp_path: Path) -> None:
    propose(db, guide)
    cid = _candidates(db)["https://example.org/adam-warmup"].id
    decide(db, guide, cid, "accept", topic="optimizers", note="good warmup study", by="erin")
    with db.transaction() as session:
        doc = repo_documents.get_document(session, "handbook")
        assert doc is not None
        pending = accepted_candidates(session, doc.id)
    assert [(p.candidate_id, p.topic_slug, p.note, p.url) for p in pending] == [
        (cid, "optimizers", "good warmup study", "https://example.org/adam-warmup")]
    assert pending[0].decided_at.isoformat().startswith("2026-11-23T09:00")
    import_document(db, _guide(tmp_path, "v2", extra="\nSee [warmup](https://example.org/adam-warmup).\n"), guide)
    with db.transaction() as session:
        assert accepted_candidates(session, doc.id) == []


def test_two_reviewers_deciding_at_once_store_one_decision(db: Database, guide: Settings,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Reviewer A reads the candidate; reviewer B rejects it before A writes: A is refused."""
    from tracker.db import repo_candidates
    from tracker.errors import ConflictError
    from tracker.services import review

    propose(db, guide)
    bpe = _candidates(db)["https://example.org/bpe-dropout"].id
    real_get = repo_candidates.get_candidate
    raced = {"done": False}

    def get_then_race(session: Any, candidate_id: int) -> Any:
        found = real_get(session, candidate_id)
        if not raced["done"]:
            raced["done"] = True  # B decides between A's read and A's write
            decide(db, guide, candidate_id, "reject", note="dup", by="bob")
        return found

    monkeypatch.setattr(review.repo, "get_candidate", get_then_race)
    with pytest.raises(ConflictError, match="decided by someone else"):
        decide(db, guide, bpe, "accept", by="alice")
    with db.transaction() as s:
        row = s.get(Candidate, bpe)
        assert row is not None and (row.status, row.decided_by) == ("rejected", "bob")
        from tracker.db.models_candidates import CandidateDecision
        assert [d.decided_by for d in s.scalars(select(CandidateDecision).where(
            CandidateDecision.candidate_id == bpe))] == ["bob"]


@pytest.mark.parametrize("cid", ["99999999999999999999", "-99999999999999999999", "9223372036854775808"])
def test_an_id_no_database_integer_holds_is_an_unknown_candidate(db: Database, guide: Settings, run: CLI,
                                                                  cid: str) -> None:
    """An id past 64 bits reached SQLite as a parameter: OverflowError, a traceback and exit 1
    (found by the second reading). It is a candidate that does not exist, on every path."""
    propose(db, guide)
    before = table_counts(db)
    for args in (["accept", "--topic", "tokenization", "--", cid], ["reject", "--", cid], ["undo", "--", cid]):
        result = run("candidates", *args)
        assert result.exit_code == 1 and result.stdout == "", args
        assert result.stderr.splitlines() == [f"Error: no candidate with id {int(cid)}; list them with "
                                              "`tracker queue`"], args
    with pytest.raises(NotFoundError):
        decide(db, guide, int(cid), "reject", expect="queued 2026-W48 tokenization")
    assert table_counts(db) == before


def test_a_moved_candidate_says_where_it_was_scored(db: Database, guide: Settings) -> None:
    """Moving a candidate kept its best chapter's score and matched words, and every view
    read them as the new chapter's: "fits Optimizers (0.3…): byte pair, merges", the page's
    "Chapter Optimizers 0.3…", the card's "score 0.3…", and "also:" dropped the best fit
    (it skipped the first scored chapter, taken to be where the candidate stands)."""
    from tracker.candidates.render import candidate_card, queue_markdown
    from tracker.web import create_app

    propose(db, guide)
    bpe = _candidates(db)["https://example.org/bpe-dropout"].id
    decide(db, guide, bpe, "move", topic="optimizers", by="fay")
    week, rows = queue(db, guide)
    row = next(r for r in rows if r["id"] == bpe)
    assert (row["topic"], row["topics"][0]["slug"]) == ("optimizers", "tokenization")
    first = row["reasons"][0]
    assert first.startswith("moved to Optimizers") and "it fits tokenization best" in first, first
    assert "fits Optimizers" not in " ".join(row["reasons"])
    others = [t["slug"] for t in row["topics"] if t["slug"] != "optimizers"]
    text = "\n".join(queue_markdown(rows, week))
    block = text.split("bpe-dropout", 1)[1].split("\n- ", 1)[0]
    assert f"also: {', '.join(others)}" in block and "tokenization" in others
    card = "\n".join(candidate_card(row, 1, len(rows)))
    own = next((t["score"] for t in row["topics"] if t["slug"] == "optimizers"), None)
    assert ("moved here" in card) if own is None else (f"score {own:.2f}" in card)
    assert f"also: tokenization {row['topics'][0]['score']:.2f}" in card
    page = create_app(db, guide).test_client().get("/", headers={"Host": "127.0.0.1"}).get_data(as_text=True)
    card_html = page.split("BPE-dropout", 1)[1].split("</form>", 1)[0]
    shown = "(moved here)" if own is None else f"{own:.3f}"
    assert f'<span class="score">{shown}</span>' in card_html, card_html
    assert re.search(r'<p class="reason">matched: [^<]* \(for tokenization\)</p>', card_html), card_html
    assert f"{row['topics'][0]['score']:.3f}" != shown
    unmoved = next(r for r in rows if r["id"] != bpe and r["topics"])  # the others read as before
    assert unmoved["reasons"][0].startswith(f"fits {unmoved['chapter']} (")


def test_candidates_move_moves_without_deciding(db: Database, guide: Settings, run: CLI) -> None:
    """``review`` and the page could move a candidate, ``candidates`` (the scriptable face) could
    not, though ``candidates undo`` offered to undo a move."""
    propose(db, guide)
    bpe = _candidates(db)["https://example.org/bpe-dropout"].id
    before = table_counts(db)
    missing = run("candidates", "move", str(bpe))
    assert missing.exit_code == 1 and missing.stderr.startswith("Error: ") and "--topic" in missing.stderr
    assert table_counts(db) == before
    moved = run("candidates", "move", str(bpe), "--topic", "optimizers", "--by", "gus", "--format", "json")
    assert moved.exit_code == 0, moved.stderr
    assert "queued, moved to optimizers" in moved.stderr
    data = json.loads(moved.stdout)
    assert (data["action"], data["status"], data["topic"], data["by"]) == ("move", "queued", "optimizers", "gus")
    row = next(r for r in queue(db, guide)[1] if r["id"] == bpe)
    assert (row["topic"], row["status"]) == ("optimizers", "queued")
    undone = run("candidates", "undo", str(bpe))
    assert undone.exit_code == 0 and "undid move" in undone.stderr
    assert next(r for r in queue(db, guide)[1] if r["id"] == bpe)["topic"] == "tokenization"
