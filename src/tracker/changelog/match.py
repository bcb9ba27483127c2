"""Which topic of the old version is which topic of the new one (pure).

Owns rename detection: a topic keeps its identity through its slug; a slug that
vanished is matched to a new slug of the same kind when the two share most of
their links, their text, their chapters (for sections) or their summary. So a
renamed chapter is reported as a rename, not as a removal plus an addition.
Does not own: link or wording changes (``diff``).
"""

from __future__ import annotations

from collections import defaultdict
from difflib import SequenceMatcher

from tracker.changelog.model import TopicView, VersionView

__all__ = ["match_topics", "similarity", "RENAME_THRESHOLD"]

#: how alike two topics must be (0..1) for a vanished slug to count as renamed
RENAME_THRESHOLD = 0.5


def similarity(a: str, b: str) -> float:
    """Word-level similarity of two texts (0 when either is empty)."""
    if not a.strip() or not b.strip():
        return 0.0
    if a == b:
        return 1.0
    matcher = SequenceMatcher(None, a.split(), b.split(), autojunk=False)
    if matcher.real_quick_ratio() < RENAME_THRESHOLD or matcher.quick_ratio() < RENAME_THRESHOLD:
        return matcher.quick_ratio()
    return matcher.ratio()


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def match_topics(old: VersionView, new: VersionView) -> dict[str, str]:
    """Old slug → new slug for every topic present in both versions (same slug, or renamed)."""
    new_slugs = {t.slug for t in new.topics}
    mapping = {t.slug: t.slug for t in old.topics if t.slug in new_slugs}
    links: dict[tuple[str, str], set[str]] = defaultdict(set)
    for side, version in (("old", old), ("new", new)):
        for c in version.citations:
            links[(side, c.topic_slug)].add(c.canonical_url)
    for _round in range(3):  # chapters first; then sections can be matched by their chapters
        if not _match_round(old, new, mapping, links):
            break
    return mapping


def _match_round(old: VersionView, new: VersionView, mapping: dict[str, str],
                 links: dict[tuple[str, str], set[str]]) -> bool:
    """Pair vanished and new slugs once; True when a pair was added."""
    taken = set(mapping.values())
    gone = [t for t in old.topics if t.slug not in mapping]
    fresh = [t for t in new.topics if t.slug not in taken]
    if not gone or not fresh:
        return False
    children: dict[tuple[str, str], set[str]] = defaultdict(set)
    for t in old.topics:
        if t.parent_slug:
            children[("old", t.parent_slug)].add(mapping.get(t.slug, "old:" + t.slug))
    for t in new.topics:
        if t.parent_slug:
            children[("new", t.parent_slug)].add(t.slug)

    def score(o: TopicView, n: TopicView) -> float:
        return max(_jaccard(links[("old", o.slug)], links[("new", n.slug)]),
                   _jaccard(children[("old", o.slug)], children[("new", n.slug)]),
                   similarity(o.text, n.text), similarity(o.description, n.description))

    pairs = sorted(((score(o, n), -abs(o.position - n.position), o.slug, n.slug)
                    for o in gone for n in fresh if o.kind == n.kind), reverse=True)
    added = False
    for value, _closeness, o_slug, n_slug in pairs:
        if value < RENAME_THRESHOLD:
            break
        if o_slug in mapping or n_slug in taken:
            continue
        mapping[o_slug] = n_slug
        taken.add(n_slug)
        added = True
    return added
