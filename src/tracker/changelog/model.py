"""The shapes the changelog is computed from and made of (frozen dataclasses, no I/O).

``VersionView`` is one imported version as the diff sees it (topics and
citations, in document order); ``Change`` is one line of a changelog, with the
JSON field names of DESIGN.md's contract (``type``, ``topic``, ``url``,
``old_url``, ``title``) plus context for renderers; ``Release`` is what one
version changed; ``Changelog`` is what a command renders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tracker.document.titles import generic_anchor, title_from_anchor

__all__ = ["TopicView", "Citation", "VersionView", "Change", "Release", "Changelog",
           "CHANGE_TYPES", "PENDING_TYPES"]

#: change types between two imported versions
CHANGE_TYPES = ("added", "removed", "moved", "replaced", "topic_added", "topic_removed",
                "topic_renamed", "wording")
#: change types the tracker knows about before the next version exists
PENDING_TYPES = ("archived", "redirect", "accepted", "new_version", "recovered")


@dataclass(frozen=True)
class TopicView:
    """A section, chapter or front topic as it was in one version."""

    slug: str
    title: str
    kind: str
    parent_slug: str | None
    position: int
    text: str = ""
    text_hash: str = ""
    description: str = ""
    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class Citation:
    """One link of the document (a placement) with its resource's identity."""

    position: int
    topic_slug: str
    url: str
    canonical_url: str
    anchor_text: str = ""
    sentence: str = ""
    title: str = ""
    kind: str = "other"
    file: str = ""
    line: int = 0
    resource_id: int = 0
    url_version: str = ""
    fragment: str = ""

    @property
    def label(self) -> str:
        """What to call this link: the author's anchor text when it names something (a
        table of contents names each ``#fragment`` of one page), else the resource's title,
        else the anchor text, else the URL."""
        if self.anchor_text and not generic_anchor(self.anchor_text):
            return title_from_anchor(self.anchor_text) or self.anchor_text.strip()
        return self.title or self.anchor_text or self.url

    @property
    def target(self) -> tuple[str, str]:
        """The resource and the part of it this link points to (canonical URL, fragment)."""
        return self.canonical_url, self.fragment


@dataclass(frozen=True)
class VersionView:
    """One imported version: label, date and content in document order."""

    label: str
    date: datetime | None
    topics: tuple[TopicView, ...]
    citations: tuple[Citation, ...]
    commit: str | None = None


@dataclass(frozen=True)
class Change:
    """One entry of a changelog. ``topic`` is the chapter (or section) slug it concerns;
    ``old_topic``/``old_title`` say where/what it was before (moves, renames)."""

    type: str
    topic: str | None
    url: str | None = None
    old_url: str | None = None
    title: str = ""
    old_title: str = ""
    old_topic: str | None = None
    topic_title: str = ""
    old_topic_title: str = ""
    section: str | None = None
    section_title: str = ""
    kind: str = ""
    detail: str = ""
    order: tuple[int, int] = (0, 0)

    def as_dict(self) -> dict[str, Any]:
        """The JSON object: contract fields first, then context."""
        return {"type": self.type, "topic": self.topic, "url": self.url, "old_url": self.old_url,
                "title": self.title, "old_title": self.old_title or None, "old_topic": self.old_topic,
                "topic_title": self.topic_title, "section": self.section,
                "section_title": self.section_title, "kind": self.kind or None,
                "detail": self.detail or None}


@dataclass(frozen=True)
class Release:
    """What one version changed relative to the one before (``label`` "Unreleased" for pending)."""

    label: str
    previous: str | None
    date: datetime | None
    changes: tuple[Change, ...]
    commit: str | None = None


@dataclass(frozen=True)
class Changelog:
    """What ``tracker changelog`` renders: the net changes ``from`` → ``to`` and, newest
    first, the releases in between."""

    document: str
    from_label: str | None
    to_label: str
    changes: tuple[Change, ...]
    releases: tuple[Release, ...]
    generated_at: datetime
    pending: bool = False
    notes: tuple[str, ...] = field(default=())
    swapped: bool = False  # from and to were named the other way round (compared in order)
