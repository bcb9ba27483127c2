"""``tracker export --apply DIR``: patch the document's own Markdown, nothing else."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLI
from tests.release.conftest import ENV, Accept, MarkLink, edit
from tests.release.test_export import _flatten

DEAD = "https://blog.paperspace.com/conditional-generative-adversarial-networks/"
ARCHIVE = f"https://web.archive.org/web/20240101000000/{DEAD}"
CANDIDATE = "https://arxiv.org/abs/1606.05908"


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _git_diff(a: Path, b: Path) -> list[str]:
    """Changed lines (``-``/``+``) of ``git diff --no-index`` between two trees."""
    done = subprocess.run(["git", "diff", "--no-index", "--unified=0", "--no-color", str(a), str(b)],
                          capture_output=True, text=True, check=False)
    assert done.returncode in (0, 1), done.stderr
    return [line for line in done.stdout.splitlines()
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def _setup(run: CLI, handbook_copy: Path, mark_link: MarkLink, accept: Accept) -> None:
    assert run("import", str(handbook_copy), "--label", "before", env=ENV).exit_code == 0
    mark_link(DEAD, "dead", archive_url=ARCHIVE, previous_state="failing")
    accept(CANDIDATE, "Tutorial on Variational Autoencoders", "variational-auto-encoders",
           authors="Carl Doersch")


def test_apply_changes_exactly_those_lines_and_reimport_gives_the_new_version(
        run: CLI, handbook_copy: Path, mark_link: MarkLink, accept: Accept, tmp_path: Path) -> None:
    _setup(run, handbook_copy, mark_link, accept)
    pristine = Path(tmp_path / "pristine")
    pristine.mkdir()
    for name, data in _snapshot(handbook_copy).items():
        (pristine / name).parent.mkdir(parents=True, exist_ok=True)
        (pristine / name).write_bytes(data)

    dry = run("export", "--apply", str(handbook_copy), "--dry-run", env=ENV)
    assert dry.exit_code == 0, dry.stderr
    assert _snapshot(handbook_copy) == _snapshot(pristine)  # a dry run changes nothing
    assert dry.stdout.startswith("--- a/_includes/section8.md\n+++ b/_includes/section8.md\n")
    assert "would change 1 file: 1 link replaced, 1 line added" in dry.stderr

    result = run("export", "--apply", str(handbook_copy), env=ENV)
    assert result.exit_code == 0, result.stderr
    vae = ('- [blog post](https://towardsdatascience.com/deep-generative-models-25ab2821afd3) from Prakash '
           'Pandey on both VAEs and GANs')
    changed = _git_diff(pristine, handbook_copy)
    assert changed == [
        f"+- [Tutorial on Variational Autoencoders]({CANDIDATE}) by Carl Doersch",
        f'-- ["Implementing Conditional Generative Adversarial Networks"]({DEAD} ) blog from Paperspace',
        f'+- ["Implementing Conditional Generative Adversarial Networks"]({ARCHIVE} ) blog from Paperspace',
    ]
    text = (handbook_copy / "_includes" / "section8.md").read_text(encoding="utf-8")
    assert f"{vae}\n- [Tutorial on Variational Autoencoders]" in text  # at the end of its chapter's list
    assert not list(handbook_copy.rglob("*.tmp"))

    again = run("import", str(handbook_copy), "--label", "after", env=ENV)
    assert again.exit_code == 0, again.stderr
    data = json.loads(run("changelog", "--format", "json", env=ENV).stdout)
    assert (data["from"], data["to"]) == ("before", "after")
    assert sorted((c["type"], c["topic"], c["url"], c["old_url"]) for c in data["changes"]) == [
        ("added", "variational-auto-encoders", CANDIDATE, None),
        ("replaced", "conditional-gans", ARCHIVE, DEAD),
    ]
    versions = json.loads(run("versions", "--format", "json", env=ENV).stdout)
    assert [(v["label"], v["links"]) for v in versions] == [("before", 292), ("after", 293)]
    # the patched document is what the tracker now knows: nothing left to apply
    done = run("export", "--apply", str(handbook_copy), "--dry-run", env=ENV)
    assert done.exit_code == 0 and done.stdout == ""


def test_apply_refuses_a_document_changed_since_import(
        run: CLI, handbook_copy: Path, mark_link: MarkLink, accept: Accept) -> None:
    _setup(run, handbook_copy, mark_link, accept)
    edit(handbook_copy / "_includes" / "section3.md", "<h2>Tokenization</h2>", "<h2>Tokenisation</h2>")
    before = _snapshot(handbook_copy)
    result = run("export", "--apply", str(handbook_copy), env=ENV)
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: ") and "_includes/section3.md changed" in line
    assert _snapshot(handbook_copy) == before


def test_apply_to_a_missing_file_names_it(run: CLI, handbook_copy: Path, mark_link: MarkLink,
                                          accept: Accept) -> None:
    _setup(run, handbook_copy, mark_link, accept)
    (handbook_copy / "_includes" / "credits.md").unlink()
    result = run("export", "--apply", str(handbook_copy), env=ENV)
    assert result.exit_code == 1 and "credits.md" in result.stderr


@pytest.mark.parametrize("failing", ["mkstemp", "replace"])
def test_a_failed_write_leaves_no_half_patched_files(
        run: CLI, handbook_copy: Path, mark_link: MarkLink, accept: Accept,
        monkeypatch: pytest.MonkeyPatch, failing: str) -> None:
    _setup(run, handbook_copy, mark_link, accept)
    accept("https://arxiv.org/abs/2205.14135", "FlashAttention", "flashattention")  # a second file
    before = _snapshot(handbook_copy)
    calls = {"n": 0}
    module = tempfile if failing == "mkstemp" else os
    real = getattr(module, failing)

    refused: list[str] = []

    def second_call_fails(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            refused.append(str(args[1]) if failing == "replace" else str(kwargs["prefix"]).strip("."))
            raise PermissionError(13, "Permission denied")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, failing, second_call_fails)
    result = run("export", "--apply", str(handbook_copy), env=ENV)
    assert result.exit_code == 1
    assert "Permission denied; nothing was changed" in result.stderr
    assert calls["n"] == 2
    assert refused[0] in result.stderr  # the file that could not be written is the one named
    assert _snapshot(handbook_copy) == before  # no file patched, no temp file left behind


@contextlib.contextmanager
def _read_only(folder: Path) -> Iterator[None]:
    """A folder nobody may write into: mode 555, or (root ignores modes) the immutable flag."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"cannot make {folder} read-only for root (chattr +i: {done.stderr.strip()})")
    try:
        with pytest.raises(PermissionError):
            (folder / "probe").write_text("x")
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_read_only_folder(run: CLI, handbook_copy: Path, mark_link: MarkLink, accept: Accept) -> None:
    _setup(run, handbook_copy, mark_link, accept)
    folder = handbook_copy / "_includes"
    before = _snapshot(handbook_copy)
    with _read_only(folder):
        result = run("export", "--apply", str(handbook_copy), env=ENV)
    assert result.exit_code == 1 and "nothing was changed" in result.stderr
    assert _snapshot(handbook_copy) == before


