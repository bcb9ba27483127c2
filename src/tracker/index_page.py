"""The week's ``index.html``: one page linking the reports ``weekly`` wrote (pure).

Owns the page's layout: a title, the inconclusive warning when the link check
was, what needs a maintainer, and a relative link to each report file. Every
value goes through ``tracker.escape`` (HTML text; link targets relative or
http(s) only). Does not own the reports or writing the file (``services.weekly``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import PurePath

from tracker.escape import html_link, html_text

__all__ = ["index_html", "DESCRIPTIONS"]

#: what each file is, in the order the page lists them
DESCRIPTIONS = {
    "link-report.html": "Link-rot report (HTML)",
    "link-report.md": "Link-rot report (Markdown, to paste into an issue)",
    "link-report.json": "Link-rot report (JSON)",
    "queue.md": "Candidate queue (Markdown)",
    "queue.json": "Candidate queue (JSON)",
    "changelog-pending.md": "Pending changelog (Markdown)",
    "changelog-pending.json": "Pending changelog (JSON)",
    "resources.md": "Updated resource list (Markdown)",
    "resources.json": "Updated resource list (JSON)",
    "changelog.md": "Changelog between the last two versions (Markdown)",
    "changelog.json": "Changelog between the last two versions (JSON)",
}


def index_html(week: str, files: Mapping[str, str], attention: Mapping[str, str], now: datetime,
               inconclusive: bool) -> str:
    """The page, linking each of ``files`` (name → path) by its name, relative to the page."""
    names = sorted(files, key=lambda n: (list(DESCRIPTIONS).index(n) if n in DESCRIPTIONS else 99, n))
    lines = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>Reports for {html_text(week)}</title>",
             "<style>body{font-family:system-ui,sans-serif;max-width:50em;margin:2em auto;padding:0 1em}"
             ".warn{background:#fee;padding:.5em;border:1px solid #b00}</style></head><body>",
             f"<h1>Reports for {html_text(week)}</h1>"]
    if inconclusive:
        lines.append('<p class="warn">The link check was <strong>inconclusive</strong>: most hosts failed '
                     "at the network level, so no link state changed this week.</p>")
    lines.append(f"<p>Written {html_text(now.strftime('%Y-%m-%d %H:%M UTC'))}.</p>")
    if attention:
        lines.append("<h2>Needs a maintainer</h2><ul>")
        lines += [f"<li>{html_text(note)}</li>" for note in attention.values()]
        lines.append("</ul>")
    lines.append("<h2>Files</h2><ul>")
    for name in names:
        target = PurePath(files[name]).name
        lines.append(f"<li>{html_link(target, target, relative=True)}: "
                     f"{html_text(DESCRIPTIONS.get(name, name))}</li>")
    lines.append("</ul></body></html>")
    return "\n".join(lines) + "\n"
