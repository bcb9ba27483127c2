"""An import reads the document and nothing else (issue 10, point 9).

Folder imports never read through a symbolic link that resolves outside the folder
(a warning names it); URL imports never fetch outside their base URL (an include
with ``..`` is refused, as Jekyll refuses it), checked against a real loopback server.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CLI
from tests.crawl.server import FeedServer, Route
from tests.helpers import table_counts
from tracker.db.session import open_database

NOW = {"TRACKER_NOW": "2026-05-01T09:00:00Z"}
MD = "text/markdown; charset=utf-8"


def _urls(run: CLI) -> set[str]:
    return {r["url"] for r in json.loads(run("resources", "--format", "json", env=NOW).stdout)}


def test_symlinks_leaving_the_folder_are_skipped_with_a_warning(run: CLI, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "more").mkdir(parents=True)
    (outside / "secret.md").write_text("## Secret\n[s](https://example.org/secret)\n")
    (outside / "more" / "x.md").write_text("## More\n[m](https://example.org/more)\n")
    doc = tmp_path / "doc"
    (doc / "real").mkdir(parents=True)
    (doc / "guide.md").write_text("## Guide\n[g](https://example.org/guide)\n")
    (doc / "real" / "inner.md").write_text("## Inner\n[i](https://example.org/inner)\n")
    os.symlink("/etc/passwd", doc / "passwd.md")
    os.symlink(outside / "secret.md", doc / "secret.md")
    os.symlink("../outside/more", doc / "more")
    os.symlink(doc / "gone.md", doc / "dangling.md")
    os.symlink("real", doc / "alias")  # stays inside: followed
    os.symlink("..", doc / "real" / "loop")  # inside too, but a loop: not followed again
    result = run("import", str(doc), "--format", "json", env=NOW)
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert any("passwd.md is a symbolic link to /etc/passwd, outside the document folder" in w for w in warnings)
    assert any(w.startswith("warning: secret.md is a symbolic link") for w in warnings)
    assert any(w.startswith("warning: more is a symbolic link") for w in warnings)
    assert any(w.startswith("warning: dangling.md is a symbolic link") and "does not exist" in w
               for w in warnings)
    assert _urls(run) == {"https://example.org/guide", "https://example.org/inner"}
    [summary] = json.loads(result.stdout)
    assert summary["chapters"] == 3  # guide, inner, and inner again through alias/
    strict = run("import", str(doc), "--strict", "--document", "strict", env=NOW)
    assert strict.exit_code == 1 and "symbolic link" in strict.stderr


def test_a_folder_of_outside_links_only_is_an_error(run: CLI, tmp_path: Path) -> None:
    doc = tmp_path / "doc"
    doc.mkdir()
    os.symlink("/etc/passwd", doc / "passwd.md")
    result = run("import", str(doc), env=NOW)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no Markdown files") and "passwd.md is a symbolic link" in result.stderr


def test_git_history_skips_symlinks(run: CLI, tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": "/usr/bin:/bin", "HOME": str(repo),
           "GIT_AUTHOR_DATE": "2026-01-01T12:00:00+00:00", "GIT_COMMITTER_DATE": "2026-01-01T12:00:00+00:00"}
    (repo / "d.md").write_text("## A\n[x](https://example.org/x)\n")
    os.symlink("/etc/passwd", repo / "passwd.md")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "c"]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=env)
    result = run("import", str(repo), "--history", "--format", "json", env=NOW)
    assert result.exit_code == 0, result.stderr
    assert "warning: passwd.md is a symbolic link at" in result.stderr
    assert _urls(run) == {"https://example.org/x"}


@pytest.fixture
def server() -> FeedServer:
    with FeedServer("127.0.0.1") as srv:
        srv.routes["/secret.md"] = Route(b"## Secret\n[s](https://example.org/secret)\n", MD)
        srv.routes["/site/main/_includes/ok.md"] = Route(b"## Ok\n[o](https://example.org/ok)\n", MD)
        yield srv


@pytest.mark.parametrize("include", ["../../secret.md", "sub/../../../secret.md", "/secret.md",
                                     "..//..//secret.md", "http://127.0.0.1/secret.md"])
def test_url_import_never_leaves_its_base_path(run: CLI, db_url: str, server: FeedServer,
                                               include: str) -> None:
    server.routes["/site/main/index.md"] = Route(
        f"<h1>S</h1>\n\n{{% include ok.md %}}\n\n{{% include {include} %}}\n".encode(), MD)
    db = open_database(db_url)
    before = table_counts(db)
    result = run("import", server.url("/site/main/"), env=NOW)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith(f"Error: index.md includes {include!r}, which is outside the document's base URL")
    assert table_counts(db) == before
    db.dispose()
    requested = [r.path for r in server.log]
    assert requested and all(p.startswith("/site/main/") for p in requested), requested


def test_url_import_within_its_base_path_works(run: CLI, server: FeedServer) -> None:
    server.routes["/site/main/index.md"] = Route(b"<h1>S</h1>\n\n{% include ok.md %}\n", MD)
    result = run("import", server.url("/site/main/"), "--format", "json", env=NOW)
    assert result.exit_code == 0, result.stderr
    assert [r.path for r in server.log] == ["/site/main/index.md", "/site/main/_includes/ok.md"]
    assert _urls(run) == {"https://example.org/ok"}


@pytest.mark.parametrize("how", [["run", "import"], ["weekly", "--fail-on", "none"]], ids=" ".join)
def test_a_url_document_location_is_imported_by_run_and_weekly(run: CLI, server: FeedServer, tmp_path: Path,
                                                                how: list[str]) -> None:
    """The README's configuration sets [document] location to the raw-Markdown base URL;
    `tracker run import` (the scheduler's import) read it as a path and said "path
    http:/127.0.0.1:…/site/main does not exist", while `weekly` fetched it."""
    page = server.url("/site/page")  # loopback only: weekly checks the links it imports
    server.routes["/site/main/index.md"] = Route(f"<h1>S</h1>\n\n## A\n[p]({page})\n".encode(), MD)
    env = {**NOW, "TRACKER_DOCUMENT__LOCATION": server.url("/site/main/")}
    result = run(*how, *(["--out", str(tmp_path / "w")] if how[0] == "weekly" else []), env=env)
    assert result.exit_code == 0, result.stderr
    assert "/site/main/index.md" in [r.path for r in server.log]
    assert _urls(run) == {page}
