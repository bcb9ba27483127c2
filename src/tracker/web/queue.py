"""The queue page (the default page): the week's candidates by chapter, and the decisions.

Owns: reading the request (week, overflow, reviewer), grouping the service's rows
by section and chapter for the template, and the POST handlers that call
``review.decide`` / ``review.undo`` and redirect back with a message. A decision
someone else took first comes back from the service's compare-and-set as a
``ConflictError`` naming who decided; it is shown, and nothing is overwritten. Each
form carries the candidate as the card showed it (``expect``), so a second click or a
card another reviewer moved or deferred since decides nothing.
Does not own: which candidates are due, their order or any rule of deciding.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, current_app, flash, render_template, request
from werkzeug.wrappers import Response

from tracker.candidates.render import placed_score
from tracker.candidates.weeks import next_week, week_of, week_start
from tracker.config import Settings
from tracker.db.session import Database
from tracker.errors import TrackerError
from tracker.export.text import one_line, safe_url
from tracker.services import dashboard, review
from tracker.web.app import back, error_text, reviewer

__all__ = ["bp", "group_rows"]

bp = Blueprint("queue", __name__)
_DONE = {"accept": "accepted", "reject": "rejected", "defer": "deferred", "move": "moved"}


# A URL's link target depends on the URL alone: checked once per distinct URL, not per request.
_href = functools.lru_cache(maxsize=8192)(safe_url)


def _ctx() -> dict[str, Any]:
    return current_app.extensions["tracker"]  # type: ignore[no-any-return]


def group_rows(rows: list[SimpleNamespace]) -> list[SimpleNamespace]:
    """Consecutive rows of one (section, chapter), in the service's order."""
    groups: list[SimpleNamespace] = []
    for row in rows:
        key = (row.section, row.chapter)
        if not groups or groups[-1].key != key:
            groups.append(SimpleNamespace(key=key, section=row.section or "",
                                          chapter=row.chapter or "No chapter yet", rows=[]))
        groups[-1].rows.append(row)
    return groups


def _page_url(week: str, overflow: bool) -> str:
    query = {"week": week, **({"all": "1"} if overflow else {})}
    return "/?" + urlencode(query)


@bp.get("/")
def page() -> str:
    ctx = _ctx()
    db, settings = ctx["db"], ctx["settings"]
    wanted = request.args.get("week") or None
    overflow = request.args.get("all") == "1"
    options: dict[str, Any] = {"all_": True} if overflow else {}
    label, rows = review.queue(db, settings, week=wanted, **options)
    texts = dashboard.candidate_texts(db, [int(r["id"]) for r in rows])
    for row in rows:  # what the template shows, prepared once (1,000 cards must render fast):
        row["text"] = texts.get(int(row["id"]), "")  # one string per line, escaped once by Jinja
        row["href"] = _href(row.get("url"))
        row["title"] = one_line(row.get("title"))  # no controls or direction overrides, as in every output
        authors = [one_line(a) for a in row.get("authors") or []]
        by = ", ".join(authors[:3]) + (" et al." if len(authors) > 3 else "")
        day = row["published_at"].strftime("%Y-%m-%d") if row.get("published_at") else ""
        # each part isolated (<bdi> in the template): a right-to-left author name no longer
        # reorders its neighbours ("#13" showed as "13#")
        row["meta"] = [p for p in (row.get("source") or "unknown source", row.get("kind") or "", day, by,
                                   f"#{row['id']}") if p]
        row["label"] = row.get("chapter") or row.get("topic") or "—"
        row["short"] = (row.get("title") or "")[:120]
        fit = placed_score(row)  # None: a reviewer moved it outside its best fits
        row["fit"] = f"{fit:.3f}" if fit is not None else "(moved here)"
        best = (row.get("topics") or [{}])[0].get("slug")
        if row.get("reason") and best and best != row.get("topic"):  # the matched words are the best fit's
            row["reason"] = f"{row['reason']} (for {best})"
        others = ", ".join(f"{t.get('slug')} {t.get('score') or 0:.3f}" for t in row.get("topics", [])
                           if t.get("slug") != row.get("topic"))
        row["others"] = f" · also likely: {others}" if others else ""
        row["seen"] = review.seen_state(row["status"], row["week"], row.get("topic"))
    cards = [SimpleNamespace(**row) for row in rows]  # attribute access: Jinja's fast path
    chapters = dashboard.chapter_choices(db, settings)
    current = week_of(settings.now())
    previous = week_of(week_start(label) - timedelta(days=7))
    return render_template(
        "queue.html", week=label, current_week=current, rows=cards, groups=group_rows(cards),
        left=sum(1 for r in rows if r.get("status") in ("queued", "deferred")), overflow=overflow,
        can_overflow=True, chapters=chapters, recent=_recent(db, settings),
        here=_page_url(label, overflow), prev_url=_page_url(previous, overflow),
        next_url=_page_url(next_week(label), overflow), this_url=_page_url(current, overflow),
        overflow_url=_page_url(label, not overflow), page="queue")


def _recent(db: Database, settings: Settings) -> list[dict[str, Any]]:
    """The newest decisions, their titles shown as every output shows them (``one_line``)."""
    return [{**d, "title": one_line(d.get("title"))} for d in review.recent_decisions(db, settings)]


def _title(row: dict[str, Any] | None, cid: int) -> str:
    return f"“{row['title'][:80]}”" if row else f"candidate {cid}"


def _refused(cid: int, title: str, exc: TrackerError) -> str:
    """A refusal naming the candidate once: the service's message already names it
    ("candidate 12 was already accepted…", "no candidate with id 12…"), so the card's title,
    when the form sent one, goes in front of that name instead of adding a second one."""
    message, subject = error_text(exc), f"candidate {cid}"
    if not title:
        return message
    if message.startswith(subject + " "):
        return f"{title} ({subject}){message[len(subject):]}"
    return f"{title}: {message}"


@bp.post("/candidates/<int:cid>/decide")
def decide(cid: int) -> Response:
    ctx = _ctx()
    action = request.form.get("action", "")
    topic = (request.form.get("topic") or "").strip() or None
    note = (request.form.get("note") or "").strip()[:2000]
    given = request.form.get("title", "")[:120]
    title = given or f"candidate {cid}"
    try:
        done = review.decide(ctx["db"], ctx["settings"], cid, action, topic=topic if action in
                             ("accept", "move") else None, note=note, by=reviewer(ctx["by"]),
                             expect=request.form.get("expect") or None)
    except TrackerError as exc:
        flash(_refused(cid, given, exc), "error")
        return back()
    where = f" to {done.topic}" if action == "move" else (f" in {done.topic}" if action == "accept" else "")
    until = f" until {done.week}" if action == "defer" else ""
    flash(f"{_DONE.get(action, action)} {title}{where}{until} (by {done.by}); press u or Undo to take it back",
          "ok")
    return back()


@bp.post("/candidates/<int:cid>/undo")
def undo(cid: int) -> Response:
    ctx = _ctx()
    given = request.form.get("title", "")[:120]
    title = given or f"candidate {cid}"
    try:
        done = review.undo(ctx["db"], ctx["settings"], cid, by=reviewer(ctx["by"]),
                           expect=request.form.get("expect") or None)
    except TrackerError as exc:
        flash(_refused(cid, given, exc), "error")
        return back()
    flash(f"{done.note} of {title}; it is {done.status} again", "ok")
    return back()
