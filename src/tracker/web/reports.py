"""The links page (link-rot report and its history chart) and the document page
(versions, changelogs, pending changes, export downloads).

Owns: reading the request (which versions to compare, which export format) and
handing the services' results to the templates; downloads are the same texts
``tracker export`` and ``tracker changelog`` write. Does not own: the report, the
changelog or the export (``services.report``, ``services.release``).
"""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, render_template, request

from tracker.errors import TrackerError
from tracker.links.report import groups
from tracker.services import catalog, dashboard, release
from tracker.services.report import link_report
from tracker.web.app import error_text
from tracker.web.chart import CHART_STATES, stack

__all__ = ["bp"]

bp = Blueprint("reports", __name__)
PROBLEMS = ("dead", "failing", "blocked", "redirected")
_TYPES = {"md": "text/markdown; charset=utf-8", "json": "application/json; charset=utf-8",
          "csv": "text/csv; charset=utf-8", "atom": "application/atom+xml; charset=utf-8"}


def _ctx() -> dict[str, Any]:
    return current_app.extensions["tracker"]  # type: ignore[no-any-return]


@bp.get("/links")
def links() -> str:
    ctx = _ctx()
    report = link_report(ctx["db"], ctx["settings"])
    history = dashboard.link_history(ctx["db"], ctx["settings"])
    return render_template("links.html", report=report, groups=list(groups(report.rows, PROBLEMS)),
                           soft404s=report.soft404s, chart=stack(history), history=history,
                           states=CHART_STATES, page="links")


@bp.get("/document")
def document() -> str:
    ctx = _ctx()
    db, settings = ctx["db"], ctx["settings"]
    versions = catalog.list_versions(db, settings)
    labels = [str(v["label"]) for v in versions]
    start = request.args.get("from") or (labels[-2] if len(labels) > 1 else None)
    end = request.args.get("to") or (labels[-1] if labels else None)
    log, problem, swapped = None, None, False
    if len(labels) > 1:
        try:
            log = release.changelog(db, settings, from_name=start, to_name=end)
        except TrackerError as exc:
            problem = error_text(exc)
        else:  # two picked the other way round are compared in order: the form shows that order
            start, end, swapped = log.from_label, log.to_label, log.swapped
    pending = release.changelog(db, settings, pending=True) if labels else None
    return render_template("document.html", versions=versions[::-1], labels=labels, start=start, end=end,
                           log=log, problem=problem, swapped=swapped, pending=pending, page="document")


def _download(text: str, name: str, fmt: str) -> Response:
    response = Response(text, mimetype=_TYPES[fmt].split(";")[0])
    response.headers["Content-Type"] = _TYPES[fmt]
    # The name holds a version label (any character but a line break): an ASCII stand-in
    # in ``filename`` and the name itself in RFC 6266's ``filename*``, quoted by Werkzeug
    # (a non-Latin-1 header cannot be written at all, and a bare quote ends the name).
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    response.headers.set("Content-Disposition", "attachment", filename=plain,
                         **({} if plain == name else {"filename*": f"UTF-8''{quote(name, safe='')}"}))
    return response


@bp.get("/export/resources.<fmt>")
def export(fmt: str) -> Response:
    if fmt not in ("md", "json", "csv"):
        abort(404)
    ctx = _ctx()
    rl = release.export_list(ctx["db"], ctx["settings"])
    return _download(release.render_export(rl, fmt), f"resources-{rl.version}.{fmt}".replace("/", "-"), fmt)


@bp.get("/export/changelog.<fmt>")
def changelog(fmt: str) -> Response:
    if fmt not in ("md", "json", "atom"):
        abort(404)
    ctx = _ctx()
    pending = request.args.get("pending") == "1"
    log = release.changelog(ctx["db"], ctx["settings"], pending=pending,
                            from_name=None if pending else request.args.get("from") or None,
                            to_name=None if pending else request.args.get("to") or None)
    name = "changelog-pending" if pending else f"changelog-{log.from_label}-{log.to_label}"
    return _download(release.render_changelog(log, fmt), f"{name}.{fmt}".replace("/", "-"), fmt)
