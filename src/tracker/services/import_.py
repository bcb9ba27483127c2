"""Use case: import a living document (a folder, a file, or its git history).

Reads the files (``document_source``), parses them (``tracker.document``), and
stores one new ``DocumentVersion`` with topics, topic snapshots, resources and
placements in one transaction per version (a ``--history`` is read, parsed and
stored one commit at a time, so memory does not grow with its length). A version is
its content: content identical to any stored version creates nothing, in whatever order versions are imported (the one
exception is a git commit that returns to older content after a different version —
a revert is a new state of the document); a git commit is also identified by
(commit, path). Each version is dated by itself (commit date, else a date in its
label or folder name, else the import time) and put in its place in date order, so
importing an older version later leaves the latest version — and the topics, which
hold the latest version's state — as they were. A ``--label`` that already names
other content is an error. Links that are not resources (in-page anchors, relative
links, mailto:, javascript:, malformed URLs, bare URLs in text) are stored as
internal links; with ``strict=True`` the suspicious ones abort the import.
Does not parse Markdown (``tracker.document``) or read files (``document_source``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from tracker.db import Session

from tracker.bulk import gc_paused
from tracker.changelog.versions import date_in_name, order_key
from tracker.config import Settings
from tracker.db import repo_documents as repo
from tracker.db.repo_candidates import hold_document
from tracker.db.models_core import DocumentVersion
from tracker.db.session import Database
from tracker.document.model import ParsedDocument
from tracker.document.structure import parse_document
from tracker.errors import DocumentError, InputError
from tracker.fetch.documents import TextFetcher
from tracker.services.import_links import store_links
from tracker.services.document_source import Snapshot, iter_git_history, read_path, read_url
from tracker.urls import classify_target

__all__ = ["ImportResult", "import_document", "import_snapshot"]

_SUSPICIOUS = {"malformed": "a malformed URL", "javascript": "a javascript: link",
               "mailto": "a mailto: link", "other-scheme": "a link with an unsupported scheme",
               "bare": "a bare URL in the text (not a link once rendered)"}


@dataclass
class ImportResult:
    """What one imported version contained (or that nothing changed)."""

    document: str
    label: str
    created: bool
    layout: str
    sections: int = 0
    chapters: int = 0
    topics: int = 0
    links: int = 0
    resources: int = 0
    new_resources: int = 0
    internal: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    date: datetime | None = None  # the version's own date
    latest: bool = False  # the new version is the newest by date
    newer: str | None = None  # when not: the label of the latest version

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _warnings(parsed: ParsedDocument) -> list[str]:
    out = list(parsed.warnings)
    for link in parsed.links:
        if link.target in _SUSPICIOUS:
            hint = ""
            inner = link.href.strip("[]<>()\"' ")
            if link.target == "malformed" and inner != link.href and classify_target(inner) == "external":
                hint = f" (did you mean {inner}?)"
            out.append(f"{link.file}:{link.line}: {_SUSPICIOUS[link.target]}: {link.href[:200]!r}{hint}")
    return sorted(out, key=_where)


def _where(warning: str) -> tuple[str, int]:
    file, _, rest = warning.partition(":")
    line = rest.split(":", 1)[0]
    return file, int(line) if line.isdigit() else 0


def _dating(snap: Snapshot, label: str, explicit: bool, now: datetime) -> tuple[datetime, str]:
    """The version's own date and where it comes from (see ``DATED_BY``)."""
    if snap.dated_folder and snap.named_date:
        return snap.named_date, "name"
    if snap.commit and snap.committed_at:
        return snap.committed_at, "commit"
    named = (date_in_name(label) if explicit else None) or snap.named_date
    if named:
        return named, "name"
    if snap.committed_at:  # uncommitted changes on top of a commit: newer than that commit
        return max(snap.committed_at, now), "import"
    return now, "import"


