"""The off-topic threshold, calibrated on the document's own links (pure).

A fixed constant cannot know how a given document scores: the handbook's own
held-out links score as low as 0.035 for their best chapter while cooking,
football and tax-law texts stay under 0.022. So the threshold is read from the
document: hold out paragraphs (as ``eval topics`` does), score each held-out
link against the remaining profiles, and take ``FACTOR`` × the ``QUANTILE``
of their best scores — the level that nearly all of the document's own
resources clear with room to spare. ``[candidates] off_topic_threshold``
overrides it.

Owns: the rule and the sampling of paragraphs (at most ``MAX_FOLDS``, evenly
spread, so ``propose`` pays about a second once per document version). Does not
store the result (``services.propose`` does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tracker.candidates.corpus import DocumentCorpus, Paragraph
from tracker.candidates.profiles import build_profiles, scoring_targets
from tracker.candidates.scoring import TopicScorer
from tracker.candidates.text import item_text

__all__ = ["Calibration", "threshold_from", "calibrate", "QUANTILE", "FACTOR", "FALLBACK", "MAX_FOLDS"]

QUANTILE = 0.05
FACTOR = 0.8
FALLBACK = 0.05  # too few links to learn from: the old constant
MIN_SAMPLES = 10
MAX_FOLDS = 30
BOUNDS = (0.01, 0.1)


@dataclass(frozen=True)
class Calibration:
    threshold: float
    samples: int  # held-out links it was read from (0: the fallback)


def threshold_from(best_scores: Sequence[float]) -> Calibration:
    """``FACTOR`` × the ``QUANTILE`` of held-out links' best scores, within ``BOUNDS``."""
    if len(best_scores) < MIN_SAMPLES:
        return Calibration(FALLBACK, 0)
    value = FACTOR * float(np.quantile(np.asarray(best_scores, dtype=float), QUANTILE))
    return Calibration(round(min(BOUNDS[1], max(BOUNDS[0], value)), 4), len(best_scores))


def held_out_best(corpus: DocumentCorpus, paragraphs: Sequence[Paragraph]) -> list[float]:
    """Each held-out link's best score against the profiles without its paragraph."""
    best: list[float] = []
    for para in paragraphs:
        texts = [item_text(link.anchor, link.url, context=link.sentence) for link in para.links]
        scores = TopicScorer(build_profiles(corpus.topics, corpus.links, skip=para)).scores(texts)
        if scores.shape[1]:
            best += [float(x) for x in scores.max(axis=1)]
    return best


def calibrate(corpus: DocumentCorpus, max_folds: int = MAX_FOLDS) -> Calibration:
    """The threshold of ``corpus`` from at most ``max_folds`` evenly spread paragraphs."""
    targets = {t.slug for t in scoring_targets(corpus.topics)}
    paragraphs = [p for p in corpus.paragraphs if p.topic_slug in targets and p.links]
    if len(targets) < 2 or not paragraphs:
        return Calibration(FALLBACK, 0)
    step = max(1, -(-len(paragraphs) // max_folds))
    return threshold_from(held_out_best(corpus, paragraphs[::step]))
