"""Issue 12's findings about outputs, each reproduced exactly (these failed before the fix)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from markdown_it import MarkdownIt

from tests.escape.parse import check_markdown, parse_xml
from tracker.candidates.render import queue_markdown
from tracker.changelog.atom import render_atom
from tracker.changelog.model import Change, Changelog, Release
from tracker.escape import rfc3339, to_json
from tracker.links.report import LinkReport, LinkRow, Place, RunInfo, summarise
from tracker.links.report_render import render_html, render_markdown

NOW = datetime(2026, 11, 30, 8, 33, 23, 141086, tzinfo=timezone.utc)
RFC3339_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def test_queue_prints_feed_titles_and_authors_inert_and_no_javascript_link() -> None:
    row = {"id": 3, "url": "https://blog.example/h8)[z](javascript:alert(3)", "title": "<script>alert(1)</script>",
           "authors": ["<img src=x onerror=alert(2)>"], "source": "blog", "kind": "post", "published_at": NOW,
           "score": 0.9, "section": "S", "chapter": "C", "topics": [{"slug": "c", "score": 0.9}]}
    out = "\n".join(queue_markdown([row], "2026-W48"))
    html = MarkdownIt("commonmark").render(out)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    assert check_markdown(out, {"https://blog.example/h8%29[z]%28javascript:alert%283%29"}) == [
        "https://blog.example/h8%29[z]%28javascript:alert%283%29"]


def _row(**fields: object) -> LinkRow:
    values: dict[str, object] = dict(url="https://gone.example/a", canonical_url="https://gone.example/a",
                                     title="Gone", host="gone.example", state="dead", reason="404",
                                     places=(Place("c", "s", "Section", 1, "c", "Chapter", 1),))
    values.update(fields)
    return LinkRow(**values)  # type: ignore[arg-type]


def test_markdown_link_report_never_links_a_javascript_archive_answer() -> None:
    row = _row(archive_url="javascript:alert(document.cookie)//https://web.archive.org/", archived_at=NOW,
               newly_dead=True)
    report = LinkReport(NOW, NOW, (row,), RunInfo(1, NOW, False, 1, 1, 10), summarise((row,)))
    out = "\n".join(render_markdown(report))
    hrefs = check_markdown(out, {"https://gone.example/a"}, {"<details><summary>Per-host figures</summary>",
                                                             "</details>"})
    assert hrefs and set(hrefs) == {"https://gone.example/a"}
    assert "javascript" in out  # shown as text, for the maintainer to see
    assert 'href="javascript' not in "\n".join(render_html(report))


def test_atom_stays_well_formed_with_u_fffe_in_a_chapter_heading() -> None:
    change = Change(type="added", topic="c", url="https://a.example/", title="A", topic_title="Chap\ufffeter",
                    section_title="Sec\uffff\x01tion")
    log = Changelog("doc", "v1", "v2", (change,), (Release("v2", "v1", NOW, (change,)),), NOW)
    feed = parse_xml(render_atom(log))
    assert "Chapter" in "".join(feed.itertext())


def _all_unchecked(inconclusive: bool) -> LinkReport:
    rows = tuple(_row(url=f"https://x.example/{i}", canonical_url=f"https://x.example/{i}", state="unchecked")
                 for i in range(272))
    return LinkReport(NOW, NOW, rows, RunInfo(4, NOW, inconclusive, 272, 300, 9000), summarise(rows))


def test_inconclusive_run_with_everything_unchecked_is_never_all_clear() -> None:
    out = list(render_markdown(_all_unchecked(inconclusive=True)))
    assert "🎉" not in "\n".join(out)
    assert "inconclusive" in out[2]  # right under the title, before any figure
    assert "none of the 272 links has been checked yet" in "\n".join(out)
    html = list(render_html(_all_unchecked(inconclusive=True)))
    first = next(i for i, line in enumerate(html) if "<h1>" in line)
    assert "inconclusive" in html[first + 1]
    assert "🎉" not in "\n".join(render_markdown(_all_unchecked(inconclusive=False)))


def test_one_timestamp_form_in_json() -> None:
    naive = datetime(2026, 11, 30, 8, 33, 23, 141086)
    text = to_json({"a": NOW, "b": [naive], "c": {"d": NOW.astimezone()}})
    stamps = re.findall(r'"(\d{4}-[^"]+)"', text)
    assert len(stamps) == 3 and all(RFC3339_Z.match(s) for s in stamps)
    assert rfc3339(NOW) == "2026-11-30T08:33:23.141086Z"
