"""Scoring items against topic profiles (pure, scikit-learn TF-IDF).

The method: word unigrams and bigrams, sublinear term frequency, English stop
words, fitted on the profiles; an item's score for a chapter is
``(2 * cos(item, chapter) + cos_mean(item, chapters of the same section)) / 3``
— the second term is a section prior that lets a chapter borrow evidence from
its siblings (a paper on "BPE merges" also fits its section's neighbours).
When the maintainers' decisions give enough labels (``MIN_LABELS`` accepted
items over at least two topics), a per-topic linear SVM trained on the decided
items is blended in (weight ``MODEL_WEIGHT``).

Owns: fitting, scoring a batch, the top topics of each item and the matched
words that explain them. Does not know where texts come from (see
``profiles`` and ``text``) and never touches the database. Deterministic: same
inputs, same scores.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from tracker.candidates.profiles import TopicProfile

__all__ = ["TopicScorer", "TopicScore", "ScoredItem", "Labelled", "SECTION_WEIGHT", "MODEL_WEIGHT",
           "MIN_LABELS", "new_vectorizer"]

SECTION_WEIGHT = 0.5  # weight of the section prior relative to the chapter's own similarity
MODEL_WEIGHT = 0.25  # share of the per-topic linear models once labels exist
MIN_LABELS = 20  # accepted decisions needed before the linear models are trusted
MIN_POSITIVES = 2  # per topic
REASON_TERMS = 4

Matrix = NDArray[np.float64]


# Words that match a chapter without saying what it is about: how people write about
# anything ("explained", "covering", "right"), not what they write about. Never shown
# as a reason (they still count in the score).
FILLER = frozenset(
    "right covering cover covers explained explains explain explaining introduction intro overview "
    "guide guides part parts new way ways good great better best make makes making like just really "
    "things thing look looking use used uses using work works working approach approaches paper papers "
    "post posts blog video videos talk lecture notes note article read reading series simple simply "
    "understanding understand learn learning deep dive know basics basic step steps detail details "
    "different important example examples let lets want need start started thinking think "
    "actually quite bit lot lots hands practical code".split())
FILLER_DF = 0.5  # a term in more than this share of the chapter profiles is not distinctive

TOKEN_PATTERN = r"(?u)\b(?=\w*[^\W\d_])\w\w+\b"  # two or more characters, at least one letter
_PHRASE_BREAK = re.compile(r"[\n.!?;:]+(?:\s|$)")


def new_vectorizer() -> TfidfVectorizer:
    """The TF-IDF settings every scorer in tracker uses (word 1-2 grams, sublinear tf).

    Bigrams never span a line or sentence break: a profile is many short parts
    (the title repeated, the section goal, sentences), and "laws scaling" made of
    two of them is not a phrase anyone wrote.
    """
    words = TfidfVectorizer(ngram_range=(1, 2), stop_words="english", token_pattern=TOKEN_PATTERN)
    analyze = words.build_analyzer()

    def analyzer(text: str) -> list[str]:
        return [term for phrase in _PHRASE_BREAK.split(text) for term in analyze(phrase)]

    return TfidfVectorizer(sublinear_tf=True, analyzer=analyzer, dtype=np.float32)


def _filler(term: str) -> bool:
    """A term that explains nothing: a filler word, or a phrase made only of them."""
    return all(word in FILLER for word in term.split())


@dataclass(frozen=True)
class TopicScore:
    slug: str
    score: float


@dataclass(frozen=True)
class ScoredItem:
    """An item's best topics (best first) and the words that matched the best one."""

    topics: tuple[TopicScore, ...]
    reason: str

    @property
    def best(self) -> TopicScore | None:
        return self.topics[0] if self.topics else None


@dataclass(frozen=True)
class Labelled:
    """A decided item: its text and the topic it was accepted into (``None``: rejected)."""

    text: str
    slug: str | None


