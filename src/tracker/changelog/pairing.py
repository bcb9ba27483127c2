"""Which link of the old version became which link of the new one (pure).

Owns the pairing rules, applied in this order, each taking only links no
earlier rule paired:

1. **unchanged** — the same target (resource *and* ``#fragment``) in the same
   (possibly renamed) topic; the k-th such link of the old version pairs with
   the k-th of the new one. The fragment matters: a table of contents links one
   page many times, once per ``#week-a``, ``#week-b``…;
2. **moved** — the same target (else the same resource) now in another topic;
3. **replaced in place** — within one topic, the links are aligned by their
   targets (``difflib``), so every link sits in a *slot* between two unchanged
   neighbours. Links that left a slot and links that arrived in the same slot
   are replacements, whatever their text: the same resource with another
   fragment first, then one for one when the slot lost as many links as it
   gained, else by how alike their sentences are. A pair is refused when the
   evidence says the two links are in different places: the old link's
   sentence is still in the new text as often as before (or the new link's
   sentence was already in the old text as often);
4. **replaced** (reordered) — the same resource with another fragment, or the
   same anchor text in a similar sentence, anywhere in the topic;
5. whatever is left is **removed** or **added**.

Does not own: topics (``match``), wording or rendering (``diff``, ``render``).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from tracker.changelog.match import similarity
from tracker.changelog.model import Citation

__all__ = ["Pairing", "pair_links", "SENTENCE_THRESHOLD"]

#: how alike the sentences around two links must be for a URL swap to be a replacement
SENTENCE_THRESHOLD = 0.75


def norm(text: str) -> str:
    """Lower case, single spaces."""
    return " ".join(text.lower().split())


@dataclass
class Pairing:
    """Old/new citation pairs by kind, and the links left on either side."""

    unchanged: list[tuple[Citation, Citation]] = field(default_factory=list)
    moved: list[tuple[Citation, Citation]] = field(default_factory=list)
    replaced: list[tuple[Citation, Citation]] = field(default_factory=list)
    removed: list[Citation] = field(default_factory=list)
    added: list[Citation] = field(default_factory=list)


def _context(c: Citation) -> str:
    """The link's sentence without its own anchor text."""
    sentence, anchor = norm(c.sentence), norm(c.anchor_text)
    return norm(sentence.replace(anchor, " ", 1)) if anchor else sentence


