"""Property tests: hostile strings through every renderer, parsed back.

Each test feeds the same hostile text to every text field (titles, authors, sources,
reasons, chapter and section headings, labels) and a hostile URL to every URL field
(item URL, redirect target, archive answer, site and feed links), then parses the
output: markdown-it (no link target but the safe forms of the URLs given, no image,
no raw HTML but the renderer's own), ``html.parser`` (only the template's tags and
attributes), the csv module (one row per record, every cell the text given, no
formula) and expat (the Atom feed is well-formed). The payloads of issue 12 are
explicit examples of every test.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import PurePath
from typing import Any, TypeVar

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.escape.parse import check_html, check_markdown, parse_xml
from tracker.candidates.render import queue_markdown
from tracker.changelog.atom import ATOM_NS, render_atom
from tracker.changelog.model import Change, Changelog, Release
from tracker.changelog.render import render_markdown as changelog_markdown
from tracker.cli.common import csv_text
from tracker.escape import csv_value, one_line, patch_url, safe_url
from tracker.export.build import ExportItem, ExportTopic, ResourceList
from tracker.export.patch import Addition, UrlEdit, candidate_line, plan_patch
from tracker.export.render import CSV_COLUMNS, render_csv
from tracker.export.render import render_markdown as export_markdown
from tracker.index_page import index_html
from tracker.links.report import LinkReport, LinkRow, Place, RunInfo, summarise
from tracker.links.report_render import render_html, render_markdown
from tracker.types import AcceptedCandidate

NOW = datetime(2026, 11, 30, 8, 33, 23, 141086, tzinfo=timezone.utc)

#: the payloads of issue 12, and the classics
PAYLOADS = [
    "/ok/a)[click me](javascript:alert(1)",
    "http://127.0.0.1:8123/ok/a)[click%20me](javascript:alert(1)",
    "http://127.0.0.1:8123/ok/a)(javascript:alert(1)",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "https://feeds.example/h8)[z](javascript:alert(3)",
    "javascript:alert(document.cookie)//https://web.archive.org/web/2024/https://x.example/",
    "Chapter \ufffe heading", "\uffff", "\x00\x01\x1b[31mred\x1b[0m\x7f\x85",
    '=HYPERLINK("http://evil.example","x")', "+1+1", "-2", "@SUM(A1)", "'=1", "\t=1",
    "[x](javascript:alert(1))", '<a href="javascript:x" onclick="y">z</a>', "![i](https://e.example/x.png)",
    "`code` **bold** _em_ ~~s~~ # h", "&#106;avascript:alert(1)", "&lt;script&gt;", "<https://evil.example>",
    "line1\nline2\r\n| a | b |\n---", "\\", "\ud800", "]]><![CDATA[x]]>", "<!-- c -->", "<?php x ?>",
    "data:text/html,<script>alert(1)</script>", " javascript:alert(1)", "JaVaScRiPt:alert(1)",
    'https://evil.example/" onmouseover="alert(1)', "https://e.example/a b<c>d\"e'f`g\\h",
    "//evil.example/x", "[a]: javascript:alert(1)", "<details open ontoggle=alert(1)>", "\u2028\u2029",
]
FRAGMENTS = ["[", "]", "(", ")", "<", ">", "\"", "'", "`", "*", "_", "&", "#", ";", ":", "!", "|", "\\",
             "\n", "\r", "\t", "javascript:", "http://", "https://", "a", "1", " ", "=", "@", "-", "+",
             "\ufffe", "\x00", "<script>", "</a>", "onerror=", "%", "%2", "/", "?", "~"]
hostile = st.one_of(st.sampled_from(PAYLOADS),
                    st.lists(st.sampled_from(PAYLOADS + FRAGMENTS), max_size=8).map("".join),
                    st.text(max_size=30))
hostile_url = st.one_of(hostile, st.builds(lambda tail: "https://x.example/" + tail, hostile))

F = TypeVar("F", bound=Callable[..., Any])
#: this module's Hypothesis settings, on each test (a loaded profile would change every test
#: collected after this module too)
ESCAPE = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def payload_examples(test: F) -> F:
    """Every listed payload as text and as URL, and with a good URL, as explicit examples."""
    for p in PAYLOADS:
        test = example(text=p, url=p)(test)
        test = example(text=p, url="https://ok.example/path")(test)
    return test


def _hrefs(*urls: str | None, relative: bool = False) -> set[str]:
    return {h for u in urls if (h := safe_url(u, relative=relative)) is not None}


# --- the queue ----------------------------------------------------------------------------------

@ESCAPE
@payload_examples
@given(text=hostile, url=hostile_url)
def test_queue_markdown(text: str, url: str) -> None:
    row = {"id": 7, "url": url, "title": text, "source": text, "kind": text, "published_at": NOW,
           "authors": [text, text], "reason": text, "section": text, "chapter": text, "score": 0.5,
           "week": text, "topics": [{"slug": "a", "score": 0.5}, {"slug": text, "score": 0.4}]}
    out = "\n".join(queue_markdown([row, {**row, "title": ""}], "2026-W48", topic=text))
    hrefs = check_markdown(out, _hrefs(url))
    assert len(hrefs) == (2 if safe_url(url) else 0)


# --- the link report ----------------------------------------------------------------------------

def _report(text: str, url: str, inconclusive: bool = False) -> LinkReport:
    place = Place("s", "s", text, 1, "c", text, 1)
    rows = tuple(LinkRow(url=url, canonical_url=url, title=text, host=text, state=state, reason=text,
                         suggested_url=url, archive_url=url, archived_at=NOW, consecutive_failures=2,
                         first_failure_at=NOW, soft404=True, places=(place,), newly_dead=True,
                         recovered=state == "alive", previous_state=text)
                 for state in ("dead", "failing", "blocked", "redirected", "alive"))
    return LinkReport(NOW, NOW, rows, RunInfo(1, NOW, inconclusive, 5, 6, 700), summarise(rows))


@ESCAPE
@payload_examples
@given(text=hostile, url=hostile_url)
def test_link_report_markdown(text: str, url: str) -> None:
    out = "\n".join(render_markdown(_report(text, url)))
    check_markdown(out, _hrefs(url), {"<details><summary>Per-host figures</summary>", "</details>"})


HTML_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4", "p", "strong", "em",
             "table", "tr", "th", "td", "ul", "li", "a"}


@ESCAPE
@payload_examples
@given(text=hostile, url=hostile_url)
def test_link_report_html(text: str, url: str) -> None:
    out = "\n".join(render_html(_report(text, url, inconclusive=True)))
    check_html(out, HTML_TAGS, _hrefs(url))


@ESCAPE
@payload_examples
@given(text=hostile, url=hostile_url)
def test_week_index_html(text: str, url: str) -> None:
    out = index_html(text, {"link-report.md": f"/tmp/{text}", text: url}, {"x": text}, NOW, True)
    check_html(out, HTML_TAGS, _hrefs(PurePath(f"/tmp/{text}").name, PurePath(url).name, relative=True))


# --- the changelog: Markdown and Atom -----------------------------------------------------------

TYPES = ("added", "removed", "moved", "replaced", "topic_added", "topic_removed", "topic_renamed", "wording",
         "archived", "redirect", "accepted", "new_version", "recovered")


def _changelog(text: str, url: str) -> Changelog:
    changes = tuple(Change(type=t, topic="c", url=url, old_url=url, title=text, old_title=text,
                           old_topic="o", topic_title=text, old_topic_title=text, section="s",
                           section_title=text, kind="paper", detail=text) for t in TYPES)
    release = Release(label=text, previous=text, date=NOW, changes=changes, commit=text)
    return Changelog(document=text, from_label=text, to_label=text, changes=changes,
                     releases=(release, Release("Unreleased", text, None, changes)), generated_at=NOW)


@ESCAPE
@payload_examples
@given(text=hostile, url=hostile_url)
def test_changelog_markdown(text: str, url: str) -> None:
    out = changelog_markdown(_changelog(text, url))
    check_markdown(out, _hrefs(url) | {"https://keepachangelog.com/en/1.1.0/"})


@ESCAPE
@payload_examples
@given(text=hostile, url=hostile_url)
def test_changelog_atom(text: str, url: str) -> None:
    out = render_atom(_changelog(text, url), site_url=url, feed_url=url)
    feed = parse_xml(out)  # expat: well-formed, whatever the headings hold
    assert feed.tag == f"{{{ATOM_NS}}}feed"
    for link in feed.iter(f"{{{ATOM_NS}}}link"):
        assert link.get("href") in _hrefs(url)
    for content in feed.iter(f"{{{ATOM_NS}}}content"):
        check_html(content.text or "", HTML_TAGS, _hrefs(url))


# --- the resource list: Markdown and CSV --------------------------------------------------------

def _item(text: str, url: str, **extra: Any) -> ExportItem:
    values: dict[str, Any] = dict(topic="c", position=1, url=url, original_url=url, canonical_url=url, kind="paper",
                                  title=text, state="dead", status="accepted", replacement="archived", source=text,
                                  why=text, anchor_text=text, file="f.md", line=3)
    values.update(extra)
    names = {f.name for f in dataclasses.fields(ExportItem)}
    values.update({name: text for name in names - set(values)
                   if name in ("link_text", "kind_label", "sentence")})  # fields added by other branches
    return ExportItem(**{k: v for k, v in values.items() if k in names})


def _resource_list(text: str, url: str) -> ResourceList:
    chapter = ExportTopic("c", text, "chapter", (_item(text, url), _item(text, url, replacement="redirect")))
    return ResourceList(text, text, NOW, (ExportTopic("s", text, "section", (_item(text, url),), (chapter,)),))


@ESCAPE
@payload_examples
@given(text=hostile, url=hostile_url)
def test_export_markdown(text: str, url: str) -> None:
    check_markdown(export_markdown(_resource_list(text, url)), _hrefs(url))


@ESCAPE
@payload_examples
@given(text=hostile, url=hostile_url)
def test_export_csv(text: str, url: str) -> None:
    rows = list(csv.reader(io.StringIO(render_csv(_resource_list(text, url)))))
    assert rows[0] == list(CSV_COLUMNS) and len(rows) == 4  # a header and one row per resource
    for row in rows[1:]:
        assert len(row) == len(CSV_COLUMNS)
        record = dict(zip(CSV_COLUMNS, row))
        for name in ("title", "source", "why", "section"):
            assert csv_value(record[name]) == one_line(text)
        assert csv_value(record["url"]) == one_line(url)
        assert all(cell[:1] not in ("=", "+", "-", "@", "\t", "\r") for cell in row)


@ESCAPE
@payload_examples
@given(text=hostile, url=hostile_url)
def test_listing_csv(text: str, url: str) -> None:
    out = csv_text([{"title": text, "url": url, "topics": [text, text]}], ["title", "url", "topics"])
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["title", "url", "topics"] and len(rows) == 2
    assert csv_value(rows[1][0]) == one_line(text) and csv_value(rows[1][1]) == one_line(url)
    assert all(cell[:1] not in ("=", "+", "-", "@") for cell in rows[1])


# --- the document patch (export --apply) --------------------------------------------------------

OLD = "https://old.example/a"
DOC = f"# Title\n\n## Chapter\n\n- [a]({OLD}) and <a href=\"{OLD}\">b</a>\n- [c][ref]\n\n[ref]: {OLD}\n"


@ESCAPE
@payload_examples
@given(text=hostile, url=hostile_url)
def test_patch_writes_only_valid_http_urls(text: str, url: str) -> None:
    accepted = AcceptedCandidate(1, 2, url, url, text, "paper", "chapter", NOW, source=text, authors=text)
    line = candidate_line(accepted)
    additions = [Addition("doc.md", 5, (line,))] if line is not None else []
    plan = plan_patch({"doc.md": DOC}, [UrlEdit("doc.md", 5, OLD, url), UrlEdit("doc.md", 6, OLD, url)],
                      additions)
    new = patch_url(url)
    after = plan.texts.get("doc.md", DOC)
    allowed = {OLD} | ({new} if new else set())
    check_markdown(after, allowed, {f'<a href="{OLD}">', f'<a href="{new}">', "</a>"})
    check_html(after, {"a"}, allowed)
    if new is None:
        assert line is None and plan.replaced == 0 and after == DOC
        assert any("is not a valid http(s) URL" in note for note in plan.notes)
    else:
        assert plan.replaced == 2 and new in after