def _key(v: DocumentVersion) -> tuple[datetime, datetime, int]:
    return order_key(v.date, v.label, v.id)


def _is_revert(versions: list[DocumentVersion], content_hash: str, key: tuple[datetime, datetime, int]) -> bool:
    """True when the new version, at ``key``, follows a version with other content that
    itself follows one with this content (A, B, then A again)."""
    before = [v for v in versions if _key(v) <= key]
    if not before or before[-1].content_hash == content_hash:
        return False
    return any(v.content_hash == content_hash and _key(v) < _key(before[-1]) for v in before)


def _unchanged(result: ImportResult, version: DocumentVersion, label: str | None) -> ImportResult:
    result.label, result.date = version.label, version.date
    if label is not None and label != version.label:
        result.warnings.append(f"the content is version {version.label}; --label {label} not used")
    return result


def _store(session: Session, doc_name: str, snap: Snapshot, parsed: ParsedDocument,
           settings: Settings, label_given: str | None) -> ImportResult:
    now = settings.now()
    document = repo.get_document(session, doc_name) \
        or repo.get_or_create_document(session, doc_name, str(snap.root), parsed.layout, now)
    # before reading its versions: a concurrent import (or propose) of it finishes first, even
    # one that created the document a moment ago (two first imports)
    hold_document(session, document.id)
    result = ImportResult(doc_name, snap.label, False, parsed.layout,
                          warnings=list(snap.warnings) + _warnings(parsed))
    stored = sorted(repo.list_versions(session, document.id), key=_key)
    if snap.commit:
        known = repo.version_by_commit(session, document.id, snap.commit, snap.git_path)
        if known is not None:  # that commit was imported before (e.g. --history run again)
            return _unchanged(result, known, label_given)
    label = snap.label or f"{now:%Y-%m-%d}"
    date, dated_by = _dating(snap, label, label_given is not None, now)
    key = order_key(date, label, 1 << 62)
    labels = {v.label: v for v in stored}
    named = labels.get(label) if label_given is not None else None
    if named is not None and named.content_hash != parsed.content_hash:
        raise InputError(f"--label {label} already names another version (dated {named.date:%Y-%m-%d}, "
                         f"content {named.content_hash[:12]}, not {parsed.content_hash[:12]}); "
                         "choose another label")
    same = [v for v in stored if v.content_hash == parsed.content_hash]
    if same and not (snap.commit and _is_revert(stored, parsed.content_hash, key)):
        return _unchanged(result, named or same[-1], label_given)
    base_label, n = label, 2
    while label in labels:
        label, n = f"{base_label}.{n}", n + 1
    version = repo.add_version(session, document, label=label, content_hash=parsed.content_hash,
                               commit=snap.commit, committed_at=snap.committed_at, imported_at=now,
                               source_path=str(snap.root), document_date=date, dated_by=dated_by,
                               git_path=snap.git_path)
    ordered = sorted([*stored, version], key=_key)
    repo.set_version_order(session, document.id, [v.id for v in ordered])
    latest = ordered[-1].id == version.id
    result.date, result.latest = date, latest
    if latest:  # the document's location and its topics follow the newest version only
        document.location, document.layout = str(snap.root) or document.location, parsed.layout
    else:
        result.newer = ordered[-1].label
    topic_rows = [dict(slug=t.slug, title=t.title, kind=t.kind, parent_slug=t.parent_slug,
                       position=t.position, description=t.description, text=t.text, file=t.file)
                  for t in parsed.topics]
    if latest:
        topic_ids = repo.upsert_topics(session, document.id, topic_rows)
    else:
        topic_ids = repo.ensure_topics(session, document.id, topic_rows)
    snapshots = [dict(version_id=version.id, topic_id=topic_ids[t.slug], title=t.title, kind=t.kind,
                      parent_slug=t.parent_slug, position=t.position, description=t.description, text=t.text,
                      text_hash=hashlib.sha256(t.text.encode()).hexdigest(), file=t.file, line=t.line)
                 for t in parsed.topics]
    stored_links = store_links(session, version.id, parsed.links, topic_ids, now, snapshots)
    result.internal = stored_links.internal
    result.label, result.created = label, True
    result.sections = sum(t.kind == "section" for t in parsed.topics)
    result.chapters = sum(t.kind == "chapter" for t in parsed.topics)
    result.topics = len(parsed.topics)
    result.links, result.resources = stored_links.placements, stored_links.resources
    result.new_resources = len(stored_links.created)
    return result


