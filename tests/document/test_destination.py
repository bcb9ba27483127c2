"""The fast link-destination helper gives markdown-it's own answers (issue 15: the
character-by-character walk was a third of parsing a document of plain links)."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import helpers

from tracker.document.destination import parse_link_destination
from tracker.document.scan import _MD

_PIECES = st.sampled_from(["https://a.test/x", " ", "\t", "\n", "\x00", "\x7f", "\\", "\\ ", "(", ")", "<", ">",
                           "&amp;", "&#x41;", "&bogus;", "\"t\"", "a", "é", "%20", "))", "((", "\\)"])
_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=3)), max_size=12).map("".join)


def _answer(result: object) -> tuple[object, object, object]:
    ok = getattr(result, "ok")
    return (ok, getattr(result, "pos"), getattr(result, "str")) if ok else (False, None, None)


@settings(max_examples=4000, deadline=None)
@given(_TEXT, st.integers(0, 6), st.integers(0, 6))
@example("https://a.test/x) more", 0, 0)
@example("<https://a.test/x>", 0, 0)
@example("a(b)c) d", 0, 0)
@example("https://a.test/?x=1&amp;y=2)", 0, 0)
@example("", 0, 0)
def test_same_as_markdown_it(text: str, start: int, cut: int) -> None:
    pos = min(start, len(text))
    maximum = max(pos, len(text) - cut)
    assert _answer(parse_link_destination(text, pos, maximum)) == \
        _answer(helpers.parseLinkDestination(text, pos, maximum))


def test_the_parser_uses_it_and_renders_as_before() -> None:
    assert _MD.helpers.parseLinkDestination is parse_link_destination
    src = "[a](https://x.test/p?q=1&amp;r) [b](<https://y.test/a b>) [c](u(v)w) [d](e\\)f) ![i](z.png \"t\")"
    tokens = _MD.parseInline(src)[0].children or []
    hrefs = [t.attrGet("href") or t.attrGet("src") for t in tokens if t.type in ("link_open", "image")]
    assert hrefs == ["https://x.test/p?q=1&r", "https://y.test/a b", "u(v)w", "e)f", "z.png"]
