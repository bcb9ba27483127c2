"""Queries and writes for sources and feed items.

Owns: source look-ups, item look-ups by canonical id and by a source's GUID,
item↔source links, recording a ``ResourceVersion`` (origin ``crawl``) when a paper
the document cites gets a newer arXiv version, and the ``in_document`` flag (an
item whose resource is placed in the latest version of a document is never a new
candidate; ``mark_cited_items`` recomputes it, e.g. after an import), and the claims
that keep two concurrent crawls off each other's sources (``claim_sources``,
``release_sources``). New items and versions are inserted by upsert
(``insert_item``, ``record_version``), so two crawls that meet the same item
through different sources never collide.
Does not own: HTTP, parsing, the merge rule or health decisions (``tracker.sources``,
``services.crawl`` and ``services.feed_items`` decide; this module stores).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from tracker.db.models_core import Placement, Resource, ResourceVersion, Topic
from tracker.db.repo_documents import latest_version_ids
from tracker.db.models_feeds import FeedItem, FeedItemSource, FeedSource
from tracker.db.upsert import insert_for

__all__ = [
    "get_source", "list_sources", "topic_slugs", "item_counts", "CitedIndex", "load_cited",
    "record_version", "guid_hash", "items_by_canonical_id", "item_by_guid", "links_of", "touch_link",
    "mark_cited_items", "list_items", "claim_sources", "release_sources", "insert_item",
]

CHUNK = 500
_VERSION_LABEL = re.compile(r"^v(\d+)$")


def get_source(session: Session, name: str) -> FeedSource | None:
    return session.scalar(select(FeedSource).where(FeedSource.name == name))


def list_sources(session: Session) -> list[FeedSource]:
    return list(session.scalars(select(FeedSource).order_by(FeedSource.name)))


def topic_slugs(session: Session) -> set[str]:
    return set(session.scalars(select(Topic.slug).where(Topic.active.is_(True))))


def item_counts(session: Session) -> dict[int, int]:
    rows = session.execute(select(FeedItemSource.source_id, func.count()).group_by(FeedItemSource.source_id))
    return {sid: n for sid, n in rows}


# ------------------------------------------------------------ cited resources

@dataclass
class CitedIndex:
    """Resources by key (canonical URL and external id), which are placed in the
    latest version of a document, and the highest arXiv version known for each."""

    by_key: dict[str, int] = field(default_factory=dict)
    placed: set[int] = field(default_factory=set)
    versions: dict[int, int] = field(default_factory=dict)

    def resource_for(self, canonical_id: str, canonical_url: str) -> int | None:
        return self.by_key.get(canonical_id) or self.by_key.get(canonical_url)


def load_cited(session: Session) -> CitedIndex:
    index = CitedIndex()
    index.placed = set(session.scalars(
        select(Placement.resource_id).where(Placement.version_id.in_(latest_version_ids())).distinct()))
    for rid, url, ext in session.execute(select(Resource.id, Resource.canonical_url, Resource.external_id)):
        index.by_key[url] = rid
        if ext:
            index.by_key.setdefault(ext, rid)
    for rid, label in session.execute(select(ResourceVersion.resource_id, ResourceVersion.label)):
        match = _VERSION_LABEL.match(label)
        if match:
            index.versions[rid] = max(index.versions.get(rid, 0), int(match.group(1)))
    return index


def record_version(session: Session, index: CitedIndex, resource_id: int, version: int,
                    title: str, old_title: str, now: datetime) -> bool:
    """A newer arXiv version of a cited paper → ``ResourceVersion(origin="crawl")``."""
    if version <= index.versions.get(resource_id, 0):
        return False
    index.versions[resource_id] = version
    stmt = insert_for(session, ResourceVersion).values(
        resource_id=resource_id, label=f"v{version}", origin="crawl", title=title,
        old_title=old_title if old_title != title else "", seen_at=now,
    ).on_conflict_do_nothing(index_elements=["resource_id", "label"])  # another crawl saw it first
    return session.execute(stmt.returning(ResourceVersion.id)).scalar() is not None


# ------------------------------------------------------------ items

def guid_hash(guid: str) -> str:
    return hashlib.sha256(guid.encode("utf-8", "replace")).hexdigest() if guid else ""


def items_by_canonical_id(session: Session, keys: Sequence[str]) -> dict[str, FeedItem]:
    rows: dict[str, FeedItem] = {}
    ordered = sorted(set(keys))
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start:start + CHUNK]
        for row in session.scalars(select(FeedItem).where(FeedItem.canonical_id.in_(chunk))):
            rows[row.canonical_id] = row
    return rows


def item_by_guid(session: Session, source_id: int, guid: str) -> FeedItem | None:
    """The item this source announced under ``guid`` before (its link may have changed)."""
    if not guid:
        return None
    return session.scalar(select(FeedItem).join(FeedItemSource, FeedItemSource.item_id == FeedItem.id)
                          .where(FeedItemSource.source_id == source_id,
                                 FeedItemSource.guid_hash == guid_hash(guid)).limit(1))


def links_of(session: Session, source_id: int, item_ids: Sequence[int]) -> dict[int, FeedItemSource]:
    links: dict[int, FeedItemSource] = {}
    ids = sorted(set(item_ids))
    for start in range(0, len(ids), CHUNK):
        query = select(FeedItemSource).where(FeedItemSource.source_id == source_id,
                                             FeedItemSource.item_id.in_(ids[start:start + CHUNK]))
        links.update((link.item_id, link) for link in session.scalars(query))
    return links


def touch_link(session: Session, links: dict[int, FeedItemSource], item_id: int, source_id: int,
               guid: str, now: datetime) -> None:
    """Record that ``source_id`` saw ``item_id`` now (under ``guid``)."""
    link = links.get(item_id)
    if link is None:
        link = FeedItemSource(item_id=item_id, source_id=source_id, guid=guid, guid_hash=guid_hash(guid),
                              first_seen_at=now, last_seen_at=now)
        session.add(link)
        links[item_id] = link
        return
    link.last_seen_at = now
    if guid and link.guid != guid:
        link.guid, link.guid_hash = guid, guid_hash(guid)


def mark_cited_items(session: Session, index: CitedIndex | None = None) -> int:
    """Recompute ``resource_id`` and ``in_document`` of every item (after an import or a
    crawl); returns how many rows changed."""
    index = index or load_cited(session)
    changes: list[dict[str, Any]] = []
    rows = session.execute(select(FeedItem.id, FeedItem.canonical_id, FeedItem.canonical_url,
                                  FeedItem.resource_id, FeedItem.in_document))
    for item_id, cid, url, rid, cited in rows:
        new_rid = index.resource_for(cid, url) or rid
        new_cited = new_rid is not None and new_rid in index.placed
        if (new_rid, new_cited) != (rid, bool(cited)):
            changes.append({"id": item_id, "resource_id": new_rid, "in_document": new_cited})
    if changes:
        session.execute(update(FeedItem), changes)
    return len(changes)


def list_items(session: Session, source: FeedSource | None = None, kind: str | None = None,
               limit: int | None = None) -> list[tuple[FeedItem, str]]:
    """Stored items, newest first, each with the name of the source that found it first."""
    query = (select(FeedItem, FeedSource.name)
             .outerjoin(FeedSource, FeedSource.id == FeedItem.first_source_id))
    if source is not None:
        query = query.where(FeedItem.id.in_(
            select(FeedItemSource.item_id).where(FeedItemSource.source_id == source.id)))
    if kind:
        query = query.where(FeedItem.kind == kind)
    query = query.order_by(FeedItem.first_seen_at.desc(), FeedItem.published_at.desc().nulls_last(),
                           FeedItem.id.desc())
    if limit:
        query = query.limit(limit)
    return [(item, name or "") for item, name in session.execute(query)]


def source_by_target(session: Session, kind: str, target: str) -> FeedSource | None:
    """The source already polling ``target`` with ``kind``, if any."""
    return session.scalar(select(FeedSource).where(FeedSource.kind == kind, FeedSource.target == target))


def insert_item(session: Session, values: dict[str, Any]) -> FeedItem | None:
    """Insert a new item; ``None`` when its canonical id is already stored (another crawl
    inserted it since we looked: the caller merges into that row instead)."""
    stmt = insert_for(session, FeedItem).values(**values).on_conflict_do_nothing(
        index_elements=["canonical_id"]).returning(FeedItem)  # an ORM upsert: the row comes back mapped
    row: FeedItem | None = session.scalars(stmt).first()
    return row


# ------------------------------------------------------------ claims (concurrent crawls)

def claim_sources(session: Session, source_ids: Sequence[int], holder: str, lease_now: datetime,
                  until: datetime) -> list[FeedSource]:
    """Claim the sources of ``source_ids`` no other crawl holds (a lease until ``until``; one
    that ended before ``lease_now`` is free); returns the ones now held by ``holder``, read
    afresh after the claim (so their due-ness reflects a crawl that polled them meanwhile).
    Rows are locked in id order first, so two PostgreSQL transactions cannot deadlock."""
    ids = sorted(set(source_ids))
    if not ids:
        return []
    session.execute(select(FeedSource.id).where(FeedSource.id.in_(ids)).order_by(FeedSource.id)
                    .with_for_update())
    session.execute(update(FeedSource).where(
        FeedSource.id.in_(ids),
        or_(FeedSource.claimed_until.is_(None), FeedSource.claimed_until <= lease_now,
            FeedSource.claimed_by == holder),
    ).values(claimed_by=holder, claimed_until=until).execution_options(synchronize_session=False))
    return list(session.scalars(select(FeedSource).where(FeedSource.id.in_(ids), FeedSource.claimed_by == holder)
                                .order_by(FeedSource.name).execution_options(populate_existing=True)))


def release_sources(session: Session, holder: str, source_ids: Sequence[int] | None = None) -> None:
    """End ``holder``'s claims (all of them, or those on ``source_ids``)."""
    query = update(FeedSource).where(FeedSource.claimed_by == holder)
    if source_ids is not None:
        if not source_ids:
            return
        query = query.where(FeedSource.id.in_(sorted(set(source_ids))))
    session.execute(query.values(claimed_by=None, claimed_until=None)
                    .execution_options(synchronize_session=False))
