"""Use case: propose new feed items as candidates and fill the week's budgeted queue (``tracker propose``).

Builds the topic profiles from the latest imported version (so a new import
rebuilds them), fits every feed item that has no candidate yet
(``candidates.fit``: chunked for long texts, the front topic for general ones)
and stores one candidate per item:

- ``in_document`` when the document already cites it — the same resource in any
  form (arXiv abs, pdf, versioned), the same title at another URL, or a
  near-identical title (``candidates.novelty``);
- ``duplicate`` when another candidate has the same canonical URL;
- ``off_topic`` (kept, not queued) when its best fit is below the off-topic
  threshold: ``[candidates] off_topic_threshold`` when set, else the one
  calibrated on this document version's own held-out links (computed once per
  version and stored);
- otherwise it competes for the week (``reselect``): with every undecided
  on-topic candidate it is ranked by priority (``candidates.rank``: fit,
  corroboration, source prior, freshness) and the best within
  ``weekly_budget`` / ``per_topic_budget`` are ``queued`` for the current ISO
  week; the rest are ``overflow`` — never dropped, and they compete again at
  every run, so one that gains evidence (another source) can enter a later
  week's queue.

Undecided candidates scored against an older version, or whose topic was
renamed or removed, are re-scored. Decided items never come back. Two runs at
once (the post-crawl job and a terminal) take turns on the document's write lock
(``repo.hold_document``), so the second finds the first's candidates and adds
none twice.
``propose(db, settings)`` is what the CLI and the post-crawl job call. Owns the
glue between the database and ``tracker.candidates``; no scoring logic here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from tracker.db import Session

from tracker.candidates.calibrate import calibrate
from tracker.candidates.corpus import DocumentCorpus, LinkDoc, Paragraph, TopicDoc
from tracker.candidates.fit import Fit, ItemText, fit_items
from tracker.candidates.novelty import Citations
from tracker.candidates.profiles import build_profiles
from tracker.candidates.rank import Entry, PriorModel, Signals, SourceRef, freshness, select, source_family
from tracker.candidates.scoring import Labelled, TopicScorer
from tracker.candidates.text import item_text
from tracker.candidates.weeks import week_of, week_start
from tracker.config import Settings
from tracker.db import repo_candidates as repo
from tracker.db.models_candidates import Candidate
from tracker.db.models_core import Topic
from tracker.db.models_feeds import FeedItem
from tracker.db.session import Database
from tracker.services.catalog import resolve_document
from tracker.urls import InvalidURL, canonicalize

__all__ = ["ProposeResult", "propose", "Profiles", "load_profiles", "rescore", "reselect", "candidate_text"]


@dataclass
class ProposeResult:
    """What one ``propose`` run did (``queued``/``overflow``: this run's new items; ``week_queue``
    and ``held_back``: the whole week after the run)."""

    document: str
    week: str
    items: int = 0
    queued: int = 0
    overflow: int = 0
    off_topic: int = 0
    in_document: int = 0
    duplicates: int = 0
    rescored: int = 0
    week_queue: int = 0
    held_back: int = 0
    threshold: float = 0.0
    candidate_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Profiles:
    """A fitted scorer for one document version, and what ranking needs to know of the document."""

    scorer: TopicScorer
    version_id: int | None
    topics: dict[str, Topic]
    cited: set[int]
    threshold: float = 0.05
    front: str | None = None
    citations: Citations = field(default_factory=Citations)
    prior: PriorModel = field(default_factory=lambda: PriorModel({}, {}, {}))


def candidate_text(item: FeedItem) -> str:
    """What an item is scored on whole: its title, URL words and the start of its summary."""
    return item_text(item.title, item.url, item.summary)


def _item_text(item: FeedItem) -> ItemText:
    return ItemText(candidate_text(item), item.summary or "")


def _corpus(docs: list[TopicDoc], links: list[LinkDoc]) -> DocumentCorpus:
    """The stored version as a corpus with paragraphs (a prose line and the links it holds)."""
    by_topic = {d.slug: d for d in docs}
    lines = {d.slug: d.text.split("\n") for d in docs}
    groups: dict[tuple[str, int], Paragraph] = {}
    for link in links:
        own = lines.get(link.topic_slug, [])
        needle = link.sentence or link.anchor
        index = next((i for i, line in enumerate(own) if needle and needle in line), -1)
        key = (link.topic_slug, index)
        if key not in groups:
            groups[key] = Paragraph(link.topic_slug, "", index, own[index] if index >= 0 else "")
        groups[key].links.append(link)
    split = [TopicDoc(d.slug, d.title, d.kind, d.parent_slug, d.description, d.text,
                      tuple(lines[d.slug])) for d in docs]
    del by_topic
    return DocumentCorpus(split, links, list(groups.values()))


def _threshold(session: Session, settings: Settings, version_id: int | None, docs: list[TopicDoc],
               links: list[LinkDoc]) -> float:
    override = settings.candidates.off_topic_threshold
    if override is not None:
        return override
    if version_id is None:
        return calibrate(_corpus(docs, links)).threshold
    stored = repo.get_calibration(session, version_id)
    if stored is None:
        found = calibrate(_corpus(docs, links))
        repo.save_calibration(session, version_id, found.threshold, found.samples, settings.now())
        return found.threshold
    return stored.threshold


def _citations(rows: list[tuple[str, str, str, str, str, str]]) -> Citations:
    return Citations.of((url, (canonical, external), (title, anchor))
                        for url, canonical, external, _kind, title, anchor in rows)


def load_profiles(session: Session, document_id: int, settings: Settings | None = None) -> Profiles:
    """Profiles of the latest version (topics, prose, links, resource titles, accepted items),
    its threshold, what it cites and the source prior."""
    settings = settings or Settings()
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
    cited_rows = repo.citation_rows(session, version_id)
    decided = repo.decided_items(session, document_id)
    sources = repo.item_sources(session, [item_id for item_id, _a in decided])
    families = [(source_family(SourceRef(*s)), accepted) for item_id, accepted in decided
                for s in sources.get(item_id, [])[:1]]
    front = next((t.slug for t in sorted(topics, key=lambda t: t.position) if t.kind == "front"), None)
    return Profiles(scorer, version_id, {t.slug: t for t in topics},
                    repo.cited_resource_ids(session, version_id),
                    _threshold(session, settings, version_id, docs, link_docs), front,
                    _citations(cited_rows), PriorModel.learn(((k, u) for u, _c, _e, k, _t, _a in cited_rows),
                                                             families))


def _keys(item: FeedItem) -> tuple[str, ...]:
    return (item.canonical_id, item.canonical_url)


def _duplicate_of_cited(item: FeedItem, profiles: Profiles) -> tuple[str, str] | None:
    return profiles.citations.duplicate(_keys(item), item.title)


def _place(candidate: Candidate, fit: Fit, profiles: Profiles, keep_topic: int | None = None) -> None:
    """Write the fit, topic and overflow/off-topic status (a deferred candidate stays deferred);
    ``reselect`` decides which overflow candidates make the week's queue."""
    candidate.scores = [{"slug": t.slug, "score": t.score} for t in fit.topics]
    candidate.reason = fit.reason
    candidate.scored_version_id = profiles.version_id
    best = fit.best
    candidate.score = best.score if best else 0.0
    candidate.signals = {"fit": candidate.score, "terms": list(fit.terms), "placement": fit.placement}
    active_ids = {t.id for t in profiles.topics.values()}
    if keep_topic is not None and keep_topic in active_ids:
        candidate.topic_id = keep_topic
    else:
        candidate.topic_id = profiles.topics[best.slug].id if best and best.slug in profiles.topics else None
    if candidate.status != "deferred":
        on_topic = best is not None and best.score >= profiles.threshold
        candidate.status = "overflow" if on_topic else "off_topic"
        candidate.rank = None


