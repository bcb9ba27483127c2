"""``tracker changelog`` on the real handbook versions and on edited copies of them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import feedparser

from tests.conftest import CLI, HANDBOOK, HANDBOOK_VERSIONS, NEWEST_HANDBOOK
from tests.helpers import table_counts
from tests.release.conftest import ENV, edit
from tracker.db.session import Database


def _import_all(run: CLI) -> None:
    for v in HANDBOOK_VERSIONS:
        assert run("import", str(HANDBOOK / v), env=ENV).exit_code == 0


def _changes(run: CLI, *args: str) -> dict[str, Any]:
    result = run("changelog", "--format", "json", *args, env=ENV)
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_first_to_last_has_no_resource_changes_and_wording_in_two_chapters(run: CLI) -> None:
    _import_all(run)
    data = _changes(run, "--from", HANDBOOK_VERSIONS[0], "--to", HANDBOOK_VERSIONS[-1])
    assert (data["from"], data["to"]) == (HANDBOOK_VERSIONS[0], HANDBOOK_VERSIONS[-1])
    changes = data["changes"]
    assert isinstance(changes, list)
    assert [(c["type"], c["topic"]) for c in changes] == [
        ("wording", "flashattention"), ("wording", "distribution-modeling")]
    assert all(set(c) >= {"type", "topic", "url", "old_url", "title"} for c in changes)
    # one release per version, newest first, each with its own typo fix
    versions = data["versions"]
    assert isinstance(versions, list)
    assert [(v["label"], [c["topic"] for c in v["changes"]]) for v in versions] == [
        (HANDBOOK_VERSIONS[2], ["flashattention"]), (HANDBOOK_VERSIONS[1], ["distribution-modeling"])]
    md = run("changelog", "--from", "2024-05-21", "--to", "latest", env=ENV).stdout
    assert "Wording changes in 1 chapter: *FlashAttention*" in md
    assert md.index("## [2026-02-02_a7c5287] - 2026-02-02") < md.index("## [2024-09-11_12f50f2] - 2024-09-11")
    assert "Added" not in md and "Removed" not in md


def test_default_is_the_last_two_versions_and_versions_are_named_by_date_or_commit(run: CLI) -> None:
    _import_all(run)
    data = _changes(run)
    assert (data["from"], data["to"]) == (HANDBOOK_VERSIONS[1], HANDBOOK_VERSIONS[2])
    assert _changes(run, "--from", "2d07718", "--to", "2024-09-11")["to"] == HANDBOOK_VERSIONS[1]
    assert _changes(run, "--from", "previous")["from"] == HANDBOOK_VERSIONS[1]


def test_unknown_versions_and_reversed_range_are_errors(run: CLI, db: Database) -> None:
    _import_all(run)
    before = table_counts(db)
    for args, message in [
        (("--from", "v9.9"), "no version named 'v9.9'"),
        (("--to", "2023-01-01"), "no version dated 2023-01-01"),
        (("--from", "deadbeef"), "no version named 'deadbeef'"),
        (("--from", "latest", "--to", HANDBOOK_VERSIONS[2]), "both name version"),
        (("--pending", "--from", "latest"), "takes no --from/--to"),
    ]:
        result = run("changelog", *args, env=ENV)
        assert result.exit_code == 1, args
        assert result.stdout == ""
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("Error: ") and message in line, line
    assert table_counts(db) == before


def test_a_reversed_range_is_compared_in_order_and_says_so(run: CLI, db: Database) -> None:
    """`--from NEWER --to OLDER` said "… (from) is newer than version … (to); swap them" where
    the Document page compares them in order and says so: the command line does the same, the
    note on stderr, stdout as in order (its ``from``/``to`` the real order)."""
    _import_all(run)
    old, new = HANDBOOK_VERSIONS[0], HANDBOOK_VERSIONS[-1]
    before = table_counts(db)
    for fmt in ("json", "md", "atom"):
        in_order = run("changelog", "--from", old, "--to", new, "--format", fmt, env=ENV)
        reversed_ = run("changelog", "--from", "2026-02-02", "--to", "2d07718", "--format", fmt, env=ENV)
        assert reversed_.exit_code == 0, reversed_.stderr
        assert reversed_.stdout == in_order.stdout and in_order.stderr == ""
        assert reversed_.stderr.splitlines() == [
            f"note: --from {new} is newer than --to {old}: compared them in order, {old} → {new}"]
    data = json.loads(run("changelog", "--from", "latest", "--to", old, "--format", "json", env=ENV).stdout)
    assert (data["from"], data["to"]) == (old, new)
    assert table_counts(db) == before


def test_only_one_version_explains_what_to_do(run: CLI) -> None:
    run("import", str(NEWEST_HANDBOOK), env=ENV)
    result = run("changelog", env=ENV)
    assert result.exit_code == 1 and "first imported version" in result.stderr
    assert "`tracker changelog --pending`" in result.stderr  # the next step, as a command


def _edited_copy(tmp_path: Path) -> tuple[Path, Path]:
    old = Path(shutil.copytree(NEWEST_HANDBOOK, tmp_path / "v1"))
    new = Path(shutil.copytree(NEWEST_HANDBOOK, tmp_path / "v2"))
    s8 = new / "_includes" / "section8.md"
    vqgan = ('- ["The Illustrated VQGAN"](https://ljvmiranda921.github.io/notebook/2021/08/08/clip-vqgan/)'
             ' by LJ  Miranda\n')
    edit(s8, vqgan, "")                                                   # moved (1/2)
    edit(s8, "(theory-focused)\n", "(theory-focused)\n" + vqgan)          # moved (2/2): into the GAN chapter
    edit(s8, "- [blog post](https://towardsdatascience.com/deep-generative-models-25ab2821afd3) from "
             "Prakash Pandey on both VAEs and GANs\n", "")                # removed
    # added before the video, not where the removed post was (that would be a replacement in place)
    edit(s8, "- [video](https://www.youtube.com/watch?v=9zKuYvjFFS8)",
         "- [\"Tutorial on Variational Autoencoders\"](https://arxiv.org/abs/1606.05908) by Carl Doersch\n"
         "- [video](https://www.youtube.com/watch?v=9zKuYvjFFS8)")          # added
    edit(s8, "(https://blog.paperspace.com/complete-guide-to-gans/)",
         "(https://www.digitalocean.com/community/tutorials/complete-guide-to-gans)")  # replaced
    edit(s8, "<h2>Normalizing Flows</h2>", "<h2>Normalising Flows</h2>")  # renamed chapter
    return old, new


def test_edited_document_reports_each_change_once_as_the_right_kind(run: CLI, tmp_path: Path) -> None:
    old, new = _edited_copy(tmp_path)
    assert run("import", str(old), env=ENV).exit_code == 0
    assert run("import", str(new), env=ENV).exit_code == 0
    data = _changes(run)
    got = sorted((c["type"], c["topic"], c["old_topic"], c["url"], c["old_url"]) for c in data["changes"])
    gans = "generative-adversarial-nets"
    assert got == sorted([
        ("added", "variational-auto-encoders", None, "https://arxiv.org/abs/1606.05908", None),
        ("moved", gans, "conditional-gans",
         "https://ljvmiranda921.github.io/notebook/2021/08/08/clip-vqgan/", None),
        ("removed", "variational-auto-encoders", None,
         "https://towardsdatascience.com/deep-generative-models-25ab2821afd3", None),
        ("replaced", gans, None, "https://www.digitalocean.com/community/tutorials/complete-guide-to-gans",
         "https://blog.paperspace.com/complete-guide-to-gans/"),
        ("topic_renamed", "normalising-flows", "normalizing-flows", None, None),
    ])
    renamed = next(c for c in data["changes"] if c["type"] == "topic_renamed")
    assert (renamed["old_title"], renamed["title"]) == ("Normalizing Flows", "Normalising Flows")
    md = run("changelog", env=ENV).stdout
    assert "Replaced [Complete Guide to Generative Adversarial Networks](https://blog.paperspace.com/" in md
    assert "Renamed chapter *Normalizing Flows* to *Normalising Flows*" in md
    assert "Moved [The Illustrated VQGAN]" in md and "here from *Conditional GANs*" in md
    assert "**Section VIII: Generative Modeling Beyond Sequences › Variational Auto-Encoders**" in md
    assert "Wording" not in md


def test_atom_feed_has_one_entry_per_version_and_parses(run: CLI) -> None:
    _import_all(run)
    result = run("changelog", "--format", "atom", "--site", "https://genai-handbook.github.io", env=ENV)
    assert result.exit_code == 0, result.stderr
    feed = feedparser.parse(result.stdout)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "handbook: changelog" and feed.feed.id.startswith("urn:uuid:")
    assert [e.title for e in feed.entries] == [f"Version {v}" for v in reversed(HANDBOOK_VERSIONS[1:])]
    assert feed.entries[0].updated.startswith("2026-02-02")
    assert len({e.id for e in feed.entries}) == 2
    assert "FlashAttention" in feed.entries[0].content[0].value
    again = run("changelog", "--format", "atom", env=ENV).stdout
    assert [e.id for e in feedparser.parse(again).entries] == [e.id for e in feed.entries]
