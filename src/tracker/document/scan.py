"""One Markdown file → a flat list of events (headings, goals, includes, prose, links).

Uses markdown-it-py for Markdown and the stdlib HTML parser for raw HTML blocks
(the handbook's ``<h1>``/``<h2>`` headings and section summaries live in HTML).
Jekyll/Liquid ``{% include %}`` tags are template syntax, not Markdown, and are
recognised in text and HTML blocks. Pure: text in, events out.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from markdown_it import MarkdownIt
from markdown_it.token import Token

from tracker.document.model import BlockEnd, Event, Goal, Heading, Include, Link, Prose

__all__ = ["scan_markdown", "INCLUDE_TAG"]

INCLUDE_TAG = re.compile(r"\{%-?\s*include\s+([^\s%]+)[^%]*-?%\}")
_BARE_URL = re.compile(r"https?://[^\s<>()\[\]\"']+[^\s<>()\[\]\"'.,;:!?]")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_FRONT_MATTER = re.compile(r"\A---\s*\n.*?\n---\s*\n", re.DOTALL)
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    # Keep every href exactly as written: tracker judges links itself (javascript:,
    # mailto:, malformed) and must export the author's original URL unchanged.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    md.normalizeLinkText = lambda link: link  # type: ignore[method-assign]
    return md


_MD = _parser()


def _sentence_at(text: str, offset: int) -> str:
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() > offset:
            return text[start:match.start()].strip()
        start = match.end()
    return text[start:].strip()


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class _HTMLBlock(HTMLParser):
    """Collects headings, goal summaries, links, includes and text from an HTML block."""

    def __init__(self, file: str, first_line: int) -> None:
        super().__init__(convert_charrefs=True)
        self.file, self.first_line = file, first_line
        self.events: list[Event] = []
        self._heading: tuple[int, tuple[str, ...], int] | None = None
        self._summary_depth = 0
        self._depth = 0
        self._buffer: list[str] = []
        self._link: tuple[str, int, list[str]] | None = None

    def _line(self) -> int:
        return self.first_line + self.getpos()[0] - 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        classes = tuple((values.get("class") or "").split())
        if tag == "div":
            self._depth += 1
            if "section-summary" in classes:
                self._flush()
                self._summary_depth = self._depth
        if tag in _HEADINGS:
            self._flush()
            self._heading = (_HEADINGS[tag], classes, self._line())
        elif tag == "a" and values.get("href") is not None:
            self._link = (values["href"] or "", self._line(), [])

    def handle_endtag(self, tag: str) -> None:
        if tag in _HEADINGS and self._heading:
            level, classes, line = self._heading
            title = _squash("".join(self._buffer))
            self._buffer = []
            self._heading = None
            if title:
                self.events.append(Heading(level, title, self.file, line, classes))
        elif tag == "a" and self._link:
            href, line, parts = self._link
            self._link = None
            self.events.append(Link(href, _squash("".join(parts)), _squash("".join(parts)),
                                    self.file, line))
        elif tag == "div":
            if self._summary_depth and self._depth == self._summary_depth:
                text = _squash("".join(self._buffer))
                self._buffer = []
                self._summary_depth = 0
                if text:
                    self.events.append(Goal(re.sub(r"^Goal:\s*", "", text), self.file, self._line()))
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        for match in INCLUDE_TAG.finditer(data):
            line = self._line() + data[: match.start()].count("\n")
            self._flush()
            self.events.append(Include(match.group(1), self.file, line))
        data = INCLUDE_TAG.sub(" ", data)
        if self._link:
            self._link[2].append(data)
        self._buffer.append(data)

    def _flush(self) -> None:
        if self._heading or self._summary_depth:
            return
        text = _squash("".join(self._buffer))
        self._buffer = []
        if text:
            self.events.append(Prose(text, self.file, self._line()))

    def finish(self) -> list[Event]:
        self.close()
        self._flush()
        return self.events


def _inline_events(token: Token, file: str) -> list[Event]:
    """Plain text of one inline token plus its links, each with its sentence and line."""
    first = (token.map[0] if token.map else 0) + 1
    text_parts: list[str] = []
    offset = 0
    line = first
    links: list[tuple[str, int, int, int]] = []  # href, start offset, end offset, line
    bare: list[tuple[str, int, int]] = []
    includes: list[Include] = []
    open_link: tuple[str, int, int] | None = None
    for child in token.children or []:
        piece = ""
        if child.type in ("text", "code_inline"):
            piece = child.content
            if child.type == "text":
                for m in INCLUDE_TAG.finditer(piece):
                    includes.append(Include(m.group(1), file, line))
                piece = INCLUDE_TAG.sub("", piece)
                if open_link is None:
                    for m in _BARE_URL.finditer(piece):
                        bare.append((m.group(0), offset + m.start(), line))
        elif child.type in ("softbreak", "hardbreak"):
            piece = " "
            line += 1
        elif child.type == "link_open":
            open_link = (str(child.attrs.get("href", "")), offset, line)
        elif child.type == "link_close" and open_link:
            links.append((open_link[0], open_link[1], offset, open_link[2]))
            open_link = None
        elif child.type == "html_inline":
            anchor = re.match(r"""<a\s[^>]*href\s*=\s*["']?([^"'\s>]*)""", child.content, re.I)
            if anchor:
                open_link = (anchor.group(1), offset, line)
            elif re.match(r"</a\s*>", child.content, re.I) and open_link:
                links.append((open_link[0], open_link[1], offset, open_link[2]))
                open_link = None
        elif child.type == "image":
            piece = child.content
        text_parts.append(piece)
        offset += len(piece)
    text = "".join(text_parts)
    events: list[Event] = list(includes)
    plain = _squash(text)
    if plain:
        events.append(Prose(plain, file, first))
    for href, start, end, link_line in links:
        events.append(Link(href, _squash(text[start:end]), _squash(_sentence_at(text, start)),
                           file, link_line))
    for url, start, link_line in bare:
        events.append(Link(url, "", _squash(_sentence_at(text, start)), file, link_line, bare=True))
    return events


def scan_markdown(text: str, file: str) -> list[Event]:
    """Every event of one Markdown file, in document order (lines are 1-based)."""
    skipped_lines = 0
    front = _FRONT_MATTER.match(text)
    if front:  # Jekyll front matter: metadata, not content
        skipped_lines = front.group(0).count("\n")
        text = "\n" * skipped_lines + text[front.end():]
    tokens = _MD.parse(text)
    events: list[Event] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.type == "heading_open":
            inline = tokens[i + 1]
            line = (token.map[0] if token.map else 0) + 1
            title = _squash("".join(c.content for c in inline.children or []
                                    if c.type in ("text", "code_inline")))
            events.append(Heading(int(token.tag[1]), title, file, line))
            events.extend(e for e in _inline_events(inline, file) if isinstance(e, Link))
            i += 3
            continue
        if token.type == "html_block":
            first = (token.map[0] if token.map else 0) + 1
            block = _HTMLBlock(file, first)
            block.feed(token.content)
            events.extend(block.finish())
            events.append(BlockEnd(file, (token.map[1] if token.map else first)))
        elif token.type == "inline":
            events.extend(_inline_events(token, file))
        i += 1
    return events
