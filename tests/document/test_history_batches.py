"""``import --history`` in bounded batches (issue 15): one commit read, parsed and stored
at a time, one transaction per version; ``--strict`` refuses before storing anything."""

from __future__ import annotations

import json
import subprocess
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tracker.db.models_core import DocumentVersion, Resource
from tracker.db.session import open_database
from tracker.services import import_
from tracker.services.document_source import Snapshot

from ..conftest import CLI


def _repo(tmp_path: Path, commits: int, bad_at: int | None = None) -> Path:
    repo = tmp_path / "list"
    repo.mkdir()
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True, env=env)
    lines = ["# List", "", "## Tools", ""]
    for c in range(commits):
        lines.append(f"- [Tool {c}](https://tools{c}.example.org/) does {c}.")
        if c == bad_at:
            lines.append("- [broken](javascript:alert(1)) here.")
        (repo / "README.md").write_text("\n".join(lines) + "\n")
        date = f"2025-01-{c + 1:02d}T12:00:00+00:00"
        subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
        subprocess.run(["git", "commit", "-qm", f"c{c}"], cwd=repo, check=True,
                       env=env | {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})
    return repo


def test_history_holds_one_snapshot_at_a_time(run: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(tmp_path, 6)
    alive: set[int] = set()
    most = 0
    real = import_.iter_git_history

    def watched(path: Path) -> Iterator[Snapshot]:
        nonlocal most
        for n, snap in enumerate(real(path)):
            alive.add(n)
            weakref.finalize(snap, alive.discard, n)
            most = max(most, len(alive))
            yield snap
            del snap

    monkeypatch.setattr(import_, "iter_git_history", watched)
    result = run("import", str(repo), "--history", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert [r["created"] for r in json.loads(result.stdout)] == [True] * 6
    assert most <= 2  # the one being stored (and the next one being read), never the whole history
    versions = json.loads(run("versions", "--format", "json").stdout)
    assert len(versions) == 6


def test_strict_history_stores_nothing_when_a_later_commit_is_suspicious(run: CLI, tmp_path: Path) -> None:
    repo = _repo(tmp_path, 4, bad_at=2)
    result = run("import", str(repo), "--history", "--strict")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error:") and "javascript" in result.stderr
    db = open_database(run.db_url)
    with db.transaction() as session:  # database unchanged: not even the first, clean commits
        assert session.scalar(select(func.count()).select_from(DocumentVersion)) == 0
        assert session.scalar(select(func.count()).select_from(Resource)) == 0
    db.dispose()
    # without --strict every version is stored, each in its own transaction; again: nothing new
    first = run("import", str(repo), "--history", "--format", "json")
    assert [r["created"] for r in json.loads(first.stdout)] == [True] * 4
    again = run("import", str(repo), "--history", "--format", "json")
    assert [r["created"] for r in json.loads(again.stdout)] == [False] * 4
