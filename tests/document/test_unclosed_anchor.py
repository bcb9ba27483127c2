"""``<a href>`` with no ``</a>``: kramdown renders a link to the end of the block (issue 10, point 6).

tracker imports it as a link with its href and warns, naming file and line.
"""

from __future__ import annotations

from tracker.document.model import Link
from tracker.document.scan import scan_markdown
from tracker.document.structure import parse_document

DOC = """\
# Reading list

## Papers

Start with <a href="https://e.org/attention">the attention paper and its appendix.
It is long.

Then read [the follow-up](https://e.org/follow-up).

<div>
<a href="https://e.org/in-html">a link in an HTML block
that is never closed
</div>

Closed <a href="https://e.org/closed">properly</a> is fine.
"""


def test_an_unclosed_anchor_is_a_link_to_the_end_of_its_block_with_a_warning() -> None:
    doc = parse_document({"README.md": DOC})
    by_href = {link.href: link for link in doc.links}
    assert list(by_href) == ["https://e.org/attention", "https://e.org/follow-up",
                             "https://e.org/in-html", "https://e.org/closed"]
    first = by_href["https://e.org/attention"]
    assert first.text == "the attention paper and its appendix. It is long."
    assert first.line == 5 and first.topic_slug == "papers" and first.target == "external"
    assert by_href["https://e.org/follow-up"].text == "the follow-up"  # the next paragraph is untouched
    assert by_href["https://e.org/in-html"].text == "a link in an HTML block that is never closed"
    assert by_href["https://e.org/in-html"].line == 11
    assert by_href["https://e.org/closed"].text == "properly"
    assert doc.warnings == [
        "README.md:5: <a href='https://e.org/attention'> has no closing </a>; "
        "imported as a link running to the end of its block, as kramdown renders it",
        "README.md:11: <a href='https://e.org/in-html'> has no closing </a>; "
        "imported as a link running to the end of its block, as kramdown renders it",
    ]


def test_a_new_anchor_ends_an_unclosed_one() -> None:
    events = scan_markdown('See <a href="https://e.org/a">one, <a href="https://e.org/b">two</a> and more.\n',
                           "a.md")
    links = [(e.href, e.text, e.unclosed) for e in events if isinstance(e, Link)]
    assert links == [("https://e.org/a", "one,", True), ("https://e.org/b", "two", False)]


def test_closed_anchors_and_markdown_links_raise_no_warning() -> None:
    doc = parse_document({"README.md": '# T\n\n<a href="https://e.org/x">x</a> and [y](https://e.org/y)\n'})
    assert [link.text for link in doc.links] == ["x", "y"]
    assert doc.warnings == []
