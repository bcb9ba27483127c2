"""The one escaping layer: other people's text made safe for each output format (pure).

Feed titles and authors, page titles, chapter headings, redirect targets and
archive answers are hostile: ``[x](javascript:alert(1))``, ``<script>``,
``<img onerror=…>``, ``=HYPERLINK(…)``, U+FFFE, a ``Location`` ending in
``)[click me](javascript:…)``. Every renderer passes them through the function
for its format, and nothing else:

=============  ==============================================================
format         functions
=============  ==============================================================
any            ``one_line`` (controls, line breaks, non-characters, lone
               surrogates, bidirectional overrides out), ``shorten``, ``terminal_text``
Markdown       ``md_text`` (renders exactly the text: no link, emphasis, HTML
               tag, table cell), ``safe_url`` (http(s) or, when asked,
               relative targets only; ``()<>``, spaces, quotes percent-encoded),
               ``md_link``
HTML           ``html_text``, ``html_link`` (same URL rule as Markdown)
CSV            ``csv_cell`` (one line; a formula prefix ``= + - @`` behind an
               apostrophe, reversible with ``csv_value``)
Atom / XML     ``xml_text`` (characters XML 1.0 cannot hold removed)
document patch ``patch_url``: only a *valid* http(s) URL (RFC 3986 characters,
               a real host and port), encoded like ``safe_url``; ``None`` for
               anything else, which the patch reports instead of applying
JSON           ``to_json`` / ``json_value``: one timestamp form, RFC 3339 UTC
               with ``Z``; ``json_text`` (``json.dumps`` with an indent, quicker)
=============  ==============================================================

Does not own: layout (the renderers) or deciding which text is shown.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import quote, urlsplit

import idna

from tracker.bulk import gc_paused

__all__ = ["one_line", "shorten", "terminal_text", "md_text", "safe_url", "md_link", "html_text",
           "html_link", "csv_cell", "csv_value", "xml_text", "patch_url", "json_value", "to_json",
           "rfc3339", "json_text"]

# C0 and C1 controls, DEL, line/paragraph separators (each run becomes a space)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# the BOM/zero-width no-break space, non-characters, lone surrogates and the explicit
# bidirectional embeddings, overrides and isolates (an unclosed U+202E in a title reverses
# the rest of the line it is written on: the URL, the score, the author) (removed)
_NONCHAR = re.compile("[\ufeff\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff\u202a-\u202e\u2066-\u2069]+")
_MD_SPECIAL = re.compile(r"([\\`*\[\]|~#!^])")
_UNDERSCORE = re.compile(r"_(?![^\W_])|(?<![^\W_])_")  # "_" that could open or close emphasis
_ENTITY_LIKE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
#: XML 1.0 §2.2 Char, as the complement: what may never appear in an XML document
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: characters kept as they are in a link target: RFC 3986 unreserved, reserved minus the
#: ones that end a Markdown destination or an HTML attribute, and "%" (escapes stay as written)
_URL_SAFE = "/:?#[]@!$&*+,;=%-._~"
#: RFC 3986 characters of a path, query or fragment (plus "%" for escapes)
_URI_CHARS = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/?#%]*")
#: RFC 3986 characters of an authority (userinfo, host, IPv6 literal, port)
_NETLOC_CHARS = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@\[\]%]+")
_HOST = re.compile(r"(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
#: any character ``md_text`` escapes (without one, the text is its own Markdown)
_MD_ANY = re.compile(r"[\\`*\[\]|~#!^_&<>]")
#: an http(s) URL ``safe_url`` keeps exactly as written (but ``&`` before something
#: entity-like): a plain host and port, then only characters ``quote`` leaves alone
_PLAIN_URL = re.compile(r"(?i:https?)://[A-Za-z0-9.-]+(?::[0-9]*)?(?:[/?#][A-Za-z0-9/:?#\[\]@!$&*+,;=%._~-]*)?")


# --- any format ---------------------------------------------------------------------------------

def one_line(text: str | None) -> str:
    """Collapse line breaks, tabs and spaces into single spaces; drop control characters,
    non-characters and lone surrogates (they break terminals, XML and UTF-8 files) and the
    explicit bidirectional controls (they reorder the text shown after them)."""
    # Fast path, exactly ``_one_line``: every character the slow path changes (controls,
    # separators, non-characters, surrogates, every whitespace but " ") is not printable,
    # so printable text without doubled or outer spaces is already one line.
    if text and text.isprintable() and "  " not in text and text[0] != " " and text[-1] != " ":
        return text
    return _one_line(text)


def _one_line(text: str | None) -> str:
    """``one_line`` without the fast path (the reference the tests compare it with)."""
    return " ".join(_CONTROL.sub(" ", _NONCHAR.sub("", text or "")).split())


def shorten(text: str | None, limit: int = 200) -> str:
    """``one_line(text)`` cut at a word boundary to at most ``limit`` characters (before
    any escaping, so a cut never splits an escape)."""
    line = one_line(text)
    if len(line) <= limit:
        return line
    cut = line[: limit - 1].rsplit(" ", 1)[0] or line[: limit - 1]
    return cut.rstrip(" ,;:") + "…"


def terminal_text(text: str | None) -> str:
    """Text for a terminal line: no escape sequences (ESC and CSI are controls), one line."""
    return one_line(text)


# --- Markdown -----------------------------------------------------------------------------------

def md_text(text: str | None) -> str:
    """Inline Markdown that renders exactly ``text``: no link, emphasis, code, HTML tag,
    entity or table cell can come out of it."""
    line = one_line(text)
    if _MD_ANY.search(line) is None:  # nothing to escape (exactly what ``_md_escape`` gives)
        return line
    return _md_escape(line)


def _md_escape(line: str) -> str:
    """The escaping of ``md_text`` on a line, without the fast path."""
    line = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _UNDERSCORE.sub(r"\\_", _MD_SPECIAL.sub(r"\\\1", line))


def _relative(text: str) -> str | None:
    """A relative reference that cannot be read as a scheme or another host."""
    if not text or text.startswith(("//", "\\")) or "\\" in text:
        return None
    head = re.split(r"[/?#]", text, maxsplit=1)[0]
    if ":" in head:  # "javascript:…", "data:…" (a first segment with ":" is a scheme)
        return None
    return _ENTITY_LIKE.sub("%26", quote(text, safe=_URL_SAFE))


def safe_url(url: str | None, *, relative: bool = False) -> str | None:
    """An http(s) URL (or, with ``relative=True``, a relative reference) fit to be a link
    target in Markdown and HTML: spaces, quotes, ``()<>``, backslashes, backticks and
    non-ASCII percent-encoded, ``&`` before something entity-like too. ``None`` for
    anything else (``javascript:``, ``data:``, ``//host``, no host…)."""
    if url is not None and _PLAIN_URL.fullmatch(url):  # fast path, exactly ``_safe_url``'s answer
        return _ENTITY_LIKE.sub("%26", url) if "&" in url else url
    return _safe_url(url, relative=relative)


def _safe_url(url: str | None, *, relative: bool = False) -> str | None:
    """``safe_url`` without the fast path (the reference the tests compare it with)."""
    if url is None or _CONTROL.search(url.strip()) or _NONCHAR.search(url):
        return None  # a control character inside a URL is an attack or garbage, never a link
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if not parts.scheme and relative:
        return _relative(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if not text.lower().startswith(("http://", "https://")):
        return None  # urlsplit strips some leading characters browsers do not
    netloc = _ascii_netloc(parts.netloc)
    if netloc is None:
        return None
    rest = text[len(parts.scheme) + 3 + len(parts.netloc):]
    return text[:len(parts.scheme) + 3] + netloc + _ENTITY_LIKE.sub("%26", quote(rest, safe=_URL_SAFE))


def _ascii_netloc(netloc: str) -> str | None:
    """The authority with an international host as its IDNA A-label; ``None`` when it holds
    characters no authority can (quotes, angle brackets, backslashes…)."""
    if not netloc.isascii():
        userinfo, at, hostport = netloc.rpartition("@")
        host, colon, port = hostport.partition(":")
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError:
            return None
        netloc = userinfo + at + host + colon + port
    return netloc if _NETLOC_CHARS.fullmatch(netloc) else None


def md_link(title: str | None, url: str | None, *, relative: bool = False) -> str:
    """``[title](url)``; the escaped title (and the URL as text) when the URL is not safe."""
    target = safe_url(url, relative=relative)
    label = md_text(title) or md_text(url)
    if target is None:
        return f"{label} ({md_text(url)})" if url and label != md_text(url) else label
    return f"[{label}]({target})"


# --- HTML ---------------------------------------------------------------------------------------

def html_text(text: str | None) -> str:
    """Text content or attribute value: ``& < > " '`` escaped, one line."""
    return html.escape(one_line(text), quote=True)


def html_link(title: str | None, url: str | None, *, relative: bool = False) -> str:
    """``<a href="url">title</a>``; only the escaped title when the URL is not safe."""
    target = safe_url(url, relative=relative)
    label = html_text(title) or html_text(url)
    if target is None:
        return label
    return f'<a href="{html.escape(target, quote=True)}">{label}</a>'


# --- CSV ----------------------------------------------------------------------------------------

#: a cell a spreadsheet would read as a formula: it starts with = + - @ (OWASP's list; tab,
#: CR and NUL cannot start a cell, ``one_line`` removes them), possibly behind apostrophes,
#: so that the guard itself can be undone exactly
_FORMULA = re.compile(r"^'*[=+\-@]")
_FORMULA_START = frozenset("'=+-@")
_CELL_SLOW = frozenset(" '=+-@")  # a first character that needs one_line's or the guard's look


def csv_cell(text: str | None) -> str:
    """One line, and text a spreadsheet will not run as a formula: a cell starting with
    ``= + - @`` gets a leading ``'`` (OWASP's CSV-injection advice). ``csv_value`` undoes it."""
    if text and text.isprintable() and "  " not in text and text[0] not in _CELL_SLOW and text[-1] != " ":
        return text  # fast path: one line already (see ``one_line``), no formula prefix
    line = one_line(text)
    if line[:1] in _FORMULA_START and _FORMULA.match(line):
        return "'" + line
    return line


def csv_value(cell: str) -> str:
    """The text ``csv_cell`` was given (after ``one_line``): the guard apostrophe removed."""
    return cell[1:] if _FORMULA.match(cell) and cell.startswith("'") else cell


# --- Atom / XML ---------------------------------------------------------------------------------

def xml_text(text: str | None) -> str:
    """``text`` without the characters XML 1.0 cannot hold (C0 controls but tab and line
    breaks, U+FFFE, U+FFFF, lone surrogates); the serializer escapes ``& < >`` and quotes."""
    return _XML_ILLEGAL.sub("", text or "")


# --- the document patch -------------------------------------------------------------------------

def _valid_host(host: str) -> bool:
    if host.startswith("["):
        return host.endswith("]") and re.fullmatch(r"\[[0-9A-Fa-f:.]+\]", host) is not None
    if host.isascii():
        return _HOST.fullmatch(host) is not None
    try:
        return _HOST.fullmatch(idna.encode(host, uts46=True).decode("ascii")) is not None
    except idna.IDNAError:
        return False


def patch_url(url: str | None) -> str | None:
    """A URL fit to be written into the document: a valid absolute http(s) URL (a real
    host, a port in range, only RFC 3986 characters — non-ASCII allowed as in an IRI —
    well-formed ``%`` escapes, no spaces or controls), encoded like ``safe_url``.
    ``None`` when it is not valid: the caller reports it and leaves the link alone."""
    if url is None or url != url.strip() or not url or _CONTROL.search(url) or _NONCHAR.search(url) \
            or " " in url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not url.startswith(parts.scheme + "://"):
        return None
    netloc = parts.netloc.rsplit("@", 1)[-1]
    host = netloc[: netloc.rindex("]") + 1] if netloc.startswith("[") and "]" in netloc else \
        netloc.split(":", 1)[0]
    if parts.username is not None or not host or not _valid_host(host) or port == 0:
        return None
    rest = url[len(parts.scheme) + 3 + len(parts.netloc):]
    ascii_rest = "".join(ch for ch in rest if ch.isascii())
    if _URI_CHARS.fullmatch(ascii_rest) is None or _BAD_ESCAPE.search(rest) or rest.count("#") > 1:
        return None
    return safe_url(url)


# --- JSON ---------------------------------------------------------------------------------------

def rfc3339(value: datetime | date) -> str:
    """RFC 3339 in UTC with ``Z`` (a naive datetime is taken as UTC); a date stays a date."""
    if not isinstance(value, datetime):
        return value.isoformat()
    if value.tzinfo is timezone.utc:  # as the database gives them: already UTC
        return value.isoformat()[:-6] + "Z"
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def json_value(value: Any) -> Any:
    """``value`` with every datetime (at any depth) as an RFC 3339 string; tuples as lists."""
    if isinstance(value, (datetime, date)):
        return rfc3339(value)
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    return value


def to_json(data: Any, *, indent: int | None = 2) -> str:
    """The one JSON writer of tracker's outputs: UTC timestamps as ``…Z``, keys in the order
    given, UTF-8 kept; anything JSON cannot hold is an error, never ``str()``-ed."""
    if indent is not None:
        try:  # the same text, written without json's generator per value (50,000 report rows)
            with gc_paused():
                return _fast_indented(data, indent, timestamps=True)
        except (_NotPlain, RecursionError):
            pass
    return json.dumps(json_value(data), indent=indent, ensure_ascii=False)


def json_text(data: Any, *, indent: int = 2) -> str:
    """Exactly ``json.dumps(data, indent=indent, ensure_ascii=False)``, quicker on large
    documents made of dicts, lists, strings, numbers, booleans and ``None``."""
    try:
        with gc_paused():
            return _fast_indented(data, indent, timestamps=False)
    except (_NotPlain, RecursionError):
        return json.dumps(data, indent=indent, ensure_ascii=False)


class _NotPlain(Exception):
    """A value the fast writer leaves to ``json.dumps`` (which writes it or raises)."""


#: json's own C string encoder (``ensure_ascii=False``): quotes, backslashes and controls escaped
_json_str: Callable[[str], str] = json.encoder.encode_basestring
_SIMPLE: dict[type, Callable[[Any], str]] = {type(None): lambda v: "null", bool: lambda v: "true" if v else "false", int: int.__repr__,
           float: lambda v: ("NaN" if v != v else "Infinity" if v == float("inf") else
                             "-Infinity" if v == float("-inf") else float.__repr__(v))}


def _fast_indented(data: Any, indent: int, *, timestamps: bool) -> str:
    """``_indented``'s text, written by orjson (Rust: ~10× quicker on a 50,000-link report)
    when it writes exactly what ``json.dumps`` would: two-space indents, exact dicts with
    string keys, lists, tuples, strings, ints within 64 bits, floats that both write alike,
    booleans, ``None``, and (with ``timestamps``) datetimes and dates. ``_orjson_may_differ``
    walks the values first: any other type (orjson writes UUIDs, enums and its ``Fragment``,
    which json refuses; subclasses) and the floats orjson writes differently (NaN and
    infinities: ``null``, not ``NaN``; below 1e-4: ``0.00001``/``1e-7``, not ``1e-05``/``1e-07``)
    go to ``_indented``. orjson refuses non-string keys, lone surrogates and bigger ints
    (raises): ``_indented`` too. ``default`` writes a datetime's timestamp."""
    if indent != 2 or _orjson_may_differ(data):
        return _indented(data, indent, timestamps=timestamps)
    import orjson  # only when JSON is written (commands that write none do not load it)

    # subclasses, dataclasses and datetimes handed to ``default`` (never orjson's own way)
    options = (orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS
               | orjson.OPT_PASSTHROUGH_DATETIME)

    def default(value: Any) -> str:
        if timestamps and type(value) in (datetime, date):
            return rfc3339(value)
        raise _NotPlain

    try:
        return orjson.dumps(data, default=default, option=options).decode()
    except orjson.JSONEncodeError:
        return _indented(data, indent, timestamps=timestamps)


#: the leaf types orjson writes as json.dumps does (floats: see ``_orjson_may_differ``);
#: datetimes and dates reach ``default``
_ORJSON_LEAVES = frozenset({str, int, bool, type(None), datetime, date})


def _orjson_may_differ(data: Any) -> bool:
    """Could orjson's text for ``data`` differ from json's (or orjson write what json refuses)?
    True for a value of any type but exact dicts, lists, tuples and ``_ORJSON_LEAVES``, and for
    a float that is NaN, infinite, or non-zero below 1e-4 in size (``repr`` writes those with a
    two-digit exponent, ``1e-05``; orjson ``0.00001`` or ``1e-7``; the smallest ones alike, but
    they are rare: all left to ``_indented``), and for a container met twice (a cycle, or a
    shared one: ``_indented`` and json decide, and json refuses a cycle)."""
    stack = [data]
    seen: set[int] = set()
    while stack:
        value = stack.pop()
        t = type(value)
        if t is dict or t is list or t is tuple:
            if id(value) in seen:
                return True
            seen.add(id(value))
            stack.extend(value.values() if t is dict else value)
        elif t is float:
            if value != value or value in (_INF, -_INF) or (value and -_TINY < value < _TINY):
                return True
        elif t not in _ORJSON_LEAVES:
            return True
    return False


_INF = float("inf")
_TINY = 1e-4


def _indented(data: Any, indent: int, *, timestamps: bool) -> str:
    """``json.dumps(json_value(data) if timestamps else data, indent=indent, ensure_ascii=False)``
    for exact dicts (string keys), lists, tuples, strings, ints, floats, booleans, ``None``
    (and, with ``timestamps``, datetimes and dates); raises ``_NotPlain`` on anything else
    (subclasses included), and then the caller uses ``json.dumps``."""
    step = " " * indent
    keys: dict[str, str] = {}  # '"key": ', written once per key

    def key(k: Any) -> str:
        prefix = keys.get(k)
        if prefix is None:
            if type(k) is not str:
                raise _NotPlain
            prefix = keys[k] = _json_str(k) + ": "
        return prefix

    def value(v: Any, newline: str) -> str:
        t = type(v)
        if t is str:
            return _json_str(v)
        if t is dict:
            if not v:
                return "{}"
            inner = newline + step
            parts = []
            for k, item in v.items():
                if type(k) is not str:  # json_value would str() it: left to json.dumps
                    raise _NotPlain
                prefix = keys.get(k) or key(k)
                t = type(item)  # the usual scalars inline, without a call each
                if t is str:
                    parts.append(prefix + _json_str(item))
                elif item is None:
                    parts.append(prefix + "null")
                elif t is bool:
                    parts.append(prefix + ("true" if item else "false"))
                elif t is int:
                    parts.append(prefix + int.__repr__(item))
                elif t is datetime and timestamps and item.tzinfo is timezone.utc:
                    parts.append(prefix + '"' + item.isoformat()[:-6] + 'Z"')  # rfc3339, nothing to escape
                else:
                    parts.append(prefix + value(item, inner))
            return "{" + inner + ("," + inner).join(parts) + newline + "}"
        if t is list or t is tuple:
            if not v:
                return "[]"
            inner = newline + step
            return ("[" + inner + ("," + inner).join([_json_str(x) if type(x) is str else value(x, inner)
                                                     for x in v]) + newline + "]")
        if t in _SIMPLE:
            return _SIMPLE[t](v)
        if timestamps and (t is datetime or t is date):
            return _json_str(rfc3339(v))
        raise _NotPlain

    return value(data, "\n")