class TopicScorer:
    """Profiles fitted once; ``scores`` and ``score_items`` for any number of texts."""

    def __init__(self, profiles: Sequence[TopicProfile], labelled: Sequence[Labelled] = ()) -> None:
        self.profiles = list(profiles)
        self.slugs = [p.slug for p in self.profiles]
        self._vectorizer = new_vectorizer()
        self._empty = not self.profiles
        if self._empty:
            self._matrix = None
            self._terms: NDArray[np.str_] = np.array([], dtype=str)
            return
        try:
            self._matrix = self._vectorizer.fit_transform([p.text for p in self.profiles]).tocsr()
        except ValueError:  # every profile empty or stop words only
            self._vectorizer = TfidfVectorizer(sublinear_tf=True, dtype=np.float32,
                                               token_pattern=r"(?u)\b\w+\b")
            self._matrix = self._vectorizer.fit_transform([p.text or "_" for p in self.profiles]).tocsr()
        self._dense = self._matrix.T.toarray()  # terms × topics, for reasons
        self._terms = self._vectorizer.get_feature_names_out()
        self._idf: NDArray[np.float64] = np.asarray(self._vectorizer.idf_, dtype=np.float64)
        # document frequency back from smoothed idf: idf = ln((1 + n) / (1 + df)) + 1
        n = len(self.profiles)
        df = (1.0 + n) / np.exp(self._idf - 1.0) - 1.0
        self._common = df > FILLER_DF * n if n >= 4 else np.zeros(len(self._idf), dtype=bool)
        sections = [p.section_slug or p.slug for p in self.profiles]
        groups: dict[str, list[int]] = {}
        for i, s in enumerate(sections):
            groups.setdefault(s, []).append(i)
        mix = np.zeros((len(sections), len(sections)))  # chapter → section prior, as one product
        for members in groups.values():
            for i in members:
                mix[members, i] = SECTION_WEIGHT / len(members)
        mix[np.diag_indices_from(mix)] += 1.0
        self._mix = mix / (1.0 + SECTION_WEIGHT)
        self._models = self._fit_models(labelled)

    # ------------------------------------------------------------ labels
    def _fit_models(self, labelled: Sequence[Labelled]) -> list[tuple[int, LinearSVC]]:
        accepted = [item for item in labelled if item.slug in self.slugs]
        if len(accepted) < MIN_LABELS or len({i.slug for i in accepted}) < 2:
            return []
        texts = [item.text for item in labelled if item.slug is None or item.slug in self.slugs]
        tags = [item.slug for item in labelled if item.slug is None or item.slug in self.slugs]
        x, _coverage = self._vectorize(texts)
        models = []
        for index, slug in enumerate(self.slugs):
            y = np.array([tag == slug for tag in tags], dtype=int)
            if y.sum() < MIN_POSITIVES or y.sum() == len(y):
                continue
            models.append((index, LinearSVC(C=1.0, class_weight="balanced").fit(x, y)))
        return models

    # ------------------------------------------------------------ scoring
    def _vectorize(self, texts: Sequence[str]) -> tuple[sparse.csr_matrix, NDArray[np.float64]]:
        """TF-IDF rows exactly as the fitted vectorizer makes them (sublinear tf, l2), and each
        text's *coverage*: the share of its distinct words the document uses at all — one
        analysis pass for both."""
        vocabulary: dict[str, int] = self._vectorizer.vocabulary_
        analyze = self._vectorizer.build_analyzer()
        indptr: list[int] = [0]
        indices: list[int] = []
        counts: list[int] = []
        coverage = np.zeros(len(texts))
        for row, text in enumerate(texts):
            terms = analyze(text)
            seen: dict[int, int] = {}
            words = set()
            for term in terms:
                index = vocabulary.get(term)
                if index is not None:
                    seen[index] = seen.get(index, 0) + 1
                if " " not in term:
                    words.add(term)
            if words:
                coverage[row] = sum(word in vocabulary for word in words) / len(words)
            indices.extend(seen)
            counts.extend(seen.values())
            indptr.append(len(indices))
        tf = 1.0 + np.log(np.asarray(counts, dtype=np.float64))
        data = np.multiply(tf, self._idf[np.asarray(indices, dtype=np.int64)])
        matrix = sparse.csr_matrix((data, np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
                                   shape=(len(texts), len(vocabulary)))
        return normalize(matrix), coverage

    def _score(self, queries: sparse.csr_matrix, coverage: NDArray[np.float64]) -> Matrix:
        assert self._matrix is not None
        sims = np.asarray((queries @ self._matrix.T).toarray(), dtype=np.float64)
        scores: Matrix = sims @ self._mix
        if self._models:
            learned = np.zeros_like(scores)
            for index, model in self._models:
                learned[:, index] = np.clip(model.decision_function(queries), 0.0, 1.0)
            scale = scores.max(axis=1, keepdims=True)
            scores = (1.0 - MODEL_WEIGHT) * scores + MODEL_WEIGHT * learned * scale
        # An item whose words are mostly foreign to the document (a NASA launch, a Rust
        # release) matches a chapter on a stray word or two: scale it down as a whole.
        # This never changes which chapter ranks first, only how sure we are.
        return scores * coverage[:, None]

    def scores(self, texts: Sequence[str]) -> Matrix:
        """Items × topics: (profile similarity with the section prior, blended with the
        per-topic models when labels exist) × the item's coverage by the document's words."""
        if self._empty or self._matrix is None:
            return np.zeros((len(texts), 0))
        return self._score(*self._vectorize(texts))

    def score_items(self, texts: Sequence[str], top: int = 3) -> list[ScoredItem]:
        """The ``top`` topics of each text, best first (ties by document order), with a reason."""
        if self._empty or self._matrix is None:
            return [ScoredItem((), "") for _ in texts]
        queries, coverage = self._vectorize(texts)
        matrix = self._score(queries, coverage)
        out = []
        for row_index, row in enumerate(matrix):
            order = np.argsort(-row, kind="stable")[:max(1, top)]
            chosen = tuple(TopicScore(self.slugs[i], round(float(row[i]), 4)) for i in order)
            start, stop = queries.indptr[row_index], queries.indptr[row_index + 1]
            out.append(ScoredItem(chosen, self.reason(queries.indices[start:stop], queries.data[start:stop],
                                                      int(order[0]))))
        return out

    def reason(self, indices: NDArray[np.int32], weights: NDArray[np.float64], topic: int) -> str:
        """``matched: a, b, c``: the terms adding most to the item's similarity with ``topic``."""
        if len(indices) == 0:
            return "no words in common with any chapter"
        contrib = weights * self._dense[indices, topic]
        order = [k for k in np.argsort(-contrib, kind="stable")[:6 * REASON_TERMS]
                 if contrib[k] > 0 and not self._common[indices[k]]]
        terms = [t for t in (str(self._terms[indices[k]]) for k in order) if not _filler(t)]
        phrases = {w for t in terms if " " in t for w in t.split()}
        # a phrase says more than its words: "byte pair" absorbs "byte" and "pair"
        words = [t for t in terms if " " in t or t not in phrases][:REASON_TERMS]
        if not words:
            return "no words in common with its best chapter"
        return "matched: " + ", ".join(words)

    def explain(self, texts: Sequence[str], topics: Sequence[int]) -> list[tuple[str, ...]]:
        """The distinctive words of each text that match its target (an index), best first."""
        if self._empty or not texts:
            return [() for _ in texts]
        queries, _coverage = self._vectorize(texts)
        out: list[tuple[str, ...]] = []
        for row, topic in enumerate(topics):
            start, stop = queries.indptr[row], queries.indptr[row + 1]
            reason = self.reason(queries.indices[start:stop], queries.data[start:stop], topic)
            out.append(tuple(reason.removeprefix("matched: ").split(", "))
                       if reason.startswith("matched: ") else ())
        return out
