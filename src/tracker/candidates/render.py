"""Renderers of the weekly queue (pure generators of text lines).

Owns: the Markdown form of ``tracker queue`` — sections, then chapters, best
candidate first, each with source, kind, date, authors, score and reason — and
the one-candidate card ``tracker review`` shows. Input is the list of queue rows
the review service builds (plain dicts in the JSON contract's shape plus
``section``/``chapter`` titles); nothing here touches the database or terminal.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

__all__ = ["queue_markdown", "candidate_card"]

MAX_AUTHORS = 4


def _date(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value or "no date")


def _authors(names: Sequence[str]) -> str:
    if not names:
        return "unknown authors"
    shown = ", ".join(names[:MAX_AUTHORS])
    return shown + (f" and {len(names) - MAX_AUTHORS} more" if len(names) > MAX_AUTHORS else "")


def _escape(text: str) -> str:
    return text.replace("[", "\\[").replace("]", "\\]").replace("\n", " ")


def _meta(row: Mapping[str, Any]) -> str:
    return (f"{row.get('source') or 'unknown source'} · {row.get('kind') or 'item'} · "
            f"{_date(row.get('published_at'))} · {_authors(list(row.get('authors') or []))}")


def queue_markdown(rows: Sequence[Mapping[str, Any]], week: str, topic: str | None = None) -> Iterator[str]:
    """The queue as Markdown lines, grouped by section and chapter in the given order."""
    scope = f" — {topic}" if topic else ""
    yield f"# Candidate queue {week}{scope}"
    yield ""
    if not rows:
        yield "Nothing to review."
        return
    yield f"{len(rows)} candidate{'s' if len(rows) != 1 else ''} to review."
    section = chapter = None
    for row in rows:
        if row.get("section") != section:
            section, chapter = row.get("section"), None
            yield ""
            yield f"## {section or 'Other'}"
        if row.get("chapter") != chapter:
            chapter = row.get("chapter")
            yield ""
            yield f"### {chapter or 'Unassigned'}"
            yield ""
        score = row.get("score") or 0.0
        later = f" (from {row['week']})" if row.get("week") and row.get("week") != week else ""
        yield f"- **[{_escape(str(row.get('title') or row.get('url')))}]({row.get('url')})** " \
              f"`#{row.get('id')}` score {score:.2f}{later}"
        yield f"  {_meta(row)}"
        if row.get("reason"):
            yield f"  {row['reason']}"
        others = [t["slug"] for t in row.get("topics", [])[1:]]
        if others:
            yield f"  also: {', '.join(others)}"


def candidate_card(row: Mapping[str, Any], position: int, total: int) -> Iterator[str]:
    """What ``tracker review`` shows for one candidate."""
    yield ""
    yield f"[{position}/{total}] #{row.get('id')}  {row.get('title') or row.get('url')}"
    yield f"  {_meta(row)}"
    yield f"  {row.get('url')}"
    where = " › ".join(x for x in (row.get("section"), row.get("chapter")) if x)
    yield f"  topic: {where or 'none'} ({row.get('topic') or '-'}, score {row.get('score') or 0.0:.2f})"
    if row.get("reason"):
        yield f"  {row['reason']}"
    others = [f"{t['slug']} {t['score']:.2f}" for t in row.get("topics", [])[1:]]
    if others:
        yield f"  also: {', '.join(others)}"
