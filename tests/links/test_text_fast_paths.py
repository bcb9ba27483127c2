"""The page-text fast paths give exactly what the plain definitions give, on any text.

``content_hash`` skips a second split of the visible text and the volatile-token
regex when it cannot match; ``word_count`` with a limit counts only the first
tokens. Stored content hashes are compared across runs, so a fast path that
differed on any page would report every such page as changed: each is checked
here against the definition it replaces, on generated HTML-like text.
"""

from __future__ import annotations

import hashlib
import html as htmllib

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.links import text as T

PIECES = st.sampled_from([
    "<p>", "</p>", "<!-- c -->", "<!--", "-->", "<script>x=1</script>", "<style>", "</style>", "<head>",
    "<title>T</title>", "<br/>", "<a href='x'>", "&amp;", "&nbsp;", "&#58;", "&lt;", " ", "  ", "\n", "\t",
    "\xa0", "\u2028", "\u3000", ":", "10:42", "1:2", "9:07:33", "word", "Word", "İstanbul", "STRASSE", "ß",
    "x" * 23, "y" * 24, "a-b_c" * 5, "ǅ", "ﬀ", "123", "é", "日本語", "_", "-", "<", ">", "<h1>", "</h1>",
])
HTMLISH = st.lists(st.one_of(PIECES, st.text(max_size=6)), max_size=60).map("".join)


def _reference_visible(html: str) -> str:
    text = T._COMMENT.sub(" ", html)
    text = T._DROP.sub(" ", text)
    text = T._TAG.sub(" ", text)
    return " ".join(htmllib.unescape(text).split()) if "&" in text else " ".join(text.split())


def _reference_hash(html: str) -> str | None:
    norm = T.normalise(_reference_visible(html))
    return hashlib.sha256(norm.encode("utf-8")).hexdigest() if norm else None


@settings(max_examples=400, deadline=None)
@given(HTMLISH)
def test_visible_text_and_content_hash_match_their_definitions(html: str) -> None:
    assert T.visible_text(html) == _reference_visible(html)
    assert T.content_hash(html) == _reference_hash(html)


@settings(max_examples=400, deadline=None)
@given(HTMLISH, st.integers(min_value=1, max_value=40))
def test_word_count_with_a_limit_matches_the_word_regex(text: str, limit: int) -> None:
    exact = len(T._WORD.findall(text))
    assert T.word_count(text, limit) == min(limit, exact)
    assert T.word_count(text) == exact


def test_a_clock_time_or_long_token_still_takes_the_full_normalisation() -> None:
    """Both fast-path guards, on the cases they exist for."""
    page = "<p>Updated 10:42 today</p>"
    assert T.content_hash(page) == T.content_hash("<p>Updated 11:59 today</p>")
    token = "<p>build " + "a1b2c3d4" * 4 + " done</p>"
    assert T.content_hash(token) == T.content_hash("<p>build " + "f" * 40 + " done</p>")
    assert T.content_hash("<p>İ" + "x" * 23 + " end</p>") == _reference_hash("<p>İ" + "x" * 23 + " end</p>")
