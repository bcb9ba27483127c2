"""An item's fit: its chapters (best first), the words that explain them, where it was placed (pure).

Glue between ``scoring`` (score rows for any texts), ``text.text_sections``
(the sections of a long text) and ``placement`` (the best supported placement,
or the front topic for a general resource). One batch call scores every whole
text and every section together, so a week of thousands of items costs two
matrix products.

Owns: ``Fit`` and ``fit_items``. Does not decide queued/off-topic (``services.propose``
compares the fit with the threshold) and does not touch the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tracker.candidates.placement import place
from tracker.candidates.scoring import TopicScore, TopicScorer
from tracker.candidates.text import text_sections

__all__ = ["Fit", "ItemText", "fit_items"]


@dataclass(frozen=True)
class ItemText:
    """What an item is scored on: its text (title, URL words, start of summary) and raw summary."""

    text: str
    summary: str = ""


@dataclass(frozen=True)
class Fit:
    topics: tuple[TopicScore, ...]  # best first
    terms: tuple[str, ...]  # distinctive words matching the best topic
    placement: str = ""  # "" (scored whole), "section 3 of 9", "general: 5 chapters"

    @property
    def best(self) -> TopicScore | None:
        return self.topics[0] if self.topics else None

    @property
    def reason(self) -> str:
        return "matched: " + ", ".join(self.terms) if self.terms else "no distinctive words in common"


def fit_items(scorer: TopicScorer, items: Sequence[ItemText], threshold: float,
              front: str | None = None, top: int = 3) -> list[Fit]:
    """Fit every item; a general long text goes to ``front`` (a slug) when there is one."""
    if not items:
        return []
    if not scorer.slugs:
        return [Fit((), ()) for _ in items]
    whole = scorer.scores([i.text for i in items])
    sections = [text_sections(i.summary) for i in items]
    flat = [s for parts in sections for s in parts]
    section_scores = scorer.scores(flat) if flat else np.zeros((0, len(scorer.slugs)))
    groups = [p.section_slug or p.slug for p in scorer.profiles]
    fits: list[tuple[list[TopicScore], int, str, str]] = []  # topics, target, text to explain, placement
    offset = 0
    for index, item in enumerate(items):
        count = len(sections[index])
        placed = place(whole[index], section_scores[offset:offset + count], groups, threshold)
        row = placed.row
        order = np.argsort(-row, kind="stable")[:max(1, top)]
        topics = [TopicScore(scorer.slugs[i], round(float(row[i]), 4)) for i in order]
        explain, label = item.text, ""
        if placed.best_section is not None and row[order[0]] > whole[index][order[0]]:
            explain = sections[index][placed.best_section]
            label = f"section {placed.best_section + 1} of {count}"
        if placed.general and front is not None:
            topics = [TopicScore(front, placed.general_score)] + topics[:max(0, top - 1)]
            label = f"general: its sections fit {len(placed.spread)} chapters"
        fits.append((topics, int(order[0]), explain, label))
        offset += count
    terms = scorer.explain([f[2] for f in fits], [f[1] for f in fits])
    return [Fit(tuple(t), words, label) for (t, _target, _text, label), words in zip(fits, terms)]