def import_snapshot(db: Database, snap: Snapshot, settings: Settings, document: str | None = None,
                    strict: bool = False) -> ImportResult:
    """Parse and store one snapshot in its own transaction."""
    return _import(db, [snap], settings, document, strict)[0]


def _strict_check(snap: Snapshot, parsed: ParsedDocument) -> None:
    problems = list(snap.warnings) + _warnings(parsed)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise DocumentError(f"{problems[0]}{more}; fix the document or import without --strict")


def _import(db: Database, snaps: Iterable[Snapshot], settings: Settings, document: str | None,
            strict: bool, label: str | None = None) -> list[ImportResult]:
    """Parse and store each snapshot in its own transaction, one at a time: memory stays
    bounded by one version however long the history (a failure keeps the versions stored
    before it; importing again skips them and goes on)."""
    results: list[ImportResult] = []
    name = document
    for snap in snaps:
        with gc_paused():  # tokens, links and rows of one version: acyclic, freed as it ends
            parsed = parse_document(snap.files)
            if strict:
                _strict_check(snap, parsed)
            with db.transaction() as session:
                if name is None:
                    name = _default_document(session, settings)
                results.append(_store(session, name, snap, parsed, settings, label))
            del parsed
    return results


def _default_document(session: Session, settings: Settings) -> str:
    """Without ``--document``: the configured name if that document exists, else the only
    document in the database, else the configured name (a new document)."""
    names = [d.name for d in repo.list_documents(session)]
    if settings.document.name in names or len(names) != 1:
        return settings.document.name
    return names[0]


def import_document(db: Database, path: Path | str, settings: Settings, *, document: str | None = None,
                    history: bool = False, label: str | None = None,
                    strict: bool = False, transport: httpx.BaseTransport | None = None) -> list[ImportResult]:
    """``tracker import PATH``: the files as they are now, or (``history``) every commit
    that touched them, oldest first; PATH may also be the base URL of the raw Markdown
    (``https://raw.githubusercontent.com/OWNER/REPO/BRANCH/``). Each version is one
    transaction, read, parsed and stored one at a time; with ``strict`` every version is
    checked before any is stored."""
    if document is not None and not document.strip():
        raise InputError("--document is empty; give the document's name (see `tracker versions`)")
    if label is not None and (not label.strip() or any(c in label for c in "\r\n\t") or len(label) > 200):
        raise DocumentError(f"--label {label!r} is not a usable version name; use up to 200 characters "
                            "without line breaks, such as v0.2 or 2026-11-23")
    if isinstance(path, str) and path.startswith(("http://", "https://")):
        if history:
            raise DocumentError("--history needs a git checkout, not a URL")
        with TextFetcher(settings, transport=transport) as fetcher:
            snap = read_url(path, fetcher.get)
        if label:
            snap = Snapshot(snap.files, snap.root, label)
        return _import(db, [snap], settings, document, strict, label)
    path = Path(path)
    if history:
        if label:
            raise DocumentError("--label names one version; it cannot be combined with --history")
        if strict:  # refuse before storing anything: one pass that parses and forgets each version
            for snap in iter_git_history(path):
                _strict_check(snap, parse_document(snap.files))
        return _import(db, iter_git_history(path), settings, document, False)
    return _import(db, [read_path(path, label)], settings, document, strict, label)
