"""The fast paths of the escaping functions give exactly what their slow paths give.

``one_line``, ``md_text``, ``safe_url``, ``csv_cell`` and the export's ``source_of``
skip their regular expressions (or ``urlsplit``) for plain text and plain URLs, which
is what makes an export of 50,000 links cheap (issue 15). Each test compares the
function with its reference (the code without the fast path) on hostile text, on
URL-shaped text built from the characters the fast paths look at, and on every code
point where that matters.
"""

from __future__ import annotations

import re
import string

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.escape.test_renderers import FRAGMENTS, PAYLOADS, hostile
from tracker import escape
from tracker.export import kinds

#: pieces of URLs around the edges of the fast paths: hosts, ports, user info, IPv6,
#: percent escapes, entity-like ampersands, non-ASCII, whitespace and controls
URL_PARTS = ["http://", "https://", "HTTP://", "hTTps://", "ftp://", "//", "javascript:", "a", "Z", "0",
             "example.org", "www.", "m.", "arxiv.org", "youtube.com", "x.", "-", ".", ":", ":80", ":x",
             "@", "user:pw@", "[::1]", "[", "]", "/", "?", "#", "&", "&amp;", "&#1;", "&x", ";", "%", "%2F",
             "%zz", "_", "~", "!", "$", "*", "+", ",", "=", "(", ")", "'", '"', "<", ">", "`", "\\", " ", "\t",
             "\n", "\r", "\x00", "\x7f", "\x85", "\u2028", "\ufeff", "\ufffe", "\ud800", "é", "bücher", "例え",
             "\xa0", "\u3000", "|", "^", "{", "}"]
#: the characters the fast paths let through, and text of them with one other character in it
PLAIN = string.ascii_letters + string.digits + "/:?#[]@!$&*+,;=%._~-"
plain_text = st.text(alphabet=st.sampled_from(PLAIN), max_size=6)
one_odd = st.builds(lambda a, ch, b: a + ch + b, plain_text,
                    st.one_of(st.sampled_from(string.printable + "é\xa0\u2028\ufeff\x85"), st.characters()),
                    plain_text)
parts = st.lists(st.sampled_from(URL_PARTS), max_size=10).map("".join)
url_like = st.one_of(
    hostile, st.lists(st.sampled_from(URL_PARTS), max_size=12).map("".join),
    st.builds(lambda head, tail: head + tail, st.sampled_from(["http://", "https://", "HTTPS://", " https://"]),
              parts),
    # scheme, a plain host (with a port, sometimes), then anything: the edge of the fast paths
    st.builds(lambda head, host, port, sep, tail: head + host + port + sep + tail,
              st.sampled_from(["http://", "https://", "HtTp://"]),
              st.sampled_from(["a", "example.org", "www.arxiv.org", "m.youtube.com", "x.", "-", "A.B"]),
              st.sampled_from(["", ":", ":80", ":x", "@h", "\t"]), st.sampled_from(["", "/", "?", "#", " "]),
              st.one_of(parts, st.text(max_size=8), one_odd)))
text_like = st.one_of(hostile, st.text(max_size=40),
                      st.lists(st.sampled_from(FRAGMENTS + [" ", "  ", "\xa0", "\u2003", "x", "É"]),
                               max_size=10).map("".join))


def _md_text_reference(text: str | None) -> str:
    return escape._md_escape(escape._one_line(text))


def _csv_cell_reference(text: str | None) -> str:
    line = escape._one_line(text)
    return "'" + line if re.match(r"^'*[=+\-@]", line) else line


def test_every_code_point_one_line_changes_is_not_printable() -> None:
    """The premise of ``one_line``'s fast path, checked on every code point: whatever
    ``str.split`` splits on (but the space) or the slow path removes is not printable."""
    for cp in range(0x110000):
        ch = chr(cp)
        if ch != " " and (ch.isspace() or escape._CONTROL.search(ch) or escape._NONCHAR.search(ch)):
            assert not ch.isprintable(), hex(cp)
            assert escape.one_line("a" + ch + "b") == escape._one_line("a" + ch + "b"), hex(cp)


@settings(max_examples=400)
@given(text_like)
@example(None)
@example("")
@example(" ")
@example("a  b")
@example(" a")
@example("a ")
@example("a\xa0b")
@example("x\u2028y")
def test_one_line_fast_path_is_the_reference(text: str | None) -> None:
    assert escape.one_line(text) == escape._one_line(text)


@settings(max_examples=400)
@given(text_like)
@example(None)
@example("snake_case")
@example("a & b")
@example("plain words 123")
def test_md_text_fast_path_is_the_reference(text: str | None) -> None:
    assert escape.md_text(text) == _md_text_reference(text)
    for p in PAYLOADS:
        assert escape.md_text(p) == _md_text_reference(p)


@settings(max_examples=400)
@given(text_like)
@example("'=1")
@example("-2")
@example("''@x")
@example("'plain")
def test_csv_cell_fast_path_is_the_reference(text: str | None) -> None:
    assert escape.csv_cell(text) == _csv_cell_reference(text)


@settings(max_examples=800)
@given(url_like, st.booleans())
@example("https://example.org/a?b=1&amp;c=2#x", False)
@example("HTTPS://Example.ORG:8080/p_(x)?q=%2F&x", False)
@example("http://./", False)
@example("http://a.b:", False)
@example("https://a.b/[x]@y", False)
@example("https://a.b\n", False)
@example("https://a.b/\n", False)
@example("https://user@a.b/", False)
@example("https://a.b:x/", False)
@example(None, False)
def test_safe_url_fast_path_is_the_reference(url: str | None, relative: bool) -> None:
    assert escape.safe_url(url, relative=relative) == escape._safe_url(url, relative=relative)


@settings(max_examples=800)
@given(url_like)
@example("https://www.arxiv.org/abs/1")
@example("HTTPS://M.YouTube.com:443/watch?v=1")
@example("https://ab\t.cd/")
@example("https://ab.cd\n")
@example("https://ab.cd:\t1/")
@example("https://user@ab.cd/")
@example("http://[::1]/")
@example(" https://x.org")
def test_source_of_fast_path_is_the_reference(url: str) -> None:
    assert kinds.source_of(url) == kinds._source_of_host(kinds._host(url))


#: plain URLs with a slot ``{}`` in each part the fast paths read
TEMPLATES = ["http{}://example.org/p", "https:{}//example.org/p", "https://{}example.org/p",
             "https://exa{}mple.org/p", "https://example.org{}/p", "https://example.org:{}80/p",
             "https://example.org:80{}/p", "https://example.org/{}", "https://example.org/p{}q?x=1",
             "https://example.org?{}", "https://example.org#a{}b", "https://example.org/a&{}amp;",
             "{}https://example.org/", "https://example.org/{}&"]
#: every ASCII and Latin-1 character and the other characters escaping cares about
CHARS = [chr(cp) for cp in range(0x100)] + list("\u2028\u2029\ufeff\ufffe\uffff\ud800\u3000\u0130é例")


def test_safe_url_and_source_of_fast_paths_with_every_character_in_every_part() -> None:
    for template in TEMPLATES:
        for ch in CHARS:
            url = template.format(ch)
            for relative in (False, True):
                assert escape.safe_url(url, relative=relative) == escape._safe_url(url, relative=relative), url
            assert kinds.source_of(url) == kinds._source_of_host(kinds._host(url)), url
