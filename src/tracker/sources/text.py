"""Bytes and text hygiene for feeds (pure).

Owns: choosing the encoding of a feed body before feedparser sees it (Miniflux's
rule: bytes that are valid UTF-8 are UTF-8 whatever the prolog says; invalid bytes
in a UTF-8 document are read as windows-1252 one by one instead of turning the
whole document into mojibake), repairing titles that were double-encoded upstream
(``Ã©`` → ``é``), and turning HTML into plain text for summaries.
Does not own: XML parsing (feedparser does it) or deciding what an entry means.
"""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser

__all__ = [
    "normalize_encoding", "html_to_text", "clean_text", "fix_mojibake", "looks_mojibake",
    "SUMMARY_MAX_CHARS", "TITLE_MAX_CHARS",
]

SUMMARY_MAX_CHARS = 4000
TITLE_MAX_CHARS = 1000

_BOMS_OTHER = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_XML_DECL = re.compile(
    rb"^(\s*<\?xml\b[^>]*?\bencoding\s*=\s*)([\"'])([A-Za-z0-9._:\-]*)\2", re.IGNORECASE
)
_ERROR_HANDLER = "tracker-cp1252-fallback"


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read each undecodable byte as windows-1252 (latin-1 for holes)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start:exc.end]
    out = []
    for byte in bad:
        try:
            out.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(bytes([byte]).decode("latin-1"))
    return "".join(out), exc.end


codecs.register_error(_ERROR_HANDLER, _cp1252_fallback)


def _known_codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def normalize_encoding(body: bytes, http_charset: str | None = None) -> tuple[bytes, str]:
    """Return ``(utf8_body, note)``: the body re-encoded as UTF-8 with a matching prolog.

    ``note`` is empty when nothing was wrong, else it says what was repaired (the
    crawler records it like feedparser's bozo reason). UTF-16/32 bodies (with a BOM)
    pass through untouched: feedparser handles those itself.
    """
    if body.startswith(_BOMS_OTHER):
        return body, ""
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8):]
    match = _XML_DECL.match(body)
    declared = match.group(3).decode("ascii").lower() if match else ""
    declared_codec = _known_codec(declared) if declared else None
    note = ""
    try:
        text = body.decode("utf-8")
        if declared and declared_codec != "utf-8":
            note = f"declared encoding {declared!r} but the bytes are UTF-8; read as UTF-8"
    except UnicodeDecodeError:
        other = declared_codec or (_known_codec(http_charset) if http_charset else None)
        if other and other not in ("utf-8", "ascii"):
            text = body.decode(other, errors="replace")
        else:
            text = body.decode("utf-8", errors=_ERROR_HANDLER)
            note = "invalid UTF-8 bytes read as windows-1252"
    data = text.encode("utf-8")
    if match and declared_codec != "utf-8":
        data = _XML_DECL.sub(lambda m: m.group(1) + m.group(2) + b"utf-8" + m.group(2), data, count=1)
    return data, note


# -------------------------------------------------------------- mojibake

_MOJIBAKE = re.compile("[\u00c2\u00c3][\u0080-\u00bf]|\u00e2\u20ac|\u00e2\u201a\u00ac|\u00c3\u0192")


def looks_mojibake(text: str) -> bool:
    """True when ``text`` shows UTF-8 read as windows-1252/latin-1 (``Ã©``, ``â€™``)."""
    return bool(_MOJIBAKE.search(text))


def fix_mojibake(text: str) -> str:
    """Undo one level of UTF-8-read-as-windows-1252 when that is what happened; else unchanged."""
    if not looks_mojibake(text):
        return text
    raw = bytearray()
    for char in text:
        try:  # windows-1252 first; its five undefined bytes survive as latin-1 code points
            raw += char.encode("cp1252")
        except UnicodeEncodeError:
            if ord(char) > 0xFF:
                return text
            raw.append(ord(char))
    try:
        repaired = raw.decode("utf-8")
    except UnicodeDecodeError:
        return text
    return text if looks_mojibake(repaired) else repaired


# -------------------------------------------------------------- HTML → text

_SKIP = {"script", "style", "svg", "button", "noscript", "template", "iframe", "head", "object",
         "form", "select", "math"}
_BLOCK = {"p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td",
          "th", "blockquote", "pre", "section", "article", "figure", "figcaption", "hr", "table"}
_SPACES = re.compile(r"\s+")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag in _BLOCK:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.parts.append(data)


def clean_text(text: str, limit: int = SUMMARY_MAX_CHARS) -> str:
    """Collapse whitespace, repair mojibake, cut at ``limit`` characters on a word boundary."""
    text = fix_mojibake(_SPACES.sub(" ", text.replace("\x00", "")).strip())
    if len(text) > limit:  # the result, ellipsis included, is at most ``limit`` characters
        head = text[:max(0, limit - 1)]
        cut = head.rsplit(" ", 1)[0] if " " in head[len(head) // 2:] else head
        text = cut.rstrip() + "…"
    return text


#: declarations, marked sections and processing instructions (never text of a summary)
_DECLARATION = re.compile(r"<[!?][^<>]*>")
#: a '<' whose tag does not close before the next '<' (or the end)
_OPEN_LT = re.compile(r"<(?=[^<>]*(?:<|\Z))")


def _without_comments(html: str) -> str:
    """``html`` with its comments removed (an unclosed one runs to the end), by ``find``."""
    if "<!--" not in html:
        return html
    parts, at = [], 0
    while True:
        start = html.find("<!--", at)
        if start < 0:
            parts.append(html[at:])
            break
        parts.append(html[at:start])
        end = html.find("-->", start + 4)
        if end < 0:
            break
        parts.append(" ")
        at = end + 3
    return "".join(parts)


def _closed_markup(html: str) -> str:
    """``html`` that html.parser reads in linear time: it rescans the rest of the text at
    every '<' that does not close (20,000 '<a b' took 41 s), so comments go first, every
    other '<' that opens nothing closed becomes the text '&lt;' it reads as anyway, and
    declarations go too (they close now; unclosed, html.parser searched on for their end)."""
    if "<" not in html:
        return html
    html = _OPEN_LT.sub("&lt;", _without_comments(html))
    return _DECLARATION.sub(" ", html) if "<!" in html or "<?" in html else html


def html_to_text(html: str, limit: int = SUMMARY_MAX_CHARS) -> str:
    """Visible text of an HTML fragment: no tags, comments, scripts, styles, SVG or buttons."""
    parser = _TextExtractor()
    html = _closed_markup(html)
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; a pathological input still must not crash a crawl
        return clean_text(re.sub(r"<[^>]*>", " ", html), limit)
    return clean_text("".join(parser.parts), limit)
