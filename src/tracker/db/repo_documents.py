"""Queries and bulk writes for documents, versions, topics, resources and placements.

Owns: idempotent upserts (topics by slug, resources by canonical URL) and bulk
inserts sized for 100,000-link documents: every write is set-based (``tracker.db.sets``:
array lookups on PostgreSQL, ``INSERT … ON CONFLICT``, batched executemany) and no hot
path loads ORM objects per row. Does not parse or decide anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, bindparam, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from tracker.db.models_core import (
    Document, DocumentVersion, InternalLink, Placement, Resource, ResourceVersion, Topic, TopicSnapshot,
)
from tracker.db.sets import insert_missing, insert_returning_ids, insert_rows, one_of
from tracker.db.upsert import insert_for

#: the columns of a topic that follow the latest version (besides ``parent_id`` and ``active``)
_TOPIC_COLUMNS = ("title", "kind", "position", "description", "text", "file")


def get_document(session: Session, name: str) -> Document | None:
    return session.scalar(select(Document).where(Document.name == name))


def get_or_create_document(session: Session, name: str, location: str, layout: str,
                           now: datetime) -> Document:
    doc = get_document(session, name)
    if doc is None:
        # one statement two first imports of ``name`` can both run: the second waits for the
        # first's transaction and adds nothing (a plain INSERT failed on the unique name)
        session.execute(insert_for(session, Document)
                        .values(name=name, location=location, layout=layout, created_at=now)
                        .on_conflict_do_nothing(index_elements=["name"]))
        doc = get_document(session, name)
        assert doc is not None, name  # ours, or the other import's, committed
    else:
        doc.location, doc.layout = location or doc.location, layout
    return doc


def latest_version(session: Session, document_id: int) -> DocumentVersion | None:
    """The newest version by its own date (``seq`` follows date order, see ``set_version_order``)."""
    return session.scalar(
        select(DocumentVersion).where(DocumentVersion.document_id == document_id)
        .order_by(DocumentVersion.seq.desc()).limit(1)
    )


def latest_version_ids() -> Select[Any]:
    """The id of each document's latest version, as a query to use in ``IN (…)``: the one
    definition of "latest" for queries spanning documents (like ``latest_version``)."""
    newer = aliased(DocumentVersion)
    return select(DocumentVersion.id).where(~exists().where(
        newer.document_id == DocumentVersion.document_id, newer.seq > DocumentVersion.seq))


def version_by_commit(session: Session, document_id: int, commit: str,
                      git_path: str | None) -> DocumentVersion | None:
    """The version imported from ``commit`` at ``git_path`` (a version imported before the
    path was recorded matches any path)."""
    return session.scalar(select(DocumentVersion).where(
        DocumentVersion.document_id == document_id, DocumentVersion.commit == commit,
        or_(DocumentVersion.git_path == (git_path or ""), DocumentVersion.git_path.is_(None))).limit(1))


def add_version(session: Session, document: Document, *, label: str, content_hash: str,
                commit: str | None, committed_at: datetime | None, imported_at: datetime,
                source_path: str, document_date: datetime, dated_by: str,
                git_path: str | None) -> DocumentVersion:
    """Insert a version after all others; ``set_version_order`` then puts it in its place."""
    seq = (session.scalar(select(func.max(DocumentVersion.seq))
                          .where(DocumentVersion.document_id == document.id)) or 0) + 1
    version = DocumentVersion(document_id=document.id, seq=seq, label=label, content_hash=content_hash,
                              commit=commit, committed_at=committed_at, imported_at=imported_at,
                              source_path=source_path, document_date=document_date, dated_by=dated_by,
                              git_path=git_path)
    session.add(version)
    session.flush()
    return version


def set_version_order(session: Session, document_id: int, ordered_ids: Sequence[int]) -> None:
    """Renumber ``seq`` to 1..n in the order given (oldest first), in two steps so that
    ``(document_id, seq)`` stays unique after every statement."""
    table = DocumentVersion.__table__
    assert isinstance(table, Table)
    current = {vid: seq for vid, seq in session.execute(
        select(DocumentVersion.id, DocumentVersion.seq).where(DocumentVersion.document_id == document_id))}
    wanted = {vid: n for n, vid in enumerate(ordered_ids, start=1)}
    moved = [vid for vid, seq in wanted.items() if current.get(vid) != seq]
    if not moved:
        return
    connection = session.connection()
    for cond in one_of(session, table.c.id, moved):
        connection.execute(update(table).where(cond).values(seq=-table.c.id))
    connection.execute(update(table).where(table.c.id == bindparam("vid")).values(seq=bindparam("new_seq")),
                       [{"vid": vid, "new_seq": wanted[vid]} for vid in moved])
    session.expire_all()


def _topic_rows(session: Session, document_id: int) -> dict[str, Any]:
    """slug → the topic's stored row (columns only, no ORM objects)."""
    cols = [getattr(Topic, c) for c in _TOPIC_COLUMNS]
    return {row.slug: row for row in session.execute(
        select(Topic.id, Topic.slug, Topic.parent_id, Topic.active, *cols).where(Topic.document_id == document_id))}


