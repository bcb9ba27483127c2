"""Feed authors are plain text once (second reading, finding 2): an author written as markup
(``&lt;b&gt;Ann&lt;/b&gt; &amp;amp; Bob``) or with entities escaped once too often reaches
the queue's Markdown, the page and the resource list's CSV as ``Ann & Bob``, each output
escaping it exactly once — not ``&lt;b&gt;`` or ``&amp;amp;``."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from tests.conftest import CLI
from tests.candidates.conftest import NOW, store
from tracker.config import Settings
from tracker.db.session import Database
from tracker.services.propose import propose
from tracker.services.review import decide, queue
from tracker.sources import parse_body
from tracker.web import create_app

HOST = {"Host": "127.0.0.1"}
URL = "http://127.0.0.1:9/authors.xml"

# what feeds write: Atom/RSS text with markup escaped into it, entities escaped twice
RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Authors</title>
<item><title>BPE-dropout: byte pair subword tokenization merges</title>
<link>https://example.org/bpe-markup</link><description>byte pair merges tokenization</description>
<dc:creator>&lt;b&gt;Ann&lt;/b&gt; &amp; Bob</dc:creator></item>
</channel></rss>"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Authors</title><id>urn:a</id><updated>2026-11-20T00:00:00Z</updated>
<entry><title>Faster denoising diffusion with score matching</title><id>urn:b</id>
<updated>2026-11-20T00:00:00Z</updated><link href="https://example.org/denoise-entities"/>
<summary>score matching diffusion denoise images</summary>
<author><name>Ann &amp;amp; Bob &amp;Eacute;mile</name></author><author><name>AT&amp;T Labs</name></author></entry>
</feed>"""


def _parsed(body: bytes) -> tuple[str, ...]:
    items = parse_body("feed", body, URL).items
    assert len(items) == 1
    return items[0].authors


def test_parsed_authors_are_plain_text() -> None:
    assert _parsed(RSS) == ("Ann & Bob",)
    assert _parsed(ATOM) == ("Ann & Bob Émile", "AT&T Labs")  # a plain "&" stays as written


@pytest.fixture
def crawled_authors(db: Database, queued: Settings) -> Settings:
    store(db, queued, [*parse_body("feed", RSS, URL).items, *parse_body("feed", ATOM, URL).items], source="authors")
    propose(db, queued)
    return queued


def _by(rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    return {str(r["url"]): [str(a) for a in r["authors"]] for r in rows}


def test_each_output_escapes_a_feed_author_exactly_once(db: Database, crawled_authors: Settings,
                                                        db_url: str, tmp_path: Path, clean_env: None) -> None:
    _, rows = queue(db, crawled_authors, all_=True)
    by = _by(rows)
    assert by["https://example.org/bpe-markup"] == ["Ann & Bob"]
    assert by["https://example.org/denoise-entities"] == ["Ann & Bob Émile", "AT&T Labs"]

    markdown = CLI(db_url, tmp_path)("queue", "--all", env={"TRACKER_NOW": NOW}).stdout
    shown = MarkdownIt().render(markdown)  # what a Markdown viewer shows, as HTML
    assert "Ann &amp; Bob" in markdown and "&amp;amp;" not in markdown and "&lt;b&gt;" not in markdown
    assert "Ann &amp; Bob Émile, AT&amp;T Labs" in shown and "&amp;amp;" not in shown and "&lt;b" not in shown

    client = create_app(db, crawled_authors).test_client()
    page = client.get("/", headers=HOST, query_string={"all": "1"}).get_data(as_text=True)
    assert "Ann &amp; Bob" in page and "AT&amp;T Labs" in page
    assert "&amp;amp;" not in page and "&lt;b&gt;" not in page and "<b>Ann" not in page

    for row in rows:
        decide(db, crawled_authors, int(row["id"]), "accept")
    sheet = client.get("/export/resources.csv", headers=HOST).get_data(as_text=True)
    cells = {cell for record in csv.reader(io.StringIO(sheet)) for cell in record}
    assert "Ann & Bob" in cells and "Ann & Bob Émile, AT&T Labs" in cells
    assert not any(re.search(r"&(amp|lt|gt);|<b>", cell) for cell in cells)
