"""Replaying a real git history: the changelog of each commit matches what the commit changed.

The test builds a git repository (fixed author and committer dates), one commit
per scripted edit, imports it with ``import --history`` and, for every pair of
consecutive commits, checks ``changelog --format json`` twice: against the edit
the commit made (the expected changes, each once and as the right kind) and
against ``git diff`` itself (the links on its ``-`` and ``+`` lines).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from tests.conftest import CLI

ENV = {"TRACKER_NOW": "2025-02-01T12:00:00Z"}
SYLLABUS = "https://course.example/syllabus"
LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")

FIRST = f"""\
A short guide to reading about language models.

# Guide

## Schedule

The weeks of the course:

- [Week A]({SYLLABUS}#week-a)
- [Week C]({SYLLABUS}#week-c)
- [Week D]({SYLLABUS}#week-d)

## Reading

Read [the transformer paper](https://papers.example/transformer) for the details.
Then skim the [survey](https://papers.example/survey) of the field.

- [Foo post](https://blog.example/foo): a friendly walk through foo.
- [Bar post](https://blog.example/bar): how bar works.
- [Tokenizers explained](https://blog.example/tokenizers): where the tokens come from.
"""

# (commit message, (old text, new text) replacements, expected (type, topic, url, old_url, title))
EDITS: list[tuple[str, list[tuple[str, str]], list[tuple[Any, ...]]]] = [
    ("Add week B to the schedule",
     [(f"- [Week C]({SYLLABUS}#week-c)", f"- [Week B]({SYLLABUS}#week-b)\n- [Week C]({SYLLABUS}#week-c)")],
     [("added", "schedule", f"{SYLLABUS}#week-b", None, "Week B")]),
    ("Cite the paper itself",
     [("[the transformer paper](https://papers.example/transformer)",
       "[Attention Is All You Need](https://arxiv.org/abs/1706.03762)")],
     [("replaced", "reading", "https://arxiv.org/abs/1706.03762", "https://papers.example/transformer",
       "Attention Is All You Need")]),
    ("Link the models in the introduction",
     [("reading about language models.", "reading about [language models](https://models.example/).")],
     [("added", "introduction", "https://models.example/", None, "language models")]),
    ("Tokenizers belong to the schedule; drop the bar post; say more about foo",
     [("- [Tokenizers explained](https://blog.example/tokenizers): where the tokens come from.\n", ""),
      ("- [Bar post](https://blog.example/bar): how bar works.\n", ""),
      ("a friendly walk through foo.", "a friendly walk through foo, with exercises."),
      ("The weeks of the course:\n",
       "The weeks of the course:\n\n- [Tokenizers explained](https://blog.example/tokenizers)\n")],
     [("moved", "schedule", "https://blog.example/tokenizers", None, "Tokenizers explained"),
      ("removed", "reading", "https://blog.example/bar", None, "Bar post"),
      ("wording", "reading", None, None, "Reading")]),
    ("Week D is now week 4; rename Reading",
     [(f"[Week D]({SYLLABUS}#week-d)", f"[Week D]({SYLLABUS}#week-4)"), ("## Reading\n", "## Readings\n")],
     [("replaced", "schedule", f"{SYLLABUS}#week-4", f"{SYLLABUS}#week-d", "Week D"),
      ("topic_renamed", "readings", None, None, "Readings")]),
]


def _git(repo: Path, *args: str, date: str | None = None) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": "/usr/bin:/bin", "HOME": str(repo)}
    if date:
        env |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    done = subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=env)
    return done.stdout.decode()


def _build_history(repo: Path) -> None:
    repo.mkdir()
    _git(repo, "init", "-q")
    readme = repo / "README.md"
    text = FIRST
    readme.write_text(text, encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "First version", date="2025-01-01T12:00:00+00:00")
    for day, (message, replacements, _expected) in enumerate(EDITS, start=2):
        for old, new in replacements:
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        readme.write_text(text, encoding="utf-8")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-qm", message, date=f"2025-01-{day:02d}T12:00:00+00:00")
        if day == 3:  # a commit that touches no Markdown is no version
            (repo / "notes.txt").write_text("not part of the document\n")
            _git(repo, "add", "-A")
            _git(repo, "commit", "-qm", "notes", date="2025-01-03T13:00:00+00:00")


def _diff_links(repo: Path, a: str, b: str) -> tuple[Counter[str], Counter[str]]:
    """URLs of the links ``git diff`` shows going away and arriving (moves within the file cancel)."""
    minus: Counter[str] = Counter()
    plus: Counter[str] = Counter()
    for line in _git(repo, "diff", "--unified=0", a, b, "--", "README.md").splitlines():
        if line.startswith(("---", "+++")):
            continue
        if line[:1] in "-+":
            (minus if line[0] == "-" else plus).update(url for _text, url in LINK.findall(line))
    return minus - plus, plus - minus


def test_changelog_of_each_commit_matches_what_the_commit_changed(run: CLI, tmp_path: Path) -> None:
    repo = tmp_path / "guide"
    _build_history(repo)
    result = run("import", str(repo), "--history", "--format", "json", env=ENV)
    assert result.exit_code == 0, result.stderr
    commits = _git(repo, "log", "--reverse", "--format=%H", "--", "*.md").split()
    assert len(commits) == len(EDITS) + 1
    versions = json.loads(run("versions", "--format", "json", env=ENV).stdout)
    assert [v["commit"] for v in versions] == commits
    labels = [v["label"] for v in versions]
    for (message, _replacements, expected), a, b, old, new in zip(EDITS, commits, commits[1:], labels,
                                                                  labels[1:]):
        out = run("changelog", "--from", old, "--to", new, "--format", "json", env=ENV)
        assert out.exit_code == 0, out.stderr
        changes = json.loads(out.stdout)["changes"]
        got = [(c["type"], c["topic"], c["url"], c["old_url"], c["title"]) for c in changes]
        assert sorted(got, key=str) == sorted(expected, key=str), message
        gone, arrived = _diff_links(repo, a, b)
        reported_gone = Counter(c["url"] for c in changes if c["type"] == "removed")
        reported_gone.update(c["old_url"] for c in changes if c["type"] == "replaced")
        reported_new = Counter(c["url"] for c in changes if c["type"] in ("added", "replaced"))
        assert (reported_gone, reported_new) == (gone, arrived), message
    # the net changelog over the whole history reports each surviving edit once
    whole = run("changelog", "--from", labels[0], "--to", labels[-1], "--format", "json", env=ENV)
    net = sorted((c["type"], c["url"]) for c in json.loads(whole.stdout)["changes"] if c["url"])
    assert net == sorted([
        ("added", f"{SYLLABUS}#week-b"), ("added", "https://models.example/"),
        ("moved", "https://blog.example/tokenizers"), ("removed", "https://blog.example/bar"),
        ("replaced", "https://arxiv.org/abs/1706.03762"), ("replaced", f"{SYLLABUS}#week-4")])
