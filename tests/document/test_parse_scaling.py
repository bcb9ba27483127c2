"""Pathological Markdown parses in work linear in its size (issue 10, point 8).

No clock here: each test counts the work the parser does (characters scanned for
sentence ends and squashed, slug probes) and checks it stays within a constant
factor of the input, which the old per-link rescan broke by a factor of N. Speed
itself is measured in benchmarks/import.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tracker.document import scan
from tracker.document.model import Link
from tracker.document.scan import SENTENCE_LIMIT, scan_markdown
from tracker.document.slugs import SlugRegistry

N = 8000


class _Counting:
    """Counts characters handed to the scanner's sentence splitter and squasher."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.scanned = 0
        self.squashed = 0
        real_pattern, real_squash = scan._SENTENCE_END, scan._squash
        counter = self

        class Pattern:
            def finditer(self, text: str, *args: Any) -> Iterator[re.Match[str]]:
                counter.scanned += len(text)
                return real_pattern.finditer(text, *args)

        def squash(text: str) -> str:
            counter.squashed += len(text)
            return real_squash(text)

        monkeypatch.setattr(scan, "_SENTENCE_END", Pattern())
        monkeypatch.setattr(scan, "_squash", squash)


def _links(events: list[Any]) -> list[Link]:
    return [e for e in events if isinstance(e, Link)]


def test_a_paragraph_of_8000_links_gets_each_its_own_sentence_in_linear_work(
        monkeypatch: pytest.MonkeyPatch) -> None:
    counting = _Counting(monkeypatch)
    paragraph = " ".join(f"Read [post {i}](https://e{i % 50}.org/p/{i}) on topic {i}." for i in range(N))
    links = _links(scan_markdown(f"# Title\n\n{paragraph}\n", "big.md"))
    # one scan for sentence ends; squashing: the prose, each sentence once, each link text
    assert counting.scanned <= len(paragraph) + 10
    assert counting.squashed <= 3 * len(paragraph)
    assert len(links) == N
    assert [link.href for link in links[:3]] == ["https://e0.org/p/0", "https://e1.org/p/1", "https://e2.org/p/2"]
    for i in (0, 1, 4321, N - 1):
        assert links[i].text == f"post {i}"
        assert links[i].sentence == f"Read post {i} on topic {i}."
        assert links[i].line == 3 and not links[i].unclosed


def test_a_sentence_of_8000_links_with_no_full_stop_gives_each_link_a_bounded_window(
        monkeypatch: pytest.MonkeyPatch) -> None:
    counting = _Counting(monkeypatch)
    paragraph = " ".join(f"[item {i}](https://e.org/{i}) and" for i in range(N))
    links = _links(scan_markdown(paragraph + "\n", "list.md"))
    assert len(links) == N
    for i in (0, 17, 4000, N - 1):
        sentence = links[i].sentence
        assert f"item {i} and" in sentence  # centred on its own link
        assert 0 < len(sentence) <= SENTENCE_LIMIT
    assert links[0].sentence.startswith("item 0 and item 1") and links[0].sentence.endswith("…")
    assert links[-1].sentence.startswith("…") and links[-1].sentence.endswith(f"item {N - 1} and")
    assert counting.squashed <= 3 * len(paragraph)  # the long sentence is squashed once


def test_short_sentences_are_shared_not_rebuilt_per_link() -> None:
    paragraph = "Intro. Then " + " ".join(f"[x{i}](https://e.org/{i})" for i in range(100)) + " end. Last one."
    links = _links(scan_markdown(paragraph + "\n", "a.md"))
    assert len(links) == 100
    assert len({id(link.sentence) for link in links}) == 1  # one sentence, squashed once
    assert links[0].sentence.startswith("Then x0 x1") and links[0].sentence.endswith("x99 end.")


def test_ten_thousand_nested_brackets_parse_in_linear_work(monkeypatch: pytest.MonkeyPatch) -> None:
    counting = _Counting(monkeypatch)
    n = 10_000
    nested_links = "[" * n + "x" + "](https://e.org/p)" * n
    links = _links(scan_markdown(f"# T\n\n{nested_links}\n\n{'[' * n}{']' * n}\n", "nested.md"))
    assert counting.scanned <= 2 * len(nested_links) + 4 * n
    assert counting.squashed <= 3 * len(nested_links) + 4 * n
    # the innermost pair is a link; every other "](https://…)" is text with a bare URL in it
    assert [link.text for link in links if not link.bare] == ["x"]
    assert sum(link.bare for link in links) == n - 1
    assert all(len(link.sentence) <= SENTENCE_LIMIT for link in links)


def test_unclosed_html_openers_are_text_and_never_crash_the_html_parser() -> None:
    assert scan._defuse('<div><a href="x">y</a><!-- c --></div>') == '<div><a href="x">y</a><!-- c --></div>'
    assert scan._defuse("<div>a <b c") == "<div>a &lt;b c"
    assert scan._defuse("<div>\n<!--x> <![foo[ y ]]> <![CDATA[ z") == \
        "<div>\n&lt;!--x> &lt;![foo[ y ]]> &lt;![CDATA[ z"
    assert scan._defuse("<div><![CDATA[ z ]]><!-- c --></div>") == "<div><![CDATA[ z ]]><!-- c --></div>"
    # the stdlib parser raised AssertionError on an unknown marked section
    events = scan_markdown("<div>\n<![foo[ x ]]>\n<a href=\"https://e.org/\">ok</a>\n</div>\n", "a.md")
    assert [(e.href, e.text) for e in _links(events)] == [("https://e.org/", "ok")]
    many = scan_markdown("<div>\n" + "<a" * 5000 + "<!--x>" * 5000 + "\n", "a.md")
    assert not _links(many)


def test_thousands_of_equal_titles_probe_each_slug_number_once() -> None:
    probes = 0

    class CountingSet(set[str]):
        def __contains__(self, item: object) -> bool:
            nonlocal probes
            probes += 1
            return super().__contains__(item)

    registry = SlugRegistry()
    registry._used = CountingSet()
    slugs = [registry.claim("Overview") for _ in range(5000)]
    assert slugs[:3] == ["overview", "overview-2", "overview-3"] and slugs[-1] == "overview-5000"
    assert probes <= 3 * 5000
    registry.release("overview-7")  # a freed number is handed out again, lowest first
    assert registry.claim("Overview") == "overview-7"
    assert registry.claim("Overview") == "overview-5001"
