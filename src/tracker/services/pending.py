"""Pending changes: what the next version of the document should contain.

Owns the adapters between the other areas and the changelog/export:

* ``pending_changes`` (pure, tested with hand-built inputs): from the latest
  version's citations, ``list[LinkStatus]`` (link-health area), the states
  before the current ones, ``list[AcceptedCandidate]`` (candidate area) and
  resource versions, the changes ``archived`` (dead → archived copy),
  ``redirect`` (permanent redirect → new URL), ``accepted``, ``new_version``
  (a newer arXiv version, a page whose content changed) and ``recovered``;
* ``load_inputs`` (thin): reads those inputs through ``repo_release`` and,
  when the candidate area provides it,
  ``tracker.db.repo_candidates.accepted_candidates(session, document_id)``.

Does not own: link checking, candidate decisions, rendering or patching.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from tracker.db import Session

from tracker.changelog.model import Change, Citation, TopicView
from tracker.db import repo_release
from tracker.db.repo_candidates import accepted_candidates
from tracker.export.build import replacement_for
from tracker.escape import one_line
from tracker.types import AcceptedCandidate, LinkStatus

__all__ = ["ResourceVersionView", "PendingInputs", "pending_changes", "load_inputs",
           "load_accepted", "RECOVERED_FROM"]

#: a link that leaves one of these states for alive/redirected has "recovered"
RECOVERED_FROM = ("dead", "failing")
_ARXIV_VERSION = re.compile(r"^v(\d+)$")


@dataclass(frozen=True)
class ResourceVersionView:
    """A known version of a resource (``origin``: document, crawl or check)."""

    resource_id: int
    label: str
    origin: str
    seen_at: datetime
    title: str = ""
    old_title: str = ""


@dataclass
class PendingInputs:
    """Everything ``pending_changes`` needs besides the version's topics and citations."""

    statuses: dict[int, LinkStatus] = field(default_factory=dict)
    previous_states: dict[int, str | None] = field(default_factory=dict)
    accepted: list[AcceptedCandidate] = field(default_factory=list)
    versions: list[ResourceVersionView] = field(default_factory=list)


def _make(type_: str, slug: str, topics: Mapping[str, TopicView], order: tuple[int, int], *,
          url: str | None, title: str, kind: str, old_url: str | None = None, detail: str = "") -> Change:
    topic = topics.get(slug)
    section = topics.get(topic.parent_slug or "") if topic else None
    return Change(type_, slug, url=url, old_url=old_url, title=title, kind=kind, detail=detail,
                  topic_title=topic.title if topic else "", section=section.slug if section else None,
                  section_title=section.title if section else "", order=order)


def _new_version(cited: Citation, versions: Sequence[ResourceVersionView],
                 since: datetime | None) -> str | None:
    """What is new about a cited resource since ``since`` (``None``: nothing)."""
    # ``>=``: the weekly cycle imports first and checks after, possibly within one clock tick
    # (and exactly so under a frozen TRACKER_NOW); a version seen then is news for the next one
    fresh = [v for v in versions if since is None or v.seen_at >= since]
    cited_n = int(cited.url_version[1:]) if _ARXIV_VERSION.match(cited.url_version) else 1
    numbered = [int(m.group(1)) for v in fresh if (m := _ARXIV_VERSION.match(v.label))]
    if numbered and max(numbered) > cited_n:
        return f"v{max(numbered)}"
    changed = [v for v in fresh if v.origin == "check" and not _ARXIV_VERSION.match(v.label)]
    if not changed:
        return None
    latest = changed[-1]  # the link area records a "check" version only when the content changed
    if latest.title and latest.old_title and latest.title != latest.old_title:
        # the entry is labelled with the title the document knows (usually the old one), so say the new one
        return (f"page content changed; its title is now “{one_line(latest.title)}” "
                f"(was “{one_line(latest.old_title)}”)")
    return "page content changed"


def pending_changes(topics: Sequence[TopicView], citations: Sequence[Citation],
                    statuses: Mapping[int, LinkStatus], previous_states: Mapping[int, str | None],
                    accepted: Sequence[AcceptedCandidate], versions: Sequence[ResourceVersionView],
                    since: datetime | None) -> list[Change]:
    """The pending changes in document order; one per resource and chapter (links cited in
    several chapters are listed in each). ``since`` is when the latest version was imported."""
    by_slug = {t.slug: t for t in topics}
    order = {t.slug: t.position * 2 for t in topics}
    by_resource: dict[int, list[ResourceVersionView]] = {}
    for v in sorted(versions, key=lambda v: v.seen_at):
        by_resource.setdefault(v.resource_id, []).append(v)
    out: list[Change] = []
    seen: set[tuple[int, str, str]] = set()
    for c in sorted(citations, key=lambda c: c.position):
        where = (order.get(c.topic_slug, 0), c.position)
        status = statuses.get(c.resource_id)
        swap = replacement_for(c.url, status)
        if swap and (c.resource_id, c.topic_slug, swap[0]) not in seen:
            seen.add((c.resource_id, c.topic_slug, swap[0]))
            out.append(_make(swap[0], c.topic_slug, by_slug, where, url=swap[1], old_url=c.url,
                             title=c.label, kind=c.kind, detail=status.reason if status else ""))
        if (status is not None and status.state in ("alive", "redirected")
                and previous_states.get(c.resource_id) in RECOVERED_FROM
                and (since is None or status.changed_at is None or status.changed_at > since)
                and (c.resource_id, "", "recovered") not in seen):
            seen.add((c.resource_id, "", "recovered"))
            out.append(_make("recovered", c.topic_slug, by_slug, where, url=c.url, title=c.label, kind=c.kind))
        news = _new_version(c, by_resource.get(c.resource_id, []), since)
        if news and (c.resource_id, "", "new_version") not in seen:
            seen.add((c.resource_id, "", "new_version"))
            out.append(_make("new_version", c.topic_slug, by_slug, where, url=c.url, title=c.label,
                             kind=c.kind, detail=news))
    cited = {c.canonical_url for c in citations}
    for i, a in enumerate(accepted):
        if a.canonical_url in cited:
            continue  # already in the document
        cited.add(a.canonical_url)
        out.append(_make("accepted", a.topic_slug, by_slug, (order.get(a.topic_slug, 10**9), 10**9 + i),
                         url=a.url, title=one_line(a.title) or a.url, kind=a.kind,
                         detail=one_line(a.authors or a.source)))
    return sorted(out, key=lambda ch: ch.order)


def load_accepted(session: Session, document_id: int) -> list[AcceptedCandidate]:
    """Accepted candidates not yet in the document (the candidate area's hand-over)."""
    return accepted_candidates(session, document_id)


def load_inputs(session: Session, document_id: int, citations: Sequence[Citation]) -> PendingInputs:
    """Link states, accepted candidates and resource versions for the cited resources."""
    ids = sorted({c.resource_id for c in citations})
    statuses, previous = repo_release.link_statuses(session, ids)
    versions = [ResourceVersionView(v.resource_id, v.label, v.origin, v.seen_at, v.title, v.old_title)
                for v in repo_release.resource_versions(session, ids)]
    return PendingInputs(statuses, previous, load_accepted(session, document_id), versions)
