"""Use case: propose new feed items as candidates for the document's chapters (``tracker propose``).

Builds the topic profiles from the latest imported version (so a new import
rebuilds them), scores every feed item that has no candidate yet, and stores one
candidate per item: ``in_document`` when the document already cites it,
``duplicate`` when another candidate has the same canonical URL, ``off_topic``
(kept, not queued) when its best score is below ``[candidates]
off_topic_threshold``, else ``queued`` for the current ISO week. Undecided
candidates scored against an older version, or whose topic was renamed or
removed, are re-scored. Decided items never come back: an item has one
candidate, for good.

``propose(db, settings)`` is what the CLI and the post-crawl job call. Owns the
glue between the database and ``tracker.candidates``; no scoring logic here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tracker.db import Session

from tracker.candidates.corpus import LinkDoc, TopicDoc
from tracker.candidates.profiles import build_profiles
from tracker.candidates.scoring import Labelled, ScoredItem, TopicScorer
from tracker.candidates.text import item_text
from tracker.candidates.weeks import week_of
from tracker.config import Settings
from tracker.db import repo_candidates as repo
from tracker.db.models_candidates import Candidate
from tracker.db.models_core import Topic
from tracker.db.models_feeds import FeedItem
from tracker.db.session import Database
from tracker.services.catalog import resolve_document
from tracker.urls import InvalidURL, canonicalize

__all__ = ["ProposeResult", "propose", "Profiles", "load_profiles", "rescore", "candidate_text"]


@dataclass
class ProposeResult:
    """What one ``propose`` run did."""

    document: str
    week: str
    items: int = 0
    queued: int = 0
    off_topic: int = 0
    in_document: int = 0
    duplicates: int = 0
    rescored: int = 0
    candidate_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Profiles:
    """A fitted scorer for one document version, and its topics by slug."""

    scorer: TopicScorer
    version_id: int | None
    topics: dict[str, Topic]
    cited: set[int]


def candidate_text(item: FeedItem) -> str:
    """What an item is scored on: its title, URL words and summary."""
    return item_text(item.title, item.url, item.summary)


def load_profiles(session: Session, document_id: int) -> Profiles:
    """Profiles of the latest version (topics, prose, links, resource titles, accepted items)."""
    topics, links, version_id = repo.profile_rows(session, document_id)
    slug_of = {t.id: t.slug for t in topics}
    docs = [TopicDoc(t.slug, t.title, t.kind, slug_of.get(t.parent_id) if t.parent_id else None,
                     t.description, t.text, (t.text,) if t.text else ()) for t in topics]
    link_docs = [LinkDoc(slug, url, anchor, sentence, title if title != anchor else "")
                 for slug, url, anchor, sentence, title in links]
    examples: dict[str, list[str]] = {}
    labelled: list[Labelled] = []
    for title, url, summary, slug in repo.decided_examples(session, document_id):
        text = item_text(title, url, summary)
        labelled.append(Labelled(text, slug))
        if slug is not None:
            examples.setdefault(slug, []).append(item_text(title, url))
    scorer = TopicScorer(build_profiles(docs, link_docs, examples=examples), labelled)
    return Profiles(scorer, version_id, {t.slug: t for t in topics},
                    repo.cited_resource_ids(session, version_id))


def _place(candidate: Candidate, scored: ScoredItem, profiles: Profiles, threshold: float,
           keep_topic: int | None = None) -> None:
    """Write scores, topic and queued/off-topic status (a deferred candidate stays deferred)."""
    candidate.scores = [{"slug": t.slug, "score": t.score} for t in scored.topics]
    candidate.reason = scored.reason
    candidate.scored_version_id = profiles.version_id
    best = scored.best
    candidate.score = best.score if best else 0.0
    active_ids = {t.id for t in profiles.topics.values()}
    if keep_topic is not None and keep_topic in active_ids:
        candidate.topic_id = keep_topic
    else:
        candidate.topic_id = profiles.topics[best.slug].id if best else None
    if candidate.status != "deferred":
        candidate.status = "queued" if best is not None and best.score >= threshold else "off_topic"


def _cited(item: FeedItem, profiles: Profiles) -> bool:
    return bool(item.in_document) or (item.resource_id is not None and item.resource_id in profiles.cited)


def rescore(session: Session, settings: Settings, document_id: int, profiles: Profiles) -> int:
    """Re-score undecided candidates that a new version or a topic change made stale."""
    stale = repo.rescore_needed(session, document_id, profiles.version_id)
    if not stale:
        return 0
    moved = repo.moved_topics(session, [c.id for c, _i in stale])
    scored = profiles.scorer.score_items([candidate_text(i) for _c, i in stale],
                                         top=settings.candidates.top_topics)
    for (candidate, item), result in zip(stale, scored):
        if _cited(item, profiles):
            candidate.status = "in_document"
            candidate.scored_version_id = profiles.version_id
            continue
        _place(candidate, result, profiles, settings.candidates.off_topic_threshold, moved.get(candidate.id))
    session.flush()
    return len(stale)


def _canonical(url: str) -> str:
    try:
        return canonicalize(url).canonical
    except (InvalidURL, ValueError):
        return url.strip()


def propose(db: Database, settings: Settings, *, document: str | None = None) -> ProposeResult:
    """Score the feed items not yet proposed; one transaction for the whole run."""
    now = settings.now()
    week = week_of(now)
    with db.transaction() as session:
        doc = resolve_document(session, settings, document)
        result = ProposeResult(doc.name, week)
        profiles = load_profiles(session, doc.id)
        result.rescored = rescore(session, settings, doc.id, profiles)
        items = repo.unproposed_items(session, doc.id)
        result.items = len(items)
        if not items:
            return result
        urls = {item.id: item.canonical_url or _canonical(item.url) for item in items}
        holders = repo.candidates_by_url(session, doc.id, list(urls.values()))
        fresh = [item for item in items if not _cited(item, profiles) and urls[item.id] not in holders]
        scored = dict(zip((i.id for i in fresh), profiles.scorer.score_items(
            [candidate_text(i) for i in fresh], top=settings.candidates.top_topics)))
        threshold = settings.candidates.off_topic_threshold
        created: dict[str, Candidate] = {}  # canonical URL → this run's first candidate for it
        added: list[Candidate] = []
        for item in items:
            url = urls[item.id]
            candidate = Candidate(document_id=doc.id, item_id=item.id, canonical_url=url[:2048],
                                  status="queued", week=week, created_at=now, score=0.0, scores=[],
                                  reason="", decided_by="", note="")
            if _cited(item, profiles):
                candidate.status = "in_document"
                candidate.resource_id = item.resource_id
                result.in_document += 1
            elif url in holders or url in created:
                if url not in holders:
                    session.flush()  # the first one needs its id (rare: two items, one URL, one run)
                    holders[url] = created[url].id
                candidate.status = "duplicate"
                candidate.duplicate_of_id = holders[url]
                result.duplicates += 1
            else:
                _place(candidate, scored[item.id], profiles, threshold)
                result.queued += candidate.status == "queued"
                result.off_topic += candidate.status == "off_topic"
            session.add(candidate)
            created.setdefault(url, candidate)
            added.append(candidate)
        session.flush()
        result.candidate_ids = [c.id for c in added]
        return result
