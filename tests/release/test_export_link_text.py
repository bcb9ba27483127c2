"""``tracker export`` keeps the author's link text and counts links apart from resources.

Expected anchor texts are computed here, independently of tracker's parser: each
fixture file is parsed with markdown-it (and ``<a href>`` in HTML blocks with a
regular expression), and the k-th link to a URL in a file is matched with the
k-th exported entry for that URL and file. The fixture is read from
../shared/fixtures, never copied into the project.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict, deque
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from sqlalchemy import update

from tests.conftest import CLI, NEWEST_HANDBOOK
from tests.release.conftest import ENV
from tracker.db.models_core import Resource
from tracker.db.session import Database
from tracker.export.text import csv_value
from tracker.urls import canonicalize

_HTML_LINK = re.compile(r"<a\s[^>]*?href\s*=\s*\"([^\"]*)\"[^>]*>(.*?)</a\s*>", re.S | re.I)
#: what a link checker fetched for two of the handbook's links (page titles, not link text)
FETCHED = {"https://x.com/willccbb": "William Brown @willccbb | willcb.com v0.1 (June 5, 2024)",
           "https://www.youtube.com/@3blue1brown/playlists": "3Blue1Brown - YouTube"}


def _markdown_it() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    return md


def _anchor_texts(text: str) -> dict[str, deque[str]]:
    """href → the texts of the links to it, in file order (whitespace squashed)."""
    out: dict[str, deque[str]] = defaultdict(deque)
    for token in _markdown_it().parse(text):
        if token.type == "html_block":
            for href, inner in _HTML_LINK.findall(token.content):
                out[href.strip()].append(" ".join(re.sub(r"<[^>]+>", "", inner).split()))
        if token.type != "inline":
            continue
        link: tuple[str, list[str]] | None = None
        for child in token.children or []:
            if child.type == "link_open":
                link = (str(child.attrs["href"]), [])
            elif child.type == "link_close" and link is not None:
                out[link[0].strip()].append(" ".join("".join(link[1]).split()))
                link = None
            elif link is not None and child.type in ("text", "code_inline", "image"):
                link[1].append(child.content)
            elif link is not None and child.type in ("softbreak", "hardbreak"):
                link[1].append(" ")
    return out


def _expected(items: list[dict[str, Any]]) -> list[str]:
    by_file: dict[str, dict[str, deque[str]]] = {}
    texts = []
    for item in items:
        if item["file"] not in by_file:
            by_file[item["file"]] = _anchor_texts((NEWEST_HANDBOOK / item["file"]).read_text(encoding="utf-8"))
        texts.append(by_file[item["file"]][item["original_url"]].popleft())
    return texts


def _items(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for s in data["sections"] for t in (s, *s["chapters"]) for r in t["resources"]]


def _exported_links(md: str) -> list[tuple[str, str]]:
    """(text, href) of the first link of every resource line of the Markdown export."""
    out = []
    for line in md.splitlines():
        if not line.startswith("- "):
            continue
        [inline] = [t for t in _markdown_it().parse(line) if t.type == "inline"]
        children = inline.children or []
        start = next(k for k, c in enumerate(children) if c.type == "link_open")
        end = next(k for k, c in enumerate(children) if c.type == "link_close")
        text = "".join(c.content for c in children[start + 1:end] if c.type in ("text", "code_inline"))
        out.append((text, str(children[start].attrs["href"])))
    return out


def _import_with_fetched_titles(run: CLI, db: Database) -> None:
    assert run("import", str(NEWEST_HANDBOOK), env=ENV).exit_code == 0
    with db.transaction() as session:
        for url, title in FETCHED.items():
            session.execute(update(Resource).where(Resource.canonical_url == canonicalize(url).canonical)
                            .values(title=title))


def test_markdown_export_keeps_every_link_text_as_written(run: CLI, db: Database) -> None:
    _import_with_fetched_titles(run, db)
    data = json.loads(run("export", "--format", "json", env=ENV).stdout)
    items = _items(data)
    expected = _expected(items)
    md = run("export", "--format", "md", env=ENV).stdout
    links = _exported_links(md)
    assert len(links) == len(items) == 292
    # "[](url)" (written so in section 7) would be an invisible link: its title stands in
    assert [text for text, _href in links] == [e or i["title"] for e, i in zip(expected, items)]
    assert sum(1 for e in expected if not e) == 1
    assert [href for _text, href in links] == [i["url"] for i in items]
    assert "- Blog post: [@willccbb](https://x.com/willccbb)" in md or "[@willccbb](https://x.com/willccbb)" in md
    assert "[3Blue1Brown](https://www.youtube.com/@3blue1brown/playlists)" in md
    assert "William Brown @willccbb | willcb.com" not in " ".join(t for t, _ in links)
    # the fetched title stays the resource's title in JSON; the link text is the author's
    willccbb = next(i for i in items if i["url"] == "https://x.com/willccbb")
    assert (willccbb["title"], willccbb["anchor_text"]) == (FETCHED["https://x.com/willccbb"], "@willccbb")


def test_counts_tell_links_from_distinct_resources(run: CLI, db: Database) -> None:
    _import_with_fetched_titles(run, db)
    data = json.loads(run("export", "--format", "json", env=ENV).stdout)
    items = _items(data)
    distinct = len({i["canonical_url"] for i in items})
    assert (len(items), distinct) == (292, 272)
    assert data["counts"]["links"] == 292 and data["counts"]["distinct_resources"] == 272
    md = run("export", "--format", "md", env=ENV).stdout
    assert "292 links to 272 resources under 59 headings" in md
    assert "292 resources" not in md


def test_csv_keeps_link_text_and_reads_back_exactly(run: CLI, db: Database) -> None:
    _import_with_fetched_titles(run, db)
    data = json.loads(run("export", "--format", "json", env=ENV).stdout)
    expected = _expected(_items(data))
    rows = list(csv.reader(io.StringIO(run("export", "--format", "csv", env=ENV).stdout)))
    header, body = rows[0], rows[1:]
    column = header.index("link_text")
    raw = [r[column] for r in body]
    assert "'@willccbb" in raw  # guarded: a spreadsheet would run "@willccbb" as a formula
    assert [csv_value(cell) for cell in raw] == [e or i["title"] for e, i in zip(expected, _items(data))]
    assert all(csv_value(r[header.index("url")]) == i["url"] for r, i in zip(body, _items(data)))


def test_csv_guard_is_exactly_undone_by_the_reader() -> None:
    from tracker.export.text import csv_cell

    for text in ("=1+1", "+x", "-y", "@SUM(A1)", "@willccbb", "'=x", "''@", "'Tis", "plain", "", "'", "a=b"):
        cell = csv_cell(text)
        assert cell[:1] not in ("=", "+", "-", "@"), cell
        assert csv_value(cell) == text, (text, cell)
    assert csv_cell("\t=cmd") == "'=cmd"  # control characters become spaces, then the guard applies
