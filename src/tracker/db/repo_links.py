"""Queries of the links area: what to check, observation history, status rows, topics.

Owns: reading resources with their cached link status, the recent observations
the policy needs, writing runs/observations/status/archive lookups, and the
topics (section, chapter) each resource is placed in by the latest version of
its document, and the claims that keep two concurrent checks off each other's
links (``claim_links``/``release_links``; status rows are created by upsert in
``lock_status_rows``). Does not own: any decision (``tracker.links``) or HTTP.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, aliased

from tracker.db.models_core import Placement, Resource, ResourceVersion, Topic
from tracker.db.repo_documents import latest_version_ids
from tracker.db.models_links import ArchiveLookup, CheckRun, LinkClaim, LinkObservation, LinkStatus
from tracker.db.upsert import insert_for
from tracker.types import LinkStatus as LinkStatusView

__all__ = ["Session", "TopicRef", "resources_with_status", "recent_observations", "topics_by_resource",
           "add_resource_version", "latest_run", "status_rows", "OBSERVATION_WINDOW", "claim_links",
           "release_links", "lock_status_rows"]

#: how many of a link's latest observations the policy looks at (far more than a streak needs)
OBSERVATION_WINDOW = 40


@dataclass(frozen=True)
class TopicRef:
    """Where a resource is cited: its topic and the section/chapter it belongs to."""

    slug: str
    title: str
    kind: str
    section_slug: str
    section_title: str
    section_position: int
    chapter_slug: str | None
    chapter_title: str | None
    chapter_position: int


def resources_with_status(session: Session) -> list[tuple[Resource, LinkStatus | None]]:
    """Every resource (document or candidate origin) with its status row, by id."""
    rows = session.execute(
        select(Resource, LinkStatus).outerjoin(LinkStatus, LinkStatus.resource_id == Resource.id)
        .order_by(Resource.id)
    ).all()
    return [(r, s) for r, s in rows]


def status_rows(session: Session, resource_ids: Iterable[int] | None = None) -> dict[int, LinkStatus]:
    query = select(LinkStatus)
    if resource_ids is not None:
        ids = list(resource_ids)
        if not ids:
            return {}
        query = query.where(LinkStatus.resource_id.in_(ids))
    return {s.resource_id: s for s in session.scalars(query)}


def recent_observations(session: Session, resource_ids: Sequence[int],
                        window: int = OBSERVATION_WINDOW) -> dict[int, list[LinkObservation]]:
    """The latest ``window`` counted observations of each resource, oldest first."""
    out: dict[int, list[LinkObservation]] = defaultdict(list)
    for start in range(0, len(resource_ids), 500):
        chunk = list(resource_ids[start:start + 500])
        ranked = (
            select(LinkObservation.id, func.row_number().over(
                partition_by=LinkObservation.resource_id,
                order_by=(LinkObservation.observed_at.desc(), LinkObservation.id.desc()),
            ).label("rank"))
            .where(LinkObservation.resource_id.in_(chunk), LinkObservation.counted.is_(True))
            .subquery()
        )
        rows = session.scalars(
            select(LinkObservation).join(ranked, ranked.c.id == LinkObservation.id)
            .where(ranked.c.rank <= window)
            .order_by(LinkObservation.resource_id, LinkObservation.observed_at, LinkObservation.id)
        )
        for row in rows:
            out[row.resource_id].append(row)
    return out


def topics_by_resource(session: Session, resource_ids: Iterable[int] | None = None) -> dict[int, list[TopicRef]]:
    """Topics of each resource's placements in the latest version of its document."""
    parent = aliased(Topic)
    query = (
        select(Placement.resource_id, Placement.position, Topic, parent)
        .where(Placement.version_id.in_(latest_version_ids()))
        .join(Topic, Topic.id == Placement.topic_id)
        .outerjoin(parent, parent.id == Topic.parent_id)
        .order_by(Placement.resource_id, Placement.position)
    )
    if resource_ids is not None:
        ids = list(resource_ids)
        if not ids:
            return {}
        query = query.where(Placement.resource_id.in_(ids))
    out: dict[int, list[TopicRef]] = defaultdict(list)
    seen: set[tuple[int, int]] = set()
    for rid, _pos, topic, par in session.execute(query):
        if (rid, topic.id) in seen:
            continue
        seen.add((rid, topic.id))
        if topic.kind == "chapter" and par is not None:
            ref = TopicRef(topic.slug, topic.title, topic.kind, par.slug, par.title, par.position,
                           topic.slug, topic.title, topic.position)
        else:
            ref = TopicRef(topic.slug, topic.title, topic.kind, topic.slug, topic.title,
                           topic.position, None, None, -1)
        out[rid].append(ref)
    return out


