"""Page text: decoding, titles, visible text, normalisation, content hashes, similarity.

Owns: turning a body prefix into text the judge and the freshness check can use.
The content hash is over *normalised* visible text (as changedetection.io does):
markup, scripts, styles, whitespace, letter case, clock times and long random
tokens (nonces, cache busters) do not count as changes. Regular expressions,
not a DOM, because bodies are prefixes (possibly cut mid-tag) and speed matters.
Does not own: fetching, or deciding what a page means (``judge``).
"""

from __future__ import annotations

import hashlib
import html as htmllib
import re
from functools import lru_cache
from itertools import filterfalse

__all__ = ["decode_body", "extract_title", "visible_text", "normalise", "content_hash",
           "similarity", "word_count"]

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.I | re.S)
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1\s*>", re.I | re.S)
_DROP = re.compile(r"<(script|style|noscript|template|svg|head)\b.*?(</\1\s*>|$)", re.I | re.S)
_COMMENT = re.compile(r"<!--.*?(-->|$)", re.S)
_TAG = re.compile(r"<[^>]*>?")
_SPACE = re.compile(r"\s+")
_VOLATILE = re.compile(r"\b\d{1,2}:\d{2}(:\d{2})?\b|\b[a-z0-9_\-]{24,}\b")
_WORD = re.compile(r"\w+")


def decode_body(body: bytes, content_type: str = "") -> str:
    """Bytes → text using the header charset, then ``<meta charset>``, then UTF-8."""
    if not body:
        return ""
    candidates: list[str] = []
    m = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-:.]+)", content_type, re.I)
    if m:
        candidates.append(m.group(1))
    meta = _CHARSET.search(body[:4096])
    if meta:
        candidates.append(meta.group(1).decode("ascii", "ignore"))
    for name in candidates:
        try:
            return body.decode(name, errors="replace")
        except LookupError:
            continue
    return body.decode("utf-8", errors="replace")


def _collapse(text: str) -> str:
    """Whitespace runs → one space, trimmed (``str.split``: one C pass, unlike ``\\s+``)."""
    return " ".join(text.split())


def _words(fragment: str) -> list[str]:
    """The words a reader sees in a fragment of markup: tags dropped, entities unescaped."""
    text = _TAG.sub(" ", fragment)
    return (htmllib.unescape(text) if "&" in text else text).split()


def _clean(fragment: str) -> str:
    return " ".join(_words(fragment))


def extract_title(html: str) -> str:
    """The page's ``<title>`` (or first ``<h1>``), unescaped, whitespace collapsed, ≤ 300 chars."""
    m = _TITLE.search(html[:200_000])
    title = _clean(m.group(1)) if m else ""
    if not title:
        h1 = _H1.search(html[:200_000])
        title = _clean(h1.group(1)) if h1 else ""
    return title[:300]


def visible_text(html: str) -> str:
    """The text a reader sees: no head, scripts, styles or comments; whitespace collapsed."""
    return _visible(html)[0]


@lru_cache(maxsize=8)  # the judge and the content hash ask for the same page's text in turn
def _visible(html: str) -> tuple[str, int]:
    """``visible_text`` and the length of its longest word (one split serves both)."""
    text = _COMMENT.sub(" ", html) if "<!--" in html else html
    words = _words(_DROP.sub(" ", text))
    return " ".join(words), max(map(len, words), default=0)


def normalise(text: str) -> str:
    """Visible text made stable for hashing: lower case, no clock times or long tokens."""
    lowered = text.lower()
    words = lowered.split()
    # _VOLATILE matches inside one whitespace-free run: a clock time needs a ':' in it, a
    # long token 24+ characters; without such a run the (slow) substitution changes nothing
    if _maybe_volatile(lowered, words):
        return _collapse(_VOLATILE.sub(" ", lowered))
    return " ".join(words)


def _maybe_volatile(lowered: str, words: list[str]) -> bool:
    """Could ``_VOLATILE`` match? A digit before a ':' and two after it, or a 24+ character run
    (string searches in C; the regex itself tries every position and is slow on long pages)."""
    return _clock_time_possible(lowered) or max(map(len, words), default=0) >= 24


def _clock_time_possible(lowered: str) -> bool:
    """A digit before a ':' and two after it somewhere in ``lowered``."""
    i = lowered.find(":")
    while i != -1:
        if i > 0 and lowered[i - 1].isdigit() and lowered[i + 1:i + 3].isdigit():
            return True
        i = lowered.find(":", i + 1)
    return False


def content_hash(html: str) -> str | None:
    """SHA-256 of the normalised visible text, or ``None`` when the page has no text."""
    text, longest = _visible(html)
    lowered = text.lower()
    # ``normalise`` without splitting again: the text is collapsed already and lower-casing
    # makes no whitespace; ASCII keeps word lengths, so ``longest`` rules out long tokens
    if text.isascii() and longest < 24 and not _clock_time_possible(lowered):
        norm = lowered
    else:
        norm = normalise(text)
    if not norm:
        return None
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


#: ASCII bytes that are not ``\w`` (in ASCII text ``\w`` is exactly ``[A-Za-z0-9_]``) → space
_ASCII_NON_WORD = bytes(c if chr(c).isalnum() and c < 128 or c == ord("_") else 32 for c in range(256))


def word_count(text: str, limit: int | None = None) -> int:
    """Words in ``text``; with ``limit``, counting stops there (callers compare with thresholds)."""
    if text.isascii():  # non-word characters become spaces in one C pass; words are what is left
        spaced = text.encode("ascii").translate(_ASCII_NON_WORD)
        return len(spaced.split()) if limit is None else min(limit, len(spaced.split(None, limit)))
    if limit is None:
        return _count_words(text)
    # a word never spans whitespace: the first ``limit`` tokens usually hold enough words
    if _count_tokens(text.split(None, limit)[:limit]) >= limit:
        return limit
    return min(limit, _count_words(text))


def _count_words(text: str) -> int:
    """``len(_WORD.findall(text))``, mostly in C: a whitespace-separated token that is all
    letters and digits is exactly one word; the regex only sees the other tokens."""
    return _count_tokens(text.split())


def _count_tokens(tokens: list[str]) -> int:
    words = sum(map(str.isalnum, tokens))
    if words != len(tokens):
        words += len(_WORD.findall(" ".join(filterfalse(str.isalnum, tokens))))
    return words


def _shingles(text: str, size: int = 3, limit: int = 3000) -> set[tuple[str, ...]]:
    words = _WORD.findall(normalise(text))[:limit]
    if len(words) < size:
        return {tuple(words)} if words else set()
    return {tuple(words[i:i + size]) for i in range(len(words) - size + 1)}


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of word 3-shingles of two texts (1.0 = same words in the same order)."""
    sa, sb = _shingles(a), _shingles(b)
    if not sa and not sb:
        return 1.0
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)
