"""Versions are content, ordered by their own date (issue 10, points 3 and 4).

Import order never decides which version is the latest; identical content never
creates a version; a ``--label`` naming other content is an error; a folder inside a
larger git repository is the last commit that touched that folder.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import select

from tests.conftest import CLI, HANDBOOK, HANDBOOK_VERSIONS
from tests.helpers import table_counts
from tracker.db import repo_feeds, repo_links
from tracker.db.models_core import Resource
from tracker.db.session import open_database

NOW = "2026-05-01T09:00:00Z"
OLDEST, MIDDLE, NEWEST = HANDBOOK_VERSIONS


def _run(run: CLI, *args: str, now: str = NOW) -> Result:
    return run(*args, env={"TRACKER_NOW": now})


def _versions(run: CLI, *extra: str) -> list[dict[str, Any]]:
    result = _run(run, "versions", "--format", "json", *extra)
    assert result.exit_code == 0, result.stderr
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def _git(cwd: Path, *args: str, date: str | None = None) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    if date:
        env |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)
    return done.stdout.decode().strip()


def _wording_topics(run: CLI, *args: str) -> tuple[dict[str, Any], set[str]]:
    result = _run(run, "changelog", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    log = json.loads(result.stdout)
    return log, {c["topic"] for c in log["changes"] if c["type"] == "wording"}


def _assert_handbook_in_date_order(run: CLI, labels: list[str]) -> None:
    versions = _versions(run)
    assert [v["label"] for v in versions] == labels
    assert [v["seq"] for v in versions] == [1, 2, 3]
    assert [v["date"][:10] for v in versions] == ["2024-05-21", "2024-09-11", "2026-02-02"]
    export = _run(run, "export")
    assert export.exit_code == 0 and f"Version {labels[-1]}," in export.stdout
    log, wording = _wording_topics(run, "--from", labels[0], "--to", labels[-1])
    assert (log["from"], log["to"]) == (labels[0], labels[-1])
    assert wording == {"flashattention", "distribution-modeling"}  # the two real wording edits
    assert [r["label"] for r in log["versions"]] == [labels[2], labels[1]]
    default, _ = _wording_topics(run)  # no --from/--to: the last two versions by date
    assert (default["from"], default["to"]) == (labels[1], labels[2])
    pending = json.loads(_run(run, "changelog", "--pending", "--format", "json").stdout)
    assert pending["from"] == labels[-1]


def test_import_order_does_not_decide_version_order(run: CLI) -> None:
    """Newest, oldest, middle, newest again: three versions in date order, the newest latest."""
    created = []
    for name in (NEWEST, OLDEST, MIDDLE, NEWEST):
        result = _run(run, "import", str(HANDBOOK / name), "--format", "json")
        assert result.exit_code == 0, result.stderr
        [summary] = json.loads(result.stdout)
        created.append((summary["label"], summary["created"]))
    assert created == [(NEWEST, True), (OLDEST, True), (MIDDLE, True), (NEWEST, False)]
    assert "unchanged" in _run(run, "import", str(HANDBOOK / NEWEST)).stderr
    older = _run(run, "import", str(HANDBOOK / OLDEST), "--format", "json")
    assert json.loads(older.stdout)[0]["created"] is False  # identical content, whatever the order
    _assert_handbook_in_date_order(run, HANDBOOK_VERSIONS)
    assert all(v["dated_by"] == "name" and v["commit"] is None for v in _versions(run))


def test_dated_folders_committed_together_into_one_repository(run: CLI, tmp_path: Path) -> None:
    repo = tmp_path / "archive"
    repo.mkdir()
    _git(repo, "init", "-q")
    for name in HANDBOOK_VERSIONS:
        shutil.copytree(HANDBOOK / name, repo / name, copy_function=shutil.copy)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "three snapshots", date="2026-03-01T12:00:00+00:00")
    commit = _git(repo, "rev-parse", "HEAD")
    for name in (NEWEST, OLDEST, MIDDLE, NEWEST):
        result = _run(run, "import", str(repo / name))
        assert result.exit_code == 0, result.stderr
    _assert_handbook_in_date_order(run, HANDBOOK_VERSIONS)
    versions = _versions(run)
    assert [(v["commit"], v["path"]) for v in versions] == [(commit, name) for name in HANDBOOK_VERSIONS]
    history = _run(run, "import", str(repo / OLDEST), "--history", "--format", "json")
    assert [(r["created"], r["label"]) for r in json.loads(history.stdout)] == [(False, OLDEST)]
    # local edits in one folder make that folder (only) +local
    index = repo / MIDDLE / "index.md"
    index.write_text(index.read_text() + "\nA new line of text.\n")
    edited = json.loads(_run(run, "import", str(repo / MIDDLE), "--format", "json").stdout)[0]
    assert (edited["label"], edited["created"], edited["latest"]) == (f"{MIDDLE}+local", True, False)
    fresh = CLI(f"sqlite:///{tmp_path / 'other.db'}", tmp_path)
    clean = json.loads(_run(fresh, "import", str(repo / OLDEST), "--format", "json").stdout)[0]
    assert clean["label"] == OLDEST and clean["created"]
    assert _versions(fresh)[0]["commit"] == commit


def test_folder_inside_a_project_repository_is_its_last_commit(run: CLI, tmp_path: Path) -> None:
    repo = tmp_path / "project"
    (repo / "docs").mkdir(parents=True)
    (repo / "src").mkdir()
    _git(repo, "init", "-q")
    guide = repo / "docs" / "guide.md"
    code = repo / "src" / "main.py"
    commits = []
    for i, (date, touch_docs) in enumerate((("2026-01-01", True), ("2026-02-01", True), ("2026-03-01", False))):
        if touch_docs:
            guide.write_text("## Links\n" + "".join(f"[l{j}](https://example.org/{j})\n" for j in range(i + 1)))
        code.write_text(f"print({i})\n")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-qm", f"c{i}", date=f"{date}T12:00:00+00:00")
        commits.append(_git(repo, "rev-parse", "HEAD"))
    first = json.loads(_run(run, "import", str(repo / "docs"), "--format", "json").stdout)[0]
    assert first["label"] == commits[1][:7]  # the last commit that touched docs/, not HEAD
    assert first["date"] == "2026-02-01T12:00:00Z"
    code.write_text("print('uncommitted')\n")  # changes outside the folder do not make it +local
    assert "unchanged" in _run(run, "import", str(repo / "docs")).stderr
    history = _run(run, "import", str(repo / "docs"), "--history", "--format", "json")
    assert [r["created"] for r in json.loads(history.stdout)] == [True, False]
    guide.write_text(guide.read_text() + "[new](https://example.org/new)\n")
    local = json.loads(_run(run, "import", str(repo / "docs"), "--format", "json").stdout)[0]
    assert local["label"] == f"{commits[1][:7]}+local" and local["latest"]
    versions = _versions(run)
    assert [v["label"] for v in versions] == [commits[0][:7], commits[1][:7], f"{commits[1][:7]}+local"]
    assert [v["dated_by"] for v in versions] == ["commit", "commit", "import"]
    assert [v["path"] for v in versions] == ["docs", "docs", "docs"]
    assert versions[-1]["date"] == NOW  # local edits: the import time (later than the commit)


def test_older_version_imported_later_leaves_the_latest_state(run: CLI, db_url: str, tmp_path: Path) -> None:
    """Topics, resources and every "latest" query follow the newest version by date."""
    new, old = tmp_path / "2026-01-10_new", tmp_path / "2025-06-01_old"
    new.mkdir()
    old.mkdir()
    (new / "d.md").write_text("# Part\n## Beta\n[b](https://example.org/b)\n")
    (old / "d.md").write_text("# Part\n## Alpha\n[a](https://example.org/a)\n")
    assert _run(run, "import", str(new)).exit_code == 0
    result = _run(run, "import", str(old))
    assert result.exit_code == 0 and "stays the latest version" in result.stderr
    topics = json.loads(_run(run, "topics", "--format", "json").stdout)
    assert [t["slug"] for t in topics] == ["beta"]  # not alpha: the older version's chapter
    assert [r["url"] for r in json.loads(_run(run, "resources", "--format", "json").stdout)] == \
        ["https://example.org/b"]
    log = json.loads(_run(run, "changelog", "--format", "json").stdout)
    assert (log["from"], log["to"]) == (old.name, new.name)
    # the link in the same place is a replacement (issue 10, point 6), whatever its text
    assert {(c["type"], c.get("old_url"), c.get("url")) for c in log["changes"]
            if c["type"] in ("added", "removed", "replaced")} == \
        {("replaced", "https://example.org/a", "https://example.org/b")}
    db = open_database(db_url)
    try:
        with db.transaction() as session:
            by_resource = repo_links.topics_by_resource(session)
            cited = repo_feeds.load_cited(session)
            url_of = {rid: url for rid, url in session.execute(select(Resource.id, Resource.url))}
            assert {url_of[rid] for rid in cited.placed} == {"https://example.org/b"}
            assert {url_of[rid]: [t.slug for t in refs] for rid, refs in by_resource.items()} == \
                {"https://example.org/b": ["beta"]}
    finally:
        db.dispose()


def test_label_that_names_other_content_is_an_error(run: CLI, db_url: str, tmp_path: Path) -> None:
    doc = tmp_path / "guide"
    doc.mkdir()
    (doc / "g.md").write_text("## A\n[x](https://example.org/x)\n")
    assert _run(run, "import", str(doc), "--label", "v1").exit_code == 0
    again = _run(run, "import", str(doc), "--label", "v1")  # same content, same label: nothing new
    assert again.exit_code == 0 and "unchanged" in again.stderr
    (doc / "g.md").write_text("## A\n[y](https://example.org/y)\n")
    db = open_database(db_url)
    before = table_counts(db)
    result = _run(run, "import", str(doc), "--label", "v1")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines()[-1].startswith("Error: --label v1 already names another version")
    assert table_counts(db) == before
    renamed = _run(run, "import", str(doc), "--label", "v2")
    assert renamed.exit_code == 0
    (doc / "g.md").write_text("## A\n[x](https://example.org/x)\n")  # back to v1's content
    other = _run(run, "import", str(doc), "--label", "v3")
    assert other.exit_code == 0 and "the content is version v1; --label v3 not used" in other.stderr
    assert [v["label"] for v in _versions(run)] == ["v1", "v2"]
    db.dispose()


def test_identical_content_never_creates_a_version_without_a_date_either(run: CLI, tmp_path: Path) -> None:
    doc = tmp_path / "notes"
    doc.mkdir()
    (doc / "n.md").write_text("## A\n[x](https://example.org/x)\n")
    assert _run(run, "import", str(doc), now="2026-05-01T09:00:00Z").exit_code == 0
    (doc / "n.md").write_text("## A\n[y](https://example.org/y)\n")
    assert _run(run, "import", str(doc), now="2026-05-02T09:00:00Z").exit_code == 0
    (doc / "n.md").write_text("## A\n[x](https://example.org/x)\n")
    back = _run(run, "import", str(doc), now="2026-05-03T09:00:00Z")
    assert "unchanged: the same content as version 2026-05-01" in back.stderr
    assert [v["label"] for v in _versions(run)] == ["2026-05-01", "2026-05-02"]


def test_git_history_keeps_a_revert_as_a_new_state(run: CLI, tmp_path: Path) -> None:
    """A, B, then a commit restoring A: the document is A again, so the latest must be A."""
    repo = tmp_path / "r"
    repo.mkdir()
    _git(repo, "init", "-q")
    texts = ["## A\n[x](https://example.org/x)\n", "## A\n[y](https://example.org/y)\n"]
    for i, text in enumerate([texts[0], texts[1], texts[0]]):
        (repo / "d.md").write_text(text)
        _git(repo, "add", "-A")
        _git(repo, "commit", "-qm", f"c{i}", date=f"2026-0{i + 1}-01T12:00:00+00:00")
    result = _run(run, "import", str(repo), "--history", "--format", "json")
    assert [r["created"] for r in json.loads(result.stdout)] == [True, True, True]
    assert [r["url"] for r in json.loads(_run(run, "resources", "--format", "json").stdout)] == \
        ["https://example.org/x"]
    again = _run(run, "import", str(repo), "--history", "--format", "json")
    assert [r["created"] for r in json.loads(again.stdout)] == [False, False, False]
    assert "unchanged" in _run(run, "import", str(repo)).stderr


@pytest.mark.parametrize(("label", "date"), [("handbook 2025-03-04", "2025-03-04"), ("v0.2", NOW[:10])])
def test_a_date_in_the_label_dates_the_version(run: CLI, tmp_path: Path, label: str, date: str) -> None:
    doc = tmp_path / "plain"
    doc.mkdir()
    (doc / "p.md").write_text("## A\n[x](https://example.org/x)\n")
    assert _run(run, "import", str(doc), "--label", label).exit_code == 0
    [version] = _versions(run)
    assert version["date"][:10] == date and version["dated_by"] == ("name" if date != NOW[:10] else "import")
