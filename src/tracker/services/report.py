"""Use cases: the link-rot report, and the current link statuses other areas read.

Owns: gathering every resource with its cached link status and the topics of
its placements in the latest document version into a ``LinkReport`` (newly
dead and recovered are state changes within ``since``), and
``current_link_statuses`` (the ``tracker.types.LinkStatus`` hand-over the
changelog uses). Does not own: rendering (``tracker.links.report_render``)
or any judgement.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from tracker.bulk import gc_paused
from tracker.config import Settings
from tracker.db import repo_links
from tracker.db.session import Database
from tracker.links.report import LinkReport, LinkRow, Place, RunInfo, summarise
from tracker.types import LinkStatus as LinkStatusView

__all__ = ["link_report", "current_link_statuses", "DEFAULT_SINCE"]

DEFAULT_SINCE = timedelta(days=7)
_BROKEN = ("failing", "dead")


def link_report(db: Database, settings: Settings, *, since: timedelta = DEFAULT_SINCE) -> LinkReport:
    """Every link with its state, grouped data for the renderers."""
    now = settings.now()
    start = now - since
    with gc_paused(), db.transaction() as session:  # 50,000 rows of acyclic objects
        rows = repo_links.report_rows(session)
        topics = repo_links.topics_by_resource(session)
        run = repo_links.latest_run(session)
        out = []
        # one tuple per set of topics (``topics_by_resource`` gives one TopicRef object per topic),
        # with where it first appears in the document (the sort key's first part)
        places_of: dict[tuple[int, ...], tuple[Place, ...]] = {}
        first_of: dict[tuple[int, ...], tuple[int, int]] = {}
        firsts: list[tuple[int, int]] = []
        for (rid, url, canonical_url, title, host, status_id, state, previous_state, state_since, reason,
             http_status, final_url, suggested_url, soft404, failures, first_failure_at, last_ok_at,
             last_checked_at, elapsed_ms, st_title, archive_url, archived_at) in rows:
            refs = topics.get(rid, [])
            key = tuple(id(t) for t in refs)
            places = places_of.get(key)
            if places is None:
                places = places_of[key] = tuple(
                    Place(t.slug, t.section_slug, t.section_title, t.section_position,
                          t.chapter_slug, t.chapter_title, t.chapter_position) for t in refs)
                first_of[key] = min(((p.section_position, p.chapter_position) for p in places),
                                    default=(1 << 30, 0))
            firsts.append(first_of[key])
            if status_id is None:
                out.append(LinkRow(url, canonical_url, title, host, "unchecked", "never checked", places=places))
                continue
            changed_now = state_since >= start and previous_state != state
            out.append(LinkRow(
                url=url, canonical_url=canonical_url, title=title or st_title, host=host, state=state,
                reason=reason, http_status=http_status, final_url=final_url, suggested_url=suggested_url,
                archive_url=archive_url, archived_at=archived_at, consecutive_failures=failures,
                first_failure_at=first_failure_at, last_ok_at=last_ok_at, last_checked_at=last_checked_at,
                state_since=state_since, previous_state=previous_state, soft404=soft404,
                elapsed_ms=elapsed_ms, places=places, newly_dead=changed_now and state == "dead",
                recovered=changed_now and state in ("alive", "redirected") and previous_state in _BROKEN))
        info = None if run is None else RunInfo(run.id, run.started_at, run.inconclusive, run.links,
                                                run.requests, run.elapsed_ms)
    order = {"dead": 0, "failing": 1, "blocked": 2, "redirected": 3, "alive": 4, "unchecked": 5}
    with gc_paused():  # by first place in the document, state, URL (stable: ties keep the id order)
        keys = [(first, order.get(r.state, 9), r.url) for first, r in zip(firsts, out)]
        ranked = sorted(range(len(out)), key=keys.__getitem__)
        ordered = [out[i] for i in ranked]
    return LinkReport(now, start, tuple(ordered), info, summarise(ordered))


def current_link_statuses(db: Database, resource_ids: Iterable[int] | None = None) -> dict[int, LinkStatusView]:
    """The latest judgement on each checked resource's link, keyed by resource id."""
    with db.transaction() as session:
        rows = repo_links.status_rows(session, resource_ids)
        return {rid: repo_links.as_link_status(st) for rid, st in rows.items()}
