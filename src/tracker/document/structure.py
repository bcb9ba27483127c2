"""Events → topics and links, for the two layouts tracker reads.

* ``handbook``: an ``index.md`` whose ``<h1>`` headings are sections (with a
  ``Goal:`` summary) and whose Jekyll ``{% include %}`` tags pull in
  ``_includes/`` files whose ``<h2>`` headings are chapters. Content before the
  first section (the introduction) and after the last one (credits) becomes a
  ``front`` topic titled by its own ``<h1>``, or "Introduction"/"Back matter".
* ``markdown``: plain Markdown files (one file or a folder, README/index first).
  A lone top heading is the document title; the next level down gives sections,
  the one below chapters; deeper headings fold into their chapter.

Pure: a mapping of relative path → text in, a ``ParsedDocument`` out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from tracker.document.model import (
    BlockEnd, Event, Goal, Heading, Include, Link, ParsedDocument, ParsedLink, ParsedTopic, Prose,
)
from tracker.document.scan import INCLUDE_TAG, scan_markdown
from tracker.document.slugs import SlugRegistry
from tracker.errors import DocumentError
from tracker.urls import classify_target

__all__ = ["parse_document", "detect_layout", "content_hash", "MAX_INCLUDE_DEPTH"]

MAX_INCLUDE_DEPTH = 8
_FIRST_FILES = ("index.md", "readme.md", "_index.md")


def content_hash(files: Mapping[str, str], names: list[str]) -> str:
    """SHA-256 over the files the document is made of (names and texts)."""
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    return digest.hexdigest()


def detect_layout(files: Mapping[str, str]) -> str:
    index = files.get("index.md")
    return "handbook" if index is not None and INCLUDE_TAG.search(index) else "markdown"


class _Builder:
    """Accumulates topics and links while events stream past."""

    def __init__(self) -> None:
        self.topics: list[ParsedTopic] = []
        self.links: list[ParsedLink] = []
        self.warnings: list[str] = []
        self.slugs = SlugRegistry()
        self.current: ParsedTopic | None = None
        self.section: ParsedTopic | None = None
        self._titles: dict[tuple[str | None, str], ParsedTopic] = {}
        self._pending_text: list[str] = []
        self._implicit: ParsedTopic | None = None  # a front topic opened by a link, untitled

    def open(self, title: str, kind: str, parent: ParsedTopic | None, file: str, line: int) -> ParsedTopic:
        if kind == "front" and self._implicit is not None and self.current is self._implicit:
            # the introduction's own heading names the topic its earlier links opened
            topic, self._implicit = self._implicit, None
            self._titles.pop((None, topic.title.strip().lower()), None)
            self.slugs.release(topic.slug)
            topic.title, topic.slug = title, self.slugs.claim(title)
            self._titles[(None, title.strip().lower())] = topic
            return topic
        self._implicit = None
        parent_slug = parent.slug if parent else None
        key = (parent_slug, title.strip().lower())
        if key in self._titles:
            where = f"under {parent.title!r}" if parent else "at the top level"
            self.warnings.append(
                f"{file}:{line}: duplicate {kind} title {title!r} {where} "
                f"(first at {self._titles[key].file}:{self._titles[key].line}); given its own slug"
            )
        topic = ParsedTopic(self.slugs.claim(title, parent_slug), title, kind, parent_slug,
                            len(self.topics), file, line)
        self._titles.setdefault(key, topic)
        self.topics.append(topic)
        self.current = topic
        topic.text_parts.extend(self._pending_text)
        self._pending_text = []
        return topic

    def ensure_current(self, title: str, file: str, line: int) -> ParsedTopic:
        if self.current is None:
            self.open(title, "front", None, file, line)
            self._implicit = self.current
        assert self.current is not None
        return self.current

    def add_text(self, text: str, file: str, line: int, fallback: str) -> None:
        """Prose outside any topic waits for one: text alone does not make a topic."""
        if self.current is None:
            self._pending_text.append(text)
        else:
            self.current.text_parts.append(text)

    def add_link(self, event: Link, fallback: str) -> None:
        topic = self.ensure_current(fallback, event.file, event.line)
        target = "bare" if event.bare else classify_target(event.href)
        if event.unclosed:
            self.warnings.append(
                f"{event.file}:{event.line}: <a href={event.href!r}> has no closing </a>; "
                "imported as a link running to the end of its block, as kramdown renders it"
            )
        self.links.append(ParsedLink(event.href.strip(), target, topic.slug, event.text,
                                     event.sentence, event.file, event.line))


def _resolve_include(name: str, files: Mapping[str, str], event: Include) -> str:
    for candidate in (f"_includes/{name}", name):
        if candidate in files:
            return candidate
    raise DocumentError(
        f"{event.file} line {event.line} includes {name!r}, which does not exist in _includes/; "
        "add the file or remove the include tag"
    )


def _handbook(files: Mapping[str, str]) -> tuple[_Builder, list[str]]:
    b = _Builder()
    used = ["index.md"]
    seen_section = False
    section_filled = False  # the open section has pulled in its include file

    def walk(name: str, depth: int, stack: tuple[str, ...]) -> None:
        nonlocal seen_section, section_filled
        in_index = name == "index.md"
        fallback = "Back matter" if seen_section else "Introduction"
        for event in scan_markdown(files[name], name):
            if isinstance(event, Include):
                target = _resolve_include(event.name, files, event)
                if target in stack or depth >= MAX_INCLUDE_DEPTH:
                    raise DocumentError(
                        f"{event.file} line {event.line}: include of {event.name!r} loops or nests "
                        f"deeper than {MAX_INCLUDE_DEPTH}; break the cycle"
                    )
                if target not in used:
                    used.append(target)
                walk(target, depth + 1, stack + (target,))
                section_filled = section_filled or (in_index and b.section is not None)
            elif isinstance(event, Heading):
                if event.level == 1 and in_index:
                    seen_section, section_filled = True, False
                    b.section = b.open(event.title, "section", None, event.file, event.line)
                elif event.level == 1 and b.section is None:
                    b.open(event.title, "front", None, event.file, event.line)
                elif event.level == 2 and b.section is not None:
                    b.open(event.title, "chapter", b.section, event.file, event.line)
                else:  # sub-headings (and headings of front matter) fold into the topic
                    b.add_text(event.title, event.file, event.line, fallback)
            elif isinstance(event, Goal):
                if b.section is not None and b.current is b.section and not b.section.description:
                    b.section.description = event.text
                else:
                    b.add_text(event.text, event.file, event.line, fallback)
            elif isinstance(event, BlockEnd):
                # the end of index.md's HTML block that wrapped a section and its include
                # closes the section: what follows (credits…) is back matter, not its chapters
                if in_index and b.section is not None and section_filled:
                    b.section = None
                    b.current = None
                    fallback = "Back matter"
            elif isinstance(event, Prose):
                b.add_text(event.text, event.file, event.line, fallback)
            elif isinstance(event, Link):
                b.add_link(event, fallback)

    walk("index.md", 0, ("index.md",))
    if not seen_section:
        raise DocumentError("index.md has no <h1> section headings; nothing to import")
    return b, used


def _markdown_levels(events: list[Event]) -> tuple[int | None, int | None, int | None]:
    """(title level, section level, chapter level) from the headings present."""
    levels = [e.level for e in events if isinstance(e, Heading)]
    if not levels:
        return None, None, None
    present = sorted(set(levels))
    title = None
    if levels.count(present[0]) == 1 and levels[0] == present[0] and len(present) > 1:
        title = present.pop(0)
    if len(present) == 1:
        return title, None, present[0]
    return title, present[0], present[1]


def _markdown(files: Mapping[str, str]) -> tuple[_Builder, list[str]]:
    names = sorted((n for n in files if n.lower().endswith((".md", ".markdown"))),
                   key=lambda n: (n.count("/"), n.lower().rsplit("/", 1)[-1] not in _FIRST_FILES, n.lower()))
    b = _Builder()
    for name in names:
        events = scan_markdown(files[name], name)
        title_level, section_level, chapter_level = _markdown_levels(events)
        b.current, b.section = None, None
        for event in events:
            if isinstance(event, Heading):
                if event.level == title_level:
                    b.add_text(event.title, event.file, event.line, "Introduction")
                elif event.level == section_level:
                    b.section = b.open(event.title, "section", None, event.file, event.line)
                elif event.level == chapter_level:
                    b.open(event.title, "chapter", b.section, event.file, event.line)
                else:
                    b.add_text(event.title, event.file, event.line, "Introduction")
            elif isinstance(event, (Prose, Goal)):
                b.add_text(event.text, event.file, event.line, "Introduction")
            elif isinstance(event, Link):
                b.add_link(event, "Introduction")
    return b, names


def parse_document(files: Mapping[str, str]) -> ParsedDocument:
    """Parse a document given as ``{relative path: text}``; raises ``DocumentError``."""
    if not files:
        raise DocumentError("no Markdown files found; point at a .md file or a folder containing them")
    layout = detect_layout(files)
    builder, used = _handbook(files) if layout == "handbook" else _markdown(files)
    if not builder.topics and not builder.links:
        raise DocumentError(
            "the document is empty: no headings and no links were found in "
            f"{', '.join(used[:3])}{'…' if len(used) > 3 else ''}"
        )
    return ParsedDocument(layout, builder.topics, builder.links,
                          content_hash(files, used), used, builder.warnings)
