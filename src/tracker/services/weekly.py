"""Use case: the weekly cycle (``tracker weekly``, and the scheduler's ``weekly`` job).

Re-import the document from its configured location (a folder, a git checkout —
pulled when ``[document] pull`` is set — or the raw-Markdown base URL), check the
links that are due, crawl the sources that are due, propose candidates, then
write the link-rot report, the week's candidate queue, the pending changelog and
the updated resource list (Markdown and JSON) into one folder. ``attention``
lists what needs a maintainer; the CLI turns a non-empty list into exit code 2.
Each step is the same service function its own command runs.
Does not check, crawl or score anything itself: it sequences the services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.candidates.render import queue_markdown
from tracker.config import Settings
from tracker.db.session import Database
from tracker.links.report import report_json
from tracker.escape import to_json
from tracker.human import plural
from tracker.links.report_render import render_html as link_report_html
from tracker.links.report_render import render_markdown as link_report_markdown
from tracker.index_page import index_html
from tracker.services import release
from tracker.services.crawl import crawl
from tracker.services.document_source import git_pull, location_source
from tracker.services.import_ import import_document
from tracker.services.linkcheck import check_links
from tracker.services.report import link_report
from tracker.services.review import queue

__all__ = ["WeeklyResult", "weekly", "ATTENTION"]

Progress = Callable[[str], None]


@dataclass
class WeeklyResult:
    """What the cycle did, where it wrote, and what needs a maintainer."""

    week: str
    out_dir: str
    imported: str = "skipped"
    links: dict[str, int] = field(default_factory=dict)
    checked: int = 0
    inconclusive: bool = False
    newly_dead: int = 0
    sources: int = 0
    source_errors: int = 0
    new_items: int = 0
    queued: int = 0
    held_back: int = 0  # on-topic candidates beyond the weekly budget (``queue --all``)
    pending_changes: int = 0
    files: dict[str, str] = field(default_factory=dict)
    attention: dict[str, str] = field(default_factory=dict)  # category → what needs a maintainer

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _import_step(db: Database, settings: Settings, pull: bool) -> str:
    location = settings.document.location
    if not location:
        return "skipped (no [document] location; using the imported version)"
    source = location_source(location)
    if pull and isinstance(source, Path):
        git_pull(source)
    [result] = import_document(db, source, settings)
    return f"new version {result.label}" if result.created else f"unchanged ({result.label})"


def _write(out: Path, name: str, text: str, files: dict[str, str]) -> None:
    path = out / name
    release.write_text(path, text if text.endswith("\n") else text + "\n")
    files[name] = str(path)


def weekly(db: Database, settings: Settings, *, out_dir: str | Path | None = None,
           pull: bool | None = None, progress: Progress | None = None,
           check_options: dict[str, Any] | None = None, crawl_options: dict[str, Any] | None = None
           ) -> WeeklyResult:
    """Run the whole weekly cycle once; see the module docstring."""
    say = progress or (lambda message: None)
    say("importing the document")
    imported = _import_step(db, settings, settings.document.pull if pull is None else pull)
    say(f"import: {imported}")
    checked = check_links(db, settings, progress=say, **(check_options or {}))
    reports = crawl(db, settings, **(crawl_options or {}))
    say(f"crawled {plural(len(reports), 'source')}" if reports else
        "crawled 0 sources: none is enabled and due (`tracker sources list`; "
        "`tracker sources sync` adds the shipped list, disabled)")
    from tracker.services.propose import propose  # scikit-learn: loaded when scoring starts, not at start-up

    proposed = propose(db, settings)
    say(f"proposed: {proposed.week_queue} queued, {proposed.held_back} held back by the budget, "
        f"{proposed.off_topic} off-topic")

    week, rows = queue(db, settings, week=proposed.week)
    out = Path(out_dir) if out_dir else Path("reports") / week
    out.mkdir(parents=True, exist_ok=True)
    result = WeeklyResult(week=week, out_dir=str(out), imported=imported)
    files: dict[str, str] = {}
    report = link_report(db, settings)
    _write(out, "link-report.md", "\n".join(link_report_markdown(report)), files)
    _write(out, "link-report.html", "\n".join(link_report_html(report)), files)
    _write(out, "link-report.json", to_json(report_json(report)), files)
    _write(out, "queue.md", "\n".join(queue_markdown(rows, week)), files)
    _write(out, "queue.json", to_json({"week": week, "candidates": rows}), files)
    pending = release.changelog(db, settings, pending=True)
    _write(out, "changelog-pending.md", release.render_changelog(pending, "md"), files)
    _write(out, "changelog-pending.json", release.render_changelog(pending, "json"), files)
    resources = release.export_list(db, settings)
    _write(out, "resources.md", release.render_export(resources, "md"), files)
    _write(out, "resources.json", release.render_export(resources, "json"), files)

    result.files = files
    result.links = dict(report.summary)
    result.checked, result.inconclusive = checked.checked, checked.inconclusive
    result.newly_dead = len(report.newly_dead)
    result.sources = len(reports)
    result.source_errors = sum(1 for r in reports if r.outcome == "error")
    result.new_items = sum(r.new for r in reports)
    result.queued = len(rows)
    result.held_back = proposed.held_back
    result.pending_changes = len(pending.changes)
    result.attention = _attention(result)
    _write(out, "index.html", index_html(result.week, files, result.attention,
                                         settings.now(), result.inconclusive), files)
    return result


#: what a maintainer may be needed for (the categories of ``tracker weekly --fail-on``)
ATTENTION = ("dead", "failing", "redirected", "candidates", "pending", "errors", "inconclusive")


def _attention(r: WeeklyResult) -> dict[str, str]:
    notes: dict[str, str] = {}
    if r.inconclusive:  # first: every other figure about links is from before this run
        notes["inconclusive"] = "the link check was inconclusive (our own connection looked down)"
    if r.newly_dead or r.links.get("dead"):
        notes["dead"] = f"{plural(r.links.get('dead', 0), 'dead link')} ({r.newly_dead} newly dead)"
    if r.links.get("failing"):
        notes["failing"] = f"{plural(r.links['failing'], 'failing link')} (not yet confirmed dead)"
    if r.links.get("redirected"):
        notes["redirected"] = f"{plural(r.links['redirected'], 'link')} moved permanently"
    if r.queued:
        notes["candidates"] = f"{plural(r.queued, 'candidate')} to review ({r.held_back} more held back by the budget)"
    if r.pending_changes:
        notes["pending"] = f"{plural(r.pending_changes, 'pending change')} for the next version"
    if r.source_errors:
        notes["errors"] = f"{plural(r.source_errors, 'source')} failed to crawl"
    return notes
