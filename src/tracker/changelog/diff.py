"""What changed between two imported versions of a document (pure).

Owns: the rules that turn two ``VersionView``s into ``Change``s, each reported
once as the right kind:

* a link whose resource (canonical URL) stays in the same topic is unchanged;
* the same resource in another topic is ``moved``;
* in the same topic, with the same anchor text in (nearly) the same sentence,
  a different resource is ``replaced`` ("replaced X with Y");
* what is left is ``added`` or ``removed``;
* topics are ``topic_added``/``topic_removed``/``topic_renamed`` (``match``
  recognises renames);
* a topic whose text changed beyond the sentences of its changed links gets
  one ``wording`` entry (renderers summarise them as "wording changes in N chapters").

Does not own: reading versions from the database or rendering.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable

from tracker.changelog.match import match_topics, similarity
from tracker.changelog.model import Change, Citation, TopicView, VersionView

__all__ = ["diff_versions", "SENTENCE_THRESHOLD"]

#: how alike the sentences around two links must be for a URL swap to be a replacement
SENTENCE_THRESHOLD = 0.75


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


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
    pool: dict[tuple[str, str], deque[Citation]] = defaultdict(deque)
    for c in new.citations:
        pool[(c.canonical_url, c.topic_slug)].append(c)
    rest_old: list[Citation] = []
    for c in old.citations:
        queue = pool.get((c.canonical_url, mapping.get(c.topic_slug, "")))
        if queue:
            queue.popleft()
        else:
            rest_old.append(c)
    left = {id(c) for queue in pool.values() for c in queue}
    rest_new = [c for c in new.citations if id(c) in left]

    out: list[Change] = []
    touched_old: dict[str, list[str]] = defaultdict(list)
    touched_new: dict[str, list[str]] = defaultdict(list)

    def touch(o: Citation | None, n: Citation | None) -> None:
        if o is not None:
            touched_old[o.topic_slug].append(o.sentence)
        if n is not None:
            touched_new[n.topic_slug].append(n.sentence)

    def old_slug(o: Citation) -> str:
        return mapping.get(o.topic_slug, o.topic_slug)

    used: set[int] = set()  # positions of new citations already paired
    paired: set[int] = set()  # positions of old citations already paired
    by_url: dict[str, deque[Citation]] = defaultdict(deque)
    by_place: dict[tuple[str, str], list[Citation]] = defaultdict(list)
    for n in rest_new:
        by_url[n.canonical_url].append(n)
        by_place[(n.topic_slug, _norm(n.anchor_text))].append(n)
    # moved: the same resource, now cited in another topic
    for o in rest_old:
        queue = by_url.get(o.canonical_url)
        while queue and queue[0].position in used:
            queue.popleft()
        if not queue:
            continue
        n = queue.popleft()
        used.add(n.position)
        paired.add(o.position)
        touch(o, n)
        o_topic = places.topic(o.topic_slug, "old")
        out.append(places.change("moved", n.topic_slug, "new", n.position, url=n.url,
                                 old_url=o.url if o.url != n.url else None, title=n.label,
                                 old_topic=old_slug(o), kind=n.kind,
                                 old_topic_title=o_topic.title if o_topic else ""))
    # replaced: same place (topic, anchor text, sentence), another resource
    for o in rest_old:
        target = mapping.get(o.topic_slug)
        anchor = _norm(o.anchor_text)
        if o.position in paired or target is None or not anchor:
            continue
        best: tuple[float, Citation] | None = None
        for n in by_place.get((target, anchor), ()):
            if n.position in used:
                continue
            score = 1.0 if _norm(n.sentence) == _norm(o.sentence) else similarity(o.sentence, n.sentence)
            if score >= SENTENCE_THRESHOLD and (best is None or score > best[0]):
                best = (score, n)
        if best is None:
            continue
        n = best[1]
        used.add(n.position)
        paired.add(o.position)
        touch(o, n)
        out.append(places.change("replaced", n.topic_slug, "new", n.position, url=n.url, old_url=o.url,
                                 title=n.label, old_title=o.label, kind=n.kind))
    rest_old = [o for o in rest_old if o.position not in paired]
    rest_new = [n for n in rest_new if n.position not in used]
    for o in rest_old:
        touch(o, None)
        slug = old_slug(o)
        side = "new" if o.topic_slug in mapping else "old"
        out.append(places.change("removed", slug, side, o.position, url=o.url, title=o.label, kind=o.kind))
    for n in rest_new:
        touch(None, n)
        out.append(places.change("added", n.topic_slug, "new", n.position, url=n.url, title=n.label,
                                 kind=n.kind))
    return out, touched_old, touched_new


def _without(text: str, sentences: Iterable[str]) -> str:
    for sentence in sorted({s for s in sentences if len(s.strip()) >= 3}, key=len, reverse=True):
        text = text.replace(sentence, " ")
    return " ".join(text.split())


def _wording(places: _Places, touched_old: dict[str, list[str]],
             touched_new: dict[str, list[str]]) -> list[Change]:
    out: list[Change] = []
    for o_slug, n_slug in places.mapping.items():
        o, n = places.old[o_slug], places.new[n_slug]
        if (o.text_hash and o.text_hash == n.text_hash) or o.text == n.text:
            continue
        if _without(o.text, touched_old.get(o_slug, ())) == _without(n.text, touched_new.get(n_slug, ())):
            continue  # the text changed only where links were added, removed or replaced
        out.append(places.change("wording", n_slug, "new", 10**9, title=n.title, kind=n.kind))
    return out


def diff_versions(old: VersionView, new: VersionView) -> list[Change]:
    """Every change from ``old`` to ``new``, in the new version's document order."""
    places = _Places(old, new, match_topics(old, new))
    links, touched_old, touched_new = _link_changes(old, new, places)
    changes = _topic_changes(places) + links + _wording(places, touched_old, touched_new)
    return sorted(changes, key=lambda c: c.order)
