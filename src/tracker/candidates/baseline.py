"""The arxiv-sanity-lite-style baseline (pure): one linear SVM per topic.

arxiv-sanity-lite ranks papers for a tag with a linear SVM trained on the
TF-IDF of the papers the user tagged. Here the "tagged papers" are the
document's own links (anchor text, URL words and sentence), each tagged with
its chapter: TF-IDF (word 1-2 grams, sublinear tf) fitted on the training
texts, then one ``LinearSVC(C=0.01, class_weight="balanced")`` per topic, and an
item is ranked by the topics' decision values. A topic with no training
example cannot be learned and ranks last.

Owns: that method, so ``eval topics`` can print it next to ours on the same
split. Does not choose the split (see ``evaluate``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

__all__ = ["SvmPerTopic", "BASELINE_C"]

BASELINE_C = 0.01


class SvmPerTopic:
    """Fit on (text, slug) pairs; ``scores`` gives items × ``slugs`` decision values."""

    def __init__(self, slugs: Sequence[str], texts: Sequence[str], labels: Sequence[str]) -> None:
        self.slugs = list(slugs)
        self._vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2))
        x = self._vectorizer.fit_transform(texts)
        y = np.array(labels)
        self._models: dict[int, LinearSVC] = {}
        for index, slug in enumerate(self.slugs):
            target = (y == slug).astype(int)
            if 0 < target.sum() < len(target):
                model = LinearSVC(C=BASELINE_C, class_weight="balanced", random_state=0)
                self._models[index] = model.fit(x, target)

    def scores(self, texts: Sequence[str]) -> NDArray[np.float64]:
        x = self._vectorizer.transform(texts)
        out = np.full((len(texts), len(self.slugs)), -np.inf)
        for index, model in self._models.items():
            out[:, index] = model.decision_function(x)
        return out