class _Pairer:
    def __init__(self, old: Sequence[Citation], new: Sequence[Citation], mapping: Mapping[str, str],
                 old_text: Mapping[str, str], new_text: Mapping[str, str]) -> None:
        self.old, self.new, self.mapping = old, new, mapping
        self.old_text = {slug: norm(text) for slug, text in old_text.items()}
        self.new_text = {slug: norm(text) for slug, text in new_text.items()}
        self.free_old = set(range(len(old)))
        self.free_new = set(range(len(new)))
        self.result = Pairing()

    def take(self, i: int, j: int, into: list[tuple[Citation, Citation]]) -> None:
        self.free_old.discard(i)
        self.free_new.discard(j)
        into.append((self.old[i], self.new[j]))

    def in_topic(self, i: int) -> str | None:
        """The new topic slug the old link's topic became (``None`` when it is gone)."""
        return self.mapping.get(self.old[i].topic_slug)

    def by_key(self, key: Callable[[int], Hashable],
               allowed: Callable[[int, int], bool] = lambda i, j: True,
               into: list[tuple[Citation, Citation]] | None = None) -> None:
        """Pair free links with equal ``key`` (k-th old with k-th new), where ``allowed``."""
        pool: dict[Hashable, deque[int]] = defaultdict(deque)
        for j in sorted(self.free_new):
            pool[key(-1 - j)].append(j)
        for i in sorted(self.free_old):
            queue = pool.get(key(i))
            if not queue:
                continue
            for j in list(queue):
                if allowed(i, j):
                    queue.remove(j)
                    self.take(i, j, self.result.unchanged if into is None else into)
                    break

    # keys take an old index i >= 0 or a new index encoded as -1 - j
    def cit(self, x: int) -> Citation:
        return self.old[x] if x >= 0 else self.new[-1 - x]

    def topic_of(self, x: int) -> str | None:
        return self.in_topic(x) if x >= 0 else self.new[-1 - x].topic_slug

    def different_place(self, o: Citation, n: Citation) -> bool:
        """True when the texts show the two links sit in different sentences: the old link's
        sentence is still there (as often as before) or the new one's was already there."""
        so, sn = norm(o.sentence), norm(n.sentence)
        if so == sn:
            return False
        old_text = self.old_text.get(o.topic_slug, "")
        new_text = self.new_text.get(self.mapping.get(o.topic_slug, ""), "")

        def stays(sentence: str, before: str, after: str) -> bool:
            return len(sentence.split()) >= 3 and after.count(sentence) >= max(1, before.count(sentence))

        return stays(so, old_text, new_text) or stays(sn, new_text, old_text)

    def slots(self) -> None:
        """Replacements in place, topic by topic (rule 3)."""
        old_by: dict[str, list[int]] = defaultdict(list)
        new_by: dict[str, list[int]] = defaultdict(list)
        for i, o in enumerate(self.old):
            old_by[o.topic_slug].append(i)
        for j, n in enumerate(self.new):
            new_by[n.topic_slug].append(j)
        for o_slug, n_slug in self.mapping.items():
            olds, news = old_by.get(o_slug, []), new_by.get(n_slug, [])
            keys_o = [self.old[i].target for i in olds]
            keys_n = [self.new[j].target for j in news]
            matcher = SequenceMatcher(None, keys_o, keys_n, autojunk=False)
            for tag, i1, i2, j1, j2 in matcher.get_opcodes():
                if tag == "replace":
                    self.slot([i for i in olds[i1:i2] if i in self.free_old],
                              [j for j in news[j1:j2] if j in self.free_new])

    def slot(self, olds: list[int], news: list[int]) -> None:
        out = self.result.replaced
        for i in list(olds):  # the same resource, another fragment
            for j in news:
                if self.old[i].canonical_url == self.new[j].canonical_url:
                    self.take(i, j, out)
                    olds.remove(i)
                    news.remove(j)
                    break
        if not olds or not news:
            return
        if len(olds) == len(news):
            for i, j in zip(olds, news):
                if not self.different_place(self.old[i], self.new[j]):
                    self.take(i, j, out)
            return
        scored = []
        for i in olds:
            for j in news:
                o, n = self.old[i], self.new[j]
                score = 1.0 if norm(o.sentence) == norm(n.sentence) else similarity(_context(o), _context(n))
                if score >= SENTENCE_THRESHOLD and not self.different_place(o, n):
                    scored.append((score, -abs(olds.index(i) - news.index(j)), i, j))
        for _score, _distance, i, j in sorted(scored, reverse=True):
            if i in self.free_old and j in self.free_new:
                self.take(i, j, out)

    def same_anchor(self) -> None:
        """Rule 4b: the same anchor text in a similar sentence of the same topic."""
        for i in sorted(self.free_old):
            o = self.old[i]
            target, anchor = self.in_topic(i), norm(o.anchor_text)
            if target is None or not anchor:
                continue
            best: tuple[float, int] | None = None
            for j in sorted(self.free_new):
                n = self.new[j]
                if n.topic_slug != target or norm(n.anchor_text) != anchor:
                    continue
                score = 1.0 if norm(n.sentence) == norm(o.sentence) else similarity(o.sentence, n.sentence)
                if score >= SENTENCE_THRESHOLD and (best is None or score > best[0]):
                    best = (score, j)
            if best is not None:
                self.take(i, best[1], self.result.replaced)

    def run(self) -> Pairing:
        r = self.result
        # 1. unchanged: same target, same topic
        self.by_key(lambda x: (self.cit(x).target, self.topic_of(x)))
        # 2. moved: same target, else same resource, in another topic
        elsewhere = lambda i, j: self.in_topic(i) != self.new[j].topic_slug  # noqa: E731
        self.by_key(lambda x: self.cit(x).target, elsewhere, r.moved)
        self.by_key(lambda x: self.cit(x).canonical_url, elsewhere, r.moved)
        # 3. replaced in place
        self.slots()
        # 4. replaced elsewhere in the topic: another fragment of the resource, or the same anchor
        self.by_key(lambda x: (self.cit(x).canonical_url, self.topic_of(x)), into=r.replaced)
        self.same_anchor()
        r.removed = [self.old[i] for i in sorted(self.free_old)]
        r.added = [self.new[j] for j in sorted(self.free_new)]
        return r


def pair_links(old: Sequence[Citation], new: Sequence[Citation], mapping: Mapping[str, str],
               old_text: Mapping[str, str], new_text: Mapping[str, str]) -> Pairing:
    """Pair the citations of two versions; ``mapping`` is old topic slug → new topic slug and
    ``old_text``/``new_text`` the topics' plain text (to tell one sentence from another)."""
    return _Pairer(old, new, mapping, old_text, new_text).run()
