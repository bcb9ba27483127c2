"""What changed between two imported versions of a document (pure).

Owns: the rules that turn two ``VersionView``s into ``Change``s, each reported
once as the right kind:

* links are paired by ``pairing``: unchanged (same resource and fragment, same
  topic), ``moved`` (another topic), ``replaced`` (same place, whatever its
  text: "replaced X with Y"), else ``added`` or ``removed``;
* topics are ``topic_added``/``topic_removed``/``topic_renamed`` (``match``
  recognises renames);
* a topic whose text changed beyond the sentences of its changed links gets
  one ``wording`` entry (renderers summarise them as "wording changes in N chapters");
  text that only moved between a topic and an untitled front topic before it
  (the first link above the first heading opens one) is not a wording change,
  and that front topic is not reported as a new or removed topic.

Does not own: reading versions from the database or rendering.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from tracker.changelog.match import match_topics
from tracker.changelog.model import Change, Citation, TopicView, VersionView
from tracker.changelog.pairing import SENTENCE_THRESHOLD, pair_links

__all__ = ["diff_versions", "SENTENCE_THRESHOLD"]


class _Places:
    """Titles, sections and document order of topics on both sides of a diff."""

    def __init__(self, old: VersionView, new: VersionView, mapping: dict[str, str]) -> None:
        self.old = {t.slug: t for t in old.topics}
        self.new = {t.slug: t for t in new.topics}
        self.mapping = mapping
        self._old_order: dict[str, int] = {}
        anchor = -1
        for t in sorted(old.topics, key=lambda t: t.position):
            if t.slug in mapping:
                anchor = self.new[mapping[t.slug]].position * 2
            self._old_order[t.slug] = anchor + 1

    def topic(self, slug: str | None, side: str) -> TopicView | None:
        if slug is None:
            return None
        return (self.new if side == "new" else self.old).get(slug)

    def change(self, type_: str, slug: str, side: str, position: int = -1, *, url: str | None = None,
               old_url: str | None = None, title: str = "", old_title: str = "",
               old_topic: str | None = None, old_topic_title: str = "", kind: str = "") -> Change:
        """A ``Change`` about topic ``slug`` of the ``side`` version, with its context filled in."""
        topic = self.topic(slug, side)
        section = None
        if topic is not None and topic.parent_slug:
            section = self.topic(topic.parent_slug, side)
        if side == "new" and topic is not None:
            order = topic.position * 2
        else:
            order = self._old_order.get(slug, -1)
        return Change(type_, slug, topic_title=topic.title if topic else "",
                      section=section.slug if section else None,
                      section_title=section.title if section else "",
                      order=(order, position), url=url, old_url=old_url, title=title,
                      old_title=old_title, old_topic=old_topic, old_topic_title=old_topic_title, kind=kind)


def _topic_changes(places: _Places) -> list[Change]:
    out: list[Change] = []
    mapped_new = set(places.mapping.values())
    for slug, t in places.new.items():
        if slug not in mapped_new:
            out.append(places.change("topic_added", slug, "new", title=t.title, kind=t.kind))
    for slug, t in places.old.items():
        if slug not in places.mapping:
            out.append(places.change("topic_removed", slug, "old", title=t.title, kind=t.kind))
    for o_slug, n_slug in places.mapping.items():
        o, n = places.old[o_slug], places.new[n_slug]
        if o.title != n.title:
            out.append(places.change("topic_renamed", n_slug, "new", title=n.title, old_title=o.title,
                                     old_topic=o_slug if o_slug != n_slug else None, kind=n.kind))
    return out


def _link_changes(old: VersionView, new: VersionView, places: _Places
                  ) -> tuple[list[Change], dict[str, list[str]], dict[str, list[str]]]:
    """Link changes, plus the sentences they touched per old and per new topic."""
    mapping = places.mapping
    pairs = pair_links(old.citations, new.citations, mapping,
                       {t.slug: t.text for t in old.topics}, {t.slug: t.text for t in new.topics})
    out: list[Change] = []
    touched_old: dict[str, list[str]] = defaultdict(list)
    touched_new: dict[str, list[str]] = defaultdict(list)

    def touch(o: Citation | None, n: Citation | None) -> None:
        if o is not None:
            touched_old[o.topic_slug].append(o.sentence)
        if n is not None:
            touched_new[n.topic_slug].append(n.sentence)

    for o, n in pairs.moved:
        touch(o, n)
        o_topic = places.topic(o.topic_slug, "old")
        out.append(places.change("moved", n.topic_slug, "new", n.position, url=n.url,
                                 old_url=o.url if o.url != n.url else None, title=n.label,
                                 old_topic=mapping.get(o.topic_slug, o.topic_slug), kind=n.kind,
                                 old_topic_title=o_topic.title if o_topic else ""))
    for o, n in pairs.replaced:
        touch(o, n)
        out.append(places.change("replaced", n.topic_slug, "new", n.position, url=n.url, old_url=o.url,
                                 title=n.label, old_title=o.label, kind=n.kind))
    for o in pairs.removed:
        touch(o, None)
        side = "new" if o.topic_slug in mapping else "old"
        out.append(places.change("removed", mapping.get(o.topic_slug, o.topic_slug), side, o.position,
                                 url=o.url, title=o.label, kind=o.kind))
    for n in pairs.added:
        touch(None, n)
        out.append(places.change("added", n.topic_slug, "new", n.position, url=n.url, title=n.label,
                                 kind=n.kind))
    return out, touched_old, touched_new


def _without(text: str, sentences: Iterable[str]) -> str:
    for sentence in sorted({s for s in sentences if len(s.strip()) >= 3}, key=len, reverse=True):
        text = text.replace(sentence, " ")
    return " ".join(text.split())


class _Wording:
    """Which mapped topics changed wording beyond their links' sentences, and which new or
    vanished ``front`` topics only took text over from the topic after them.

    The parser gives text above the first heading to the first topic, unless a link
    there opens an untitled front topic (and the reverse when that link goes). That
    text moved; it was not rewritten, and the front topic is not news either.
    """

    def __init__(self, places: _Places, touched_old: dict[str, list[str]],
                 touched_new: dict[str, list[str]]) -> None:
        self.places = places
        self.touched_old, self.touched_new = touched_old, touched_new
        self.absorbed: set[tuple[str, str]] = set()  # ("old"|"new", slug) of front topics

    def _before(self, slug: str, side: str) -> TopicView | None:
        """The unmatched front topic right before ``slug`` on ``side``, if any."""
        topics = self.places.new if side == "new" else self.places.old
        matched = set(self.places.mapping.values()) if side == "new" else set(self.places.mapping)
        ordered = sorted(topics.values(), key=lambda t: t.position)
        index = next(k for k, t in enumerate(ordered) if t.slug == slug)
        prev = ordered[index - 1] if index else None
        return prev if prev is not None and prev.kind == "front" and prev.slug not in matched else None

    def changed(self, o_slug: str, n_slug: str) -> bool:
        o, n = self.places.old[o_slug], self.places.new[n_slug]
        if (o.text_hash and o.text_hash == n.text_hash) or o.text == n.text:
            return False
        front_old, front_new = self._before(o_slug, "old"), self._before(n_slug, "new")
        combos = ((None, None), (front_old, None), (None, front_new), (front_old, front_new))
        for fo, fn in dict.fromkeys(combos):  # the texts alone, then with the front text moved
            old_text = "\n".join(t.text for t in (fo, o) if t is not None)
            new_text = "\n".join(t.text for t in (fn, n) if t is not None)
            touched = (self.touched_old.get(o_slug, []) + self.touched_new.get(n_slug, [])
                       + (self.touched_old.get(fo.slug, []) if fo else [])
                       + (self.touched_new.get(fn.slug, []) if fn else []))
            if _without(old_text, touched) == _without(new_text, touched):
                self.absorbed.update([("old", fo.slug)] if fo else [])
                self.absorbed.update([("new", fn.slug)] if fn else [])
                return False
        return True

    def implicit(self, side: str, slug: str | None) -> bool:
        """A new (``side`` "new") or vanished front topic that is no news: its text only
        moved from or to the topic after it, or it is nothing but its links' sentences."""
        if slug is None or (side, slug) in self.absorbed:
            return slug is not None
        topic = (self.places.new if side == "new" else self.places.old).get(slug)
        touched = (self.touched_new if side == "new" else self.touched_old).get(slug, [])
        return topic is not None and topic.kind == "front" and not _without(topic.text, touched)

    def changes(self) -> list[Change]:
        out: list[Change] = []
        for o_slug, n_slug in self.places.mapping.items():
            if self.changed(o_slug, n_slug):
                n = self.places.new[n_slug]
                out.append(self.places.change("wording", n_slug, "new", 10**9, title=n.title, kind=n.kind))
        return out


def diff_versions(old: VersionView, new: VersionView) -> list[Change]:
    """Every change from ``old`` to ``new``, in the new version's document order."""
    places = _Places(old, new, match_topics(old, new))
    links, touched_old, touched_new = _link_changes(old, new, places)
    wording = _Wording(places, touched_old, touched_new)
    texts = wording.changes()
    topics = [c for c in _topic_changes(places)
              if not (c.type == "topic_added" and wording.implicit("new", c.topic))
              and not (c.type == "topic_removed" and wording.implicit("old", c.topic))]
    return sorted(topics + links + texts, key=lambda c: c.order)
