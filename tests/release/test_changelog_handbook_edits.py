"""Single edits to the real handbook, one list line at a time: each is one change of the right kind.

The newest handbook (read from ../shared/fixtures) is parsed as is and with one
scripted edit to one of its resource lines; the pure diff of the two must be
exactly that edit. Every sixth resource line with one link is tried, to keep
the suite quick (``STRIDE = 1`` tries them all; they pass too).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.conftest import NEWEST_HANDBOOK
from tracker.changelog.diff import diff_versions
from tracker.changelog.model import Citation, TopicView, VersionView
from tracker.document.structure import parse_document
from tracker.urls import canonicalize

_LINE = re.compile(r"\s*- .*?\[([^\]]*)\]\((https?://[^)\s]+)\)")
STRIDE = 6


def _files() -> dict[str, str]:
    return {p.relative_to(NEWEST_HANDBOOK).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(NEWEST_HANDBOOK.rglob("*.md"))}


def _view(files: dict[str, str]) -> VersionView:
    doc = parse_document(files)
    topics = tuple(TopicView(t.slug, t.title, t.kind, t.parent_slug, t.position, t.text, "", t.description)
                   for t in doc.topics)
    citations: list[Citation] = []
    for link in doc.links:
        if link.target == "external":
            canon = canonicalize(link.href)
            citations.append(Citation(len(citations), link.topic_slug, link.href, canon.canonical, link.text,
                                      link.sentence, "", canon.kind, link.file, link.line,
                                      fragment=canon.fragment))
    return VersionView("v", None, topics, tuple(citations))


def _resource_lines(files: dict[str, str]) -> list[tuple[str, int, re.Match[str]]]:
    found = []
    for name in sorted(files):
        lines = files[name].split("\n")
        for i, line in enumerate(lines):
            match = _LINE.match(line)
            if match and line.count("](") == 1:
                found.append((name, i, match))
    return found[::STRIDE]


Edit = Callable[[str, re.Match[str], int], tuple[list[str], str]]


def _new_url(line: str, m: re.Match[str], n: int) -> tuple[list[str], str]:
    return [line.replace(f"]({m.group(2)})", f"](https://fresh.example/{n})", 1)], "replaced"


def _new_text_and_url(line: str, m: re.Match[str], n: int) -> tuple[list[str], str]:
    return [line.replace(f"[{m.group(1)}]({m.group(2)})", f"[Totally new words {n}](https://fresh.example/{n})",
                         1)], "replaced"


def _inserted_before(line: str, m: re.Match[str], n: int) -> tuple[list[str], str]:
    indent = line[:len(line) - len(line.lstrip())]
    return [f"{indent}- [Inserted {n}](https://fresh.example/{n})", line], "added"


@pytest.mark.parametrize("edit", [_new_url, _new_text_and_url, _inserted_before])
def test_one_edit_to_a_resource_line_is_one_change_of_its_kind(edit: Edit) -> None:
    files = _files()
    base = _view(files)
    wrong = []
    targets = _resource_lines(files)
    assert len(targets) >= 15
    for n, (name, i, match) in enumerate(targets):
        lines = files[name].split("\n")
        replacement, kind = edit(lines[i], match, n)
        edited = dict(files)
        edited[name] = "\n".join(lines[:i] + replacement + lines[i + 1:])
        changes = diff_versions(base, _view(edited))
        got = [(c.type, c.url) for c in changes]
        if got != [(kind, f"https://fresh.example/{n}")]:
            wrong.append((name, i + 1, got))
    assert wrong == []

