"""Renderers of the weekly queue (pure generators of text lines).

Owns: the Markdown form of ``tracker queue`` — sections, then chapters, best
candidate first, each with source, kind, date, authors, score, budget rank and
reasons (the overflow, when listed, after the queue) — and
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


def _reasons(row: Mapping[str, Any]) -> Iterator[str]:
    reasons = list(row.get("reasons") or [])
    if reasons:
        for reason in reasons:
            yield f"  - {_escape(str(reason))}"
    elif row.get("reason"):
        yield f"  {row['reason']}"


def queue_markdown(rows: Sequence[Mapping[str, Any]], week: str, topic: str | None = None) -> Iterator[str]:
    """The queue as Markdown lines, grouped by section and chapter in the given order; overflow
    rows (``status`` ``overflow``) follow under their own heading, best first."""
    scope = f" — {topic}" if topic else ""
    yield f"# Candidate queue {week}{scope}"
    yield ""
    queued = [r for r in rows if r.get("status") != "overflow"]
    held = [r for r in rows if r.get("status") == "overflow"]
    if not queued:
        yield "Nothing to review."
    else:
        yield f"{len(queued)} candidate{'s' if len(queued) != 1 else ''} to review."
        yield from _grouped(queued, week)
    if held:
        yield ""
        yield f"## Overflow: {len(held)} on-topic candidate{'s' if len(held) != 1 else ''} held back by the budget"
        yield ""
        for row in held:
            yield f"- **[{_escape(str(row.get('title') or row.get('url')))}]({row.get('url')})** " \
                  f"`#{row.get('id')}` {row.get('chapter') or 'Unassigned'}, priority {row.get('priority') or 0.0:.2f}"


def _grouped(rows: Sequence[Mapping[str, Any]], week: str) -> Iterator[str]:
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
        rank = f" rank {row['rank']}" if row.get("rank") else ""
        yield f"- **[{_escape(str(row.get('title') or row.get('url')))}]({row.get('url')})** " \
              f"`#{row.get('id')}` score {score:.2f}{rank}{later}"
        yield f"  {_meta(row)}"
        yield from _reasons(row)
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
    yield from _reasons(row)
    others = [f"{t['slug']} {t['score']:.2f}" for t in row.get("topics", [])[1:]]
    if others:
        yield f"  also: {', '.join(others)}"
