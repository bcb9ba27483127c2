"""The sources page: each feed source's health, items per week, acceptance rate; enable/disable.

Owns: merging the source listing (``services.sources``) with the figures
(``services.dashboard.source_figures``) for the template, and the enable/disable
POSTs. Does not own: polling, parking or any rule about sources.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, render_template
from werkzeug.wrappers import Response

from tracker.errors import TrackerError
from tracker.services import dashboard
from tracker.services.sources import list_sources, set_enabled
from tracker.web.app import back, error_text

__all__ = ["bp"]

bp = Blueprint("sources", __name__)


def _ctx() -> dict[str, Any]:
    return current_app.extensions["tracker"]  # type: ignore[no-any-return]


@bp.get("/sources")
def page() -> str:
    ctx = _ctx()
    rows = list_sources(ctx["db"], ctx["settings"])
    weeks, figures = dashboard.source_figures(ctx["db"], ctx["settings"])
    for row in rows:
        found = figures.get(row["name"], dashboard.SourceFigures())
        row["per_week"] = [found.weeks.get(w, 0) for w in weeks]
        row["accepted"], row["rejected"], row["acceptance"] = found.accepted, found.rejected, found.acceptance
    return render_template("sources.html", rows=rows, weeks=weeks, page="sources")


@bp.post("/sources/<name>/<any(enable, disable):action>")
def toggle(name: str, action: str) -> Response:
    ctx = _ctx()
    try:
        row = set_enabled(ctx["db"], ctx["settings"], name, action == "enable")
    except TrackerError as exc:
        flash(error_text(exc), "error")
        return back("/sources")
    flash(f"{row['name']} is {row['status']}" + (" (polled at the next crawl)" if action == "enable" else ""), "ok")
    return back("/sources")
