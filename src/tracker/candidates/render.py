"""Renderers of the weekly queue (pure generators of text lines).

Owns: the Markdown form of ``tracker queue`` — sections, then chapters, best
candidate first, each with source, kind, date, authors, score, budget rank and
reasons (the overflow, when listed, after the queue) — and
the one-candidate card ``tracker review`` shows. Input is the list of queue rows
the review service builds (plain dicts in the JSON contract's shape plus
``section``/``chapter`` titles); nothing here touches the database or terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from tracker.escape import md_link, md_text, terminal_text

__all__ = ["queue_markdown", "candidate_card", "placed_score"]

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


def _meta(row: Mapping[str, Any], text: Callable[[str], str] = md_text) -> str:
    """Source, kind, date and authors (feed text, passed through ``text`` one by one)."""
    authors = [text(str(a)) for a in row.get("authors") or []]
    return (f"{text(str(row.get('source') or 'unknown source'))} · {text(str(row.get('kind') or 'item'))} · "
            f"{_date(row.get('published_at'))} · {_authors(authors)}")


def _reasons(row: Mapping[str, Any], text: Callable[[str], str] = md_text) -> Iterator[str]:
    """The ranking's reasons, one per line (each passed through ``text``)."""
    reasons = list(row.get("reasons") or [])
    if reasons:
        for reason in reasons:
            yield f"  - {text(str(reason))}"
    elif row.get("reason"):
        yield f"  {text(str(row['reason']))}"


def queue_markdown(rows: Sequence[Mapping[str, Any]], week: str, topic: str | None = None) -> Iterator[str]:
    """The queue as Markdown lines, grouped by section and chapter in the given order; overflow
    rows (``status`` ``overflow``) follow under their own heading, best first."""
    scope = f" — {md_text(topic)}" if topic else ""
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
            link = md_link(str(row.get("title") or row.get("url") or ""), row.get("url"))
            yield f"- **{link}** `#{int(row.get('id') or 0)}` {md_text(row.get('chapter')) or 'Unassigned'}, " \
                  f"priority {float(row.get('priority') or 0.0):.2f}"


def placed_score(row: Mapping[str, Any]) -> float | None:
    """How well the candidate fits the chapter it stands in; ``None`` when a reviewer moved it
    to a chapter outside its scored best fits (its ``score`` is then another chapter's)."""
    topics = row.get("topics") or []
    if not topics:
        return float(row.get("score") or 0.0)
    return next((float(x.get("score") or 0.0) for x in topics if x.get("slug") == _placed(row)), None)


def _placed(row: Mapping[str, Any]) -> Any:
    """The chapter slug it stands in (a row without one: its best fit)."""
    return row.get("topic") or next((x.get("slug") for x in row.get("topics") or []), None)


def _others(row: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The other chapters it fits, best first: every scored one but where it stands (a
    candidate a reviewer moved stands outside its best fit, which is then listed)."""
    return [x for x in row.get("topics", []) if x.get("slug") != _placed(row)]


def _grouped(rows: Sequence[Mapping[str, Any]], week: str) -> Iterator[str]:
    section = chapter = None
    for row in rows:
        if row.get("section") != section:
            section, chapter = row.get("section"), None
            yield ""
            yield f"## {md_text(section) or 'Other'}"
        if row.get("chapter") != chapter:
            chapter = row.get("chapter")
            yield ""
            yield f"### {md_text(chapter) or 'Unassigned'}"
            yield ""
        score = row.get("score") or 0.0
        later = f" (from {md_text(row['week'])})" if row.get("week") and row.get("week") != week else ""
        rank = f" rank {int(row['rank'])}" if row.get("rank") else ""
        link = md_link(str(row.get("title") or row.get("url") or ""), row.get("url"))
        yield f"- **{link}** `#{int(row.get('id') or 0)}` score {score:.2f}{rank}{later}"
        yield f"  {_meta(row)}"
        yield from _reasons(row)
        others = [md_text(t["slug"]) for t in _others(row)]
        if others:
            yield f"  also: {', '.join(others)}"


def candidate_card(row: Mapping[str, Any], position: int, total: int) -> Iterator[str]:
    """What ``tracker review`` shows for one candidate (terminal text: no escape sequences)."""
    t = terminal_text
    yield ""
    yield f"[{position}/{total}] #{row.get('id')}  {t(row.get('title') or row.get('url'))}"
    yield f"  {_meta(row, t)}"
    yield f"  {t(row.get('url'))}"
    where = " › ".join(t(x) for x in (row.get("section"), row.get("chapter")) if x)
    own = placed_score(row)
    fit = f"score {own:.2f}" if own is not None else "moved here"
    yield f"  topic: {where or 'none'} ({t(row.get('topic')) or '-'}, {fit})"
    yield from _reasons(row, t)
    others = [f"{t(x['slug'])} {x['score']:.2f}" for x in _others(row)]
    if others:
        yield f"  also: {', '.join(others)}"