def add_resource_version(session: Session, resource_id: int, label: str, title: str,
                         old_title: str, seen_at: datetime) -> bool:
    """Record a changed page as a resource version (origin ``check``); False if the label exists
    (one upsert: a concurrent writer of the same label is not an error)."""
    stmt = insert_for(session, ResourceVersion).values(
        resource_id=resource_id, label=label, origin="check", title=title, old_title=old_title,
        seen_at=seen_at).on_conflict_do_nothing(index_elements=["resource_id", "label"])
    return session.execute(stmt.returning(ResourceVersion.id)).scalar() is not None


def latest_run(session: Session) -> CheckRun | None:
    return session.scalars(select(CheckRun).order_by(CheckRun.id.desc()).limit(1)).first()


def archive_lookups(session: Session, resource_id: int) -> list[ArchiveLookup]:
    return list(session.scalars(select(ArchiveLookup).where(ArchiveLookup.resource_id == resource_id)
                                .order_by(ArchiveLookup.id)))


def record_archive_answer(session: Session, resource_id: int, outcome: str, checked_at: datetime,
                          retry_at: datetime | None, archive_url: str | None,
                          archived_at: datetime | None) -> None:
    """Store a Wayback answer on the link's status, touching only the archive columns."""
    values: dict[str, object] = {"archive_outcome": outcome, "archive_checked_at": checked_at,
                                 "archive_retry_at": retry_at}
    if archive_url is not None:
        values.update(archive_url=archive_url, archived_at=archived_at)
    session.execute(update(LinkStatus).where(LinkStatus.resource_id == resource_id).values(**values)
                    .execution_options(synchronize_session=False))


def as_link_status(row: LinkStatus) -> LinkStatusView:
    """A stored status row as the ``tracker.types.LinkStatus`` hand-over other areas read."""
    return LinkStatusView(
        resource_id=row.resource_id, state=row.state, reason=row.reason, http_status=row.http_status,
        final_url=row.final_url, suggested_url=row.suggested_url, archive_url=row.archive_url,
        archive_timestamp=row.archived_at, consecutive_failures=row.consecutive_failures,
        first_failure_at=row.first_failure_at, last_ok_at=row.last_ok_at, changed_at=row.state_since)


@dataclass(frozen=True)
class DueLink:
    """What the checker needs of one due link: no ORM objects, so a page of them is small."""

    resource_id: int
    url: str
    canonical_url: str
    state: str | None
    content_type: str
    content_hash: str | None
    etag: str | None
    last_modified: str | None


def _due_filter(now: datetime, all_links: bool) -> list[object]:
    if all_links:
        return []
    return [(LinkStatus.resource_id.is_(None)) | (LinkStatus.next_check_at.is_(None))
            | (LinkStatus.next_check_at <= now)]


def due_links_page(session: Session, now: datetime, all_links: bool, after_id: int,
                   limit: int) -> list[DueLink]:
    """The next ``limit`` due links with ids above ``after_id`` (keyset paging, by id)."""
    rows = session.execute(
        select(Resource.id, Resource.url, Resource.canonical_url, LinkStatus.state, LinkStatus.content_type,
               LinkStatus.content_hash, LinkStatus.etag, LinkStatus.last_modified)
        .outerjoin(LinkStatus, LinkStatus.resource_id == Resource.id)
        .where(Resource.id > after_id, *_due_filter(now, all_links))  # type: ignore[arg-type]
        .order_by(Resource.id).limit(limit)
    ).all()
    return [DueLink(r[0], r[1], r[2], r[3], r[4] or "", r[5], r[6], r[7]) for r in rows]


def count_links(session: Session, now: datetime, all_links: bool) -> tuple[int, int]:
    """(all resources, due resources)."""
    total = session.scalar(select(func.count(Resource.id))) or 0
    due = session.scalar(select(func.count(Resource.id))
                         .outerjoin(LinkStatus, LinkStatus.resource_id == Resource.id)
                         .where(*_due_filter(now, all_links))) or 0  # type: ignore[arg-type]
    return int(total), int(due)


