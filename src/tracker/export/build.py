"""The updated resource list: every current link under its section and chapter (pure).

Owns: applying what the tracker knows to the latest version's links (each keeps
its link text exactly as the author wrote it; the best known title is kept apart) — a dead
link with an archived copy points to the copy (marked as such, original kept),
a permanent redirect points to its new URL — and adding accepted candidates at
the end of their chapter. Links removed from the document are absent because
only the latest version is read; rejected candidates never arrive here.
Does not own: reading the database, rendering (``render``) or patching files (``patch``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from tracker.changelog.model import Citation, TopicView
from tracker.export.kinds import kind_label, source_of
from tracker.export.text import one_line, shorten
from tracker.types import AcceptedCandidate

__all__ = ["ExportItem", "ExportTopic", "ResourceList", "build_resource_list", "replacement_for",
           "LinkState", "WHY_LIMIT"]

#: longest "why" line taken from the document's own sentence
WHY_LIMIT = 220


@dataclass(frozen=True)
class ExportItem:
    """One resource line of the list (one link of the document, or an accepted candidate)."""

    topic: str
    position: int | None
    url: str
    original_url: str
    canonical_url: str
    kind: str
    title: str
    state: str
    status: str  # "cited" or "accepted"
    replacement: str | None = None  # "archived" or "redirect"
    source: str = ""
    why: str = ""
    anchor_text: str = ""
    file: str = ""
    line: int = 0
    link_text: str = ""

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)


@dataclass(frozen=True)
class ExportTopic:
    """A section (or front part) with its own links and its chapters, or a chapter."""

    slug: str
    title: str
    kind: str
    items: tuple[ExportItem, ...]
    chapters: tuple[ExportTopic, ...] = ()

    def all_items(self) -> list[ExportItem]:
        return list(self.items) + [i for c in self.chapters for i in c.items]


@dataclass(frozen=True)
class ResourceList:
    document: str
    version: str
    generated_at: datetime
    topics: tuple[ExportTopic, ...]
    notes: tuple[str, ...] = field(default=())

    def items(self) -> list[ExportItem]:
        return [i for t in self.topics for i in t.all_items()]

    def counts(self) -> dict[str, int]:
        """Entries, links (cited), distinct resources (canonical URLs) and what was applied."""
        items = self.items()
        cited = [i for i in items if i.status == "cited"]
        return {"resources": len(items), "links": len(cited),
                "distinct_resources": len({i.canonical_url for i in items}),
                "cited": len(cited), "cited_resources": len({i.canonical_url for i in cited}),
                "accepted": sum(i.status == "accepted" for i in items),
                "archived": sum(i.replacement == "archived" for i in items),
                "redirected": sum(i.replacement == "redirect" for i in items)}

    def summary(self) -> str:
        """"292 links to 272 resources" (and the accepted candidates added)."""
        c = self.counts()
        text = (f"{c['links']} link{'' if c['links'] == 1 else 's'} to {c['cited_resources']} "
                f"resource{'' if c['cited_resources'] == 1 else 's'}")
        if c["accepted"]:
            text += f", plus {c['accepted']} accepted resource{'' if c['accepted'] == 1 else 's'}"
        return text


class LinkState(Protocol):
    """What the list needs of a link's status: a ``tracker.types.LinkStatus``, or a plain
    row with these columns (an export of 50,000 links builds no status objects)."""

    @property
    def state(self) -> str: ...
    @property
    def suggested_url(self) -> str | None: ...
    @property
    def archive_url(self) -> str | None: ...


def replacement_for(url: str, status: LinkState | None) -> tuple[str, str] | None:
    """("archived", archive URL) for a dead link with an archived copy, ("redirect", new URL)
    for a permanent redirect, else ``None``."""
    if status is None:
        return None
    if status.state == "dead" and status.archive_url:
        return "archived", status.archive_url
    if status.state == "redirected" and status.suggested_url and status.suggested_url != url:
        return "redirect", status.suggested_url
    return None


def _norm(text: str) -> str:
    return " ".join(text.lower().strip("\"'“”‘’ ").split())


def _why(c: Citation) -> str:
    sentence = one_line(c.sentence)
    if not sentence:
        return ""
    said = _norm(sentence)
    if said == _norm(c.anchor_text) or said == _norm(c.title) or (_may_equal_label(said, c)
                                                                    and said == _norm(c.label)):
        return ""
    return shorten(sentence, WHY_LIMIT)


def _may_equal_label(said: str, c: Citation) -> bool:
    """False when ``_norm(c.label)`` cannot be ``said``, without ``label``'s anchor-text
    regexes: the label is the anchor text, the title (or a part of one), or the URL when
    both are empty, and ``_norm`` never lengthens ASCII text, so ASCII ones shorter than
    ``said`` cannot match."""
    anchor, title = c.anchor_text, c.title
    if anchor or title:
        return not (len(said) > max(len(anchor), len(title)) and anchor.isascii() and title.isascii())
    return not (len(said) > len(c.url) and c.url.isascii())


def _cited(c: Citation, status: LinkState | None) -> ExportItem:
    swap = replacement_for(c.url, status)
    title = one_line(c.title or c.label)  # best known: fetched or fed, else from the anchor
    return ExportItem(
        topic=c.topic_slug, position=c.position, url=swap[1] if swap else c.url, original_url=c.url,
        canonical_url=c.canonical_url, kind=c.kind, title=title, state=status.state if status else
        "unchecked", status="cited", replacement=swap[0] if swap else None, source=source_of(c.url),
        why=_why(c), anchor_text=c.anchor_text, file=c.file, line=c.line,
        link_text=one_line(c.anchor_text) or title)


def _accepted(a: AcceptedCandidate, status: LinkState | None) -> ExportItem:
    """An accepted candidate's line; its link is checked like a cited one (``tracker weekly``)."""
    swap = replacement_for(a.url, status)
    title = one_line(a.title) or a.url
    return ExportItem(
        topic=a.topic_slug, position=None, url=swap[1] if swap else a.url, original_url=a.url,
        canonical_url=a.canonical_url, kind=a.kind, title=title,
        state=status.state if status else "unchecked", status="accepted",
        replacement=swap[0] if swap else None,
        source=one_line(a.authors or a.source) or source_of(a.url),
        why=shorten(a.note or a.summary, WHY_LIMIT), link_text=title)