def _topic_table() -> Table:
    table = Topic.__table__
    assert isinstance(table, Table)
    return table


def _insert_topics(session: Session, document_id: int, rows: list[dict[str, Any]], active: bool,
                   existing: dict[str, Any]) -> tuple[dict[str, int], dict[str, int | None]]:
    """Insert the topics of ``rows`` whose slug is not in ``existing`` (document order, first
    row of a slug wins), parents before children so each row is inserted with its
    ``parent_id`` (no UPDATE per chapter). Returns slug → id of every topic of the
    document, and slug → the parent id each new topic was inserted with."""
    new: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["slug"] not in existing and row["slug"] not in new:
            new[row["slug"]] = row
    ids = {slug: r.id for slug, r in existing.items()}
    parents: dict[str, int | None] = {}
    while new:
        # a parent already stored (or absent from the document) lets its children go now
        ready = [row for row in new.values() if row["parent_slug"] not in new or row["parent_slug"] == row["slug"]]
        if not ready:  # a cycle of parents: break it; the caller's update sets what it can
            ready = list(new.values())
        for row in ready:
            parents[row["slug"]] = ids.get(row["parent_slug"]) if row["parent_slug"] else None
        insert_rows(session, Topic, [
            dict(document_id=document_id, slug=row["slug"], active=active, parent_id=parents[row["slug"]],
                 **{c: row[c] for c in _TOPIC_COLUMNS}) for row in ready])
        for row in ready:
            del new[row["slug"]]
        for cond in one_of(session, Topic.slug, [row["slug"] for row in ready]):
            ids.update((slug, tid) for slug, tid in session.execute(
                select(Topic.slug, Topic.id).where(Topic.document_id == document_id, cond)))
    return ids, parents


