"""RSS, Atom and JSON Feed bodies → items (pure: bytes in, ``ParsedFeed`` out).

Owns: running feedparser safely — the body always goes in as ``io.BytesIO`` (a
string or bytes that looks like a path or URL would make feedparser open it),
after ``text.normalize_encoding`` — and reading its entries into clean ``Item``s:
plain-text titles and summaries, resolved links, UTC dates, authors. Entries with
no title or no http(s) link, or a link into a private network from a feed outside
it, are rejected and counted. A body that is not a feed
(an HTML login page, an empty document) is an ``error``; a feed with ``bozo`` set
but usable entries keeps them and records the reason.

Entity attacks and floods: feedparser 6 strips the DOCTYPE and every ``<!ENTITY>``
that is not a plain string before its SAX parser runs and disables external general
entities — but its stripping is line-based and easily sidestepped, and it keeps
literal entities of any length, so ``prolog`` (hooked into feedparser, where every
encoding is UTF-8) rewrites the DOCTYPE first and cuts the body to ``MAX_ENTRIES``
entries and ``MAX_TAGS`` tags; ``tests/sources`` proves billion-laughs,
quadratic-blowup and external-entity feeds parse without expansion or file access.

Does not own: arXiv and YouTube specifics (``arxiv.py``, ``youtube.py`` build on
the helpers here), HTTP, storage.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable
from urllib.parse import urljoin, urlsplit

import feedparser
from feedparser import api as feedparser_api

from tracker.sources import prolog
from tracker.sources.dedupe import MAX_CATEGORIES, local_host, safe_identity
from tracker.sources.model import Item, ParsedFeed
from tracker.sources.text import (
    TITLE_MAX_CHARS, clean_text, fix_mojibake, html_to_text, normalize_encoding,
)

prolog.install(feedparser_api)  # feedparser reads only what prolog lets through, in any encoding

__all__ = ["parse_feed", "run_feedparser", "EntryReader", "parse_datetime_text", "looks_like_html"]

EntryHook = Callable[[Any, "EntryReader"], Item | None]

# a comment's body may not hold '-->' (one way to read n comments, not 2^(n-1): ReDoS)
_HTML_START = re.compile(rb"^\s*(?:<!--(?:(?!-->).)*-->\s*)*(?:<!doctype\s+html|<html\b|<head\b|<body\b)",
                         re.IGNORECASE | re.DOTALL)
# '[^<>]*', not '[^>]*': from every '<' the latter ran to the end of an unclosed name (quadratic)
_MARKUP = re.compile(r"<(?:[A-Za-z][A-Za-z0-9]*\b[^<>]*|/[A-Za-z][A-Za-z0-9]*\s*)>")
#: a character reference (``&amp;``, ``&#233;``, ``&#xE9;``): a name holding one was written as HTML
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:\-]+)", re.IGNORECASE)
def looks_like_html(body: bytes, content_type: str = "") -> bool:
    """An HTML page rather than a feed (a login wall, an error page, a soft 404)."""
    head = body[:2048]
    if _HTML_START.match(head):
        return True
    return content_type.split(";")[0].strip().lower() in ("text/html", "application/xhtml+xml") \
        and b"<rss" not in head and b"<feed" not in head and b"<rdf" not in head.lower()


def run_feedparser(body: bytes, url: str, content_type: str = "") -> tuple[Any, str]:
    """feedparser on a byte stream (never a path); returns ``(result, encoding_note)``.
    feedparser sees only what ``prolog`` lets through (the note says what was cut)."""
    match = _CHARSET.search(content_type or "")
    data, note = normalize_encoding(body, match.group(1) if match else None)
    headers = {"content-type": "application/xml"}
    if url:
        headers["content-location"] = url
    # No HTML sanitising or URI rewriting inside content: tracker never renders feed
    # HTML, it only extracts text (html_to_text drops scripts, styles, SVG), and
    # skipping both halves the parse time. DOCTYPE/ENTITY stripping is unaffected.
    with prolog.cut_notes() as cuts:
        result = feedparser.parse(io.BytesIO(data), response_headers=headers,
                                  resolve_relative_uris=False, sanitize_html=False)
    note = "; ".join(n for n in (note, *cuts) if n)
    return result, note


def _struct_to_dt(value: Any) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime(*value[:6], tzinfo=timezone.utc)
    except (ValueError, OverflowError):
        return None


def parse_datetime_text(text: str | None) -> datetime | None:
    """A date string (RFC 3339/ISO 8601 or RFC 822) as aware UTC; ``None`` when unreadable."""
    if not text or not text.strip():
        return None
    value = text.strip()
    try:
        parsed = datetime.fromisoformat(value[:-1] + "+00:00" if value[-1:] in "Zz" else value)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:  # 9999-12-31T23:59-01:00 is past the calendar in UTC
        return None


def _name_text(name: str, limit: int = 200) -> str:
    """Plain text of an author's name, once: feeds write names as HTML (``&lt;b&gt;Ann&lt;/b&gt;``,
    entities escaped twice: ``Ann &amp;amp; Bob``), and feedparser hands them on as given, so a
    name holding markup or a character reference loses its tags and has its references
    decoded (``Ann & Bob``); any other name is kept as written (``AT&T``). Every output escapes
    the result itself, exactly once."""
    if _MARKUP.search(name) or _ENTITY.search(name):
        return html_to_text(name, limit)
    return clean_text(name, limit)


def _site(url: str) -> str:
    """The host of ``url`` without ``www.`` (``''`` for none)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


