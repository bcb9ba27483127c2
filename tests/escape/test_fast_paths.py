"""The fast paths of the escaping functions give exactly what their slow paths give.

``one_line``, ``md_text``, ``safe_url``, ``csv_cell``, the export's ``source_of`` and the JSON writers
skip their regular expressions (or ``urlsplit``) for plain text and plain URLs, which
is what makes an export of 50,000 links cheap (issue 15). Each test compares the
function with its reference (the code without the fast path) on hostile text, on
URL-shaped text built from the characters the fast paths look at, and on every code
point where that matters.
"""

from __future__ import annotations

import gc
import json
import re
import string
import uuid
from datetime import datetime, timezone
from enum import Enum
from enum import IntFlag as _IntFlag
from typing import Any

import pytest

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.escape.test_renderers import FRAGMENTS, PAYLOADS, hostile
from tracker import escape
from tracker.bulk import gc_paused
from tracker.changelog.model import Citation
from tracker.export import build, kinds

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


@settings(max_examples=400, deadline=None)
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


@settings(max_examples=400, deadline=None)
@given(text_like)
@example(None)
@example("snake_case")
@example("a & b")
@example("plain words 123")
def test_md_text_fast_path_is_the_reference(text: str | None) -> None:
    assert escape.md_text(text) == _md_text_reference(text)
    for p in PAYLOADS:
        assert escape.md_text(p) == _md_text_reference(p)


@settings(max_examples=400, deadline=None)
@given(text_like)
@example("'=1")
@example("-2")
@example("''@x")
@example("'plain")
def test_csv_cell_fast_path_is_the_reference(text: str | None) -> None:
    assert escape.csv_cell(text) == _csv_cell_reference(text)


@settings(max_examples=800, deadline=None)
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


@settings(max_examples=800, deadline=None)
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


# --- JSON ---------------------------------------------------------------------------------------

class _Colour(Enum):
    RED = 1


#: values json.dumps refuses but orjson would write (its own types), and floats in the
#: range where orjson's text differs from repr's (1e-05 → 0.00001, 1e-07 → 1e-7)
_not_json = st.one_of(st.uuids(), st.just(_Colour.RED), st.builds(lambda: __import__("orjson").Fragment(b"1")))
_tiny_floats = st.floats(min_value=1e-11, max_value=2e-4).flatmap(lambda f: st.sampled_from([f, -f]))
_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), _tiny_floats, st.text(max_size=12),
                     st.sampled_from(PAYLOADS), st.datetimes(), st.datetimes(timezones=st.timezones()),
                     st.dates(), _not_json)
_keys = st.one_of(st.text(max_size=8), st.sampled_from(["url", "\u2028", '"', "\\"]))
json_like = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.lists(inner, max_size=3).map(tuple),
                            st.dictionaries(_keys, inner, max_size=4),
                            st.dictionaries(st.one_of(st.integers(), st.booleans(), st.none()), inner, max_size=2)),
    max_leaves=25)


def _same_or_same_error(fast: Any, reference: Any) -> None:
    try:
        expected = reference()
    except (TypeError, ValueError) as exc:
        try:
            fast()
        except type(exc):
            return
        raise AssertionError(f"the reference raised {exc!r}, the fast writer did not")
    assert fast() == expected


@settings(max_examples=400, deadline=None)
@given(json_like, st.sampled_from([0, 1, 2, 4]))
@example({"a": [1, 2.5, float("nan"), float("inf"), -float("inf"), True, False, None]}, 2)
@example({"x": {}, "y": [], "z": ()}, 2)
@example({1: "int key", True: "bool key", None: "none key"}, 2)
@example({"set": {1, 2}}, 2)
@example({"datetime": datetime(2026, 1, 1, 12, tzinfo=timezone.utc)}, 2)
@example({"tiny": [1e-05, 1e-07, -9.999999999999998e-05, 1e-4, 1e-10, 5e-324, 1e16, 1e-3]}, 2)
@example({"uuid": uuid.UUID(int=5)}, 2)
@example({"enum": _Colour.RED}, 2)
def test_json_writers_give_exactly_what_json_dumps_gives(data: Any, indent: int) -> None:
    _same_or_same_error(lambda: escape.json_text(data, indent=indent),
                        lambda: json.dumps(data, indent=indent, ensure_ascii=False))
    _same_or_same_error(lambda: escape.to_json(data, indent=indent),
                        lambda: json.dumps(escape.json_value(data), indent=indent, ensure_ascii=False))


def test_json_writers_fall_back_on_subclasses_and_cycles() -> None:
    class Kind(str):
        pass

    class Number(int):
        pass

    class Flag(_IntFlag):
        ON = 1

    data = {"kind": Kind("blog"), "n": Number(3), "flag": Flag.ON}
    assert escape.json_text(data) == json.dumps(data, indent=2, ensure_ascii=False)
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError):
        escape.json_text(loop)


# --- the export's "why" ---------------------------------------------------------------------------

def _why_reference(c: Citation) -> str:
    """``export.build._why`` as it was: every comparison made, ``label`` always computed."""
    sentence = escape.one_line(c.sentence)
    norm = build._norm
    if not sentence or norm(sentence) in (norm(c.anchor_text), norm(c.title), norm(c.label)):
        return ""
    return escape.shorten(sentence, build.WHY_LIMIT)


_words = st.lists(st.sampled_from(["video", "this", "blog post", "Attention", "Is", "All", "You", "Need",
                                   '"', "“", "’", "'", " ", "  ", "\t", "\n", "İ", "ß", "x", "here", "https://",
                                   "a.b/c", "The", "paper", ".", "É"]), max_size=7).map("".join)


@settings(max_examples=600, deadline=None)
@given(_words, _words, _words, st.one_of(_words, st.sampled_from(["same-anchor", "same-title", "same-url"])))
@example("İstanbul", "", "https://x.org", "i̇stanbul")
@example('"Attention"', "", "https://x.org", "attention")
@example("video", "A title", "https://x.org/p", "a title")
@example("video", "", "https://x.org/p", "https://x.org/p")
@example("", "", "https://x.org/p", "HTTPS://X.ORG/P")
@example('"\t"İİ', "", "", "i̇i̇")
@example("", "", "İİ", "i̇i̇")
def test_why_skips_the_label_only_when_it_cannot_match(anchor: str, title: str, url: str, sentence: str) -> None:
    sentence = {"same-anchor": anchor.upper(), "same-title": f" {title} ", "same-url": url}.get(sentence, sentence)
    c = Citation(0, "t", url, "https://x.org", anchor, sentence, title)
    assert build._why(c) == _why_reference(c)


# --- bulk work --------------------------------------------------------------------------------------

def test_gc_paused_switches_the_collector_off_and_back_only_at_the_outermost_block() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves it to the outer one
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()  # back on after an error too
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # someone else turned it off: theirs to turn back on
    finally:
        gc.enable()