def upsert_topics(session: Session, document_id: int, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert or update topics by slug (``rows`` in document order, each with
    ``slug, title, kind, parent_slug, position, description, text, file``); topics
    absent from ``rows`` become inactive. Returns slug → id. Only changed topics are
    written (one executemany), so a new version that moves little writes little."""
    existing = _topic_rows(session, document_id)
    ids, inserted_parents = _insert_topics(session, document_id, rows, True, existing)
    table = _topic_table()
    changes: dict[int, dict[str, Any]] = {}
    for row in rows:
        parent = ids[row["parent_slug"]] if row["parent_slug"] else None
        values = {c: row[c] for c in _TOPIC_COLUMNS}
        old = existing.get(row["slug"])
        if old is None and inserted_parents.get(row["slug"], parent) == parent:
            continue  # inserted just now with these values
        if old is not None and old.active and old.parent_id == parent and \
                all(getattr(old, c) == v for c, v in values.items()):
            continue
        changes[ids[row["slug"]]] = dict(tid=ids[row["slug"]], v_parent_id=parent, v_active=True,
                                         **{f"v_{c}": v for c, v in values.items()})
    if changes:
        session.connection().execute(
            update(table).where(table.c.id == bindparam("tid"))
            .values(**{c: bindparam(f"v_{c}") for c in ("parent_id", "active", *_TOPIC_COLUMNS)}),
            list(changes.values()))
    present = {row["slug"] for row in rows}
    gone = [r.id for slug, r in existing.items() if slug not in present and r.active]
    for cond in one_of(session, table.c.id, gone):
        session.connection().execute(update(table).where(cond).values(active=False))
    if changes or gone:
        session.expire_all()  # Topic objects loaded earlier in this session are stale now
    return ids


def ensure_topics(session: Session, document_id: int, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Topic ids for the slugs of an *older* version: existing topics keep their latest
    state; slugs only that version has are created inactive, under their parent. Returns
    slug → id."""
    return _insert_topics(session, document_id, rows, False, _topic_rows(session, document_id))[0]


def add_topic_snapshots(session: Session, rows: list[dict[str, Any]]) -> None:
    _bulk_insert(session, TopicSnapshot, rows)


def resource_ids(session: Session, canonical_urls: Sequence[str]) -> dict[str, int]:
    """canonical URL → id of the resources that exist (one array lookup on PostgreSQL)."""
    found: dict[str, int] = {}
    for cond in one_of(session, Resource.canonical_url, canonical_urls):
        found.update((url, rid) for url, rid in session.execute(
            select(Resource.canonical_url, Resource.id).where(cond)))
    return found


def _bulk_insert(session: Session, model: Any, rows: Sequence[dict[str, Any]], size: int = 2000) -> None:
    """Core-level executemany (the ORM bulk path costs ~0.3 ms a row)."""
    insert_rows(session, model, rows, size)


def ensure_resources(session: Session, rows: dict[str, dict[str, Any]]) -> tuple[dict[str, int], set[str]]:
    """Create the resources (canonical URL → column values) that do not exist yet
    (``ON CONFLICT DO NOTHING``: a resource created meanwhile by another writer is kept).
    Returns canonical URL → id and the canonical URLs created now."""
    done = insert_returning_ids(session, Resource, list(rows.values()), "canonical_url")
    if done is not None:  # PostgreSQL, many rows: one COPY, one INSERT … RETURNING, one join
        return done
    ids = resource_ids(session, list(rows))
    missing = [values for url, values in rows.items() if url not in ids]
    insert_missing(session, Resource, missing, ["canonical_url"])
    created = {m["canonical_url"] for m in missing}
    if missing:
        ids.update(resource_ids(session, list(created)))
    return ids, created


def fill_missing_titles(session: Session, titles: dict[int, str]) -> None:
    """Give untitled resources a title (from the document's anchor text) without
    overwriting one that a check or a feed already found. Only the untitled ones are
    written: a new version citing the same 100,000 resources updates none."""
    if not titles:
        return
    untitled: list[int] = []
    for cond in one_of(session, Resource.id, titles):
        untitled += session.scalars(select(Resource.id).where(cond, Resource.title == ""))
    if not untitled:
        return
    table = Resource.__table__
    assert isinstance(table, Table)
    stmt = (update(table).where(table.c.id == bindparam("rid"), table.c.title == "")
            .values(title=bindparam("new_title")))
    session.connection().execute(stmt, [{"rid": rid, "new_title": titles[rid]} for rid in untitled])


def add_resource_versions(session: Session, rows: list[dict[str, Any]]) -> int:
    """Record resource versions (``resource_id``, ``label``…) not yet known; returns how many were new."""
    if not rows:
        return 0
    known: set[tuple[int, str]] = set()
    for cond in one_of(session, ResourceVersion.resource_id, sorted({r["resource_id"] for r in rows})):
        found = session.execute(select(ResourceVersion.resource_id, ResourceVersion.label).where(cond))
        known.update((rid, label) for rid, label in found)
    new, seen = [], set(known)
    for row in rows:
        key = (row["resource_id"], row["label"])
        if key not in seen:
            seen.add(key)
            new.append(row)
    insert_missing(session, ResourceVersion, new, ["resource_id", "label"])
    return len(new)


def add_placements(session: Session, rows: list[dict[str, Any]]) -> None:
    _bulk_insert(session, Placement, rows)


def add_internal_links(session: Session, rows: list[dict[str, Any]]) -> None:
    _bulk_insert(session, InternalLink, rows)


def list_versions(session: Session, document_id: int) -> list[DocumentVersion]:
    return list(session.scalars(select(DocumentVersion).where(DocumentVersion.document_id == document_id)
                                .order_by(DocumentVersion.seq)))


def count_placements(session: Session, version_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Placement)
                          .where(Placement.version_id == version_id)) or 0


def placement_rows(session: Session, version_id: int) -> list[tuple[Placement, Resource, Topic]]:
    """Placements of one version in document order, with their resource and topic."""
    stmt = (select(Placement, Resource, Topic).join(Resource, Placement.resource_id == Resource.id)
            .join(Topic, Placement.topic_id == Topic.id).where(Placement.version_id == version_id)
            .order_by(Placement.position))
    return [(p, r, t) for p, r, t in session.execute(stmt)]


def topics_of(session: Session, document_id: int, active_only: bool = True) -> list[Topic]:
    stmt = select(Topic).where(Topic.document_id == document_id)
    if active_only:
        stmt = stmt.where(Topic.active.is_(True))
    return list(session.scalars(stmt.order_by(Topic.position)))


def list_documents(session: Session) -> list[Document]:
    return list(session.scalars(select(Document).order_by(Document.id)))