class EntryReader:
    """Reads the common fields of a feedparser entry (shared by the three parsers)."""

    def __init__(self, base_url: str, authority_kinds: Iterable[str] = ()) -> None:
        self.base_url = base_url
        self.authority_kinds = set(authority_kinds)
        self.site = _site(base_url)
        #: a feed on the internet may not link into a private network (one inside it may)
        self.public = not (self.site and local_host(self.site))

    def owns(self, kind: str, url: str) -> bool:
        """This feed owns an item of ``kind`` at ``url`` (its metadata wins a merge): a kind
        it is the authority for (arXiv papers, YouTube videos), or a page of its own site,
        so another site's feed cannot retitle an author's post."""
        return kind in self.authority_kinds or (bool(self.site) and _site(url) == self.site)

    @staticmethod
    def text_of(entry: Any, name: str, limit: int = TITLE_MAX_CHARS) -> str:
        """Plain text of ``entry[name]``: markup removed when its type is HTML (or, with no
        declared type, when it looks like HTML)."""
        value = entry.get(name) or ""
        if not isinstance(value, str):
            return ""
        kind = str((entry.get(f"{name}_detail") or {}).get("type", ""))
        if "html" in kind or (not kind and _MARKUP.search(value)):
            return html_to_text(value, limit)
        return clean_text(value, limit)

    def summary(self, entry: Any) -> str:
        text = self.text_of(entry, "summary", 10**6)
        if not text:
            for content in entry.get("content") or []:
                value = content.get("value") or ""
                kind = str(content.get("type", ""))
                text = html_to_text(value) if "html" in kind else clean_text(value)
                if text:
                    break
        return clean_text(text)

    def link(self, entry: Any) -> str:
        href = entry.get("link") or ""
        if not href:
            for link in entry.get("links") or []:
                if link.get("rel", "alternate") == "alternate" and link.get("href"):
                    href = link["href"]
                    break
        href = str(href).strip()
        return urljoin(self.base_url, href) if href and self.base_url else href

    @staticmethod
    def guid(entry: Any) -> str:
        """The entry's id as written, without NUL (which PostgreSQL refuses in text)."""
        return str(entry.get("id") or "").replace("\x00", "")[:2000]

    @staticmethod
    def authors(entry: Any, split_commas: bool = False) -> tuple[str, ...]:
        names: list[str] = []
        for author in entry.get("authors") or []:
            name = author.get("name") or ""
            parts = name.split(",") if split_commas else [name]
            names += [_name_text(p) for p in parts]
        if not names and entry.get("author"):
            names.append(_name_text(str(entry["author"])))
        seen: dict[str, None] = {}
        for name in names:
            if name:
                seen.setdefault(name, None)
        return tuple(seen)[:200]

    @staticmethod
    def dates(entry: Any) -> tuple[datetime | None, datetime | None]:
        published = _struct_to_dt(entry.get("published_parsed"))
        # dict.get: feedparser's own .get maps a missing updated_parsed to published_parsed
        updated = _struct_to_dt(dict.get(entry, "updated_parsed")) if isinstance(entry, dict) else None
        return published or updated, updated

    @staticmethod
    def categories(entry: Any) -> tuple[str, ...]:
        terms = {clean_text(str(t.get("term") or ""), 100) for t in entry.get("tags") or []}
        return tuple(sorted(t for t in terms if t)[:MAX_CATEGORIES])

    def generic(self, entry: Any) -> Item | None:
        """A plain blog-feed entry; ``None`` when it has no title or no usable link (not http(s),
        or into a private network from a feed outside it)."""
        title = self.text_of(entry, "title")
        link = self.link(entry)
        ident = safe_identity(link) if link else None
        if not title or ident is None or (self.public and local_host(_site(ident.canonical_url))):
            return None
        published, updated = self.dates(entry)
        return Item(
            canonical_id=ident.canonical_id, canonical_url=ident.canonical_url, url=link,
            title=title, kind=ident.kind, guid=self.guid(entry),
            authors=self.authors(entry), summary=self.summary(entry),
            published_at=published, updated_at=updated, categories=self.categories(entry),
            authority=1 if self.owns(ident.kind, ident.canonical_url) else 0,
        )


def _ttl(feed: Mapping[str, Any]) -> int | None:
    try:
        value = int(str(feed.get("ttl", "")).strip())
    except ValueError:
        return None
    return value if value > 0 else None


