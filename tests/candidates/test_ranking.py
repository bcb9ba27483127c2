"""The budgeted queue: corroboration, novelty against what the document cites, placement of
general and long texts, the overflow, and readable reasons."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.candidates.conftest import candidate_settings, item
from tests.conftest import CLI
from tracker.config import Settings
from tracker.db import repo_feeds
from tracker.db.models_candidates import Candidate
from tracker.db.models_feeds import FeedItem
from tracker.db.session import Database
from tracker.services.feed_items import store_items
from tracker.services.import_ import import_document
from tracker.services.propose import propose
from tracker.services.review import queue

GUIDE = """Welcome: this guide is a roadmap for learning how modern language models work, from
tokenizers to alignment; start with the general overviews below.
See [a general overview of large language models](https://example.net/llm-overview).

# Part one: text

## Tokenization

Byte pair encoding (BPE) merges frequent byte pairs into subword tokens; see
[Neural Machine Translation of Rare Words with Subword Units](https://arxiv.org/abs/1508.07909)
and [SentencePiece](https://github.com/google/sentencepiece).

## Attention

Self-attention lets every token attend to every other token; multi-head attention and
key, query and value projections, see [the illustrated transformer](https://example.org/illustrated).

# Part two: training

## Scaling Laws

Loss falls as a power law in parameters, data and compute; compute-optimal training
(Chinchilla) balances model size and tokens, see [scaling laws](https://example.org/scaling).

## Preference Tuning

Reward models trained on human preference comparisons, then RLHF with PPO, or direct
preference optimization (DPO) without a reward model, see [RLHF](https://example.org/rlhf).

# Part three: images

## Diffusion Models

Diffusion models learn to denoise images step by step with score matching, see
[this post](https://example.org/diffusion).

## Speculative Decoding

A small draft model proposes tokens that the large model verifies in parallel, so
decoding is faster with the same outputs, see [speculative decoding](https://example.org/speculative).
"""

SECTIONS = {  # one paragraph per chapter, in the words a lecture would use
    "speculative": "Speculative decoding: a small draft model proposes several tokens and the large "
                   "model verifies the draft tokens in parallel; accepted draft tokens make decoding faster. ",
    "tokenization": "Tokenization: byte pair encoding merges frequent byte pairs into subword tokens; "
                    "BPE merges and SentencePiece vocabularies split rare words. ",
    "scaling": "Scaling laws: the loss falls as a power law in parameters, data and compute; "
               "compute-optimal Chinchilla training balances model size and tokens. ",
    "rlhf": "Preference tuning: reward models learn from human preference comparisons; RLHF with PPO "
            "or direct preference optimization (DPO) tunes the model without a reward model. ",
    "diffusion": "Diffusion models denoise images step by step with score matching; the denoising "
                 "network learns the score of noisy images. ",
}
COOKING = ("Sourdough bread needs a lively starter, a long cold fermentation overnight in the fridge, "
           "stretch and fold every half hour, a hot oven with steam and a cast iron pot. ")


def _html(parts: list[str]) -> str:
    return "".join(f"<h2>Part {n}</h2><p>{text * 5}</p>" for n, text in enumerate(parts))


def _guide(tmp_path: Path) -> Path:
    folder = tmp_path / "guide"
    folder.mkdir()
    (folder / "guide.md").write_text(GUIDE, encoding="utf-8")
    return folder


def _source(db: Database, settings: Settings, name: str, host: str, kind: str = "feed") -> None:
    from tracker.services.sources import add_source

    target = {"feed": f"http://{host}/{name}.xml", "arxiv": "cat:cs.CL", "arxiv-listing": "cs.CL"}[kind]
    add_source(db, settings, kind, target, name=name)


def _see(db: Database, settings: Settings, source: str, items: list[Any]) -> None:
    with db.transaction() as session:
        row = repo_feeds.get_source(session, source)
        assert row is not None
        store_items(session, row, items, settings.now(), repo_feeds.load_cited(session))


def _by_url(db: Database) -> dict[str, Candidate]:
    with db.transaction() as session:
        return {url: c for url, c in session.execute(
            select(FeedItem.url, Candidate).join(Candidate, Candidate.item_id == FeedItem.id))}


@pytest.fixture
def guide(db: Database, db_url: str, tmp_path: Path) -> Settings:
    settings = candidate_settings(db_url)
    import_document(db, _guide(tmp_path), settings)
    _source(db, settings, "arxiv-cl", "", kind="arxiv-listing")
    _source(db, settings, "arxiv-lg", "", kind="arxiv")
    _source(db, settings, "blog-a", "127.0.0.2")
    _source(db, settings, "blog-b", "127.0.0.3")
    return settings


def _paper(n: int, title: str, summary: str) -> Any:
    return item(f"https://arxiv.org/abs/2611.{n:05d}", title, summary, kind="paper",
                canonical_id=f"arxiv:2611.{n:05d}")


def test_an_item_seen_through_two_sources_outranks_the_same_item_seen_through_one(
        db: Database, guide: Settings) -> None:
    text = "Faster byte pair encoding merges for subword tokenization", "BPE merges of frequent byte pairs."
    once, twice = _paper(1, *text), _paper(2, *text)
    _see(db, guide, "arxiv-cl", [once, twice])
    _see(db, guide, "blog-a", [twice])  # a followed blog links the second one too
    _see(db, guide, "arxiv-lg", [once])  # the first one in two arXiv feeds: still one voice
    propose(db, guide)
    c = _by_url(db)
    one, two = c[once.url], c[twice.url]
    assert one.score == two.score  # the same fit
    assert two.priority > one.priority and (two.rank, one.rank) == (1, 2)
    assert two.signals["corroboration"] == 2 and one.signals["corroboration"] == 2 - 1
    _week, rows = queue(db, guide)
    reasons = next(r["reasons"] for r in rows if r["id"] == two.id)
    assert "corroborated by 2 independent sources: arxiv-cl, blog-a" in reasons


@pytest.mark.parametrize("url,title", [
    ("https://arxiv.org/pdf/1508.07909", "A pdf link"),
    ("https://arxiv.org/abs/1508.07909v5", "A later version"),
    ("http://www.arxiv.org/pdf/1508.07909v2.pdf", "An old pdf of it"),
    ("https://aclanthology.org/P16-1162/", "Neural Machine Translation of Rare Words with Subword Units"),
    ("https://example.com/nmt-rare", "Neural machine translation of rare words with sub-word units!"),
    ("https://example.com/nmt-rare-2", "[v2] Neural Machine Translation of Rare Words with Subword Units (2016)"),
])
def test_an_item_the_document_already_cites_is_never_queued(db: Database, guide: Settings, url: str,
                                                            title: str) -> None:
    from tracker.sources.dedupe import identity

    key = identity(url)
    found = item(url, title, "Byte pair encoding for subword tokens in translation.", kind=key.kind,
                 canonical_id=key.canonical_id)
    _see(db, guide, "blog-b", [found])
    result = propose(db, guide)
    assert (result.in_document, result.queued, result.overflow) == (1, 0, 0)
    candidate = next(iter(_by_url(db).values()))
    assert candidate.status == "in_document"
    everything = queue(db, guide, all_=True)[1]
    assert everything == []


def test_a_general_overview_lands_in_the_front_topic(db: Database, guide: Settings) -> None:
    # lecture notes whose first part is about speculative decoding, and then about everything
    notes = item("https://example.com/llm-basics", "LLM basics: lecture notes",
                 _html([SECTIONS[k] for k in ("speculative", "tokenization", "scaling", "rlhf", "diffusion")]))
    _see(db, guide, "blog-b", [notes])
    propose(db, guide)
    [row] = queue(db, guide)[1]
    assert row["topic"] == "introduction" and row["chapter"] == "Introduction", row["topics"]
    assert row["signals"]["placement"].startswith("general: its sections fit ")
    assert any(r.startswith("placed by general") for r in row["reasons"])


def test_a_long_text_with_one_on_topic_section_lands_in_that_chapter(db: Database, guide: Settings) -> None:
    diary = item("https://example.com/diary", "My weekend",
                 _html([COOKING] * 4 + [SECTIONS["tokenization"]] + [COOKING] * 3))
    _see(db, guide, "blog-b", [diary])
    propose(db, guide)
    [row] = queue(db, guide)[1]
    assert row["topic"] == "tokenization", row["topics"]
    assert row["signals"]["placement"] == "section 5 of 8"
    assert "byte pair" in row["reason"]


def test_the_overflow_keeps_everything_not_queued_and_evidence_brings_it_back(
        db: Database, db_url: str, guide: Settings, run: CLI) -> None:
    tight = candidate_settings(db_url, candidates={"weekly_budget": 3, "per_topic_budget": 2})
    topics = ["tokenization", "scaling", "rlhf", "diffusion", "speculative"]
    papers = [_paper(10 + n, f"A study number {n} of {topic}", SECTIONS[topic])
              for n, topic in enumerate(topics * 2)]
    _see(db, tight, "arxiv-cl", papers)
    first = propose(db, tight)
    assert (first.queued, first.overflow, first.held_back) == (3, 7, 7)
    c = _by_url(db)
    assert {x.status for x in c.values()} == {"queued", "overflow"}
    env = {"TRACKER_CANDIDATES__WEEKLY_BUDGET": "3", "TRACKER_CANDIDATES__PER_TOPIC_BUDGET": "2"}
    listed = json.loads(run("queue", "--all", "--format", "json", env=env).stdout)
    assert {r["id"] for r in listed} == {x.id for x in c.values()}  # nothing dropped
    assert [r["status"] for r in listed] == ["queued"] * 3 + ["overflow"] * 7
    # a week later, a followed blog links the weakest held-back paper: it enters the queue
    weakest = min((x for x in c.values() if x.status == "overflow"), key=lambda x: x.priority)
    paper = next(p for p in papers if p.url == next(u for u, x in c.items() if x.id == weakest.id))
    later = candidate_settings(db_url, now="2026-11-30T09:00:00Z",
                               candidates={"weekly_budget": 3, "per_topic_budget": 2})
    _see(db, later, "blog-a", [paper])
    _see(db, later, "blog-b", [paper])
    again = propose(db, later)
    assert again.week == "2026-W49" and again.week_queue == 3
    after = _by_url(db)[paper.url]
    assert after.status == "queued" and after.week == "2026-W49" and after.rank == 1


def test_reasons_show_distinctive_words_never_filler() -> None:
    from tracker.candidates.corpus import corpus_from_parsed
    from tracker.candidates.profiles import build_profiles
    from tracker.candidates.scoring import FILLER, TopicScorer
    from tracker.document.structure import parse_document

    files = {"guide.md": GUIDE.replace("merges frequent", "right, covering and explained: it merges frequent")}
    corpus = corpus_from_parsed(parse_document(files), files)
    scorer = TopicScorer(build_profiles(corpus.topics, corpus.links))
    [scored] = scorer.score_items(["Byte pair encoding explained right, covering subword merges"])
    assert scored.topics[0].slug == "tokenization"
    words = scored.reason.removeprefix("matched: ").split(", ")
    assert "byte pair" in words and not {"right", "covering", "explained"} & set(words)
    assert not any(all(w in FILLER for w in term.split()) for term in words)
