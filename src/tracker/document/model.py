"""The shapes a parsed document is made of (frozen dataclasses, no behaviour).

Does not parse: ``scan`` and ``structure`` build these.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Heading:
    level: int
    title: str
    file: str
    line: int
    classes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Goal:
    """A section summary such as the handbook's ``<b>Goal:</b> …`` line."""

    text: str
    file: str
    line: int


@dataclass(frozen=True)
class Include:
    """A Jekyll ``{% include name %}`` tag."""

    name: str
    file: str
    line: int


@dataclass(frozen=True)
class Prose:
    """Plain text of one block (paragraph, list item, table cell…)."""

    text: str
    file: str
    line: int


@dataclass(frozen=True)
class Link:
    href: str
    text: str
    sentence: str
    file: str
    line: int
    bare: bool = False  # a URL written as plain text: not a link once rendered
    unclosed: bool = False  # ``<a href>`` without ``</a>``: runs to the end of its block


@dataclass(frozen=True)
class BlockEnd:
    """End of an HTML block (used to know where a handbook section's wrapper closes)."""

    file: str
    line: int


Event = Heading | Goal | Include | Prose | Link | BlockEnd


@dataclass
class ParsedTopic:
    slug: str
    title: str
    kind: str  # "section", "chapter" or "front"
    parent_slug: str | None
    position: int
    file: str
    line: int
    description: str = ""
    text_parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(p for p in self.text_parts if p)


@dataclass(frozen=True)
class ParsedLink:
    """A link of the document; ``target`` is external/anchor/relative/mailto/javascript/…"""

    href: str
    target: str
    topic_slug: str
    text: str
    sentence: str
    file: str
    line: int


@dataclass
class ParsedDocument:
    layout: str
    topics: list[ParsedTopic]
    links: list[ParsedLink]
    content_hash: str
    files: list[str]
    warnings: list[str] = field(default_factory=list)
