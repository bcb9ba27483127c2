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
  ``wording`` judges that, and recognises an untitled front topic that only took
  text over from the next topic (not reported as a new or removed topic).

Does not own: reading versions from the database or rendering.
"""

from __future__ import annotations

from collections import defaultdict

from tracker.changelog.match import match_topics
from tracker.changelog.model import Change, Citation, TopicView, VersionView
from tracker.changelog.pairing import SENTENCE_THRESHOLD, pair_links
from tracker.changelog.wording import Touched, WordingCheck

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
                  ) -> tuple[list[Change], dict[str, list[Touched]], dict[str, list[Touched]]]:
    """Link changes, plus the sentences they touched per old and per new topic."""
    mapping = places.mapping
    pairs = pair_links(old.citations, new.citations, mapping,
                       {t.slug: t.text for t in old.topics}, {t.slug: t.text for t in new.topics})
    out: list[Change] = []
    touched_old: dict[str, list[Touched]] = defaultdict(list)
    touched_new: dict[str, list[Touched]] = defaultdict(list)

    def touch(o: Citation | None, n: Citation | None) -> None:
        if o is not None:
            touched_old[o.topic_slug].append((o.sentence, o.anchor_text))
        if n is not None:
            touched_new[n.topic_slug].append((n.sentence, n.anchor_text))

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


def diff_versions(old: VersionView, new: VersionView) -> list[Change]:
    """Every change from ``old`` to ``new``, in the new version's document order."""
    places = _Places(old, new, match_topics(old, new))
    links, touched_old, touched_new = _link_changes(old, new, places)
    wording = WordingCheck(places.old, places.new, places.mapping, touched_old, touched_new)
    texts = [places.change("wording", n_slug, "new", 10**9, title=places.new[n_slug].title,
                           kind=places.new[n_slug].kind)
             for o_slug, n_slug in places.mapping.items() if wording.changed(o_slug, n_slug)]
    topics = [c for c in _topic_changes(places)
              if not (c.type == "topic_added" and wording.implicit("new", c.topic))
              and not (c.type == "topic_removed" and wording.implicit("old", c.topic))]
    return sorted(topics + links + texts, key=lambda c: c.order)