def _bozo_reason(result: Any) -> str:
    exc = result.get("bozo_exception")
    return f"{type(exc).__name__}: {exc}"[:500] if exc is not None else ""


def parse_with(body: bytes, url: str, hook: EntryHook, reader: EntryReader,
               content_type: str = "") -> ParsedFeed:
    """Shared driver: feedparser, then ``hook`` per entry, then the usable/error decision."""
    stripped = body.lstrip()
    if not stripped:
        return ParsedFeed(error="empty response body")
    if stripped[:1] == b"{" or stripped.startswith(b"\xef\xbb\xbf{"):
        return _parse_json_feed(body, reader)
    if looks_like_html(body, content_type):
        return ParsedFeed(error="not a feed: the server returned an HTML page (a login or error page?)")
    result, note = run_feedparser(body, url, content_type)
    items: list[Item] = []
    rejected = 0
    for entry in result.entries:
        item = hook(entry, reader)
        if item is None:
            rejected += 1
        else:
            items.append(item)
    bozo = bool(result.get("bozo")) or bool(note)
    reason = "; ".join(r for r in (note, _bozo_reason(result)) if r)
    feed = result.get("feed") or {}
    title = fix_mojibake(clean_text(str(feed.get("title") or ""), TITLE_MAX_CHARS))
    error = ""
    if not items:
        if not result.get("version"):
            error = "not a feed: no RSS, Atom or RDF document found"
        elif result.get("bozo") and not isinstance(result.get("bozo_exception"),
                                                   feedparser.CharacterEncodingOverride):
            error = f"malformed feed with no usable entries ({_bozo_reason(result)})"
        elif not feed:
            error = "feed has no channel"
    return ParsedFeed(items=tuple(items), title=title, bozo=bozo, bozo_reason=reason,
                      ttl_minutes=_ttl(feed), rejected=rejected, error=error)


def parse_feed(body: bytes, url: str = "", content_type: str = "") -> ParsedFeed:
    """A blog or news feed (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed 1.x)."""
    reader = EntryReader(url)
    return parse_with(body, url, lambda entry, r: r.generic(entry), reader, content_type)


# -------------------------------------------------------------- JSON Feed

def _parse_json_feed(body: bytes, reader: EntryReader) -> ParsedFeed:
    try:
        data = json.loads(body.decode("utf-8-sig", errors="replace"))
    except (ValueError, RecursionError):
        return ParsedFeed(error="not a feed: invalid JSON")
    if not isinstance(data, dict) or "jsonfeed.org/version" not in str(data.get("version", "")):
        return ParsedFeed(error="not a feed: JSON without a JSON Feed version")
    raw_items = data.get("items")
    if not isinstance(raw_items, list):
        return ParsedFeed(error="JSON Feed without an items list")
    items: list[Item] = []
    rejected = 0
    for raw in raw_items[:prolog.MAX_ENTRIES]:
        entry = _json_entry(raw) if isinstance(raw, dict) else None
        item = reader.generic(entry) if entry is not None else None
        if item is None:
            rejected += 1
        else:
            items.append(item)
    more = prolog.entries_note() if len(raw_items) > prolog.MAX_ENTRIES else ""
    return ParsedFeed(items=tuple(items), title=clean_text(_text(data.get("title")), TITLE_MAX_CHARS),
                      rejected=rejected, bozo=bool(more), bozo_reason=more)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(value: Any) -> str:
    """A JSON value as text; a lone half of a UTF-16 pair ("\\ud800" in the JSON, which no
    database driver can encode) becomes U+FFFD."""
    text = str(value or "")
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def _json_entry(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON Feed item in feedparser's entry shape, so ``EntryReader`` reads both alike."""
    authors = raw.get("authors") or ([raw["author"]] if isinstance(raw.get("author"), dict) else [])
    authors = authors if isinstance(authors, list) else []  # other people's JSON: any type at all
    tags: list[Any] = raw["tags"] if isinstance(raw.get("tags"), list) else []
    summary, kind = raw.get("summary"), "text/plain"
    if not summary:
        summary = raw.get("content_text") or raw.get("content_html") or ""
        kind = "text/html" if not raw.get("content_text") else "text/plain"
    published = parse_datetime_text(_text(raw.get("date_published")))
    updated = parse_datetime_text(_text(raw.get("date_modified")))
    return {
        "title": _text(raw.get("title")), "title_detail": {"type": "text/plain"},
        "link": _text(raw.get("url") or raw.get("external_url")),
        "id": _text(raw.get("id")),
        "summary": _text(summary), "summary_detail": {"type": kind},
        "authors": [{"name": _text(a.get("name"))} for a in authors if isinstance(a, dict)],
        "published_parsed": published.timetuple() if published else None,
        "updated_parsed": updated.timetuple() if updated else None,
        "tags": [{"term": _text(t)} for t in tags if isinstance(t, str)],
    }