def test_apply_needs_an_existing_folder(run: CLI, handbook_copy: Path, tmp_path: Path) -> None:
    assert run("import", str(handbook_copy), env=ENV).exit_code == 0
    result = run("export", "--apply", str(tmp_path / "nowhere"), env=ENV)
    assert result.exit_code == 1 and "is not a folder" in result.stderr


def test_apply_keeps_bom_and_crlf_of_a_plain_markdown_document(run: CLI, tmp_path: Path,
                                                               mark_link: MarkLink) -> None:
    doc = tmp_path / "notes"
    doc.mkdir()
    old = "https://gone.example/post"
    text = f"# Notes\r\n\r\n## Basics\r\n\r\nRead [the post]({old}) first.\r\n"
    (doc / "README.md").write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert run("import", str(doc), env=ENV).exit_code == 0
    mark_link(old, "dead", archive_url="https://web.archive.org/web/2020/" + old)
    result = run("export", "--apply", str(doc), env=ENV)
    assert result.exit_code == 0, result.stderr
    assert (doc / "README.md").read_bytes() == b"\xef\xbb\xbf" + text.replace(
        f"({old})", f"(https://web.archive.org/web/2020/{old})").encode()


def test_commands_have_help_with_examples(run: CLI) -> None:
    for command in ("changelog", "export"):
        result = run(command, "--help")
        assert result.exit_code == 0 and "Example" in result.stdout


def test_apply_adds_a_moved_accepted_resource_at_the_address_the_export_shows(
        run: CLI, db: Any, handbook_copy: Path, accept: Accept) -> None:
    """The export shows an accepted resource whose link moved at its new address (and a dead
    one as its archived copy), but ``export --apply`` added it to the document at the old
    one: the handbook gained a link the tracker knew had moved, reported next week."""
    from datetime import datetime, timezone

    from tracker.db.models_core import Resource
    from tracker.db.models_links import LinkStatus as LinkStatusRow

    assert run("import", str(handbook_copy), "--label", "before", env=ENV).exit_code == 0
    when = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)
    candidate = accept(CANDIDATE, "Tutorial on Variational Autoencoders", "variational-auto-encoders")
    with db.transaction() as s:
        s.add(Resource(id=candidate.resource_id, canonical_url=candidate.canonical_url, url=CANDIDATE,
                       kind="paper", host="arxiv.org", origin="candidate", created_at=when))
        s.flush()
        s.add(LinkStatusRow(resource_id=candidate.resource_id, state="redirected", state_since=when,
                            suggested_url=CANDIDATE + "v3", reason="test"))
    exported = {i["original_url"]: i["url"] for i in _flatten(json.loads(
        run("export", "--format", "json", env=ENV).stdout))}
    assert exported[CANDIDATE] == CANDIDATE + "v3"
    dry = run("export", "--apply", str(handbook_copy), "--dry-run", env=ENV)
    assert dry.exit_code == 0, dry.stderr
    assert f"+- [Tutorial on Variational Autoencoders]({CANDIDATE}v3)" in dry.stdout, dry.stdout
