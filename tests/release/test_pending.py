"""Pending changes: pure adapters over hand-built link states, candidates and versions,
and ``tracker changelog --pending`` (Markdown, JSON, Atom) on the imported handbook."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import feedparser
from markdown_it import MarkdownIt

from tests.conftest import CLI, NEWEST_HANDBOOK
from tests.release.conftest import ENV, T0, Accept, MarkLink
from tracker.changelog.model import Citation, TopicView
from tracker.db.models_core import ResourceVersion
from tracker.db.session import Database
from tracker.services.pending import ResourceVersionView, pending_changes
from tracker.types import AcceptedCandidate, LinkStatus

TOPICS = [TopicView("sec", "Section", "section", None, 0), TopicView("a", "Chapter A", "chapter", "sec", 1),
          TopicView("b", "Chapter B", "chapter", "sec", 2)]
SINCE = T0 - timedelta(days=7)


def cite(pos: int, slug: str, rid: int, url: str, version: str = "") -> Citation:
    return Citation(pos, slug, url, url, f"anchor {rid}", resource_id=rid, title=f"Title {rid}", url_version=version)


CITES = [cite(0, "a", 1, "https://dead.example/"), cite(1, "b", 1, "https://dead.example/"),
         cite(2, "a", 2, "https://moved.example/"), cite(3, "a", 3, "https://back.example/"),
         cite(4, "b", 4, "https://arxiv.org/abs/2401.00001v1", "v1"), cite(5, "b", 5, "https://page.example/"),
         cite(6, "b", 6, "https://old-recovery.example/"), cite(7, "b", 7, "https://fine.example/")]
STATUSES = {
    1: LinkStatus(1, "dead", archive_url="https://web.archive.org/web/2024/https://dead.example/"),
    2: LinkStatus(2, "redirected", suggested_url="https://moved.example/new"),
    3: LinkStatus(3, "alive", changed_at=T0),
    6: LinkStatus(6, "alive", changed_at=SINCE - timedelta(days=1)),
    7: LinkStatus(7, "alive", changed_at=T0),
}
PREVIOUS = {3: "dead", 6: "dead", 7: "unchecked"}
VERSIONS = [ResourceVersionView(4, "v1", "document", SINCE), ResourceVersionView(4, "v3", "crawl", T0),
            ResourceVersionView(5, "aaa", "check", SINCE - timedelta(days=30)),
            ResourceVersionView(5, "bbb", "check", T0, title="New", old_title="Old"),
            ResourceVersionView(7, "ccc", "check", T0)]


def candidate(url: str, topic: str, title: str = "New paper") -> AcceptedCandidate:
    return AcceptedCandidate(1, 99, url, url, title, "paper", topic, T0, authors="Ann")


def test_every_kind_of_pending_change_once_in_document_order() -> None:
    accepted = [candidate("https://arxiv.org/abs/2406.1", "a"), candidate("https://fine.example/", "b")]
    changes = pending_changes(TOPICS, CITES, STATUSES, PREVIOUS, accepted, VERSIONS, SINCE)
    assert [(c.type, c.topic, c.url, c.old_url) for c in changes] == [
        ("archived", "a", "https://web.archive.org/web/2024/https://dead.example/", "https://dead.example/"),
        ("redirect", "a", "https://moved.example/new", "https://moved.example/"),
        ("recovered", "a", "https://back.example/", None),
        ("accepted", "a", "https://arxiv.org/abs/2406.1", None),
        ("archived", "b", "https://web.archive.org/web/2024/https://dead.example/", "https://dead.example/"),
        ("new_version", "b", "https://arxiv.org/abs/2401.00001v1", None),
        ("new_version", "b", "https://page.example/", None),
        ("new_version", "b", "https://fine.example/", None),
    ]
    by_type = {c.type: c for c in changes}
    assert [c.detail for c in changes if c.type == "new_version"] == [
        "v3", "page content changed; its title is now “New” (was “Old”)", "page content changed"]
    assert by_type["accepted"].section_title == "Section" and by_type["accepted"].topic_title == "Chapter A"


def test_nothing_pending_without_news() -> None:
    assert pending_changes(TOPICS, CITES, {}, {}, [], [], SINCE) == []
    # versions seen before the latest import are not news
    assert pending_changes(TOPICS, CITES, {}, {}, [], VERSIONS, T0 + timedelta(days=1)) == []


def test_changelog_pending_cli_markdown_json_atom(run: CLI, mark_link: MarkLink, accept: Accept) -> None:
    assert run("import", str(NEWEST_HANDBOOK), env=ENV).exit_code == 0
    archive = "https://web.archive.org/web/20240101000000/https://mistral.ai/"
    mark_link("https://mistral.ai/", "dead", archive_url=archive)
    evil = "[x](javascript:alert(1)) <script>alert(1)</script> | a\nb"
    accept("https://arxiv.org/abs/2406.00003", evil, "tokenization", authors="<i>Eve</i>")
    data = json.loads(run("changelog", "--pending", "--format", "json", env=ENV).stdout)
    assert (data["from"], data["to"], data["pending"]) == (NEWEST_HANDBOOK.name, "unreleased", True)
    assert [(c["type"], c["url"], c["old_url"]) for c in data["changes"]] == [
        ("archived", archive, "https://mistral.ai/"), ("accepted", "https://arxiv.org/abs/2406.00003", None)]
    assert data["changes"][1]["title"] == evil.replace("\n", " ")

    md = run("changelog", "--pending", env=ENV).stdout
    assert "## [Unreleased]" in md and "### Added" in md and "### Changed" in md
    html = MarkdownIt("commonmark", {"html": True}).render(md)
    assert "<script" not in html and "javascript:" not in "".join(html.split("href=")[1:]).split(">")[0]
    assert 'href="javascript' not in html and "<i>Eve" not in html
    assert len([line for line in md.splitlines() if "2406.00003" in line]) == 1

    atom = run("changelog", "--pending", "--format", "atom", env=ENV).stdout
    feed = feedparser.parse(atom)
    assert not feed.bozo and [e.title for e in feed.entries] == ["Unreleased changes"]
    root = ET.fromstring(atom)
    content = root.find("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}content")
    assert content is not None and content.get("type") == "html" and content.text
    assert "<script" not in content.text and "<i>" not in content.text
    assert 'href="javascript' not in content.text and "&lt;script&gt;" in content.text
    assert f'<a href="{archive}">the archived copy</a>' in content.text


def test_pending_reads_resource_versions_and_recoveries_from_the_database(run: CLI, db: Database,
                                                                           mark_link: MarkLink) -> None:
    assert run("import", str(NEWEST_HANDBOOK), env=ENV).exit_code == 0
    later = T0 + timedelta(days=1)
    paper = "https://arxiv.org/abs/2203.15556"
    rid = mark_link(paper, "alive", previous_state="dead", since=later)
    mark_link("https://mistral.ai/", "alive", previous_state="unchecked", since=later)
    with db.transaction() as s:
        s.add(ResourceVersion(resource_id=rid, label="v5", origin="crawl", seen_at=later))
    data = json.loads(run("changelog", "--pending", "--format", "json", env=ENV).stdout)
    assert [(c["type"], c["url"], c["detail"]) for c in data["changes"]] == [
        ("recovered", paper, None), ("new_version", paper, "v5")]
