"""Use cases of the release area: changelog, pending changes, export, apply.

Owns: reading versions into ``VersionView``s, choosing the version range,
building the changelog and the resource list, rendering them through the pure
renderers, and the only file writes of the area — ``--out`` files and patched
document files, each written to a temporary file in the same folder and renamed
over the original only once every file is written, so a failure leaves every
file as it was. Does not own: diffing, rendering or patch computation
(``tracker.changelog``, ``tracker.export``).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tracker.db import Session

from tracker.changelog.atom import render_atom
from tracker.changelog.diff import diff_versions
from tracker.changelog.model import Changelog, Citation, Release, TopicView, VersionView
from tracker.changelog.render import changelog_json, render_markdown
from tracker.changelog.versions import VersionRef, choose_range
from tracker.config import Settings
from tracker.db import repo_documents, repo_release
from tracker.db.models_core import Document, DocumentVersion
from tracker.db.session import Database
from tracker.document.structure import parse_document
from tracker.bulk import gc_paused
from tracker.escape import json_text
from tracker.errors import ConflictError, InputError, NotFoundError
from tracker.export import render as export_render
from tracker.export.build import ResourceList, build_resource_list, replacement_for
from tracker.export.patch import Addition, UrlEdit, candidate_line, chapter_end, plan_patch, unified_diff
from tracker.export.verify import changed_files
from tracker.services.catalog import resolve_document
from tracker.services.document_source import read_path
from tracker.services import pending as pending_area  # looked up at call time (tests replace the loader)
from tracker.services.pending import load_inputs, pending_changes

__all__ = ["changelog", "render_changelog", "export_list", "render_export", "write_text",
           "apply_pending", "ApplyResult"]

_BOM = b"\xef\xbb\xbf"


def _refs(session: Session, doc: Document) -> list[tuple[VersionRef, DocumentVersion]]:
    return [(VersionRef(v.seq, v.label, v.commit, v.date, v.imported_at), v)
            for v in repo_documents.list_versions(session, doc.id)]


def _view(session: Session, version: DocumentVersion) -> VersionView:
    topics = tuple(TopicView(slug, title, kind, parent, position, text, text_hash, description, file, line)
                   for (slug, title, kind, parent, position, text, text_hash, description, file, line)
                   in repo_release.topic_snapshots(session, version.id))
    citations = tuple(Citation(position, slug, url, canonical, anchor, sentence, title, kind, file, line, rid,
                               url_version, fragment or "")
                      for (position, url, anchor, sentence, file, line, url_version, fragment, rid, canonical,
                           title, kind, slug) in repo_release.placements(session, version.id))
    return VersionView(version.label, version.date, topics, citations,
                       version.commit)


def _latest(session: Session, doc: Document) -> DocumentVersion:
    version = repo_documents.latest_version(session, doc.id)
    if version is None:  # pragma: no cover - a document row always has a version
        raise NotFoundError(f"document {doc.name!r} has no versions; run `tracker import PATH`")
    return version


def changelog(db: Database, settings: Settings, *, document: str | None = None,
              from_name: str | None = None, to_name: str | None = None, pending: bool = False,
              whole_history: bool = False) -> Changelog:
    """The changelog between two versions (default: the last two; ``whole_history``: first to
    last), or with ``pending`` what the next version should contain."""
    now = settings.now()
    with db.transaction() as session:
        doc = resolve_document(session, settings, document)
        if pending:
            if from_name or to_name:
                raise InputError("--pending lists changes since the latest version; it takes no --from/--to")
            latest = _latest(session, doc)
            view = _view(session, latest)
            inputs = load_inputs(session, doc.id, view.citations)
            changes = tuple(pending_changes(view.topics, view.citations, inputs.statuses,
                                            inputs.previous_states, inputs.accepted, inputs.versions,
                                            latest.imported_at))
            return Changelog(doc.name, latest.label, "unreleased", changes,
                             (Release("Unreleased", latest.label, None, changes),), now, pending=True)
        refs = _refs(session, doc)
        if whole_history and not from_name and not to_name and len(refs) == 1:
            return Changelog(doc.name, refs[0][0].label, refs[0][0].label, (), (), now)
        if whole_history and not from_name and refs:
            from_name = refs[0][0].label
        start, end, swapped = choose_range([r for r, _ in refs], from_name, to_name)
        chosen = [v for r, v in refs if start.seq <= r.seq <= end.seq]
        views = [_view(session, v) for v in chosen]
        releases = [Release(new.label, old.label, new.date, tuple(diff_versions(old, new)), new.commit)
                    for old, new in zip(views, views[1:])]
        net = releases[0].changes if len(releases) == 1 else tuple(diff_versions(views[0], views[-1]))
        return Changelog(doc.name, start.label, end.label, net, tuple(reversed(releases)), now, swapped=swapped)


def render_changelog(log: Changelog, fmt: str, site_url: str | None = None) -> str:
    """``md``, ``json`` or ``atom`` text."""
    if fmt == "json":
        return json.dumps(changelog_json(log), indent=2, ensure_ascii=False) + "\n"
    if fmt == "atom":
        return render_atom(log, site_url=site_url)
    return render_markdown(log)


def export_list(db: Database, settings: Settings, *, document: str | None = None) -> ResourceList:
    """The updated resource list of the latest version."""
    with gc_paused(), db.transaction() as session:  # one object per link: no collector re-scans
        doc = resolve_document(session, settings, document)
        latest = _latest(session, doc)
        view = _view(session, latest)
        accepted = pending_area.load_accepted(session, doc.id)  # checked like the cited ones
        states = repo_release.link_states(session, {c.resource_id for c in view.citations}
                                          | {a.resource_id for a in accepted})
        return build_resource_list(doc.name, latest.label, view.topics, view.citations, states,
                                   accepted, settings.now())


def render_export(rl: ResourceList, fmt: str) -> str:
    """``md``, ``json`` or ``csv`` text."""
    with gc_paused():
        if fmt == "json":
            return json_text(export_render.resource_list_json(rl), indent=2) + "\n"
        if fmt == "csv":
            return export_render.render_csv(rl)
        return export_render.render_markdown(rl)


def _write_all(files: dict[Path, bytes]) -> None:
    """Write every file or none: temp files beside the targets first, then renames."""
    temps: list[tuple[str, Path]] = []
    writing = next(iter(files))
    try:
        for target, data in files.items():
            writing = target
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            temps.append((tmp, target))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if target.exists():
                os.chmod(tmp, target.stat().st_mode & 0o7777)
    except OSError as exc:
        for tmp, _target in temps:
            Path(tmp).unlink(missing_ok=True)
        raise InputError(f"cannot write {writing}: {exc.strerror or exc}; nothing was changed") from None
    originals = {target: target.read_bytes() for _tmp, target in temps if target.exists()}
    done: list[Path] = []
    try:
        for tmp, target in temps:
            os.replace(tmp, target)
            done.append(target)
    except OSError as exc:
        failed = target
        for replaced in done:  # put back what was already replaced; remove what was new
            if replaced in originals:
                replaced.write_bytes(originals[replaced])
            else:
                replaced.unlink(missing_ok=True)
        for tmp, _target in temps:
            Path(tmp).unlink(missing_ok=True)
        raise InputError(f"cannot replace {failed}: {exc.strerror or exc}; nothing was changed") from None


def write_text(path: Path, text: str) -> None:
    """Write ``--out``: a file atomically (a temp file renamed over it; through a symbolic
    link, over the file it points to), anything else that exists — a named pipe, a device
    such as ``/dev/stdout`` — straight into it (renaming a file over it would replace it,
    and reading it back for a rollback would block or never end)."""
    if path.is_dir():
        raise InputError(f"cannot write {path}: it is a folder; give a file name")
    if path.exists() and not path.is_file():
        try:
            with open(path, "wb") as handle:
                handle.write(text.encode("utf-8"))
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
        return
    target = path.resolve() if path.is_symlink() else path
    if not target.parent.is_dir():
        raise InputError(f"cannot write {path}: folder {target.parent} does not exist")
    _write_all({target: text.encode("utf-8")})


@dataclass
class ApplyResult:
    """What ``export --apply`` did (or, with ``dry_run``, would do)."""

    directory: str
    version: str
    files: list[str] = field(default_factory=list)
    replaced: int = 0
    added: int = 0
    diff: str = ""
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)


def _raw_texts(root: Path, names: list[str]) -> tuple[dict[str, str], set[str]]:
    """The files as they are on disk (line endings kept), and which ones start with a BOM."""
    texts: dict[str, str] = {}
    boms: set[str] = set()
    for name in names:
        data = (root / name).read_bytes()
        if data.startswith(_BOM):
            boms.add(name)
            data = data[len(_BOM):]
        texts[name] = data.decode("utf-8")
    return texts, boms


def apply_pending(db: Database, settings: Settings, directory: Path, *, document: str | None = None,
                  dry_run: bool = False) -> ApplyResult:
    """Patch the document's Markdown in ``directory`` with the pending link changes and the
    accepted candidates; refuses when the files changed since the latest import."""
    with db.transaction() as session:
        doc = resolve_document(session, settings, document)
        latest = _latest(session, doc)
        view = _view(session, latest)
        inputs = load_inputs(session, doc.id, view.citations)
        # their links are checked too: added where the export shows them (moved, or archived)
        accepted_states = repo_release.link_states(session, {a.resource_id for a in inputs.accepted})
    if not directory.is_dir():
        raise InputError(f"{directory} is not a folder; pass the document's folder to --apply")
    snap = read_path(directory)
    parsed = parse_document(snap.files)
    if parsed.content_hash != latest.content_hash:
        names = changed_files(parsed, view.topics, view.citations)
        which = f"{names[0]} changed" if names else "its files changed"
        more = f" (and {', '.join(names[1:4])})" if len(names) > 1 else ""
        raise ConflictError(f"the document in {directory} is not version {latest.label} as imported: "
                            f"{which}{more} since the import; import it again (`tracker import "
                            f"{directory}`) or undo the edits, then apply")
    raw, boms = _raw_texts(directory, parsed.files)
    edits = []
    for c in view.citations:
        swap = replacement_for(c.url, inputs.statuses.get(c.resource_id))
        if swap:
            edits.append(UrlEdit(c.file, c.line, c.url, swap[1]))
    result = ApplyResult(str(directory), latest.label, dry_run=dry_run)
    additions = []
    cited = {c.canonical_url for c in view.citations}
    for a in inputs.accepted:
        if a.canonical_url in cited:
            continue
        cited.add(a.canonical_url)
        swap = replacement_for(a.url, accepted_states.get(a.resource_id))
        line = candidate_line(a, swap[1] if swap else None)
        spot = chapter_end(raw, view.topics, a.topic_slug)
        if line is None or spot is None:
            why = "its URL is not a valid http(s) URL" if line is None else f"topic {a.topic_slug} is not a chapter here"
            result.notes.append(f"accepted candidate {a.url} not added: {why}; add it by hand")
            continue
        additions.append(Addition(spot[0], spot[1], (line,)))
    plan = plan_patch(raw, edits, additions)
    result.replaced, result.added, result.notes = plan.replaced, plan.added, result.notes + plan.notes
    result.files = sorted(plan.texts)
    result.diff = unified_diff(raw, plan.texts)
    if not dry_run and plan.texts:
        _write_all({directory / name: (_BOM if name in boms else b"") + text.encode("utf-8")
                    for name, text in plan.texts.items()})
    return result