def _cited(item: FeedItem, profiles: Profiles) -> bool:
    return bool(item.in_document) or (item.resource_id is not None and item.resource_id in profiles.cited)


def _mark_cited(candidate: Candidate, item: FeedItem, profiles: Profiles) -> bool:
    """``in_document`` when the document cites the item in any form; says which link in ``reason``."""
    if _cited(item, profiles):
        candidate.status, candidate.resource_id = "in_document", item.resource_id
        candidate.reason = "already cited by the document"
        return True
    found = _duplicate_of_cited(item, profiles)
    if found is None:
        return False
    why, url = found
    candidate.status, candidate.rank = "in_document", None
    candidate.reason = f"already cited: {why} as {url}"
    return True


def rescore(session: Session, settings: Settings, document_id: int, profiles: Profiles) -> int:
    """Re-score undecided candidates that a new version or a topic change made stale."""
    stale = repo.rescore_needed(session, document_id, profiles.version_id)
    if not stale:
        return 0
    moved = repo.moved_topics(session, [c.id for c, _i in stale])
    fits = fit_items(profiles.scorer, [_item_text(i) for _c, i in stale], profiles.threshold,
                     profiles.front, settings.candidates.top_topics)
    for (candidate, item), fit in zip(stale, fits):
        candidate.scored_version_id = profiles.version_id
        if candidate.status != "deferred" and _mark_cited(candidate, item, profiles):
            continue
        _place(candidate, fit, profiles, moved.get(candidate.id))
    session.flush()
    return len(stale)


