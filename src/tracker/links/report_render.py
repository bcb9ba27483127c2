"""Markdown and HTML renderings of the link report (pure generators of text).

Owns: how the report reads. The Markdown is made to be pasted into a GitHub
issue: a summary table, newly dead and recovered links first, then the
problems grouped by section and chapter (with the archived copy or new URL to
use), soft 404s, and per-host figures inside ``<details>``. The HTML is one
self-contained page with every value escaped. Does not own: the data
(``report``) or where the text goes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from tracker.escape import html_link, html_text, md_link, md_text, shorten
from tracker.human import plural
from tracker.links.report import LinkReport, LinkRow, groups, host_figures

__all__ = ["render_markdown", "render_html"]

_ICON = {"dead": "💀 dead", "failing": "⚠️ failing", "blocked": "🚫 blocked",
         "redirected": "↪️ redirected", "alive": "✅ alive", "unchecked": "… unchecked"}
_SUMMARY_ORDER = ("dead", "failing", "blocked", "redirected", "alive", "unchecked")


def _day(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d") if when else "—"


def _md(text: str) -> str:
    """Other people's text in a table cell or list item (``escape.md_text``)."""
    return md_text(text)


def _md_link(text: str, url: str | None) -> str:
    """A link whose target is http(s) only, else the text and the URL as plain text."""
    return md_link(shorten(text, 90), url)


def _fix(row: LinkRow) -> str:
    if row.state == "redirected" and row.suggested_url:
        return "use " + _md_link(row.suggested_url, row.suggested_url)
    if row.archive_url:
        return f"archived copy: {_md_link(_day(row.archived_at), row.archive_url)}"
    if row.state == "dead":
        return "no archived copy found"
    return ""


def _md_row(row: LinkRow) -> str:
    label = row.title or row.url
    reason = row.reason + (f" (×{row.consecutive_failures} since {_day(row.first_failure_at)})"
                           if row.consecutive_failures else "")
    return f"| {_ICON.get(row.state, row.state)} | {_md_link(label, row.url)} | {_md(reason)} | {_fix(row)} |"


def _no_problems(report: LinkReport) -> str:
    """What an empty problem list means: all clear only when every link was checked and the
    last run was conclusive."""
    total = sum(report.summary.values())
    unchecked = report.summary.get("unchecked", 0)
    inconclusive = report.last_run is not None and report.last_run.inconclusive
    if total and unchecked == total:
        return (f"No problems are known because none of the {plural(total, 'link')} has been checked yet"
                + (" (the last run was inconclusive)." if inconclusive else "."))
    if inconclusive:
        return ("No problems are listed, but the last run was inconclusive: this is the state from "
                "before it" + (f", and {plural(unchecked, 'link')} {'is' if unchecked == 1 else 'are'} "
                               "not checked yet." if unchecked else "."))
    if unchecked:
        return (f"No dead, failing, blocked or redirected links among the {total - unchecked} checked; "
                f"{plural(unchecked, 'link')} {'is' if unchecked == 1 else 'are'} not checked yet.")
    return "No dead, failing, blocked or redirected links. 🎉"


def render_markdown(report: LinkReport) -> Iterator[str]:
    """Lines of GitHub-flavoured Markdown."""
    yield f"# Link report, {_day(report.generated_at)}"
    yield ""
    run = report.last_run
    total = sum(report.summary.values())
    if run is not None and run.inconclusive:
        yield ("> [!WARNING]\n> The last run was **inconclusive**: most hosts failed at the network "
               "level, so the checker's own connection was probably down. No state was changed, "
               "so this report shows the state from before that run.")
        yield ""
    if run is None:
        yield f"{plural(total, 'link')}; none checked yet (run `tracker check`)."
    else:
        yield (f"{plural(total, 'link')}. Last check run #{run.id} on {_day(run.started_at)}: "
               f"{plural(run.links, 'link')}, {plural(run.requests, 'request')}, {run.elapsed_ms / 1000:.1f} s"
               + (" (inconclusive)." if run.inconclusive else "."))
    yield ""
    yield "| state | links |"
    yield "|---|---:|"
    for name in _SUMMARY_ORDER:
        yield f"| {_ICON[name]} | {report.summary.get(name, 0)} |"
    yield ""
    if report.newly_dead:
        yield f"## Newly dead (since {_day(report.since)})"
        yield ""
        for r in report.newly_dead:
            yield f"- {_md_link(r.title or r.url, r.url)}: {_md(r.reason)}" + (f"; {_fix(r)}" if _fix(r) else "")
        yield ""
    if report.recovered:
        yield f"## Recovered (since {_day(report.since)})"
        yield ""
        for r in report.recovered:
            yield f"- {_md_link(r.title or r.url, r.url)} (was {_md(r.previous_state or 'unknown')})"
        yield ""
    problem_groups = list(groups(report.rows))
    yield "## Problems by section and chapter"
    yield ""
    if not problem_groups:
        yield _no_problems(report)
        yield ""
    section = None
    for g in problem_groups:
        if g.section != section:
            section = g.section
            yield f"### {_md(g.section)}"
            yield ""
        if g.chapter:
            yield f"#### {_md(g.chapter)}"
            yield ""
        yield "| state | link | reason | fix |"
        yield "|---|---|---|---|"
        for row in g.rows:
            yield _md_row(row)
        yield ""
    if report.soft404s:
        yield "## Soft 404s"
        yield ""
        yield "Pages that answer 200 but are really \"not found\" pages (or redirect to the home page):"
        yield ""
        for r in report.soft404s:
            yield f"- {_md_link(r.title or r.url, r.url)}: {_md(r.reason)}"
        yield ""
    hosts = host_figures(report.rows)
    yield "<details><summary>Per-host figures</summary>"
    yield ""
    yield "| host | links | alive | redirected | failing | dead | blocked | median ms |"
    yield "|---|---:|---:|---:|---:|---:|---:|---:|"
    for h in hosts:
        c = h.counts
        yield (f"| {_md(h.host)} | {h.links} | {c['alive']} | {c['redirected']} | {c['failing']} | "
               f"{c['dead']} | {c['blocked']} | {'' if h.median_ms is None else h.median_ms} |")
    yield ""
    yield "</details>"


