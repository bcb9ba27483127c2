"""Use cases: manage feed sources (``tracker sources add|list|remove|enable|disable|sync``).

Owns: validating a source (kind, target, name, topic hints) before anything is
written; the listing rows with health (``active``/``parked``/``disabled`` and why);
re-enabling a parked source (errors reset, polled at the next crawl); and loading a
declarative TOML list (``jobs/sources.toml``) — all-or-nothing, so a bad entry
leaves the database unchanged.
Does not own: polling (``services.crawl``) or the parsing of targets' responses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tracker.db import Session

from tracker.config import Settings, read_toml
from tracker.db import repo_feeds as repo
from tracker.db.models_feeds import FeedSource
from tracker.db.session import Database
from tracker.errors import ConflictError, Hint, InputError, NotFoundError
from tracker.sources import default_name, normalize_kind, normalize_target, request_url, validate_name

__all__ = ["add_source", "list_sources", "remove_source", "set_enabled", "sync_sources", "SyncReport",
           "source_row"]

_SLUG = re.compile(r"^[^\W_][\w\-]*$")
_ENTRY_KEYS = {"name", "kind", "target", "topics", "enabled"}


def _check_topics(session: Session, topics: tuple[str, ...], strict: bool) -> tuple[list[str], list[str]]:
    """Validated slugs and warnings; unknown slugs are errors when ``strict`` and topics exist."""
    clean: list[str] = []
    for slug in topics:
        value = slug.strip()
        if not _SLUG.match(value) or value != value.lower():
            raise InputError(f"invalid topic slug {slug!r}; slugs are lower-case words joined by '-', "
                             "as `tracker topics` shows them")
        if value not in clean:
            clean.append(value)
    warnings: list[str] = []
    known = repo.topic_slugs(session)
    unknown = [t for t in clean if known and t not in known]
    if unknown:
        message = (f"unknown topic {', '.join(repr(u) for u in unknown)}; see `tracker topics` "
                   f"(e.g. {', '.join(sorted(known)[:5])})")
        if strict:
            raise InputError(message)
        warnings.append(message)
    return clean, warnings


def source_row(source: FeedSource, settings: Settings, items: int = 0) -> dict[str, Any]:
    """The listing shape of one source (JSON field names are part of the CLI contract)."""
    if not source.enabled:
        status, reason = "disabled", f"disabled; run `tracker sources enable {source.name}` to poll it"
    elif source.parked_at is not None:
        status = "parked"
        reason = (f"parked after {source.consecutive_errors} consecutive errors (last: {source.last_error}); "
                  f"run `tracker sources enable {source.name}` to resume")
    else:
        status = "active"
        reason = (f"{source.consecutive_errors} consecutive error(s), last: {source.last_error}"
                  if source.consecutive_errors else "")
    return {
        "name": source.name, "kind": source.kind, "target": source.target,
        "url": request_url(source.kind, source.target, settings), "topics": list(source.topics or []),
        "enabled": source.enabled, "status": status, "reason": reason,
        "consecutive_errors": source.consecutive_errors, "last_error": source.last_error,
        "last_outcome": source.last_outcome, "last_polled_at": source.last_polled_at,
        "last_success_at": source.last_success_at, "next_poll_at": source.next_poll_at,
        "items": items, "title": source.feed_title, "origin": source.origin,
    }


@dataclass(frozen=True)
class _Spec:
    name: str
    kind: str
    target: str
    topics: tuple[str, ...] = ()
    enabled: bool = True


def _spec(kind: str, target: str, name: str | None, topics: tuple[str, ...], enabled: bool) -> _Spec:
    kind = normalize_kind(kind)
    target = normalize_target(kind, target)
    chosen = validate_name(name.strip()) if name else default_name(kind, target)
    return _Spec(chosen, kind, target, tuple(topics), enabled)


def add_source(db: Database, settings: Settings, kind: str, target: str, *, name: str | None = None,
               topics: tuple[str, ...] = (), enabled: bool = True,
               now: datetime | None = None) -> tuple[dict[str, Any], list[str]]:
    """Add one source; returns its listing row and warnings. Nothing is written on error."""
    spec = _spec(kind, target, name, topics, enabled)
    with db.transaction() as session:
        if repo.get_source(session, spec.name) is not None:
            raise ConflictError(f"a source named {spec.name!r} already exists; choose another --name")
        twin = repo.source_by_target(session, spec.kind, spec.target)
        if twin is not None:
            raise ConflictError(f"{spec.kind} {spec.target!r} is already tracked as {twin.name!r}")
        slugs, warnings = _check_topics(session, spec.topics, strict=True)
        source = FeedSource(name=spec.name, kind=spec.kind, target=spec.target, topics=slugs,
                            enabled=spec.enabled, origin="cli", created_at=now or settings.now())
        session.add(source)
        session.flush()
        return source_row(source, settings), warnings


def list_sources(db: Database, settings: Settings) -> list[dict[str, Any]]:
    with db.transaction() as session:
        counts = repo.item_counts(session)
        return [source_row(s, settings, counts.get(s.id, 0)) for s in repo.list_sources(session)]


def _get(session: Session, name: str) -> FeedSource:
    source = repo.get_source(session, name)
    if source is None:
        known = ", ".join(s.name for s in repo.list_sources(session)[:10]) or "none yet"
        raise NotFoundError(f"no source named {name!r} (known: {known})", hint=Hint("list_sources"))
    return source


def remove_source(db: Database, settings: Settings, name: str) -> dict[str, Any]:
    """Delete a source; the items it found stay (other sources or candidates may use them)."""
    with db.transaction() as session:
        source = _get(session, name)
        row = source_row(source, settings, repo.item_counts(session).get(source.id, 0))
        session.delete(source)
        return row


def set_enabled(db: Database, settings: Settings, name: str, enabled: bool) -> dict[str, Any]:
    """Enable (also un-parks: errors reset, polled at the next crawl) or disable a source."""
    with db.transaction() as session:
        source = _get(session, name)
        source.enabled = enabled
        if enabled:
            source.parked_at = None
            source.consecutive_errors = 0
            source.next_poll_at = None
        return source_row(source, settings, repo.item_counts(session).get(source.id, 0))


# ------------------------------------------------------------ declarative list

@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _read_specs(path: Path) -> list[_Spec]:
    data = read_toml(path, "source list", error=InputError)
    unknown_top = set(data) - {"defaults", "source"}
    if unknown_top:
        raise InputError(f"{path}: unknown table(s) {', '.join(sorted(unknown_top))}; use [defaults] and [[source]]")
    defaults = data.get("defaults", {})
    entries = data.get("source", [])
    if not isinstance(defaults, dict) or set(defaults) - {"enabled"}:
        raise InputError(f"{path}: [defaults] may only hold `enabled = true|false`")
    if not isinstance(entries, list):
        raise InputError(f"{path}: sources must be an array of tables, [[source]]")
    specs: list[_Spec] = []
    for number, entry in enumerate(entries, 1):
        where = f"{path}: source #{number}"
        if not isinstance(entry, dict):
            raise InputError(f"{where} is not a table")
        where = f"{path}: source #{number} ({entry.get('name', '?')})"
        extra = set(entry) - _ENTRY_KEYS
        if extra or not {"kind", "target"} <= set(entry):
            raise InputError(f"{where}: needs kind and target, may have name, topics, enabled"
                             + (f"; unknown key(s) {', '.join(sorted(extra))}" if extra else ""))
        topics = entry.get("topics", [])
        enabled = entry.get("enabled", defaults.get("enabled", True))
        if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics) \
                or not isinstance(enabled, bool) or not all(isinstance(entry.get(k, ""), str)
                                                            for k in ("name", "kind", "target")):
            raise InputError(f"{where}: name/kind/target are strings, topics a list of strings, enabled a boolean")
        try:
            specs.append(_spec(entry["kind"], entry["target"], entry.get("name"), tuple(topics), enabled))
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
    names = [s.name for s in specs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError(f"{path}: source name(s) listed twice: {', '.join(twice)}")
    return specs


def sync_sources(db: Database, settings: Settings, path: str | Path, *, prune: bool = False,
                 now: datetime | None = None) -> SyncReport:
    """Create or update the sources listed in a TOML file (``enabled`` applies on creation
    only, so a maintainer's enable/disable survives a re-sync); ``prune`` removes sources
    this file created earlier but no longer lists."""
    file = Path(path)
    specs = _read_specs(file)
    origin = f"file:{file.name}"[:200]
    report = SyncReport()
    with db.transaction() as session:
        for spec in specs:
            slugs, warnings = _check_topics(session, spec.topics, strict=False)
            report.warnings += [f"{spec.name}: {w}" for w in warnings]
            source = repo.get_source(session, spec.name)
            if source is None:
                twin = repo.source_by_target(session, spec.kind, spec.target)
                if twin is not None:
                    report.warnings.append(f"{spec.name}: already tracked as {twin.name!r}; skipped")
                    continue
                session.add(FeedSource(name=spec.name, kind=spec.kind, target=spec.target, topics=slugs,
                                       enabled=spec.enabled, origin=origin, created_at=now or settings.now()))
                report.added.append(spec.name)
                continue
            if (source.kind, source.target, list(source.topics or [])) == (spec.kind, spec.target, slugs):
                report.unchanged.append(spec.name)
                continue
            if (source.kind, source.target) != (spec.kind, spec.target):
                source.etag = source.last_modified = None
            source.kind, source.target, source.topics = spec.kind, spec.target, slugs
            report.updated.append(spec.name)
        if prune:
            listed = {s.name for s in specs}
            for source in repo.list_sources(session):
                if source.origin == origin and source.name not in listed:
                    session.delete(source)
                    report.removed.append(source.name)
    return report
