"""Parsing renderer output back, to prove no injected link, tag or element survives.

Markdown: markdown-it tokens, with its own link filter switched OFF (it would hide a
``javascript:`` link from us) and no link normalisation, so ``href`` is exactly what a
lax renderer would use. HTML: ``html.parser``. Atom: expat (through ElementTree).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterator
from html.parser import HTMLParser
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    return md


_MD = _markdown()


def _walk(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def is_http_or_relative(href: str) -> bool:
    head = href.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if href.lower().startswith(("http://", "https://")):
        return True
    return ":" not in head and not href.startswith("//") and "\\" not in href


def check_markdown(text: str, allowed_hrefs: Collection[str], allowed_html: Collection[str] = ()) -> list[str]:
    """The hrefs of ``text``; fails when a link target is not allowed (not one the renderer
    was given, or not http(s)/relative), an image appears, or raw HTML that is not ours."""
    hrefs: list[str] = []
    for token in _walk(_MD.parse(text)):
        if token.type == "link_open":
            href = str(token.attrGet("href"))
            assert is_http_or_relative(href), f"unsafe link target {href!r} in:\n{text}"
            assert href in allowed_hrefs, f"injected link {href!r} in:\n{text}"
            hrefs.append(href)
        assert token.type != "image", f"injected image in:\n{text}"
        if token.type in ("html_inline", "html_block"):
            assert token.content.strip() in allowed_html, f"injected HTML {token.content!r} in:\n{text}"
    return hrefs


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.other: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_comment(self, data: str) -> None:
        self.other.append("comment")

    def handle_pi(self, data: str) -> None:
        self.other.append("pi")

    def unknown_decl(self, data: str) -> None:
        self.other.append("decl")


def check_html(text: str, allowed_tags: Collection[str], allowed_hrefs: Collection[str]) -> list[str]:
    """The hrefs of ``text``; fails on a tag or attribute the template does not write."""
    parser = _Collect()
    parser.feed(text)
    parser.close()
    assert not parser.other, f"injected {parser.other} in:\n{text}"
    hrefs = []
    for tag, attrs in parser.tags:
        assert tag in allowed_tags, f"injected <{tag}> in:\n{text}"
        for name, value in attrs:
            assert name in ("href", "class", "lang", "charset", "rel"), f"injected attribute {name} in <{tag}>"
            if name == "href":
                assert value is not None and is_http_or_relative(value), f"unsafe href {value!r}"
                assert value in allowed_hrefs, f"injected href {value!r}"
                hrefs.append(value)
    return hrefs


def parse_xml(text: str) -> Any:
    """The document element; raises (fails the test) when expat finds it ill-formed."""
    return ET.fromstring(text.encode("utf-8"))
