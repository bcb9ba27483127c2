"""One Markdown file → a flat list of events (headings, goals, includes, prose, links).

Uses markdown-it-py for Markdown and the stdlib HTML parser for raw HTML blocks
(the handbook's ``<h1>``/``<h2>`` headings and section summaries live in HTML).
Jekyll/Liquid ``{% include %}`` tags are template syntax, not Markdown, and are
recognised in text and HTML blocks. Pure: text in, events out.

Work is linear in the input, however hostile: a block's sentences are found once
and shared by its links, and HTML blocks are defused before the stdlib parser
sees them (see ``_defuse``). An ``<a href>`` without ``</a>`` is a link running to
the end of its block, as kramdown renders it, marked ``unclosed`` for a warning.
Does not decide topics or warn: ``structure`` does that with these events.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from html.parser import HTMLParser

from markdown_it import MarkdownIt
from markdown_it.token import Token

from tracker.document.destination import with_fast_helpers
from tracker.document.model import BlockEnd, Event, Goal, Heading, Include, Link, Prose

__all__ = ["scan_markdown", "INCLUDE_TAG"]

INCLUDE_TAG = re.compile(r"\{%-?\s*include\s+([^\s%]+)[^%]*-?%\}")
_BARE_URL = re.compile(r"https?://[^\s<>()\[\]\"']+[^\s<>()\[\]\"'.,;:!?]")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_FRONT_MATTER = re.compile(r"\A---\s*\n.*?\n---\s*\n", re.DOTALL)
_SPACE = re.compile(r"\s+")
_ANCHOR_OPEN = re.compile(r"""<a\s[^>]*href\s*=\s*["']?([^"'\s>]*)""", re.I)
_ANCHOR_CLOSE = re.compile(r"</a\s*>", re.I)
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    # Keep every href exactly as written: tracker judges links itself (javascript:,
    # mailto:, malformed) and must export the author's original URL unchanged.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    md.normalizeLinkText = lambda link: link  # type: ignore[method-assign]
    md.helpers = with_fast_helpers()  # type: ignore[assignment]  # the same answers, see destination.py
    return md


_MD = _parser()


#: longest sentence context kept whole; a longer "sentence" (a paragraph of thousands
#: of links with no full stop) gives each link a window of this size around it instead
SENTENCE_LIMIT = 2000


def _squash(text: str) -> str:
    """Runs of whitespace → one space, ends stripped (``str.split`` and ``\\s`` agree on
    what whitespace is; splitting is several times faster than a regex)."""
    return " ".join(text.split())


class _Sentences:
    """The sentences of one block's text, found in one pass and squashed once each.

    ``at(offset)`` is the sentence containing ``offset`` (a bisection), so a block
    with N links costs one scan of its text, not N. A sentence longer than
    ``SENTENCE_LIMIT`` gives each link a window of it centred on the link, cut from
    the once-squashed sentence (the link's place in it found by bisection too).
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts = [0]
        self._ends: list[int] = []
        self._next: list[int] = []  # where the following sentence starts (end of the separator)
        for match in _SENTENCE_END.finditer(text):
            self._ends.append(match.start())
            self._next.append(match.end())
            self._starts.append(match.end())
        self._ends.append(len(text))
        self._next.append(len(text) + 1)
        self._squashed: dict[int, str] = {}
        self._runs: dict[int, tuple[list[int], list[int]]] = {}

    def at(self, offset: int) -> str:
        # the first sentence whose separator ends after ``offset`` (an offset inside the
        # whitespace between two sentences belongs to the one before)
        i = min(bisect_right(self._next, offset), len(self._ends) - 1)
        whole = self._squashed.get(i)
        if whole is None:
            whole = self._squashed[i] = _squash(self.text[self._starts[i]:self._ends[i]])
        if len(whole) <= SENTENCE_LIMIT:
            return whole
        return _window(whole, self._squashed_offset(i, offset))

    def _squashed_offset(self, i: int, offset: int) -> int:
        """Where raw ``offset`` lands in sentence ``i`` once squashed (to within a space)."""
        start, end = self._starts[i], self._ends[i]
        if i not in self._runs:  # whitespace runs of the sentence: their ends, chars removed so far
            ends: list[int] = []
            removed: list[int] = []
            total = 0
            for run in _SPACE.finditer(self.text, start, end):
                kept = 0 if run.start() == start or run.end() == end else 1
                total += run.end() - run.start() - kept
                ends.append(run.end())
                removed.append(total)
            self._runs[i] = (ends, removed)
        ends, removed = self._runs[i]
        k = bisect_right(ends, offset)
        return max(0, offset - start - (removed[k - 1] if k else 0))


def _window(whole: str, at: int) -> str:
    """About ``SENTENCE_LIMIT`` characters of ``whole`` around ``at``, cut between words."""
    half = SENTENCE_LIMIT // 2 - 1
    left, right = max(0, at - half), min(len(whole), at + half)
    words = whole[left:right]
    if left > 0:  # drop the partial first word
        words = "…" + words.split(" ", 1)[-1]
    if right < len(whole):
        words = words.rsplit(" ", 1)[0] + "…"
    return words


_OPENER = re.compile(r"<(!--|!\[(?:([a-zA-Z][-_.a-zA-Z0-9]*)\s*)?)?")
_COMMENT_CLOSE = re.compile(r"--\s*>")
_SECTION_CLOSE = re.compile(r"]\s*]\s*>")
_MS_SECTION_CLOSE = re.compile(r"]\s*>")
_SECTIONS = {"temp", "cdata", "ignore", "include", "rcdata"}
_MS_SECTIONS = {"if", "else", "endif"}


def _last_start(pattern: re.Pattern[str], text: str) -> int:
    last = -1
    for match in pattern.finditer(text):
        last = match.start()
    return last


def _defuse(html: str) -> str:
    """Escape each ``<`` that opens something the rest of the block never closes.

    The stdlib ``HTMLParser`` rescans to the end of the input for every such opener
    when it is closed (``<a<a<a…``, ``<!--x>`` repeated: quadratic, CPython
    gh-135462) and raises on a marked section it does not know (``<![foo[``). An
    opener without its closer is text anyway, so it becomes ``&lt;`` — which the
    parser reads back as ``<`` — and the work stays linear. One pass; a block whose
    constructs all close comes back unchanged.
    """
    last_gt = html.rfind(">")
    last_comment = last_section = last_ms_section = -2

    def closed(match: re.Match[str]) -> bool:
        at, kind, name = match.start(), match.group(1), (match.group(2) or "").lower()
        if not kind:
            return last_gt > at
        if kind == "!--":
            return last_comment >= at + 4
        if name in _SECTIONS:
            return last_section >= at + 3
        return name in _MS_SECTIONS and last_ms_section >= at + 3

    if "<!" in html:
        last_comment = _last_start(_COMMENT_CLOSE, html)
        last_section = _last_start(_SECTION_CLOSE, html)
        last_ms_section = _last_start(_MS_SECTION_CLOSE, html)
    elif html.rfind("<") < last_gt:
        return html  # the common case: every tag is closed
    return _OPENER.sub(lambda m: m.group(0) if closed(m) else "&lt;" + m.group(0)[1:], html)


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
            self._close_link(unclosed=True)  # a new <a> ends an unclosed one, as in HTML
            self._link = (values["href"] or "", self._line(), [])

    def handle_endtag(self, tag: str) -> None:
        if tag in _HEADINGS and self._heading:
            level, classes, line = self._heading
            title = _squash("".join(self._buffer))
            self._buffer = []
            self._heading = None
            if title:
                self.events.append(Heading(level, title, self.file, line, classes))
        elif tag == "a":
            self._close_link()
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

    def _close_link(self, unclosed: bool = False) -> None:
        if self._link is None:
            return
        href, line, parts = self._link
        self._link = None
        text = _squash("".join(parts))
        self.events.append(Link(href, text, text, self.file, line, unclosed=unclosed))

    def _flush(self) -> None:
        if self._heading or self._summary_depth:
            return
        text = _squash("".join(self._buffer))
        self._buffer = []
        if text:
            self.events.append(Prose(text, self.file, self._line()))

    def finish(self) -> list[Event]:
        self.close()
        self._close_link(unclosed=True)  # <a href> without </a> runs to the end of the block
        self._flush()
        return self.events


def _inline_events(token: Token, file: str) -> list[Event]:
    """Plain text of one inline token plus its links, each with its sentence and line.

    Linear in the token's length: the text is assembled once, sentences are found in
    one pass and each link's text is sliced once. ``<a href>`` without ``</a>`` runs to
    the end of the block, as kramdown renders it, and is marked ``unclosed``.
    """
    first = (token.map[0] if token.map else 0) + 1
    text_parts: list[str] = []
    offset = 0
    line = first
    links: list[tuple[str, int, int, int, bool]] = []  # href, start, end, line, unclosed
    bare: list[tuple[str, int, int]] = []
    includes: list[Include] = []
    open_link: tuple[str, int, int, bool] | None = None  # href, start, line, from raw HTML

    def close(end: int, unclosed: bool = False) -> None:
        nonlocal open_link
        if open_link is not None:
            links.append((open_link[0], open_link[1], end, open_link[2], unclosed))
            open_link = None

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
            close(offset, unclosed=True)  # only a raw <a> can still be open here
            open_link = (str(child.attrs.get("href", "")), offset, line, False)
        elif child.type == "link_close":
            close(offset)
        elif child.type == "html_inline":
            anchor = _ANCHOR_OPEN.match(child.content)
            if anchor:
                close(offset, unclosed=True)  # a new <a> ends an unclosed one, as in HTML
                open_link = (anchor.group(1), offset, line, True)
            elif _ANCHOR_CLOSE.match(child.content) and open_link is not None and open_link[3]:
                close(offset)
        elif child.type == "image":
            piece = child.content
        text_parts.append(piece)
        offset += len(piece)
    close(offset, unclosed=True)
    text = "".join(text_parts)
    events: list[Event] = list(includes)
    plain = _squash(text)
    if plain:
        events.append(Prose(plain, file, first))
    sentences = _Sentences(text)
    for href, start, end, link_line, unclosed in links:
        events.append(Link(href, _squash(text[start:end]), sentences.at(start), file, link_line,
                           unclosed=unclosed))
    for url, start, link_line in bare:
        events.append(Link(url, "", sentences.at(start), file, link_line, bare=True))
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
            block.feed(_defuse(token.content))
            events.extend(block.finish())
            events.append(BlockEnd(file, (token.map[1] if token.map else first)))
        elif token.type == "inline":
            events.extend(_inline_events(token, file))
        i += 1
    return events