def _e(value: object) -> str:
    return html_text("" if value is None else str(value))


def _a(text: str, url: str | None) -> str:
    return html_link(text, url)


def render_html(report: LinkReport) -> Iterator[str]:
    """Lines of one self-contained HTML page."""
    yield "<!doctype html>"
    yield '<html lang="en"><head><meta charset="utf-8">'
    yield f"<title>Link report {_e(_day(report.generated_at))}</title>"
    yield ("<style>body{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em}"
           "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .5em;"
           "text-align:left;vertical-align:top}.dead{color:#b00}.failing{color:#a60}.blocked{color:#555}"
           ".warn{background:#fee;padding:.5em;border:1px solid #b00}</style></head><body>")
    yield f"<h1>Link report, {_e(_day(report.generated_at))}</h1>"
    run = report.last_run
    if run is not None and run.inconclusive:
        yield ('<p class="warn">The last run was <strong>inconclusive</strong>: most hosts failed at '
               "the network level. No state was changed, so this report shows the state from before "
               "that run.</p>")
    yield "<table><tr><th>state</th><th>links</th></tr>"
    for name in _SUMMARY_ORDER:
        yield f'<tr><td class="{name}">{_e(name)}</td><td>{report.summary.get(name, 0)}</td></tr>'
    yield "</table>"
    for title, rows in ((f"Newly dead since {_day(report.since)}", report.newly_dead),
                        (f"Recovered since {_day(report.since)}", report.recovered),
                        ("Soft 404s", report.soft404s)):
        if rows:
            yield f"<h2>{_e(title)}</h2><ul>"
            for r in rows:
                yield f"<li>{_a(r.title or r.url, r.url)}: {_e(r.reason)}</li>"
            yield "</ul>"
    yield "<h2>Problems by section and chapter</h2>"
    if not list(groups(report.rows)):
        yield f"<p>{_e(_no_problems(report))}</p>"
    section = None
    for g in groups(report.rows):
        if g.section != section:
            section = g.section
            yield f"<h3>{_e(g.section)}</h3>"
        if g.chapter:
            yield f"<h4>{_e(g.chapter)}</h4>"
        yield "<table><tr><th>state</th><th>link</th><th>reason</th><th>fix</th></tr>"
        for r in g.rows:
            fix = ""
            if r.state == "redirected" and r.suggested_url:
                fix = "use " + _a(r.suggested_url, r.suggested_url)
            elif r.archive_url:
                fix = "archived copy: " + _a(_day(r.archived_at), r.archive_url)
            yield (f'<tr><td class="{_e(r.state)}">{_e(r.state)}</td><td>{_a(r.title or r.url, r.url)}</td>'
                   f"<td>{_e(r.reason)}</td><td>{fix}</td></tr>")
        yield "</table>"
    yield "<h2>Per-host figures</h2>"
    yield ("<table><tr><th>host</th><th>links</th><th>alive</th><th>redirected</th><th>failing</th>"
           "<th>dead</th><th>blocked</th><th>median ms</th></tr>")
    for h in host_figures(report.rows):
        c = h.counts
        yield (f"<tr><td>{_e(h.host)}</td><td>{h.links}</td><td>{c['alive']}</td><td>{c['redirected']}</td>"
               f"<td>{c['failing']}</td><td>{c['dead']}</td><td>{c['blocked']}</td>"
               f"<td>{_e(h.median_ms)}</td></tr>")
    yield "</table></body></html>"
