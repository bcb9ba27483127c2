"""Use case: import a living document (a folder, a file, or its git history).

Reads the files (``document_source``), parses them (``tracker.document``), and
stores one new ``DocumentVersion`` with topics, topic snapshots, resources and
placements in a single transaction. Importing content identical to the latest
version creates nothing. Links that are not resources (in-page anchors, relative
links, mailto:, javascript:, malformed URLs, bare URLs in text) are stored as
internal links; with ``strict=True`` the suspicious ones abort the import.
Does not parse Markdown (``tracker.document``) or read files (``document_source``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tracker.db import Session

from tracker.config import Settings
from tracker.db import repo_documents as repo
from tracker.db.session import Database
from tracker.document.model import ParsedDocument
from tracker.document.structure import parse_document
from tracker.document.titles import title_from_anchor
from tracker.errors import DocumentError
from tracker.fetch.documents import TextFetcher
from tracker.services.document_source import Snapshot, git_history, read_path, read_url
from tracker.urls import canonicalize, classify_target

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


def _store(session: Session, doc_name: str, snap: Snapshot, parsed: ParsedDocument,
           settings: Settings) -> ImportResult:
    now = settings.now()
    document = repo.get_or_create_document(session, doc_name, str(snap.root), parsed.layout, now)
    result = ImportResult(doc_name, snap.label, False, parsed.layout, warnings=_warnings(parsed))
    latest = repo.latest_version(session, document.id)
    if latest is not None and latest.content_hash == parsed.content_hash:
        result.label = latest.label
        return result
    known = repo.version_by_commit(session, document.id, snap.commit) if snap.commit else None
    if known is not None:  # that commit was imported before (e.g. --history run again)
        result.label = known.label
        return result
    base_label = snap.label or f"{now:%Y-%m-%d}"
    label = base_label
    labels = repo.version_labels(session, document.id)
    n = 2
    while label in labels:
        label, n = f"{base_label}.{n}", n + 1
    version = repo.add_version(session, document, label, parsed.content_hash, snap.commit,
                               snap.committed_at, now, str(snap.root))
    topic_rows = [dict(slug=t.slug, title=t.title, kind=t.kind, parent_slug=t.parent_slug,
                       position=t.position, description=t.description, text=t.text, file=t.file)
                  for t in parsed.topics]
    topic_ids = repo.upsert_topics(session, document.id, topic_rows)
    repo.add_topic_snapshots(session, [
        dict(version_id=version.id, topic_id=topic_ids[t.slug], title=t.title, kind=t.kind,
             parent_slug=t.parent_slug, position=t.position, description=t.description, text=t.text,
             text_hash=hashlib.sha256(t.text.encode()).hexdigest(), file=t.file, line=t.line)
        for t in parsed.topics])

    resources: dict[str, dict[str, Any]] = {}
    placements: list[dict[str, Any]] = []
    internal: list[dict[str, Any]] = []
    titles: dict[str, str] = {}
    versions: list[tuple[str, str]] = []
    for link in parsed.links:
        topic_id = topic_ids[link.topic_slug]
        if link.target != "external":
            internal.append(dict(version_id=version.id, topic_id=topic_id, target=link.href,
                                 reason=link.target, anchor_text=link.text, file=link.file, line=link.line))
            result.internal[link.target] = result.internal.get(link.target, 0) + 1
            continue
        canon = canonicalize(link.href)
        resources.setdefault(canon.canonical, dict(
            canonical_url=canon.canonical, url=link.href, kind=canon.kind, host=canon.host,
            external_id=canon.external_id, title="", origin="document", created_at=now))
        guess = title_from_anchor(link.text)
        if guess and canon.canonical not in titles:
            titles[canon.canonical] = guess
        if canon.version:
            versions.append((canon.canonical, canon.version))
        placements.append(dict(version_id=version.id, topic_id=topic_id, canonical=canon.canonical,
                               position=len(placements), url=link.href, fragment=canon.fragment,
                               url_version=canon.version, anchor_text=link.text,
                               sentence=link.sentence[:2000], file=link.file, line=link.line))
    for url, title in titles.items():
        resources[url]["title"] = title
    ids, created = repo.ensure_resources(session, resources)
    for row in placements:
        row["resource_id"] = ids[row.pop("canonical")]
    repo.add_placements(session, placements)
    repo.add_internal_links(session, internal)
    repo.fill_missing_titles(session, {ids[url]: title for url, title in titles.items() if url not in created})
    repo.add_resource_versions(session, [
        dict(resource_id=ids[url], label=v, origin="document", title="", old_title="", seen_at=now)
        for url, v in versions])
    result.label, result.created = label, True
    result.sections = sum(t.kind == "section" for t in parsed.topics)
    result.chapters = sum(t.kind == "chapter" for t in parsed.topics)
    result.topics = len(parsed.topics)
    result.links, result.resources, result.new_resources = len(placements), len(resources), len(created)
    return result


def import_snapshot(db: Database, snap: Snapshot, settings: Settings, document: str | None = None,
                    strict: bool = False) -> ImportResult:
    """Parse and store one snapshot in its own transaction."""
    return _import(db, [snap], settings, document, strict)[0]


def _import(db: Database, snaps: list[Snapshot], settings: Settings, document: str | None,
            strict: bool) -> list[ImportResult]:
    parsed = [parse_document(s.files) for s in snaps]
    if strict:
        for p in parsed:
            problems = _warnings(p)
            if problems:
                more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
                raise DocumentError(f"{problems[0]}{more}; fix the document or import without --strict")
    with db.transaction() as session:
        name = document or _default_document(session, settings)
        return [_store(session, name, s, p, settings) for s, p in zip(snaps, parsed)]


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
    (``https://raw.githubusercontent.com/OWNER/REPO/BRANCH/``). All of it is one transaction."""
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
        return _import(db, [snap], settings, document, strict)
    path = Path(path)
    if history:
        if label:
            raise DocumentError("--label names one version; it cannot be combined with --history")
        snaps = git_history(path)
    else:
        snaps = [read_path(path, label)]
    return _import(db, snaps, settings, document, strict)
