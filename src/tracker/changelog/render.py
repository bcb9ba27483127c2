"""Changelog renderers: Markdown (Keep a Changelog) and JSON (pure).

Owns: the wording of each change (``describe``, shared with the Atom feed),
grouping (Added / Changed / Removed / Fixed, then section › chapter, in
document order), the one-line wording summary, and the JSON shape of
DESIGN.md's contract. Every title and URL goes through ``tracker.escape``
so feed-supplied text cannot inject links or markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from tracker.changelog.model import Change, Changelog, Release
from tracker.export.kinds import kind_label
from tracker.escape import md_link, md_text

__all__ = ["describe", "render_markdown", "changelog_json", "CATEGORIES", "wording_summary",
           "Piece", "group_key"]

#: Keep a Changelog's headings and the change types under each
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Added", ("topic_added", "added", "accepted")),
    ("Changed", ("topic_renamed", "moved", "replaced", "archived", "redirect", "new_version", "wording")),
    ("Removed", ("topic_removed", "removed")),
    ("Fixed", ("recovered",)),
)

#: one piece of a description: our own words (str), user text ("t", text),
#: emphasised user text ("e", text) or a link ("l", title, url)
Piece = str | tuple[str, str] | tuple[str, str, str | None]


def _topic_word(kind: str) -> str:
    return {"section": "section", "chapter": "chapter", "front": "part"}.get(kind, "topic")


def describe(c: Change) -> list[Piece]:
    """The sentence for one change (its chapter is shown by the grouping)."""
    link: Piece = ("l", c.title, c.url)
    if c.type in ("added", "accepted", "removed"):
        out: list[Piece] = [f"{kind_label(c.kind)}: " if c.kind else "", link]
        if c.detail:
            out += [" — ", ("t", c.detail)]
        return out
    if c.type == "moved":
        return ["Moved ", link, " here from ", ("e", c.old_topic_title or c.old_topic or "")]
    if c.type == "replaced":
        return ["Replaced ", ("l", c.old_title, c.old_url), " with ", link]
    if c.type == "archived":
        return ["Dead link ", ("l", c.title, c.old_url), ": use ", ("l", "the archived copy", c.url)]
    if c.type == "redirect":
        return ["", ("l", c.title, c.old_url), " moved permanently to ", ("l", c.url or "", c.url)]
    if c.type == "new_version":
        if c.detail[:1] == "v" and c.detail[1:].isdigit():
            return ["New version ", ("t", c.detail), " of ", link]
        out = ["", link, " changed"]
        return out + [": ", ("t", c.detail)] if c.detail else out
    if c.type == "recovered":
        return ["", link, " works again"]
    if c.type == "topic_added":
        return [f"New {_topic_word(c.kind)} ", ("e", c.title)]
    if c.type == "topic_removed":
        return [f"Removed {_topic_word(c.kind)} ", ("e", c.title)]
    if c.type == "topic_renamed":
        return [f"Renamed {_topic_word(c.kind)} ", ("e", c.old_title), " to ", ("e", c.title)]
    if c.type == "wording":
        return ["Wording changes in ", ("e", c.title)]
    return [c.type, ": ", link]


def wording_summary(changes: Sequence[Change]) -> list[Piece]:
    """"Wording changes in 2 chapters: *A*, *B*" (one line for every text-only edit)."""
    words: dict[str, int] = {}
    for c in changes:
        word = _topic_word(c.kind)
        words[word] = words.get(word, 0) + 1
    counts = " and ".join(f"{n} {w}{'' if n == 1 else 's'}" for w, n in words.items())
    out: list[Piece] = [f"Wording changes in {counts}: "]
    for i, c in enumerate(changes):
        out += ([", "] if i else []) + [("e", c.topic_title or c.title)]
    return out


def _md(pieces: Sequence[Piece]) -> str:
    parts: list[str] = []
    for p in pieces:
        if isinstance(p, str):
            parts.append(p)
        elif p[0] == "l":
            parts.append(md_link(p[1] or "", p[2] if len(p) > 2 else None))
        elif p[0] == "e":
            parts.append(f"*{md_text(p[1])}*" if p[1] else "")
        else:
            parts.append(md_text(p[1]))
    return "".join(parts)


def group_key(c: Change) -> tuple[str, str]:
    """(section title, chapter title) a change is listed under."""
    if c.section_title and c.topic_title and c.type not in ("topic_added", "topic_removed", "topic_renamed"):
        return c.section_title, c.topic_title
    if c.type in ("topic_added", "topic_removed", "topic_renamed"):
        return (c.section_title, "") if c.section_title else ("", "")
    return c.topic_title or c.section_title, ""


def grouped(changes: Sequence[Change]) -> Iterator[tuple[str, list[tuple[tuple[str, str], list[Change]]], list[Change]]]:
    """Per category: (name, [(group, changes)] in document order, wording changes)."""
    for name, types in CATEGORIES:
        chosen = [c for c in changes if c.type in types]
        if not chosen:
            continue
        groups: dict[tuple[str, str], list[Change]] = {}
        for c in chosen:
            if c.type != "wording":
                groups.setdefault(group_key(c), []).append(c)
        yield name, list(groups.items()), [c for c in chosen if c.type == "wording"]


def _heading(key: tuple[str, str]) -> str:
    section, chapter = key
    if section and chapter:
        return f"**{md_text(section)} › {md_text(chapter)}**"
    return f"**{md_text(section or chapter)}**" if (section or chapter) else ""


def _date(value: datetime | None) -> str:
    return value.date().isoformat() if value else ""


def _release_md(release: Release, render: Callable[[Sequence[Piece]], str]) -> list[str]:
    title = "Unreleased" if release.label == "Unreleased" else md_text(release.label)
    date = _date(release.date)
    lines = [f"## [{title}]" + (f" - {date}" if date else ""), ""]
    if release.previous:
        lines += [f"Compared with {md_text(release.previous)}.", ""]
    if not release.changes:
        return lines + ["No changes to resources or chapters.", ""]
    for name, groups, wording in grouped(release.changes):
        lines += [f"### {name}", ""]
        for key, items in groups:
            head = _heading(key)
            if head:
                lines.append(f"- {head}")
                lines += [f"  - {render(describe(c))}" for c in items]
            else:
                lines += [f"- {render(describe(c))}" for c in items]
        if wording:
            lines.append(f"- {render(wording_summary(wording))}")
        lines.append("")
    return lines


def render_markdown(log: Changelog) -> str:
    """Keep a Changelog Markdown: newest release first, grouped and dated."""
    lines = [f"# Changelog: {md_text(log.document)}", "",
             "All notable changes to the resources and chapters of this document, newest first. "
             "The format follows [Keep a Changelog](https://keepachangelog.com/en/1.1.0/).", ""]
    for release in log.releases:
        lines += _release_md(release, _md)
    return "\n".join(lines).rstrip("\n") + "\n"


def _when(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _summary(changes: Sequence[Change]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for c in changes:
        counts[c.type] = counts.get(c.type, 0) + 1
    return counts


def changelog_json(log: Changelog) -> dict[str, Any]:
    """The JSON object: ``from``, ``to``, ``changes`` (net), ``summary`` and per-version ``versions``."""
    return {
        "document": log.document,
        "from": log.from_label,
        "to": log.to_label,
        "pending": log.pending,
        "generated_at": _when(log.generated_at),
        "summary": _summary(log.changes),
        "changes": [c.as_dict() for c in log.changes],
        "versions": [{"label": r.label, "previous": r.previous, "date": _when(r.date), "commit": r.commit,
                      "summary": _summary(r.changes), "changes": [c.as_dict() for c in r.changes]}
                     for r in log.releases],
    }
