"""The items feeds announce: storing them and listing them.

Owns: ``store_items`` — insert or merge the items one source's poll announced,
one row per canonical id (look-up by canonical id, then by the source's GUID when
it names one entry of this body and that entry is not announced here under its
own link; merged by ``sources.dedupe.merge``; a date more than
``FUTURE_TOLERANCE`` ahead of the clock is dropped; new rows inserted by upsert,
so two crawls announcing the same item store it once; a new version of a cited
paper recorded) — and ``list_items`` / ``item_row`` (``tracker items``: stored
items, newest first, in the CLI's JSON shape).
Does not own: which sources are polled, their health or validators, the
transaction (``services.crawl``), parsing feeds (``tracker.sources``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from tracker.db import Session
from tracker.db import repo_feeds as repo
from tracker.db.models_feeds import FeedItem, FeedSource
from tracker.db.session import Database
from tracker.errors import NotFoundError
from tracker.sources.dedupe import merge
from tracker.sources.model import Item

__all__ = ["store_items", "StoreResult", "item_from_row", "list_items", "item_row"]

#: how far past the crawl's clock an entry's date may be (time zones, scheduled posts)
FUTURE_TOLERANCE = timedelta(days=1)
_FIELDS = ("canonical_url", "url", "title", "kind", "summary", "published_at", "updated_at",
           "primary_category", "announce_type", "version", "doi", "channel_id", "authority")


@dataclass
class StoreResult:
    new: int = 0
    updated: int = 0
    versions: int = 0


def item_from_row(row: FeedItem) -> Item:
    return Item(canonical_id=row.canonical_id, authors=tuple(row.authors or ()),
                categories=tuple(row.categories or ()), **{f: getattr(row, f) for f in _FIELDS})


def _new_row(item: Item, source: FeedSource, now: datetime, index: repo.CitedIndex,
             session: Session) -> tuple[FeedItem | None, int | None, bool]:
    """Insert ``item`` as a new row by upsert: ``(row, resource id, cited)``; the row is
    ``None`` when another crawl stored the same canonical id since we looked."""
    resource_id = index.resource_for(item.canonical_id, item.canonical_url)
    cited = resource_id is not None and resource_id in index.placed
    draft = FeedItem(canonical_id=item.canonical_id, first_source_id=source.id, first_seen_at=now,
                     last_seen_at=now, changed_at=now, resource_id=resource_id, in_document=cited)
    _write(draft, item)
    values = {c.key: getattr(draft, c.key) for c in FeedItem.__table__.columns
              if c.key != "id" and getattr(draft, c.key) is not None}
    return repo.insert_item(session, values), resource_id, cited


def _write(row: FeedItem, item: Item) -> None:
    for name in _FIELDS:
        setattr(row, name, getattr(item, name))
    row.authors = list(item.authors)
    row.categories = list(item.categories)


def _believable(item: Item, now: datetime) -> Item:
    """``item`` without a date more than ``FUTURE_TOLERANCE`` past ``now``: the merge rule lets
    the newest date win, so a feed dating an entry 9999 would own that item's title for ever."""
    limit = now + FUTURE_TOLERANCE
    published = item.published_at if item.published_at is None or item.published_at <= limit else None
    updated = item.updated_at if item.updated_at is None or item.updated_at <= limit else None
    if (published, updated) == (item.published_at, item.updated_at):
        return item
    return replace(item, published_at=published, updated_at=updated)


def store_items(session: Session, source: FeedSource, items: Sequence[Item], now: datetime,
                index: repo.CitedIndex) -> StoreResult:
    """Insert or merge ``items`` seen by ``source``; one row per canonical id."""
    items = [_believable(item, now) for item in items]
    result = StoreResult()
    rows = repo.items_by_canonical_id(session, [i.canonical_id for i in items])
    links = repo.links_of(session, source.id, [r.id for r in rows.values()])
    created: set[int] = set()
    updated: set[int] = set()
    # The GUID says "same post, new link" only when it names one entry of this body and the
    # item it found is not announced here under its own link: feeds that give every entry one
    # GUID (their home page) or number entries from the top would otherwise merge new posts
    # into old ones and lose them.
    guids = Counter(item.guid for item in items)
    announced = {item.canonical_id for item in items}
    for item in items:
        row = rows.get(item.canonical_id)
        if row is None and guids[item.guid] == 1:
            row = repo.item_by_guid(session, source.id, item.guid)
            if row is not None and row.canonical_id in announced:
                row = None
            if row is not None:
                links.update(repo.links_of(session, source.id, [row.id]))
        inserted = False
        if row is None:
            session.flush()  # earlier rows of this batch first: the upsert must see them
            row, resource_id, cited = _new_row(item, source, now, index, session)
            if row is not None:
                inserted = True
                created.add(row.id)
                if cited and resource_id is not None and item.version and index.versions.get(resource_id):
                    result.versions += repo.record_version(session, index, resource_id, item.version,
                                                           item.title, "", now)
            else:  # stored by a concurrent crawl a moment ago: merge into its row
                row = repo.items_by_canonical_id(session, [item.canonical_id])[item.canonical_id]
                links.update(repo.links_of(session, source.id, [row.id]))
        if not inserted:
            merged = merge(item_from_row(row), item)
            if merged.changed:
                _write(row, merged.item)
                row.changed_at = now
            if merged.updated and row.id not in created:
                updated.add(row.id)
            rid = row.resource_id
            if merged.version_bumped and rid is not None and rid in index.placed:
                result.versions += repo.record_version(session, index, rid, merged.item.version or 0,
                                                       merged.item.title, merged.old_title, now)
            row.last_seen_at = now
        rows[item.canonical_id] = row
        repo.touch_link(session, links, row.id, source.id, item.guid, now)
    session.flush()
    result.new, result.updated = len(created), len(updated)
    return result


def item_row(item: FeedItem, source: str) -> dict[str, Any]:
    """The listing shape of one item (JSON field names are part of the CLI contract)."""
    return {
        "canonical_id": item.canonical_id, "url": item.url, "title": item.title, "source": source,
        "kind": item.kind, "published_at": item.published_at, "version": item.version,
        "updated_at": item.updated_at, "authors": list(item.authors or []),
        "categories": list(item.categories or []), "primary_category": item.primary_category,
        "announce_type": item.announce_type, "in_document": item.in_document,
        "first_seen_at": item.first_seen_at,
    }


def list_items(db: Database, *, source: str | None = None, kind: str | None = None,
               limit: int | None = None) -> list[dict[str, Any]]:
    """Stored items, newest first (``tracker items``)."""
    with db.transaction() as session:
        chosen = None
        if source is not None:
            chosen = repo.get_source(session, source)
            if chosen is None:
                raise NotFoundError(f"no source named {source!r}; see `tracker sources list`")
        return [item_row(item, name) for item, name in repo.list_items(session, chosen, kind, limit)]
