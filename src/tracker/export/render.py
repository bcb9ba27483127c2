"""Renderers of the updated resource list: Markdown reading list, JSON, CSV (pure).

Owns the layouts; the JSON shape is documented in ``docs/export.md`` and is a
contract (``format`` names its version). Titles and sentences are escaped by
``tracker.export.text``: no feed title can add a link, markup, a column or a row.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from tracker.export.build import ExportItem, ExportTopic, ResourceList
from tracker.export.text import csv_cell, md_link, md_text

__all__ = ["render_markdown", "resource_list_json", "render_csv", "EXPORT_FORMAT", "CSV_COLUMNS",
           "item_line"]

#: the ``format`` field of the JSON export; bump on an incompatible change
EXPORT_FORMAT = "tracker-export/1"
#: ``link_text`` (the author's anchor text) was added last, so positional readers keep working
CSV_COLUMNS = ("section", "chapter", "position", "kind", "title", "url", "original_url", "state",
               "replacement", "status", "source", "why", "link_text")


def _iso(value: Any) -> str:
    return str(value.isoformat()).replace("+00:00", "Z")


def item_json(item: ExportItem) -> dict[str, Any]:
    return {"url": item.url, "original_url": item.original_url, "canonical_url": item.canonical_url,
            "kind": item.kind, "kind_label": item.kind_label, "title": item.title, "state": item.state,
            "status": item.status, "replacement": item.replacement, "source": item.source,
            "why": item.why, "anchor_text": item.anchor_text, "link_text": item.link_text,
            "topic": item.topic,
            "position": item.position, "file": item.file or None, "line": item.line or None}


def _topic_json(t: ExportTopic) -> dict[str, Any]:
    out: dict[str, Any] = {"slug": t.slug, "title": t.title, "kind": t.kind,
                           "resources": [item_json(i) for i in t.items]}
    out["chapters"] = [_topic_json(c) for c in t.chapters]
    return out


def resource_list_json(rl: ResourceList) -> dict[str, Any]:
    """The stable JSON object (see docs/export.md)."""
    return {"format": EXPORT_FORMAT, "document": rl.document, "version": rl.version,
            "generated_at": _iso(rl.generated_at), "counts": rl.counts(),
            "sections": [_topic_json(t) for t in rl.topics]}


def item_line(item: ExportItem) -> str:
    """``- Blog post: [link text](url) — source: why`` (with archived/redirect/new marks).

    The link text is the author's, exactly (``[video](…)`` stays "video"; its sentence
    follows as the why); never a fetched page title or a neighbouring sentence."""
    why = item.why
    line = f"- {item.kind_label}: {md_link(item.link_text, item.url)}"
    if item.replacement == "archived":
        line += f" (archived copy; the original link is dead: {md_text(item.original_url)})"
    elif item.replacement == "redirect":
        line += f" (moved from {md_text(item.original_url)})"
    if item.status == "accepted":
        line += " (new)"
    tail = ": ".join(x for x in (md_text(item.source), md_text(why)) if x)
    return line + (f" — {tail}" if tail else "")


def _block(heading: str, items: tuple[ExportItem, ...]) -> list[str]:
    lines = [heading, ""]
    if items:
        lines += ["Resources:", ""] + [item_line(i) for i in items] + [""]
    return lines


def render_markdown(rl: ResourceList) -> str:
    """A reading list: per section and chapter, the resources in document order."""
    chapters = sum(1 for t in rl.topics for c in (t, *t.chapters) if c.items)
    lines = [f"# {md_text(rl.document)}: resource list", "",
             f"Version {md_text(rl.version)}, exported {rl.generated_at.date().isoformat()}: "
             f"{rl.summary()} under {chapters} headings. Dead links point to an archived "
             "copy, moved pages to their new address; *(new)* marks resources accepted since this version.",
             ""]
    for t in rl.topics:
        if not t.all_items():
            continue
        lines += _block(f"## {md_text(t.title)}", t.items)
        for c in t.chapters:
            if c.items:
                lines += _block(f"### {md_text(c.title)}", c.items)
    return "\n".join(lines).rstrip("\n") + "\n"


def render_csv(rl: ResourceList) -> str:
    """One row per resource line; every cell one line, formulas neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for t in rl.topics:
        for chapter in (t, *t.chapters):
            for i in chapter.items:
                row = {"section": t.title, "chapter": chapter.title if chapter is not t else "",
                       "position": "" if i.position is None else str(i.position), "kind": i.kind_label,
                       "title": i.title, "url": i.url, "original_url": i.original_url, "state": i.state,
                       "replacement": i.replacement or "", "status": i.status, "source": i.source,
                       "why": i.why, "link_text": i.link_text}
                writer.writerow([csv_cell(row[c]) for c in CSV_COLUMNS])
    return buffer.getvalue()
