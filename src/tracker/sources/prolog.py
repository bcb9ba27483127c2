"""The DOCTYPE a feed may keep (pure): no entity can expand into more than a few bytes.

Owns: ``defuse_doctype(data)`` — the XML prolog read as XML reads it (comments,
processing instructions, quoted literals, the internal subset), and its DOCTYPE
replaced by one that declares only short literal entities (``<!ENTITY nbsp
"&#160;">``, at most ``MAX_ENTITY_CHARS``), on a line of its own. feedparser strips
DOCTYPEs with line-based regular expressions that stop at the first ``<`` + letter,
so a DOCTYPE on the XML declaration's line, one after a comment holding ``<a``, or
one whose first entity value holds ``<b`` kept every declaration and expat expanded
nested entities (megabytes per reference); and it calls literal entities of any
length safe, which its lenient parser then expands without limit. ``rss`` runs this
just before feedparser's own stripping, on the UTF-8 text feedparser decoded, so
every input encoding passes through it.
Does not own: parsing, encodings.
"""

from __future__ import annotations

import re

__all__ = ["defuse_doctype", "MAX_ENTITY_CHARS"]

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
