"""Changelog fidelity on small documents: each edit reported once, as the right kind.

Each test imports two versions of a small Markdown document through the CLI
(``import --label``), then reads ``changelog --format json``. The cases come
from replaying the git history of real curated lists link by link against
``git diff`` (issue 10, point 6).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import CLI

SYLLABUS = "https://course.example/syllabus"

BASE = f"""\
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
"""


def changes_between(run: CLI, tmp_path: Path, old: str, new: str) -> list[dict[str, Any]]:
    """Import ``old`` then ``new`` (one README.md each) and return the changelog's changes."""
    doc = tmp_path / "doc"
    doc.mkdir(exist_ok=True)
    for label, text, day in (("v1", old, "01"), ("v2", new, "02")):
        (doc / "README.md").write_text(text, encoding="utf-8")
        result = run("import", str(doc), "--label", label, env={"TRACKER_NOW": f"2026-01-{day}T12:00:00Z"})
        assert result.exit_code == 0, result.stderr
    result = run("changelog", "--from", "v1", "--to", "v2", "--format", "json",
                 env={"TRACKER_NOW": "2026-01-03T12:00:00Z"})
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["from"], data["to"]) == ("v1", "v2")
    return list(data["changes"])


def brief(changes: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(c["type"], c["topic"], c["url"], c["old_url"], c["title"]) for c in changes]


def test_inserting_one_entry_into_a_table_of_contents_is_one_addition(run: CLI, tmp_path: Path) -> None:
    new = BASE.replace(f"- [Week C]({SYLLABUS}#week-c)",
                       f"- [Week B]({SYLLABUS}#week-b)\n- [Week C]({SYLLABUS}#week-c)")
    assert brief(changes_between(run, tmp_path, BASE, new)) == [
        ("added", "schedule", f"{SYLLABUS}#week-b", None, "Week B")]


def test_removing_and_retargeting_table_of_contents_entries(run: CLI, tmp_path: Path) -> None:
    new = BASE.replace(f"- [Week A]({SYLLABUS}#week-a)\n", "").replace(
        f"[Week D]({SYLLABUS}#week-d)", f"[Week D]({SYLLABUS}#week-4)")
    assert brief(changes_between(run, tmp_path, BASE, new)) == [
        ("removed", "schedule", f"{SYLLABUS}#week-a", None, "Week A"),
        ("replaced", "schedule", f"{SYLLABUS}#week-4", f"{SYLLABUS}#week-d", "Week D")]


def test_a_link_replaced_in_place_with_new_text_is_a_replacement(run: CLI, tmp_path: Path) -> None:
    new = BASE.replace("[the transformer paper](https://papers.example/transformer)",
                       "[Attention Is All You Need](https://arxiv.org/abs/1706.03762)")
    [change] = changes_between(run, tmp_path, BASE, new)
    assert (change["type"], change["topic"], change["url"], change["old_url"]) == (
        "replaced", "reading", "https://arxiv.org/abs/1706.03762", "https://papers.example/transformer")
    assert (change["title"], change["old_title"]) == ("Attention Is All You Need", "the transformer paper")


def test_a_list_entry_rewritten_in_place_is_a_replacement(run: CLI, tmp_path: Path) -> None:
    new = BASE.replace("- [Foo post](https://blog.example/foo): a friendly walk through foo.",
                       "- [Baz notes](https://notes.example/baz): everything about baz, with exercises.")
    assert brief(changes_between(run, tmp_path, BASE, new)) == [
        ("replaced", "reading", "https://notes.example/baz", "https://blog.example/foo", "Baz notes")]


def test_a_link_moved_to_another_sentence_is_removed_and_added(run: CLI, tmp_path: Path) -> None:
    # the survey's sentence stays, unlinked; a new link appears in the first sentence
    new = BASE.replace("[survey](https://papers.example/survey)", "survey").replace(
        "Read [the transformer paper](https://papers.example/transformer) for the details.",
        "Read [the transformer paper](https://papers.example/transformer) for the [details]"
        "(https://papers.example/details).")
    assert sorted(brief(changes_between(run, tmp_path, BASE, new))) == [
        ("added", "reading", "https://papers.example/details", None, "details"),
        ("removed", "reading", "https://papers.example/survey", None, "survey")]


def test_first_link_above_the_first_heading_is_one_addition(run: CLI, tmp_path: Path) -> None:
    old = "A small guide to reading about models.\n\n" + BASE
    new = "A small guide to reading about [models](https://models.example/).\n\n" + BASE
    changes = changes_between(run, tmp_path, old, new)
    assert [(c["type"], c["url"], c["title"]) for c in changes] == [
        ("added", "https://models.example/", "models")]


def test_first_link_above_the_first_heading_in_a_new_sentence(run: CLI, tmp_path: Path) -> None:
    old = "A small guide.\n\n" + BASE
    new = "A small guide. Start with [the FAQ](https://faq.example/).\n\n" + BASE
    changes = changes_between(run, tmp_path, old, new)
    assert [(c["type"], c["url"]) for c in changes] == [("added", "https://faq.example/")]


def test_removing_the_only_link_above_the_first_heading_is_one_removal(run: CLI, tmp_path: Path) -> None:
    old = "A small guide. Start with [the FAQ](https://faq.example/).\n\n" + BASE
    new = "A small guide.\n\n" + BASE
    changes = changes_between(run, tmp_path, old, new)
    assert [(c["type"], c["url"]) for c in changes] == [("removed", "https://faq.example/")]


def test_real_wording_changes_are_still_reported(run: CLI, tmp_path: Path) -> None:
    old = "A small guide.\n\n" + BASE
    new = ("A small guide. Start with [the FAQ](https://faq.example/).\n\n"
           + BASE.replace("how bar works.", "how bar works, and why it is slow."))
    changes = changes_between(run, tmp_path, old, new)
    assert sorted((c["type"], c["topic"]) for c in changes) == [
        ("added", "introduction"), ("wording", "reading")]


def test_a_link_line_above_a_document_without_intro_text_is_one_addition(run: CLI, tmp_path: Path) -> None:
    old = BASE.replace("# Guide\n\n", "")
    new = "[![build](https://ci.example/badge.svg)](https://ci.example/guide)\n\n" + old
    assert [(c["type"], c["url"]) for c in changes_between(run, tmp_path, old, new)] == [
        ("added", "https://ci.example/guide")]


def test_new_text_above_the_first_heading_is_a_wording_change(run: CLI, tmp_path: Path) -> None:
    old = BASE.replace("## Schedule", "## Schedule\n\n### Week plan")
    new = old.replace("# Guide\n\n", "# Guide\n\nWhy this guide exists, and who should read it first.\n\n")
    assert [(c["type"], c["topic"]) for c in changes_between(run, tmp_path, old, new)] == [
        ("wording", "schedule")]
