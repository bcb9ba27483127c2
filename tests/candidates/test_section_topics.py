"""A section with chapters is not a place for a candidate (found in a maintainer's trial:
`tracker candidates accept 12 --topic section-i-…` was taken, and `export --apply` later
said "topic section-i-… is not a chapter here; add it by hand"). Accept and move refuse it,
naming its chapters; a section without chapters — a place ``propose`` itself puts
candidates — stays a place, and `export --apply` adds what was accepted there."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from tests.candidates.conftest import candidate_settings, item, store
from tests.conftest import CLI, NEWEST_HANDBOOK
from tests.helpers import copy_tree, table_counts
from tracker.db.models_candidates import Candidate
from tracker.db.models_core import Topic
from tracker.db.models_feeds import FeedItem
from tracker.db.session import Database
from tracker.services.import_ import import_document
from tracker.services.propose import propose

SECTION = "section-i-foundations-of-sequential-prediction"
GUIDE = """# Guide

## Models

Models turn text into numbers.

### Tokenization

Byte pair encoding (BPE) merges frequent byte pairs into subword tokens; see the
[BPE paper](https://arxiv.org/abs/1508.07909).

### Diffusion Models

Diffusion models learn to denoise images step by step with score matching, see
[this post](https://lilianweng.github.io/posts/2021-07-11-diffusion-models/).

## Optimizers

Adam and SGD with momentum; learning rate schedules and warmup.
"""


def _queued(db: Database, db_url: str, document: Path) -> dict[str, int]:
    """``document`` imported, two items proposed: candidate ids by URL."""
    settings = candidate_settings(db_url)
    import_document(db, document, settings)
    store(db, settings, [
        item("https://example.org/bpe-dropout", "BPE-dropout: subword tokenization", "byte pair merges " * 5),
        item("https://example.org/adam-warmup", "On warmup for Adam", "Adam momentum learning rate warmup"),
    ])
    propose(db, settings)
    with db.transaction() as session:
        return {url: cid for url, cid in session.execute(
            select(FeedItem.url, Candidate.id).join(Candidate, Candidate.item_id == FeedItem.id))}


def _chapters_of(db: Database, section: str) -> list[str]:
    with db.transaction() as session:
        parent = session.scalars(select(Topic).where(Topic.slug == section)).one()
        return list(session.scalars(select(Topic.slug).where(Topic.parent_id == parent.id)
                                    .order_by(Topic.position)))


def test_a_section_with_chapters_is_refused_naming_its_chapters(db: Database, db_url: str, run: CLI,
                                                                 tmp_path: Path) -> None:
    handbook = copy_tree(NEWEST_HANDBOOK, tmp_path / "handbook")
    cid = _queued(db, db_url, handbook)["https://example.org/bpe-dropout"]
    chapters = _chapters_of(db, SECTION)
    assert len(chapters) > 1
    before = table_counts(db)
    for action in ("accept", "move"):
        refused = run("candidates", action, str(cid), "--topic", SECTION)
        assert refused.exit_code == 1 and refused.stdout == ""
        assert refused.stderr.splitlines() == [
            f"Error: topic {SECTION!r} is a section, not a chapter; its chapters are {', '.join(chapters)}; "
            f"{action} it with --topic SLUG"], refused.stderr
        assert table_counts(db) == before
    # one of the chapters it names is taken, and the export places it
    ok = run("candidates", "accept", str(cid), "--topic", chapters[0])
    assert ok.exit_code == 0, ok.stderr
    applied = run("export", "--apply", str(handbook))
    assert applied.exit_code == 0, applied.stderr
    assert "not a chapter here" not in applied.stderr and "1 line added" in applied.stderr, applied.stderr


def test_a_section_without_chapters_stays_a_place(db: Database, db_url: str, run: CLI, tmp_path: Path) -> None:
    folder = tmp_path / "guide"
    folder.mkdir()
    (folder / "guide.md").write_text(GUIDE, encoding="utf-8")
    ids = _queued(db, db_url, folder)
    assert _chapters_of(db, "optimizers") == []
    bpe, adam = ids["https://example.org/bpe-dropout"], ids["https://example.org/adam-warmup"]
    refused = run("candidates", "move", str(bpe), "--topic", "models")
    assert refused.exit_code == 1
    assert "its chapters are tokenization, diffusion-models; move it with --topic SLUG" in refused.stderr
    moved = run("candidates", "move", str(bpe), "--topic", "optimizers")
    assert moved.exit_code == 0, moved.stderr
    for cid in (bpe, adam):
        accepted = run("candidates", "accept", str(cid))
        assert accepted.exit_code == 0 and "in optimizers" in accepted.stderr, accepted.stderr
    applied = run("export", "--apply", str(folder))
    assert applied.exit_code == 0, applied.stderr
    assert "not a chapter here" not in applied.stderr and "2 lines added" in applied.stderr, applied.stderr
    text = (folder / "guide.md").read_text(encoding="utf-8")
    assert text.index("example.org/bpe-dropout") > text.index("## Optimizers")
