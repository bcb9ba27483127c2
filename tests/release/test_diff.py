"""The pure changelog: diffing hand-built versions, renames, wording, version names."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tracker.changelog.diff import diff_versions
from tracker.changelog.model import Citation, TopicView, VersionView
from tracker.changelog.versions import VersionRef, choose_range, resolve_version
from tracker.errors import InputError, NotFoundError

T = datetime(2026, 1, 1, tzinfo=timezone.utc)


def topic(slug: str, title: str, kind: str = "chapter", parent: str | None = "sec", pos: int = 1,
          text: str = "", description: str = "") -> TopicView:
    return TopicView(slug, title, kind, parent, pos, text, str(hash(text)), description)


def cite(pos: int, slug: str, url: str, anchor: str = "", sentence: str = "") -> Citation:
    return Citation(pos, slug, url, url, anchor or url, sentence or anchor or url)


SEC = topic("sec", "Section", "section", None, 0)


def version(label: str, topics: list[TopicView], cites: list[Citation]) -> VersionView:
    return VersionView(label, T, tuple(topics), tuple(cites))


def kinds(old: VersionView, new: VersionView) -> list[tuple[str, str | None]]:
    return [(c.type, c.topic) for c in diff_versions(old, new)]


def test_generic_anchor_in_another_sentence_is_added_and_removed_not_replaced() -> None:
    a = topic("a", "A", text="Intro. See this blog post for X. Later, this other blog post for Y.")
    old = version("1", [SEC, a], [cite(0, "a", "https://x.example/1", "blog post", "See this blog post for X.")])
    new = version("2", [SEC, a], [cite(0, "a", "https://y.example/2", "blog post",
                                       "Later, this other blog post for Y.")])
    assert sorted(kinds(old, new)) == [("added", "a"), ("removed", "a")]
    swapped = version("2", [SEC, a], [cite(0, "a", "https://y.example/2", "blog post", "See this blog post for X.")])
    [change] = diff_versions(old, swapped)
    assert (change.type, change.url, change.old_url) == ("replaced", "https://y.example/2", "https://x.example/1")


def test_duplicate_citations_and_moves() -> None:
    a, b = topic("a", "A", pos=1), topic("b", "B", pos=2)
    old = version("1", [SEC, a, b], [cite(0, "a", "https://r/1"), cite(1, "a", "https://r/1"),
                                     cite(2, "a", "https://r/2")])
    new = version("2", [SEC, a, b], [cite(0, "a", "https://r/1"), cite(1, "b", "https://r/1"),
                                     cite(2, "b", "https://r/2"), cite(3, "b", "https://r/2")])
    changes = diff_versions(old, new)
    assert [(c.type, c.topic, c.old_topic, c.url) for c in changes] == [
        ("moved", "b", "a", "https://r/1"), ("moved", "b", "a", "https://r/2"), ("added", "b", None, "https://r/2")]
    assert changes[0].old_topic_title == "A" and changes[0].section_title == "Section"


def test_renames_by_links_by_text_and_sections_by_chapters() -> None:
    links = [cite(0, "old-name", "https://r/1"), cite(1, "old-name", "https://r/2")]
    old = version("1", [topic("s-one", "S One", "section", None, 0),
                        topic("old-name", "Old name", parent="s-one", pos=1),
                        topic("prose", "Prose", parent="s-one", pos=2, text="long words " * 30)],
                  links)
    new = version("2", [topic("s-uno", "S Uno", "section", None, 0),
                        topic("new-name", "New name", parent="s-uno", pos=1),
                        topic("prosa", "Prosa", parent="s-uno", pos=2, text="long words " * 30 + "more")],
                  [cite(0, "new-name", "https://r/1"), cite(1, "new-name", "https://r/2")])
    changes = diff_versions(old, new)
    assert [(c.type, c.old_topic, c.topic) for c in changes] == [
        ("topic_renamed", "s-one", "s-uno"), ("topic_renamed", "old-name", "new-name"),
        ("topic_renamed", "prose", "prosa"), ("wording", None, "prosa")]


def test_unrelated_new_and_gone_topics_are_added_and_removed() -> None:
    old = version("1", [SEC, topic("a", "A", text="alpha beta gamma")], [cite(0, "a", "https://r/1")])
    new = version("2", [SEC, topic("b", "B", text="delta epsilon")], [cite(0, "b", "https://r/9")])
    assert kinds(old, new) == [("topic_removed", "a"), ("removed", "a"), ("topic_added", "b"), ("added", "b")]


def test_wording_ignores_text_of_changed_links_but_sees_other_edits() -> None:
    old_text = "Resources:\nPaper one by Ann\nSome prose here."
    new_text = "Resources:\nPaper one by Ann\nPaper two by Bob\nSome prose here."
    old = version("1", [SEC, topic("a", "A", text=old_text)], [cite(0, "a", "https://r/1", "Paper one",
                                                                     "Paper one by Ann")])
    added = [cite(0, "a", "https://r/1", "Paper one", "Paper one by Ann"),
             cite(1, "a", "https://r/2", "Paper two", "Paper two by Bob")]
    new = version("2", [SEC, topic("a", "A", text=new_text)], added)
    assert kinds(old, new) == [("added", "a")]
    typo = version("2", [SEC, topic("a", "A", text=new_text.replace("prose", "prosе"))], added)
    assert kinds(old, typo) == [("added", "a"), ("wording", "a")]


REFS = [VersionRef(1, "2024-05-21_2d07718", None, datetime(2024, 5, 21, tzinfo=timezone.utc), T),
        VersionRef(2, "v2", "12f50f2897ed0cb3cc0336dcd25ed2533dee30e7", datetime(2024, 9, 11, tzinfo=timezone.utc), T),
        VersionRef(3, "v3", "a7c528711f0ecdf3db97b04393fc3b5c996f7594", None, datetime(2026, 2, 2, 5, tzinfo=timezone.utc))]


@pytest.mark.parametrize("name,label", [("v2", "v2"), ("12f50f2", "v2"), ("2d07718", "2024-05-21_2d07718"),
                                        ("2024-09-11", "v2"), ("2026-02-02", "v3"), ("latest", "v3"),
                                        ("previous", "v2"), ("A7C5", "v3")])
def test_version_names(name: str, label: str) -> None:
    assert resolve_version(name, REFS).label == label


def test_version_name_errors() -> None:
    with pytest.raises(NotFoundError, match="did you mean v2"):
        resolve_version("v22", REFS)
    with pytest.raises(NotFoundError, match="no version dated 2025-01-01"):
        resolve_version("2025-01-01", REFS)
    with pytest.raises(InputError, match="not a valid date"):
        resolve_version("2025-02-30", REFS)
    start, end, swapped = choose_range(REFS, "v3", "2024-05-21")  # named the other way round
    assert (start.label, end.label, swapped) == ("2024-05-21_2d07718", "v3", True)
    assert [(a.label, b.label, s) for a, b, s in [choose_range(REFS, None, None), choose_range(REFS, None, "v2")]] \
        == [("v2", "v3", False), ("2024-05-21_2d07718", "v2", False)]
    with pytest.raises(InputError, match="first imported version"):
        choose_range(REFS[:1], None, None)


def test_a_resource_arriving_from_another_chapter_is_moved_not_a_replacement_in_place() -> None:
    a, b = topic("a", "A", pos=1), topic("b", "B", pos=2)
    old = version("1", [SEC, a, b], [cite(0, "a", "https://r/p"), cite(1, "a", "https://r/x"),
                                     cite(2, "a", "https://r/q"), cite(3, "b", "https://r/y")])
    new = version("2", [SEC, a, b], [cite(0, "a", "https://r/p"), cite(1, "a", "https://r/y"),
                                     cite(2, "a", "https://r/q")])
    assert sorted((c.type, c.url) for c in diff_versions(old, new)) == [
        ("moved", "https://r/y"), ("removed", "https://r/x")]


def test_a_slot_that_gains_more_links_than_it_loses_pairs_by_sentence() -> None:
    a = topic("a", "A")
    old = version("1", [SEC, a], [cite(0, "a", "https://r/p", "P", "P"),
                                  cite(1, "a", "https://r/x", "X", "See X for the proofs of both theorems."),
                                  cite(2, "a", "https://r/q", "Q", "Q")])
    new = version("2", [SEC, a], [cite(0, "a", "https://r/p", "P", "P"),
                                  cite(1, "a", "https://r/n", "N", "Also N."),
                                  cite(2, "a", "https://r/y", "Y", "See Y for the proofs of both theorems."),
                                  cite(3, "a", "https://r/q", "Q", "Q")])
    assert sorted((c.type, c.url, c.old_url) for c in diff_versions(old, new)) == [
        ("added", "https://r/n", None), ("replaced", "https://r/y", "https://r/x")]
