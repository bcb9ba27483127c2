"""Did a topic's text change beyond the links that changed in it? (pure)

Owns the ``wording`` judgement of the changelog. A topic's text is one block per
line (paragraph, list item, table cell…). The blocks of the two versions are
aligned (``difflib``); the topic changed wording when some changed region is not
explained by its links:

* a region whose texts are equal once the *touched* spans are taken out — the
  sentence and the anchor text of every link that was added, removed, moved or
  replaced (a sentence cut short inside an anchor such as "Pt. 1" runs on to
  the end of the sentence that holds the rest of the anchor);
* a block deleted or inserted whole that holds a touched link (a removed list
  item goes with its link, whatever else it said).

It also recognises text that only *moved* into or out of an untitled ``front``
topic: the parser gives text above the first heading to the first topic, unless
a link there opens a front topic ("Introduction"), and gives it back when that
link goes. Such a front topic is no news either.

Does not own: pairing links (``pairing``) or building ``Change`` entries (``diff``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from difflib import SequenceMatcher

from tracker.changelog.model import TopicView

__all__ = ["Touched", "without", "explained", "WordingCheck"]

#: what a changed link touched: (its sentence, its anchor text)
Touched = tuple[str, str]

_SENTENCE_STOP = re.compile(r"[.!?](?=\s|$)|(?=\n)")


def _pieces(text: str, sentence: str, anchor: str) -> list[str]:
    """The strings of ``text`` that belong to one touched link (none when it is not there)."""
    if len(sentence.strip()) < 3:
        sentence = anchor
    start = text.find(sentence) if len(sentence.strip()) >= 3 else -1
    if start < 0:
        return []
    end = start + len(sentence)
    if anchor and anchor not in sentence:  # the sentence was cut inside the anchor ("Pt. 1")
        at = text.find(anchor, max(0, start - len(anchor)))
        if at != -1 and at <= end and at + len(anchor) >= start:
            stop = _SENTENCE_STOP.search(text, at + len(anchor))  # the sentence goes on after it
            return [text[min(start, at):stop.end() if stop else len(text)]]
    return [sentence]


def without(text: str, touched: Iterable[Touched]) -> str:
    """``text`` with every touched span taken out, whitespace squashed."""
    pieces = {p for sentence, anchor in touched for p in _pieces(text, sentence, anchor)}
    for piece in sorted(pieces, key=len, reverse=True):
        text = text.replace(piece, " ")
    return " ".join(text.split())


def _holds_link(block: str, touched: Sequence[Touched]) -> bool:
    return any(_pieces(block, sentence, anchor) for sentence, anchor in touched)


def explained(old_text: str, new_text: str, touched: Sequence[Touched]) -> bool:
    """True when every difference between the two texts is explained by touched links."""
    if old_text == new_text:
        return True
    old_blocks = [b for b in old_text.split("\n") if b.strip()]
    new_blocks = [b for b in new_text.split("\n") if b.strip()]
    matcher = SequenceMatcher(None, old_blocks, new_blocks, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        gone, came = old_blocks[i1:i2], new_blocks[j1:j2]
        if without("\n".join(gone), touched) == without("\n".join(came), touched):
            continue
        if tag in ("delete", "insert") and all(_holds_link(b, touched) for b in gone + came):
            continue
        return False
    return True


class WordingCheck:
    """Wording judgements for one diff: ``changed`` per matched topic pair, ``implicit``
    for new or vanished front topics."""

    def __init__(self, old: Mapping[str, TopicView], new: Mapping[str, TopicView], mapping: Mapping[str, str],
                 touched_old: Mapping[str, list[Touched]], touched_new: Mapping[str, list[Touched]]) -> None:
        self.old, self.new, self.mapping = old, new, mapping
        self.touched_old, self.touched_new = touched_old, touched_new
        self.absorbed: set[tuple[str, str]] = set()  # ("old"|"new", slug) of front topics
        self._order = {side: sorted(topics.values(), key=lambda t: t.position)
                       for side, topics in (("old", old), ("new", new))}

    def _front_before(self, slug: str, side: str) -> TopicView | None:
        """The unmatched front topic right before ``slug`` on ``side``, if any."""
        matched = set(self.mapping.values()) if side == "new" else set(self.mapping)
        ordered = self._order[side]
        index = next(k for k, t in enumerate(ordered) if t.slug == slug)
        prev = ordered[index - 1] if index else None
        return prev if prev is not None and prev.kind == "front" and prev.slug not in matched else None

    def changed(self, o_slug: str, n_slug: str) -> bool:
        """True when the matched pair's text changed beyond its links (and moved front text)."""
        o, n = self.old[o_slug], self.new[n_slug]
        if (o.text_hash and o.text_hash == n.text_hash) or o.text == n.text:
            return False
        front_old, front_new = self._front_before(o_slug, "old"), self._front_before(n_slug, "new")
        combos = ((None, None), (front_old, None), (None, front_new), (front_old, front_new))
        for fo, fn in dict.fromkeys(combos):  # the texts alone, then with the front text moved
            old_text = "\n".join(t.text for t in (fo, o) if t is not None)
            new_text = "\n".join(t.text for t in (fn, n) if t is not None)
            touched = (list(self.touched_old.get(o_slug, [])) + list(self.touched_new.get(n_slug, []))
                       + (list(self.touched_old.get(fo.slug, [])) if fo else [])
                       + (list(self.touched_new.get(fn.slug, [])) if fn else []))
            if explained(old_text, new_text, touched):
                self.absorbed.update([("old", fo.slug)] if fo else [])
                self.absorbed.update([("new", fn.slug)] if fn else [])
                return False
        return True

    def implicit(self, side: str, slug: str | None) -> bool:
        """A new (``side`` "new") or vanished front topic that is no news: its text only
        moved from or to the topic after it, or it is nothing but its links' sentences."""
        if slug is None:
            return False
        if (side, slug) in self.absorbed:
            return True
        topic = (self.new if side == "new" else self.old).get(slug)
        touched = (self.touched_new if side == "new" else self.touched_old).get(slug, [])
        return topic is not None and topic.kind == "front" and not without(topic.text, touched)
