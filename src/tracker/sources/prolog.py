"""What feedparser may see of a body (pure, plus the hook that applies it).

Owns: ``defuse_doctype(data)`` — the XML prolog read as XML reads it (comments,
processing instructions, quoted literals, the internal subset), and its DOCTYPE
replaced by one that declares only short literal entities (``<!ENTITY nbsp
"&#160;">``, at most ``MAX_ENTITY_CHARS``), on a line of its own. feedparser strips
DOCTYPEs with line-based regular expressions that stop at the first ``<`` + letter,
so a DOCTYPE on the XML declaration's line, one after a comment holding ``<a``, or
one whose first entity value holds ``<b`` kept every declaration and expat expanded
nested entities (megabytes per reference); and it calls literal entities of any
length safe, which its lenient parser then expands without limit.
Also owns numeric references to characters XML forbids (``&#xD800;``), which made
feedparser's lenient parser raise and lose the whole feed: they become U+FFFD. And
the floods: only the first ``MAX_ENTRIES`` entries (``first_entries``)
and ``MAX_TAGS`` tags of a body are read, since feedparser's cost is per element,
not per byte (benchmarks/feeds/bench_huge.py).
All three run inside feedparser, in place of its ``replace_doctype`` (``install``),
on the UTF-8 text it decoded, so every input encoding passes through them;
``cut_notes`` collects what was cut during one parse.
Does not own: parsing, encodings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

__all__ = ["defuse_doctype", "first_entries", "install", "cut_notes", "entries_note",
           "MAX_ENTITY_CHARS", "MAX_ENTRIES", "MAX_TAGS"]

#: entries read from one body: a 10 MB feed of 150,000 tiny entries cost minutes of CPU and
#: ~0.75 GB to parse and store (benchmarks/feeds/bench_huge.py); real feeds hold at most a
#: few thousand, newest first
MAX_ENTRIES = 10_000
#: '<' characters read from one body (tags, and markup in CDATA): the densest real feeds
#: hold ~17 per KB, ~170,000 at the 10 MB cap; 10 MB of '<x>' is 3.3 million, which
#: cost 142 s and 1.6 GB in feedparser's lenient parser
MAX_TAGS = 300_000
_ENTRY_START = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?(?:item|entry)[\s/>]")
_ENTRY_END = re.compile(rb"</(?:[A-Za-z_][\w.\-]*:)?(?:item|entry)\s*>")
#: set by ``cut_notes`` for the parse it wraps: the hook notes its cuts there
_CUTS: ContextVar[list[str] | None] = ContextVar("tracker_feed_cuts", default=None)

#: an entity's value at most this long (a character reference is 8 at most): ``&e;`` then
#: grows a body at most a few times over
MAX_ENTITY_CHARS = 10
_SPACE = re.compile(rb"[ \t\r\n]*")
_NAME = re.compile(rb"[ \t\r\n]+([A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)")
_IN_DECL = re.compile(rb"[\"'\[>]")
_IN_SUBSET = re.compile(rb"[\"'\]]|<!--|<\?")
_ENTITY = re.compile(rb"<!ENTITY[ \t\r\n]+([A-Za-z_][\w.\-]*)[ \t\r\n]+(?:\"([^\"]*)\"|'([^']*)')[ \t\r\n]*>")
_SAFE_VALUE = re.compile(rb"&#(?:[0-9]{1,7}|x[0-9A-Fa-f]{1,6});|[^<>&%\"'\\]*")
_NETSCAPE = (b' PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
             b'"http://my.netscape.com/publish/formats/rss-0.91.dtd"')


def _after(data: bytes, start: int, token: bytes) -> int:
    end = data.find(token, start)
    return len(data) if end < 0 else end + len(token)


def _doctype_span(data: bytes) -> tuple[int, int] | None:
    """Where the DOCTYPE declaration starts and ends; ``None`` when the prolog has none."""
    at = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    while True:
        match = _SPACE.match(data, at)
        at = match.end() if match else at
        if data.startswith(b"<?", at):
            at = _after(data, at + 2, b"?>")
        elif data.startswith(b"<!--", at):
            at = _after(data, at + 4, b"-->")
        elif data.startswith(b"<!DOCTYPE", at):
            break
        else:
            return None
    start, at = at, at + 9
    while True:
        found = _IN_DECL.search(data, at)
        if found is None:
            return start, len(data)
        token = found.group()
        if token == b">":
            return start, found.end()
        if token == b"[":
            at = _subset_end(data, found.end())
        else:
            at = _after(data, found.end(), token)


def _subset_end(data: bytes, at: int) -> int:
    while True:
        found = _IN_SUBSET.search(data, at)
        if found is None:
            return len(data)
        token = found.group()
        if token == b"]":
            return found.end()
        at = _after(data, found.end(), {b"<!--": b"-->", b"<?": b"?>"}.get(token, token))


def defuse_doctype(data: bytes) -> bytes:
    """``data`` with its DOCTYPE (if any) reduced to short literal entities, on its own line."""
    span = _doctype_span(data)
    if span is None:
        return data
    start, end = span
    declaration = data[start:end]
    name = _NAME.match(declaration, 9)
    entities = []
    for match in _ENTITY.finditer(declaration):
        value = match.group(2) if match.group(2) is not None else match.group(3)
        if len(value) <= MAX_ENTITY_CHARS and _SAFE_VALUE.fullmatch(value):
            entities.append(b'<!ENTITY ' + match.group(1) + b' "' + value + b'">')
    rebuilt = b"\n<!DOCTYPE " + (name.group(1) if name else b"rss")
    if b"netscape" in declaration.lower():
        rebuilt += _NETSCAPE
    if entities:
        rebuilt += b" [\n" + b"\n".join(entities) + b"\n]"
    return data[:start] + rebuilt + b">\n" + data[end:]


# -------------------------------------------------------------- floods

def entries_note() -> str:
    return f"more than {MAX_ENTRIES} entries: only the first {MAX_ENTRIES} were read"


def first_entries(data: bytes, limit: int) -> tuple[bytes, bool]:
    """``data`` with every entry after the first ``limit`` cut out, and whether any were.

    The cut runs from the start tag of entry ``limit + 1`` to the end tag of the last entry,
    so the document stays well-formed (``</channel></rss>``, ``</feed>`` remain); when no end
    tag is found near the end, the prefix alone goes on (feedparser's lenient parser reads it).
    """
    cut = None
    for count, match in enumerate(_ENTRY_START.finditer(data)):
        if count == limit:
            cut = match.start()
            break
    if cut is None:
        return data, False
    last = None
    for last in _ENTRY_END.finditer(data, max(cut, len(data) - 65536)):
        pass
    return data[:cut] + (data[last.end():] if last is not None else b""), True


def _nth(data: bytes, char: bytes, n: int) -> int:
    """Index of the ``n``-th ``char`` in ``data`` (which holds at least ``n``)."""
    at = -1
    for _ in range(n):
        at = data.find(char, at + 1)
    return at


_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")


def _xml_char(match: re.Match[bytes]) -> bytes:
    """A numeric character reference, or ``&#xFFFD;`` for a character XML forbids (a
    surrogate, past U+10FFFF, a control): feedparser's lenient parser raised on those."""
    digits = match.group(1) or match.group(2)
    code = int(digits, 16 if match.group(1) else 10) if len(digits) <= 8 else -1
    allowed = code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD \
        or 0x10000 <= code <= 0x10FFFF
    return match.group() if allowed else b"&#xFFFD;"


