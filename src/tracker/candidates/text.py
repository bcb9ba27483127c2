"""Text clean-up for scoring (pure): feed titles and summaries, URLs as words.

Owns: stripping HTML and Markdown from titles and summaries, decoding entities,
capping huge summaries (a 1 MB "summary" is a whole post: only its start is
read), turning a URL into the words it carries (``/guide-to-subword-tokenization/``
→ ``guide to subword tokenization``) and the one ``item_text`` every scorer and
the evaluation use. Does not vectorise or score anything.
"""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import unquote, urlsplit

__all__ = ["clean_text", "url_words", "item_text", "text_sections", "MAX_SUMMARY_CHARS", "MAX_RAW_CHARS",
           "MAX_LONG_RAW_CHARS", "SECTION_CHARS", "MAX_SECTIONS"]

MAX_RAW_CHARS = 20_000  # read at most this much of a summary before cleaning it
MAX_SUMMARY_CHARS = 3_000  # score on at most this much cleaned summary text
MAX_TITLE_CHARS = 500
MAX_LONG_RAW_CHARS = 200_000  # a long text is read this far for its sections
SECTION_CHARS = 1_500  # a section longer than twice this is cut into windows of this size
MIN_SECTION_CHARS = 300  # shorter sections join the next one
MAX_SECTIONS = 16

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_DROP_BLOCKS = re.compile(r"<(script|style|svg|button|noscript)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<[!?][^<>]*>")
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_MARKS = re.compile(r"(\*\*|__|~~|`+|^#{1,6}\s+|^>\s*|^\s*[-*+]\s+)", re.MULTILINE)
_EMPHASIS = re.compile(r"(?<!\w)[*_]([^*_\n]+)[*_](?!\w)")
_HEADING = re.compile(r"(?=<h[1-6][\s>])|(?=^#{1,6}\s)", re.IGNORECASE | re.MULTILINE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_URL_IN_TEXT = re.compile(r"https?://\S+")
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_URL_SPLIT = re.compile(r"[^0-9A-Za-z\u00C0-\uFFFF]+")
_URL_NOISE = frozenset(
    "http https www com org net io edu gov html htm php asp aspx md index abs pdf watch blob tree "
    "main master en post posts p blog v html5 amp utm ref id page pages s "
    # hosts and path words every kind of link shares: they say where, not what
    "youtube youtu watch shorts playlist list github gist arxiv medium substack twitter x "
    "wikipedia wiki docs readthedocs huggingface co".split()
)


def clean_text(text: str, limit: int = MAX_SUMMARY_CHARS, raw_limit: int = MAX_RAW_CHARS) -> str:
    """Plain text of an HTML/Markdown snippet, whitespace squashed, at most ``limit`` chars
    (of the first ``raw_limit`` raw characters)."""
    if not text:
        return ""
    text = text[:raw_limit]
    text = _COMMENT.sub(" ", text)
    text = _DROP_BLOCKS.sub(" ", text)
    text = _TAG.sub(" ", text)
    text = html.unescape(text)
    text = _TAG.sub(" ", text)  # escaped HTML (``&lt;p&gt;``) becomes tags only after unescaping
    text = _MD_IMAGE.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_MARKS.sub(" ", text)
    text = _EMPHASIS.sub(r"\1", text)
    text = _URL_IN_TEXT.sub(" ", text)
    text = unicodedata.normalize("NFKC", _SPACE.sub(" ", text)[:2 * limit])
    text = _CONTROL.sub(" ", text)
    return _SPACE.sub(" ", text).strip()[:limit]


def url_words(url: str) -> str:
    """The words a URL carries in its host and path (no scheme, no ``www``, no ``.html``)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    host = parts.hostname or ""
    labels = host.split(".")
    host_words = labels[:-1] if len(labels) > 1 else labels  # drop the TLD
    words = host_words + _URL_SPLIT.split(unquote(parts.path + " " + parts.query))
    out = []
    for word in words:
        lowered = word.lower()
        if len(lowered) < 2 or lowered in _URL_NOISE or lowered.isdigit():
            continue
        out.append(lowered)
    return " ".join(out)


def item_text(title: str, url: str = "", summary: str = "", context: str = "") -> str:
    """The one text an item is scored on: title, URL words, summary (or citing sentence),
    one per line."""
    parts = [clean_text(title, MAX_TITLE_CHARS), url_words(url), clean_text(summary), clean_text(context)]
    return "\n".join(p for p in parts if p)  # a line break: no bigram spans title and URL


def _windows(text: str) -> list[str]:
    """``text`` cut at sentence ends into pieces of about ``SECTION_CHARS``."""
    if len(text) <= 2 * SECTION_CHARS:
        return [text]
    out: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(text):
        if current and len(current) + len(sentence) > SECTION_CHARS:
            out.append(current)
            current = ""
        current = f"{current} {sentence}".strip()
        while len(current) > 2 * SECTION_CHARS:  # no sentence ends: cut anyway
            out.append(current[:SECTION_CHARS])
            current = current[SECTION_CHARS:]
    if current:
        out.append(current)
    return out


def text_sections(summary: str) -> list[str]:
    """The sections of a long text (its HTML or Markdown headings, else windows of about
    ``SECTION_CHARS``), cleaned; ``[]`` when the text is short enough to be scored whole."""
    if len(clean_text(summary, MAX_SUMMARY_CHARS + 1)) <= MAX_SUMMARY_CHARS:
        return []
    raw = summary[:MAX_LONG_RAW_CHARS]
    sections: list[str] = []
    pending = ""
    for part in _HEADING.split(raw):
        cleaned = clean_text(part, MAX_LONG_RAW_CHARS, MAX_LONG_RAW_CHARS)
        if not cleaned:
            continue
        pending = f"{pending} {cleaned}".strip()
        if len(pending) >= MIN_SECTION_CHARS:
            sections.extend(_windows(pending))
            pending = ""
    if pending:
        if sections and len(pending) < MIN_SECTION_CHARS:
            sections[-1] = f"{sections[-1]} {pending}"
        else:
            sections.append(pending)
    return sections[:MAX_SECTIONS]
