"""arXiv: request URLs, identifiers, and the API and listing parsers (pure).

Owns: building the API query URL (``search_query`` sorted by submission date,
newest first) and the listing URL (``rss.arxiv.org/rss/cs.CL+cs.LG``); validating
those targets; splitting ``2401.01234v3`` / ``astro-ph/0601001v1`` into id and
version; parsing API Atom (whose HTTP-400 errors come back as a feed with one
``Error`` entry: never an item) and listing RSS/Atom (``oai:arXiv.org:<id>v<n>``
GUIDs, ``announce_type`` new/cross/replace, the ``arXiv:… Announce Type: …
Abstract:`` prefix removed from the summary, comma-separated ``dc:creator``).
Does not own: politeness (``fetch.feeds`` spaces arXiv requests), storage.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlencode

from tracker.errors import InputError
from tracker.sources.model import Item, ParsedFeed
from tracker.sources.rss import EntryReader, parse_with, run_feedparser
from tracker.sources.text import clean_text
from tracker.urls import ARXIV_NEW_ID, ARXIV_OLD_ID

__all__ = [
    "split_arxiv_id", "api_url", "listing_url", "normalize_query", "normalize_categories",
    "parse_api", "parse_listing",
]

_ID = re.compile(
    rf"(?:^|[/:\s])(?P<id>{ARXIV_NEW_ID}|{ARXIV_OLD_ID})(?:v(?P<v>\d+))?(?:\.pdf)?/?$"
)
_PREFIX = re.compile(r"^\s*arXiv:\S+\s+Announce Type:\s*[\w-]+\s*(?:Abstract:\s*)?", re.IGNORECASE)
_CATEGORY = re.compile(r"^[a-z][a-z\-]*(?:\.[A-Za-z][A-Za-z\-]*)?$")
MAX_QUERY_CHARS = 500
#: versions of up to 4 digits (real papers stay under v100)
MAX_VERSION_DIGITS = 4


def split_arxiv_id(text: str) -> tuple[str, int | None] | None:
    """``'2401.01234v3'`` → ``('2401.01234', 3)``; also ``arXiv:…``, ``oai:arXiv.org:…``,
    abs/pdf URLs and old-style ``astro-ph/0601001v1``. ``None`` when there is no id."""
    match = _ID.search(text.strip())
    if not match:
        return None
    version = match.group("v")
    # stored in an integer column and compared in merges: 'v99999999999' is no version
    return match.group("id"), int(version) if version and len(version) <= MAX_VERSION_DIGITS else None


def normalize_query(query: str) -> str:
    """Validate an API ``search_query`` (``cat:cs.CL AND abs:"speculative decoding"``)."""
    text = " ".join(query.split())
    if not text:
        raise InputError("the arXiv query is empty; give a search_query such as 'cat:cs.CL AND abs:\"rlhf\"'")
    if len(text) > MAX_QUERY_CHARS:
        raise InputError(f"the arXiv query is {len(text)} characters long; keep it under {MAX_QUERY_CHARS}")
    if any(ord(c) < 32 for c in text):
        raise InputError("the arXiv query contains control characters")
    if text.count('"') % 2:
        raise InputError(f"unbalanced double quote in the arXiv query {text!r}")
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if depth != 0:
        raise InputError(f"unbalanced parentheses in the arXiv query {text!r}")
    return text


def normalize_categories(target: str) -> str:
    """``'cs.CL, cs.LG'`` or ``'cs.CL+cs.LG'`` → ``'cs.CL+cs.LG'``; rejects anything else."""
    parts = [p for p in re.split(r"[+,\s]+", target.strip()) if p]
    if not parts:
        raise InputError("no arXiv categories given; use e.g. cs.CL+cs.LG")
    bad = [p for p in parts if not _CATEGORY.match(p)]
    if bad:
        raise InputError(
            f"not an arXiv category: {', '.join(repr(b) for b in bad)}; use names such as cs.CL, stat.ML, hep-th"
        )
    return "+".join(dict.fromkeys(parts))


def api_url(base: str, query: str, max_results: int) -> str:
    """The API request for the newest ``max_results`` papers matching ``query``."""
    params = {"search_query": query, "sortBy": "submittedDate", "sortOrder": "descending",
              "start": "0", "max_results": str(max(1, max_results))}
    return f"{base}?{urlencode(params, quote_via=quote)}"


def listing_url(base: str, categories: str) -> str:
    """The daily announcement feed of ``categories`` (``cs.CL+cs.LG``)."""
    return base.rstrip("/") + "/" + categories


def _paper(entry: Any, reader: EntryReader, *, raw_id: str, listing: bool) -> Item | None:
    split = split_arxiv_id(raw_id) or split_arxiv_id(reader.link(entry))
    title = reader.text_of(entry, "title")
    if split is None or not title:
        return None
    arxiv_id, version = split
    summary = _PREFIX.sub("", reader.summary(entry)) if listing else reader.summary(entry)
    primary = entry.get("arxiv_primary_category") or {}
    categories = reader.categories(entry)
    published, updated = reader.dates(entry)
    announce = clean_text(str(entry.get("arxiv_announce_type") or ""), 20).lower()
    return Item(
        canonical_id=f"arxiv:{arxiv_id}", canonical_url=f"https://arxiv.org/abs/{arxiv_id}",
        url=f"https://arxiv.org/abs/{arxiv_id}", title=title, kind="paper",
        guid=reader.guid(entry),
        authors=reader.authors(entry, split_commas=listing), summary=clean_text(summary),
        published_at=published, updated_at=updated, categories=categories,
        primary_category=clean_text(str(primary.get("term") or ""), 40) if isinstance(primary, dict) else "",
        announce_type=announce, version=version,
        doi=clean_text(str(entry.get("arxiv_doi") or ""), 200), authority=1,
    )


def _api_entry(entry: Any, reader: EntryReader) -> Item | None:
    return _paper(entry, reader, raw_id=str(entry.get("id") or ""), listing=False)


def _listing_entry(entry: Any, reader: EntryReader) -> Item | None:
    return _paper(entry, reader, raw_id=str(entry.get("id") or ""), listing=True)


def _api_error(body: bytes, url: str) -> str:
    """The message of an arXiv API error feed (an entry whose id is …/api/errors#…)."""
    parsed, _note = run_feedparser(body, url)
    for entry in parsed.entries:
        if "/api/errors" in str(entry.get("id") or ""):
            return clean_text(str(entry.get("summary") or entry.get("title") or "error"), 300)
    return ""


def parse_api(body: bytes, url: str = "", content_type: str = "") -> ParsedFeed:
    """An export.arxiv.org API response; an error feed yields ``error`` and no items."""
    if b"/api/errors" in body:
        message = _api_error(body, url)
        if message:
            return ParsedFeed(error=f"arXiv API error: {message}")
    return parse_with(body, url, _api_entry, EntryReader(url), content_type)


def parse_listing(body: bytes, url: str = "", content_type: str = "") -> ParsedFeed:
    """An rss.arxiv.org listing (RSS 2.0 or Atom); an empty weekend listing is 0 items, no error."""
    return parse_with(body, url, _listing_entry, EntryReader(url), content_type)
