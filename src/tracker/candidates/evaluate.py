"""Leave-one-paragraph-out evaluation of topic scoring (pure).

For every paragraph of a chapter that cites external links, all its links are
held out together: each becomes an item (anchor text, URL words and the sentence
around it), the paragraph's prose and links are removed from its chapter's
profile, and the item is ranked against every chapter. The arxiv-sanity-style
baseline (``baseline.SvmPerTopic``) is trained on the links of all *other*
paragraphs and ranked on the same items. Ties are broken by document order,
as the queue does, so a topic never wins by tying.

Owns: the split, ranks and metrics (accuracy@1, accuracy@3, MRR), and the
off-topic threshold calibrated on every held-out link (``calibrate``). Does not read
files (``services.evaluate`` does) and does not print.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import sklearn
from numpy.typing import NDArray

from tracker.candidates.baseline import SvmPerTopic
from tracker.candidates.calibrate import Calibration, threshold_from
from tracker.candidates.corpus import DocumentCorpus, LinkDoc, Paragraph
from tracker.candidates.profiles import build_profiles, scoring_targets
from tracker.candidates.scoring import TopicScorer
from tracker.candidates.text import item_text
from tracker.errors import InputError

__all__ = ["Metrics", "EvalReport", "evaluate_corpus", "rank_of", "link_item_text"]


@dataclass(frozen=True)
class Metrics:
    accuracy_at_1: float
    accuracy_at_3: float
    mrr: float

    @classmethod
    def from_ranks(cls, ranks: Sequence[int]) -> Metrics:
        r = np.asarray(ranks, dtype=float)
        return cls(round(float((r == 1).mean()), 4), round(float((r <= 3).mean()), 4),
                   round(float((1.0 / r).mean()), 4))


@dataclass(frozen=True)
class EvalReport:
    """Results in the JSON shape of DESIGN.md (``as_dict``)."""

    n: int
    topics: int
    paragraphs: int
    ours: Metrics
    baseline: Metrics
    calibration: Calibration = Calibration(0.0, 0)

    def as_dict(self) -> dict[str, Any]:
        return {"n": self.n, "topics": self.topics, "paragraphs": self.paragraphs,
                "accuracy_at_1": self.ours.accuracy_at_1, "accuracy_at_3": self.ours.accuracy_at_3,
                "mrr": self.ours.mrr,
                "off_topic_threshold": {"calibrated": self.calibration.threshold,
                                        "samples": self.calibration.samples},
                "baseline": {"method": "tfidf+linearsvc per topic (C=0.01, balanced)",
                             "accuracy_at_1": self.baseline.accuracy_at_1,
                             "accuracy_at_3": self.baseline.accuracy_at_3, "mrr": self.baseline.mrr}}


def link_item_text(link: LinkDoc) -> str:
    """The item a held-out link stands for: anchor text, URL words, its sentence."""
    return item_text(link.anchor, link.url, context=link.sentence)


def rank_of(row: NDArray[np.float64], gold: int) -> int:
    """1-based rank of ``gold`` in ``row``; ties go to the topic earlier in the document."""
    better = int((row > row[gold]).sum())
    tied_before = int((row[:gold] == row[gold]).sum())
    return 1 + better + tied_before


Fold = tuple[list[int], list[int], list[float]]


def _fold(corpus: DocumentCorpus, slugs: list[str], para: Paragraph,
          training: list[tuple[str, str]]) -> Fold:
    """Ranks of the gold chapter (ours, baseline) and our best score of each held-out link."""
    gold = slugs.index(para.topic_slug)
    texts = [link_item_text(link) for link in para.links]
    ours = TopicScorer(build_profiles(corpus.topics, corpus.links, skip=para)).scores(texts)
    base = SvmPerTopic(slugs, [t for t, _ in training], [s for _, s in training]).scores(texts)
    return [rank_of(r, gold) for r in ours], [rank_of(r, gold) for r in base], \
        [float(x) for x in ours.max(axis=1)]


_STATE: dict[str, Any] = {}


def _run_fold(index: int) -> Fold:
    corpus, slugs, paragraphs, examples = (_STATE[k] for k in ("corpus", "slugs", "paragraphs", "examples"))
    training = [(text, slug) for j, text, slug in examples if j != index]
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        # thousands of tiny fits: sklearn's per-call validation is most of their cost
        return _fold(corpus, slugs, paragraphs[index], training)


def _pool(workers: int) -> Executor | None:
    """A pool of forked workers (they inherit the corpus), or ``None`` to run in-process."""
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))


def evaluate_corpus(corpus: DocumentCorpus, *, workers: int | None = None,
                    progress: Callable[[int, int], None] | None = None) -> EvalReport:
    """Leave-one-paragraph-out over every linked paragraph of a scoring target.

    ``workers`` processes share the folds (default: the CPUs, at most 4); the
    result does not depend on it.
    """
    slugs = [t.slug for t in scoring_targets(corpus.topics)]
    targets = set(slugs)
    paragraphs = [p for p in corpus.paragraphs if p.topic_slug in targets]
    if len(slugs) < 2:
        raise InputError(f"the document has {len(slugs)} chapter(s); ranking topics needs at least two")
    if not paragraphs:
        raise InputError("no chapter of the document cites an external link; nothing to evaluate")
    examples = [(i, link_item_text(link), p.topic_slug)
                for i, p in enumerate(paragraphs) for link in p.links]
    _STATE.update(corpus=corpus, slugs=slugs, paragraphs=paragraphs, examples=examples)
    ours: list[int] = []
    base: list[int] = []
    best: list[float] = []
    pool = _pool(min(4, os.cpu_count() or 1) if workers is None else workers)
    try:
        results = (pool.map(_run_fold, range(len(paragraphs)), chunksize=8) if pool is not None
                   else map(_run_fold, range(len(paragraphs))))
        for done, (o, b, s) in enumerate(results, start=1):
            ours += o
            base += b
            best += s
            if progress is not None:
                progress(done, len(paragraphs))
    finally:
        if pool is not None:
            pool.shutdown()
        _STATE.clear()
    return EvalReport(len(ours), len(slugs), len(paragraphs), Metrics.from_ranks(ours),
                      Metrics.from_ranks(base), threshold_from(best))