def reselect(session: Session, settings: Settings, document_id: int, profiles: Profiles) -> tuple[int, int]:
    """Rank everything competing for the current week and fill its budget; ``(queued, overflow)``."""
    now = settings.now()
    week = week_of(now)
    start = week_start(week)
    pool = repo.week_pool(session, document_id, week, start, start + timedelta(days=7))
    seen_by = repo.item_sources(session, [item.id for _c, item in pool])
    slug_of = {t.id: slug for slug, t in profiles.topics.items()}
    entries: list[Entry] = []
    for candidate, item in pool:
        families: dict[str, str] = {}
        for name, kind, target in seen_by.get(item.id, []):
            families.setdefault(source_family(SourceRef(name, kind, target)), name)
        prior, why = profiles.prior.factor(item.kind, item.url, list(families))
        stored = dict(candidate.signals or {})
        signals = Signals(float(stored.get("fit", candidate.score)), profiles.threshold,
                          tuple(families.values()), prior, freshness(item.published_at or item.first_seen_at, now),
                          tuple(stored.get("terms") or ()), str(stored.get("placement") or ""))
        candidate.priority = signals.priority
        candidate.signals = {**signals.as_dict(), "prior_basis": why}
        pinned = candidate.status not in ("queued", "overflow")
        entries.append(Entry(candidate.id, slug_of.get(candidate.topic_id or -1), candidate.priority, pinned))
    ranks = select(entries, settings.candidates.weekly_budget, settings.candidates.per_topic_budget)
    queued = overflow = 0
    for candidate, _item in pool:
        if candidate.status in ("queued", "overflow"):
            if candidate.id in ranks:
                candidate.status, candidate.week = "queued", week
            else:
                candidate.status = "overflow"
            queued += candidate.status == "queued"
            overflow += candidate.status == "overflow"
        candidate.rank = ranks.get(candidate.id)
    session.flush()
    return queued, overflow


def _canonical(url: str) -> str:
    try:
        return canonicalize(url).canonical
    except (InvalidURL, ValueError):
        return url.strip()


def propose(db: Database, settings: Settings, *, document: str | None = None) -> ProposeResult:
    """Score the feed items not yet proposed and refill the week's queue; one transaction."""
    now = settings.now()
    week = week_of(now)
    with db.transaction() as session:
        doc = resolve_document(session, settings, document)
        repo.hold_document(session, doc.id)  # first, before reading: a concurrent propose waits or went first
        result = ProposeResult(doc.name, week)
        profiles = load_profiles(session, doc.id, settings)
        result.threshold = profiles.threshold
        result.rescored = rescore(session, settings, doc.id, profiles)
        items = repo.unproposed_items(session, doc.id)
        result.items = len(items)
        urls = {item.id: item.canonical_url or _canonical(item.url) for item in items}
        holders = repo.candidates_by_url(session, doc.id, list(urls.values())) if items else {}
        created: dict[str, Candidate] = {}  # canonical URL → this run's first candidate for it
        added: list[Candidate] = []
        fresh: list[tuple[Candidate, FeedItem]] = []
        for item in items:
            url = urls[item.id]
            candidate = Candidate(document_id=doc.id, item_id=item.id, canonical_url=url[:2048],
                                  status="overflow", week=week, created_at=now, score=0.0, scores=[],
                                  reason="", decided_by="", note="", priority=0.0, signals={})
            if _mark_cited(candidate, item, profiles):
                result.in_document += 1
            elif url in holders or url in created:
                if url not in holders:
                    session.flush()  # the first one needs its id (rare: two items, one URL, one run)
                    holders[url] = created[url].id
                candidate.status = "duplicate"
                candidate.duplicate_of_id = holders[url]
                result.duplicates += 1
            else:
                fresh.append((candidate, item))
            session.add(candidate)
            created.setdefault(url, candidate)
            added.append(candidate)
        fits = fit_items(profiles.scorer, [_item_text(i) for _c, i in fresh], profiles.threshold,
                         profiles.front, settings.candidates.top_topics)
        for (candidate, _item), fit in zip(fresh, fits):
            _place(candidate, fit, profiles)
        session.flush()
        result.week_queue, result.held_back = reselect(session, settings, doc.id, profiles)
        for candidate in added:
            result.queued += candidate.status == "queued"
            result.overflow += candidate.status == "overflow"
            result.off_topic += candidate.status == "off_topic"
        result.candidate_ids = [c.id for c in added]
        return result
