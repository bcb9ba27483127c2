"""Pure scoring: profiles, TF-IDF rows, reasons, awkward texts, labels, weeks, renderers."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest

from tracker.candidates.corpus import LinkDoc, TopicDoc
from tracker.candidates.profiles import build_profiles, scoring_targets
from tracker.candidates.render import candidate_card, queue_markdown
from tracker.candidates.scoring import MIN_LABELS, Labelled, TopicScorer
from tracker.candidates.text import clean_text, item_text, url_words
from tracker.candidates.weeks import next_week, parse_week, week_of
from tracker.errors import InputError

TOPICS = [
    TopicDoc("sec-a", "Section A: Language Models", "section", None, "Learn how language models work"),
    TopicDoc("tokenization", "Tokenization", "chapter", "sec-a", "",
             "Subword tokenization with byte pair encoding (BPE) splits rare words into pieces.",
             ("Subword tokenization with byte pair encoding (BPE) splits rare words into pieces.",)),
    TopicDoc("attention", "Attention", "chapter", "sec-a", "",
             "Self-attention lets every token look at every other token; multi-head attention.",
             ("Self-attention lets every token look at every other token; multi-head attention.",)),
    TopicDoc("sec-b", "Section B: Images", "section", None, "Generate images"),
    TopicDoc("diffusion", "Diffusion Models", "chapter", "sec-b", "",
             "Diffusion models denoise images step by step, learning the score of the data."),
    TopicDoc("gans", "Generative Adversarial Nets", "chapter", "sec-b", ""),  # no prose, no links
]
LINKS = [LinkDoc("tokenization", "https://example.org/guide-to-subword-tokenization/", "guide", "a guide"),
         LinkDoc("diffusion", "https://lilianweng.github.io/posts/2021-07-11-diffusion-models/", "post", "")]


def scorer() -> TopicScorer:
    return TopicScorer(build_profiles(TOPICS, LINKS))


def test_targets_are_chapters_and_sections_without_chapters() -> None:
    lone = TopicDoc("lone", "A Section With No Chapters", "section")
    front = TopicDoc("intro", "Introduction", "front")
    slugs = [t.slug for t in scoring_targets(TOPICS + [lone, front])]
    assert slugs == ["tokenization", "attention", "diffusion", "gans", "lone"]


def test_the_right_chapter_wins_with_the_matched_words_as_reason() -> None:
    best = scorer().score_items(["Faster byte pair encoding for subword tokenization"])[0]
    assert best.topics[0].slug == "tokenization"
    assert [t.score for t in best.topics] == sorted((t.score for t in best.topics), reverse=True)
    assert best.reason.startswith("matched: ") and "byte pair" in best.reason
    # a chapter with no prose and no links is still a target, found by its title
    assert scorer().score_items(["generative adversarial nets revisited"])[0].topics[0].slug == "gans"


def test_rows_match_scikit_learns_own_transform() -> None:
    s = scorer()
    texts = ["byte pair encoding", "diffusion diffusion images", "nothing known here", ""]
    ours, coverage = s._vectorize(texts)
    theirs = s._vectorizer.transform(texts)
    assert np.allclose(ours.toarray(), theirs.toarray())
    assert coverage[2] == 0.0 and coverage[3] == 0.0 and coverage[0] == 1.0


def test_scores_are_deterministic_and_foreign_words_lower_them() -> None:
    texts = ["attention heads", "attention heads in the lunar lander's eclipse telescope photographs"]
    a, b = scorer().scores(texts), scorer().scores(texts)
    assert np.array_equal(a, b)
    assert a[1].max() < a[0].max()  # same chapter evidence, mostly foreign words
    assert a[1].argmax() == a[0].argmax()


@pytest.mark.parametrize("summary", ["", "x" * 1_000_000, "<p>" + "attention " * 200_000 + "</p>"])
def test_empty_and_huge_summaries(summary: str) -> None:
    text = item_text("Multi-head attention explained", "https://example.org/attention", summary)
    assert len(text) < 4_000
    assert scorer().score_items([text])[0].topics[0].slug == "attention"


def test_html_and_markdown_in_titles_are_text() -> None:
    assert clean_text("<b>Diffusion</b> &amp; <i>score</i> models") == "Diffusion & score models"
    assert clean_text("**Diffusion** [models](https://x.org) `code`") == "Diffusion models code"
    assert clean_text("&lt;p&gt;escaped&lt;/p&gt; <!-- c --><script>x()</script>") == "escaped"
    best = scorer().score_items([item_text("<em>Diffusion</em> **models** for images")])[0]
    assert best.topics[0].slug == "diffusion" and "<" not in best.reason


def test_non_english_text_scores_without_error() -> None:
    results = scorer().score_items(["Модели диффузии для изображений", "扩散模型", "Aufmerksamkeit ist alles"])
    assert all(len(r.topics) == 3 for r in results)
    assert all(r.topics[0].score == 0.0 for r in results)  # no shared words: nothing claimed


def test_url_words() -> None:
    assert url_words("https://www.youtube.com/watch?v=zduSFxRajkE") == "zdusfxrajke"
    assert url_words("https://blog.octanove.org/guide-to-subword-tokenization/") == \
        "octanove guide to subword tokenization"
    assert url_words("not a url") == "not url"


def test_a_document_with_one_chapter() -> None:
    only = [TopicDoc("only", "The Only Chapter", "chapter", None, "", "anything at all")]
    result = TopicScorer(build_profiles(only, [])).score_items(["something unrelated"])[0]
    assert [t.slug for t in result.topics] == ["only"]
    assert TopicScorer([]).score_items(["x"])[0].topics == ()


def test_held_out_paragraph_leaves_its_chapters_profile() -> None:
    from tracker.candidates.corpus import Paragraph

    link = LinkDoc("tokenization", "https://example.org/sentencepiece", "SentencePiece", "Try SentencePiece.")
    topics = [TopicDoc("tokenization", "Tokenization", "chapter", None, "", "BPE.\nTry SentencePiece.",
                       ("BPE.", "Try SentencePiece."))]
    para = Paragraph("tokenization", "f.md", 3, "Try SentencePiece.", [link])
    kept = build_profiles(topics, [link])[0].text
    held = build_profiles(topics, [link], skip=para)[0].text
    assert "sentencepiece" in kept.lower() and "sentencepiece" not in held.lower()


def test_decisions_train_per_topic_models_once_there_are_enough() -> None:
    ambiguous = ["generative models that make pictures"]
    before = scorer().scores(ambiguous)[0]
    labels = [Labelled(f"generative picture synthesis number {i}", "gans") for i in range(MIN_LABELS)]
    labels += [Labelled(f"denoising score matching {i}", "diffusion") for i in range(5)]
    labels += [Labelled("a cooking recipe", None)]
    trained = TopicScorer(build_profiles(TOPICS, LINKS), labels)
    assert trained._models and not TopicScorer(build_profiles(TOPICS, LINKS), labels[:3])._models
    after = trained.scores(ambiguous)[0]
    gans = [p.slug for p in trained.profiles].index("gans")

    def margin(row: np.ndarray) -> float:
        return float(row[gans] - np.delete(row, gans).max())

    assert margin(after) > margin(before) and after.argmax() == gans


def test_weeks() -> None:
    assert week_of(datetime(2026, 11, 23, 9, tzinfo=timezone.utc)) == "2026-W48"
    assert week_of(datetime(2027, 1, 1, tzinfo=timezone.utc)) == "2026-W53"
    assert parse_week("2026w48") == "2026-W48"
    assert next_week("2026-W53") == "2027-W01"
    for bad in ("2026-W54", "2025-W53", "week 48", ""):
        with pytest.raises(InputError, match="ISO week"):
            parse_week(bad)


def test_queue_markdown_groups_by_section_then_chapter() -> None:
    rows = [dict(id=1, title="A [x]", url="https://a", section="S1", chapter="C1", score=0.2, source="s",
                 kind="paper", published_at=datetime(2026, 11, 20, tzinfo=timezone.utc), authors=["Ann"],
                 reason="matched: a", topics=[{"slug": "c1", "score": 0.2}, {"slug": "c2", "score": 0.1}],
                 week="2026-W47"),
            dict(id=2, title="B", url="https://b", section="S1", chapter="C2", score=0.1, authors=[],
                 topics=[], week="2026-W48")]
    text = "\n".join(queue_markdown(rows, "2026-W48"))
    assert text.index("## S1") < text.index("### C1") < text.index("### C2")
    assert "A \\[x\\]" in text and "(from 2026-W47)" in text and "also: c2" in text
    assert "s · paper · 2026-11-20 · Ann" in text and "unknown authors" in text
    assert "Nothing to review." in "\n".join(queue_markdown([], "2026-W48"))
    card = "\n".join(candidate_card(rows[0], 1, 2))
    assert "[1/2] #1" in card and "https://a" in card