def _readable(data: bytes) -> tuple[bytes, list[str]]:
    """``data`` defused, with references to impossible characters replaced, and cut to
    ``MAX_ENTRIES`` entries and ``MAX_TAGS`` tags; the cuts."""
    data = _CHAR_REF.sub(_xml_char, defuse_doctype(data)) if b"&#" in data else defuse_doctype(data)
    data, cut = first_entries(data, MAX_ENTRIES)
    notes = [entries_note()] if cut else []
    if data.count(b"<") > MAX_TAGS:
        data = data[:_nth(data, b"<", MAX_TAGS + 1)]
        notes.append(f"more than {MAX_TAGS} tags: the rest of the body was not read")
    return data, notes


@contextmanager
def cut_notes() -> Iterator[list[str]]:
    """``with cut_notes() as cuts: feedparser.parse(…)`` — ``cuts`` then says what was cut."""
    cuts: list[str] = []
    token = _CUTS.set(cuts)
    try:
        yield cuts
    finally:
        _CUTS.reset(token)


def install(api: Any) -> None:
    """Put ``_readable`` in front of ``api.replace_doctype`` (feedparser's ``api`` module),
    which feedparser calls on the decoded text before either of its parsers runs."""
    original: Callable[[bytes], Any] = api.replace_doctype
    if getattr(original, "_tracker_prolog", False):
        return

    def replace_doctype(data: bytes) -> Any:
        data, notes = _readable(data)
        cuts = _CUTS.get()
        if cuts is not None:
            cuts.extend(notes)
        return original(data)

    replace_doctype._tracker_prolog = True  # type: ignore[attr-defined]
    api.replace_doctype = replace_doctype
