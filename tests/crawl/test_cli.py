"""The feeds commands end to end: sources, sync of jobs/sources.toml, crawl and items JSON,
and every bad input as one ``Error:`` line, exit 1, database unchanged."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLI, NEWEST_HANDBOOK, REPO
from tests.crawl.server import FeedServer, Route
from tests.helpers import table_counts
from tests.sources.util import fixture
from tracker.db.models_core import Document, Topic
from tracker.db.session import open_database

JOBS_SOURCES = REPO / "jobs" / "sources.toml"
ENV = {"TRACKER_NOW": "2026-11-23T12:00:00Z", "TRACKER_ARXIV__MIN_INTERVAL": "0"}


def ok(result: Any) -> Any:
    assert result.exit_code == 0, result.stderr
    return result


def test_add_list_disable_enable_remove(run: CLI) -> None:
    added = json.loads(ok(run("sources", "add", "arxiv", 'cat:cs.CL AND abs:"speculative decoding"',
                              "--name", "spec-dec", "--topic", "speculative-decoding", "--format", "json",
                              env=ENV)).stdout)
    assert (added["name"], added["kind"], added["status"], added["topics"]) == \
        ("spec-dec", "arxiv", "active", ["speculative-decoding"])
    assert "sortBy=submittedDate" in added["url"]
    ok(run("sources", "add", "youtube", "https://www.youtube.com/channel/UCXUPKJO5MZQN11PqgIvyuvQ"))
    ok(run("sources", "add", "arxiv-listing", "cs.CL, cs.LG"))
    ok(run("sources", "add", "feed", "https://lilianweng.github.io/index.xml", "--disabled"))
    rows = {r["name"]: r for r in json.loads(ok(run("sources", "list", "--format", "json")).stdout)}
    assert set(rows) == {"spec-dec", "youtube-UCXUPKJO5MZQN11PqgIvyuvQ", "arxiv-cs.CL-cs.LG", "lilianweng.github.io"}
    assert rows["lilianweng.github.io"]["status"] == "disabled"
    assert ok(run("sources", "enable", "lilianweng.github.io")).stderr.strip().endswith("is active")
    assert ok(run("sources", "disable", "spec-dec")).stderr.strip().endswith("is disabled")
    ok(run("sources", "remove", "arxiv-cs.CL-cs.LG"))
    rows = {r["name"]: r for r in json.loads(ok(run("sources", "list", "--format", "json")).stdout)}
    assert set(rows) == {"spec-dec", "youtube-UCXUPKJO5MZQN11PqgIvyuvQ", "lilianweng.github.io"}
    assert rows["spec-dec"]["status"] == "disabled"
    assert "name,kind,status" in ok(run("sources", "list", "--format", "csv")).stdout


BAD_INPUTS = [
    ("sources", "add", "rss", "https://x.example/feed"),
    ("sources", "add", "feed", "not a url"),
    ("sources", "add", "feed", "file:///etc/passwd"),
    ("sources", "add", "arxiv", '(cat:cs.CL AND abs:"x"'),
    ("sources", "add", "arxiv-listing", "cs.CL;drop"),
    ("sources", "add", "youtube", "@3blue1brown"),
    ("sources", "add", "youtube", "UCtooShort"),
    ("sources", "add", "feed", "https://x.example/feed", "--name", "bad name!"),
    ("sources", "add", "feed", "https://x.example/feed", "--topic", "Not A Slug"),
    ("sources", "add", "feed", "https://x.example/feed", "--topic", "no-such-chapter"),
    ("sources", "add", "feed", "https://example.org/feed.xml", "--name", "existing"),
    ("sources", "add", "feed", "https://existing.example/feed"),
    ("sources", "remove", "nope"),
    ("sources", "enable", "nope"),
    ("sources", "sync", "missing.toml"),
    ("sources", "sync", "bad.toml"),
    ("sources", "sync", "invalid-entry.toml"),
    ("crawl", "--source", "nope"),
    ("crawl", "--source", "sleeping"),
    ("items", "--source", "nope"),
]


@pytest.mark.parametrize("args", BAD_INPUTS, ids=lambda a: " ".join(a))
def test_bad_input_is_one_error_line_and_changes_nothing(run: CLI, db_url: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.toml").write_text("[[source]\nkind = ")
    (tmp_path / "invalid-entry.toml").write_text(
        '[[source]]\nname = "fine"\nkind = "feed"\ntarget = "https://fine.example/feed"\n'
        '[[source]]\nname = "broken"\nkind = "youtube"\ntarget = "@handle"\n')
    db = open_database(db_url)
    with db.transaction() as session:  # one chapter, so topic hints are checked
        doc = Document(name="handbook", created_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
        session.add(doc)
        session.flush()
        session.add(Topic(document_id=doc.id, slug="scaling-laws", title="Scaling Laws", kind="chapter", position=1))
    ok(run("sources", "add", "feed", "https://existing.example/feed", "--name", "existing"))
    ok(run("sources", "add", "feed", "https://sleeping.example/feed", "--name", "sleeping", "--disabled",
           "--topic", "scaling-laws"))
    try:
        before = table_counts(db)
        result = run(*args, env=ENV)
        assert result.exit_code == 1, (result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and result.stdout == ""
        assert table_counts(db) == before
    finally:
        db.dispose()


def test_default_source_list_syncs_disabled_and_crawl_contacts_nothing(run: CLI, tmp_path: Path) -> None:
    ok(run("import", str(NEWEST_HANDBOOK)))
    sync = ok(run("sources", "sync", str(JOBS_SOURCES), "--format", "json"))
    report = json.loads(sync.stdout)
    assert len(report["added"]) >= 20 and report["warnings"] == []  # every topic hint is a real chapter
    rows = json.loads(ok(run("sources", "list", "--format", "json")).stdout)
    kinds = {r["kind"] for r in rows}
    assert kinds == {"arxiv", "arxiv-listing", "feed", "youtube"} and all(r["status"] == "disabled" for r in rows)
    assert {"lilianweng", "huggingface-blog", "chip-huyen", "karpathy-blog", "sebastian-raschka",
            "tim-dettmers"} <= {r["name"] for r in rows}
    crawl = ok(run("crawl", "--format", "json", env=ENV))
    assert json.loads(crawl.stdout) == [] and "no source is due" in crawl.stderr
    again = json.loads(ok(run("sources", "sync", str(JOBS_SOURCES), "--format", "json")).stdout)
    assert again["added"] == [] and len(again["unchanged"]) == len(report["added"])


def test_sync_updates_keeps_enable_state_and_prunes(run: CLI, tmp_path: Path) -> None:
    listing = tmp_path / "mine.toml"
    listing.write_text('[[source]]\nname = "a"\nkind = "feed"\ntarget = "https://a.example/feed"\n'
                       '[[source]]\nname = "b"\nkind = "arxiv-listing"\ntarget = "cs.CL"\nenabled = false\n')
    ok(run("sources", "sync", str(listing)))
    ok(run("sources", "enable", "b"))
    listing.write_text('[[source]]\nname = "b"\nkind = "arxiv-listing"\ntarget = "cs.CL+cs.LG"\nenabled = false\n')
    report = json.loads(ok(run("sources", "sync", str(listing), "--prune", "--format", "json")).stdout)
    assert (report["updated"], report["removed"]) == (["b"], ["a"])
    rows = json.loads(ok(run("sources", "list", "--format", "json")).stdout)
    assert [(r["name"], r["target"], r["status"]) for r in rows] == [("b", "cs.CL+cs.LG", "active")]


def test_crawl_and_items_json(run: CLI) -> None:
    with FeedServer("127.0.0.1") as blogs, FeedServer("127.0.0.3") as rss:
        blogs.routes["/index.xml"] = Route(fixture("blog_lilianweng_index_2026-06-24_52items.xml"))
        blogs.routes["/broken.xml"] = Route(b"<html><body>Please log in</body></html>", content_type="text/html")
        rss.routes["/rss/cs.CL"] = Route(fixture("arxiv_rss_cs.CL_3items_new.xml"))
        env = {**ENV, "TRACKER_ARXIV__LISTING_URL": rss.url("/rss/")}
        ok(run("sources", "add", "feed", blogs.url("/index.xml"), "--name", "lillog"))
        ok(run("sources", "add", "feed", blogs.url("/broken.xml"), "--name", "login-wall"))
        ok(run("sources", "add", "arxiv-listing", "cs.CL", "--name", "cl"))
        reports = json.loads(ok(run("crawl", "--format", "json", env=env)).stdout)
        assert [{k: r[k] for k in ("source", "outcome", "new", "updated")} for r in reports] == [
            {"source": "cl", "outcome": "fetched", "new": 3, "updated": 0},
            {"source": "lillog", "outcome": "fetched", "new": 52, "updated": 0},
            {"source": "login-wall", "outcome": "error", "new": 0, "updated": 0}]
        assert "HTML page" in reports[2]["error"] and reports[0]["error"] == ""
        failed = run("crawl", "--source", "login-wall", "--fail-on", "error", env=env)
        assert failed.exit_code == 2
        second = json.loads(ok(run("crawl", "--source", "lillog", "--format", "json", env=env)).stdout)
        assert second[0]["outcome"] == "not_modified"
        table = ok(run("crawl", "--source", "cl", env=env)).stdout
        assert table.splitlines()[0].split()[:4] == ["source", "outcome", "new", "updated"]
    items = json.loads(ok(run("items", "--format", "json")).stdout)
    assert len(items) == 55
    assert set(items[0]) >= {"canonical_id", "url", "title", "source", "kind", "published_at", "version"}
    papers = json.loads(ok(run("items", "--source", "cl", "--kind", "paper", "--format", "json")).stdout)
    assert {(p["source"], p["kind"], p["version"]) for p in papers} == {("cl", "paper", 1)}
    assert all(p["canonical_id"].startswith("arxiv:") and p["published_at"].endswith("Z") for p in papers)
    assert len(json.loads(ok(run("items", "--limit", "5", "--format", "json")).stdout)) == 5
    listing = json.loads(ok(run("sources", "list", "--format", "json")).stdout)
    assert {r["name"]: r["items"] for r in listing} == {"cl": 3, "lillog": 52, "login-wall": 0}