def state_counts(session: Session) -> dict[str, int]:
    """state → number of status rows (one GROUP BY, not a row per link)."""
    return {state: int(n) for state, n in
            session.execute(select(LinkStatus.state, func.count()).group_by(LinkStatus.state)).all()}


def dead_links(session: Session) -> list[tuple[LinkStatus, str]]:
    """Status rows in state ``dead`` with their resource's URL (archive look-ups pick from these)."""
    rows = session.execute(select(LinkStatus, Resource.url).join(Resource, Resource.id == LinkStatus.resource_id)
                           .where(LinkStatus.state == "dead").order_by(LinkStatus.resource_id)).all()
    return [(st, url) for st, url in rows]


def answered_urls(session: Session, limit: int = 200) -> list[str]:
    """URLs that gave an HTTP answer on their latest check, most recently checked first."""
    rows = session.execute(
        select(Resource.url, LinkStatus.final_url).join(Resource, Resource.id == LinkStatus.resource_id)
        .where(LinkStatus.http_status.is_not(None))
        .order_by(LinkStatus.last_checked_at.desc(), LinkStatus.resource_id).limit(limit)).all()
    return [final or url for url, final in rows]


# ------------------------------------------------------------ claims (concurrent runs)

def claim_links(session: Session, resource_ids: Sequence[int], holder: str, lease_now: datetime,
                until: datetime, now: datetime, all_links: bool) -> set[int]:
    """Claim the links of ``resource_ids`` that no other run holds (a lease until ``until``;
    a lease that ended before ``lease_now`` is free) and return those still due at ``now``.

    One upsert takes the claims (in id order, so two PostgreSQL transactions lock rows in
    the same order and cannot deadlock); the due-ness is read again *after* it, in the same
    transaction, because a run that finished and released a link between our page read and
    our claim has already moved its ``next_check_at``: we must not fetch it again.
    """
    ids = sorted(set(resource_ids))
    if not ids:
        return set()
    stmt = insert_for(session, LinkClaim).values(
        [{"resource_id": rid, "claimed_by": holder, "claimed_until": until} for rid in ids])
    stmt = stmt.on_conflict_do_update(
        index_elements=["resource_id"],
        set_={"claimed_by": stmt.excluded.claimed_by, "claimed_until": stmt.excluded.claimed_until},
        where=(LinkClaim.claimed_until <= lease_now) | (LinkClaim.claimed_by == holder))
    session.execute(stmt)
    mine = select(LinkClaim.resource_id).where(LinkClaim.claimed_by == holder, LinkClaim.resource_id.in_(ids))
    due = session.scalars(select(Resource.id).outerjoin(LinkStatus, LinkStatus.resource_id == Resource.id)
                          .where(Resource.id.in_(mine), *_due_filter(now, all_links)))  # type: ignore[arg-type]
    return set(due)


def release_links(session: Session, holder: str, resource_ids: Iterable[int] | None = None) -> None:
    """End ``holder``'s claims (all of them, or those on ``resource_ids``)."""
    query = delete(LinkClaim).where(LinkClaim.claimed_by == holder)
    if resource_ids is not None:
        ids = sorted(set(resource_ids))
        if not ids:
            return
        query = query.where(LinkClaim.resource_id.in_(ids))
    session.execute(query.execution_options(synchronize_session=False))


def lock_status_rows(session: Session, resource_ids: Sequence[int], now: datetime) -> dict[int, LinkStatus]:
    """The status rows of ``resource_ids``, created (state ``unchecked``) where missing by one
    ``INSERT … ON CONFLICT DO NOTHING``, then read and write-locked in id order: two writers
    of one link's status queue behind each other instead of failing on a duplicate key."""
    ids = sorted(set(resource_ids))
    if not ids:
        return {}
    session.execute(insert_for(session, LinkStatus).values(
        [{"resource_id": rid, "state": "unchecked", "state_since": now} for rid in ids])
        .on_conflict_do_nothing(index_elements=["resource_id"]))
    rows = session.scalars(select(LinkStatus).where(LinkStatus.resource_id.in_(ids))
                           .order_by(LinkStatus.resource_id).with_for_update()
                           .execution_options(populate_existing=True))
    return {s.resource_id: s for s in rows}
