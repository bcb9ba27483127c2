"""Bidirectional overrides in other people's text (a "Trojan Source" title): a feed title
``Evil \\u202egnp.exe`` shows as ``Evil exe.png``, and because nothing closes the
override it also reverses whatever the renderer writes after it on that line (the URL,
the score, the author). Every text format drops the explicit overrides, embeddings and
isolates (U+202A-U+202E, U+2066-U+2069); implicit right-to-left text is untouched."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone

from tracker.candidates.render import queue_markdown
from tracker.cli.common import csv_text
from tracker.escape import html_text, md_text, one_line, terminal_text

NOW = datetime(2026, 11, 30, 8, 33, 23, tzinfo=timezone.utc)
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
HOSTILE = "Evil \u202egnp.exe and \u2067isolate\u2069 \u202aembed"


def test_one_line_drops_explicit_direction_controls_and_keeps_rtl_text() -> None:
    assert one_line(HOSTILE) == "Evil gnp.exe and isolate embed"
    assert one_line("שלום \u200fעולם مرحبا") == "שלום \u200fעולם مرحبا"  # letters and marks stay
    for render in (md_text, html_text, terminal_text):
        assert not BIDI.search(render(HOSTILE)), render


def test_queue_markdown_and_csv_carry_no_override() -> None:
    row = {"id": 3, "url": "https://blog.example/p", "title": HOSTILE, "authors": ["\u202eyrallam"],
           "source": "blog\u202e", "kind": "post", "published_at": NOW, "score": 0.9, "section": "S",
           "chapter": "C", "topics": [{"slug": "c", "score": 0.9}]}
    out = "\n".join(queue_markdown([row], "2026-W48"))
    assert "Evil gnp.exe" in out and not BIDI.search(out)
    rows = list(csv.reader(io.StringIO(csv_text([{"title": HOSTILE}], ["title"]))))
    assert rows[1] == ["Evil gnp.exe and isolate embed"]
