"""A parsed document as scoring inputs: topics, links and paragraphs (pure).

Owns: turning a ``ParsedDocument`` (plus the raw files, for paragraph identity)
into the plain shapes the scorer works on — ``TopicDoc`` and ``LinkDoc`` — and
grouping the document's blocks into ``Paragraph`` objects so evaluation can hold
out a whole paragraph (its prose and all its links) at once.

Paragraph identity comes from ``tracker.document.scan``: each block yields one
``Prose`` event followed by the ``Link`` events found in it, so a paragraph is a
``Prose`` event plus the links that follow it up to the next non-link event.
Links are matched to the parser's ``ParsedLink`` (which knows their topic) by
file, line and href, in order. Does not parse Markdown itself, does not touch
the database.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from tracker.document.model import Link, ParsedDocument, ParsedLink, Prose
from tracker.document.scan import scan_markdown

__all__ = ["TopicDoc", "LinkDoc", "Paragraph", "DocumentCorpus", "corpus_from_parsed"]


@dataclass(frozen=True)
class TopicDoc:
    """What the scorer knows of one topic: its words, not its database row."""

    slug: str
    title: str
    kind: str  # section, chapter or front
    parent_slug: str | None = None
    description: str = ""  # a section's "Goal:" line
    text: str = ""  # the topic's own prose
    text_parts: tuple[str, ...] = ()  # the same prose, block by block (for hold-outs)


@dataclass(frozen=True)
class LinkDoc:
    """One external link of the document as scoring evidence for its topic."""

    topic_slug: str
    url: str
    anchor: str = ""
    sentence: str = ""
    title: str = ""  # the resource's real title once a check or a feed found it


@dataclass
class Paragraph:
    """One block of a topic: its prose text and the external links in it."""

    topic_slug: str
    file: str
    line: int
    text: str
    links: list[LinkDoc] = field(default_factory=list)


@dataclass
class DocumentCorpus:
    """Topics (document order), external links and paragraphs of one document."""

    topics: list[TopicDoc]
    links: list[LinkDoc]
    paragraphs: list[Paragraph]


def _link_doc(link: ParsedLink) -> LinkDoc:
    return LinkDoc(link.topic_slug, link.href, link.text, link.sentence)


def corpus_from_parsed(parsed: ParsedDocument, files: Mapping[str, str]) -> DocumentCorpus:
    """Build the corpus; ``files`` are the same ``{path: text}`` the document was parsed from."""
    topics = [TopicDoc(t.slug, t.title, t.kind, t.parent_slug, t.description, t.text,
                       tuple(p for p in t.text_parts if p)) for t in parsed.topics]
    external = [(link, _link_doc(link)) for link in parsed.links if link.target == "external"]
    by_place: dict[tuple[str, int, str], deque[tuple[ParsedLink, LinkDoc]]] = defaultdict(deque)
    for link, doc in external:
        by_place[(link.file, link.line, link.href.strip())].append((link, doc))
    paragraphs: list[Paragraph] = []
    for name in parsed.files:
        current: Paragraph | None = None
        for event in scan_markdown(files[name], name):
            if isinstance(event, Prose):
                current = Paragraph("", event.file, event.line, event.text)
                paragraphs.append(current)
            elif isinstance(event, Link):
                queue = by_place.get((event.file, event.line, event.href.strip()))
                if not queue:
                    continue  # not an external link (anchor, mailto, bare URL…)
                link, doc = queue.popleft()
                if current is None:  # a link in a block with no prose of its own
                    current = Paragraph("", event.file, event.line, "")
                    paragraphs.append(current)
                if current.links and current.topic_slug != link.topic_slug:
                    current = Paragraph("", event.file, event.line, "")
                    paragraphs.append(current)
                current.topic_slug = link.topic_slug
                current.links.append(doc)  # the same object as in ``links``
            else:
                current = None
    return DocumentCorpus(topics, [doc for _link, doc in external],
                          [p for p in paragraphs if p.links])