def build_resource_list(document: str, version: str, topics: Sequence[TopicView],
                        citations: Sequence[Citation], statuses: Mapping[int, LinkState],
                        accepted: Sequence[AcceptedCandidate], now: datetime) -> ResourceList:
    """The list in document order; accepted candidates follow their chapter's own links."""
    known = {t.slug for t in topics}
    cited = {c.canonical_url for c in citations}
    items: dict[str, list[ExportItem]] = defaultdict(list)
    for c in sorted(citations, key=lambda c: c.position):
        items[c.topic_slug].append(_cited(c, statuses.get(c.resource_id)))
    notes: list[str] = []
    for a in accepted:
        if a.canonical_url in cited:
            continue  # already in the document: nothing to add
        if a.topic_slug not in known:
            notes.append(f"accepted candidate {a.url} is for topic {a.topic_slug!r}, which the latest "
                         "version does not have; it is left out")
            continue
        items[a.topic_slug].append(_accepted(a, statuses.get(a.resource_id)))
        cited.add(a.canonical_url)
    ordered = sorted(topics, key=lambda t: t.position)
    parent = {t.slug: t.parent_slug for t in ordered if t.parent_slug in known and t.parent_slug != t.slug}

    def root(slug: str) -> str:  # deeper levels (if a layout ever makes them) fold into the top one
        seen = {slug}
        while slug in parent and parent[slug] not in seen:
            slug = parent[slug] or slug
            seen.add(slug)
        return slug

    children: dict[str, list[TopicView]] = defaultdict(list)
    for t in ordered:
        if t.slug in parent:
            children[root(t.slug)].append(t)
    tree = tuple(
        ExportTopic(t.slug, t.title, t.kind, tuple(items[t.slug]),
                    tuple(ExportTopic(ch.slug, ch.title, ch.kind, tuple(items[ch.slug]))
                          for ch in children[t.slug]))
        for t in ordered if t.slug not in parent)
    return ResourceList(document, version, now, tree, tuple(notes))
