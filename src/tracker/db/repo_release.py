"""Queries of the release area (changelog, export, apply); read-only.

Owns: topic snapshots of a version (with their stable slugs), placements with
their resources, resource versions, and the link area's cached ``link_status``
rows turned into ``tracker.types.LinkStatus`` (plus each row's previous
state, which tells a recovered link from one that was always fine).
Does not own: deciding anything, or writing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.db.models_core import Placement, Resource, ResourceVersion, Topic, TopicSnapshot
from tracker.db.models_links import LinkStatus as LinkStatusRow
from tracker.db.repo_links import as_link_status
from tracker.types import LinkStatus

__all__ = ["topic_snapshots", "placements", "resource_versions", "link_statuses"]

CHUNK = 500


def _chunks(items: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def topic_snapshots(session: Session, version_id: int) -> list[tuple[TopicSnapshot, str]]:
    """(snapshot, topic slug) of one version in document order."""
    stmt = (select(TopicSnapshot, Topic.slug).join(Topic, TopicSnapshot.topic_id == Topic.id)
            .where(TopicSnapshot.version_id == version_id).order_by(TopicSnapshot.position))
    return [(snap, slug) for snap, slug in session.execute(stmt).all()]


def placements(session: Session, version_id: int) -> list[tuple[Placement, Resource, str]]:
    """(placement, resource, topic slug) of one version in document order."""
    stmt = (select(Placement, Resource, Topic.slug).join(Resource, Placement.resource_id == Resource.id)
            .join(Topic, Placement.topic_id == Topic.id).where(Placement.version_id == version_id)
            .order_by(Placement.position))
    return [(p, r, slug) for p, r, slug in session.execute(stmt).all()]


def resource_versions(session: Session, resource_ids: Iterable[int]) -> list[ResourceVersion]:
    """Every known version of these resources, oldest first."""
    ids = sorted(set(resource_ids))
    out: list[ResourceVersion] = []
    for chunk in _chunks(ids):
        out += session.scalars(select(ResourceVersion).where(ResourceVersion.resource_id.in_(chunk)))
    return sorted(out, key=lambda v: (v.resource_id, v.seen_at, v.id))


def link_statuses(session: Session, resource_ids: Iterable[int]
                  ) -> tuple[dict[int, LinkStatus], dict[int, str | None]]:
    """resource id → current ``LinkStatus``, and resource id → the state before the current one."""
    ids = sorted(set(resource_ids))
    current: dict[int, LinkStatus] = {}
    previous: dict[int, str | None] = {}
    for chunk in _chunks(ids):
        for row in session.scalars(select(LinkStatusRow).where(LinkStatusRow.resource_id.in_(chunk))):
            current[row.resource_id] = as_link_status(row)
            previous[row.resource_id] = row.previous_state
    return current, previous
