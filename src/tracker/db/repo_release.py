"""Queries of the release area (changelog, export, apply); read-only.

Owns: topic snapshots of a version (with their stable slugs), placements with
their resources (plain rows: an export of 50,000 links loads no ORM objects), resource versions, and the link area's cached ``link_status``
rows turned into ``tracker.types.LinkStatus`` (plus each row's previous
state, which tells a recovered link from one that was always fine).
Does not own: deciding anything, or writing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.db.models_core import Placement, Resource, ResourceVersion, Topic, TopicSnapshot
from tracker.db.models_links import LinkStatus as LinkStatusRow
from tracker.db.sets import one_of
from tracker.types import LinkStatus

__all__ = ["topic_snapshots", "placements", "resource_versions", "link_statuses", "link_states"]

def topic_snapshots(session: Session, version_id: int) -> list[Any]:
    """The topic snapshots of one version in document order, as plain rows: ``slug`` (the
    topic's), ``title``, ``kind``, ``parent_slug``, ``position``, ``text``, ``text_hash``,
    ``description``, ``file``, ``line``."""
    stmt = (select(Topic.slug, TopicSnapshot.title, TopicSnapshot.kind, TopicSnapshot.parent_slug,
                   TopicSnapshot.position, TopicSnapshot.text, TopicSnapshot.text_hash,
                   TopicSnapshot.description, TopicSnapshot.file, TopicSnapshot.line)
            .join(Topic, TopicSnapshot.topic_id == Topic.id)
            .where(TopicSnapshot.version_id == version_id).order_by(TopicSnapshot.position))
    return list(session.connection().execute(stmt).all())  # Core: no ORM result processing


def placements(session: Session, version_id: int) -> list[Any]:
    """The placements of one version in document order, as plain rows (no ORM objects) with
    the placement's columns, the resource's ``canonical_url``, ``title``, ``kind`` and
    ``resource_id``, and the topic's ``slug``."""
    stmt = (select(Placement.position, Placement.url, Placement.anchor_text, Placement.sentence,
                   Placement.file, Placement.line, Placement.url_version, Placement.fragment,
                   Resource.id.label("resource_id"), Resource.canonical_url, Resource.title, Resource.kind,
                   Topic.slug)
            .join(Resource, Placement.resource_id == Resource.id)
            .join(Topic, Placement.topic_id == Topic.id).where(Placement.version_id == version_id)
            .order_by(Placement.position))
    return list(session.connection().execute(stmt).all())


def resource_versions(session: Session, resource_ids: Iterable[int]) -> list[Any]:
    """Every known version of these resources, oldest first, as plain rows (``resource_id``,
    ``label``, ``origin``, ``seen_at``, ``title``, ``old_title``, ``id``)."""
    out: list[Any] = []
    cols = (ResourceVersion.id, ResourceVersion.resource_id, ResourceVersion.label, ResourceVersion.origin,
            ResourceVersion.seen_at, ResourceVersion.title, ResourceVersion.old_title)
    for cond in one_of(session, ResourceVersion.resource_id, sorted(set(resource_ids))):
        out += session.execute(select(*cols).where(cond)).all()
    return sorted(out, key=lambda v: (v.resource_id, v.seen_at, v.id))


def link_statuses(session: Session, resource_ids: Iterable[int]
                  ) -> tuple[dict[int, LinkStatus], dict[int, str | None]]:
    """resource id → current ``LinkStatus``, and resource id → the state before the current one."""
    current: dict[int, LinkStatus] = {}
    previous: dict[int, str | None] = {}
    cols = [LinkStatusRow.resource_id, LinkStatusRow.state, LinkStatusRow.previous_state,
            LinkStatusRow.reason, LinkStatusRow.http_status, LinkStatusRow.final_url,
            LinkStatusRow.suggested_url, LinkStatusRow.archive_url, LinkStatusRow.archived_at,
            LinkStatusRow.consecutive_failures, LinkStatusRow.first_failure_at, LinkStatusRow.last_ok_at,
            LinkStatusRow.state_since]
    for cond in one_of(session, LinkStatusRow.resource_id, sorted(set(resource_ids))):
        rows: Any = session.execute(select(*cols).where(cond)).all()
        for (rid, state, before, reason, http_status, final_url, suggested_url, archive_url, archived_at,
             failures, first_failure_at, last_ok_at, since) in rows:
            # built from the tuple, like ``as_link_status``: 50,000 named look-ups cost a second
            current[rid] = LinkStatus(
                resource_id=rid, state=state, reason=reason, http_status=http_status, final_url=final_url,
                suggested_url=suggested_url, archive_url=archive_url, archive_timestamp=archived_at,
                consecutive_failures=failures, first_failure_at=first_failure_at, last_ok_at=last_ok_at,
                changed_at=since)
            previous[rid] = before
    return current, previous


def link_states(session: Session, resource_ids: Iterable[int]) -> dict[int, Any]:
    """resource id → a plain row (``state``, ``suggested_url``, ``archive_url``): what the
    export needs, without the timestamps and status objects of ``link_statuses``."""
    out: dict[int, Any] = {}
    cols = (LinkStatusRow.resource_id, LinkStatusRow.state, LinkStatusRow.suggested_url,
            LinkStatusRow.archive_url)
    conn = session.connection()  # Core: plain rows, no ORM result processing
    for cond in one_of(session, LinkStatusRow.resource_id, sorted(set(resource_ids))):
        for row in conn.execute(select(*cols).where(cond)):
            out[row[0]] = row
    return out
