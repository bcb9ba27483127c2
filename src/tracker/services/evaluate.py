"""Use cases: ``tracker eval topics PATH`` and ``tracker eval queue REPOSITORY FEEDS``.

``evaluate_topics`` reads a document from disk (a folder or a Markdown file, as
``import`` does), parses it, and runs the pure leave-one-paragraph-out
evaluation next to the arxiv-sanity-style baseline. Needs no database.

``evaluate_queue`` replays a document's git history against a folder of dated
feeds (``YYYY-MM-DD_name.xml``): for each ISO week of the feeds, in a throw-away
SQLite database, it imports the document as it was at the start of the week,
stores that week's items (each file is one source), runs ``propose`` with the
clock at the end of the week and records the budgeted queue; then
``candidates.retro`` measures which links the following commits added were in
the queue, and in which chapter. Owns only that glue.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tracker.candidates.corpus import corpus_from_parsed
from tracker.candidates.evaluate import EvalReport, evaluate_corpus
from tracker.candidates.retro import Added, QueueEvalReport, WeekRecord, score_weeks
from tracker.candidates.weeks import week_of, week_start
from tracker.config import Settings
from tracker.document.structure import parse_document
from tracker.errors import InputError
from tracker.services.document_source import Snapshot, git_history, read_path

__all__ = ["evaluate_topics", "evaluate_queue"]


def evaluate_topics(path: Path, settings: Settings, *, workers: int | None = None,
                    progress: Callable[[int, int], None] | None = None) -> EvalReport:
    """Evaluate topic scoring on the document at ``path`` (raises ``DocumentError``/``InputError``)."""
    snapshot = read_path(path)
    parsed = parse_document(snapshot.files)
    return evaluate_corpus(corpus_from_parsed(parsed, snapshot.files), workers=workers, progress=progress)


# ---------------------------------------------------------------- eval queue

FEED_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")


def _feed_kind(name: str) -> str:
    lowered = name.lower()
    if "arxiv" in lowered and "api" in lowered:
        return "arxiv"
    if "arxiv" in lowered:
        return "arxiv-listing"
    return "youtube" if "youtube" in lowered else "feed"


def _dated_feeds(folder: Path) -> list[tuple[datetime, Path]]:
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder of dated feeds (YYYY-MM-DD_name.xml)")
    found = []
    for path in sorted(folder.iterdir()):
        match = FEED_DATE.match(path.name)
        if match and path.is_file():
            found.append((datetime.fromisoformat(match.group(1)).replace(tzinfo=timezone.utc), path))
    if not found:
        raise InputError(f"no dated feeds in {folder}; name them YYYY-MM-DD_name.xml")
    return found


def _key(url: str) -> str | None:
    from tracker.sources.dedupe import safe_identity

    found = safe_identity(url)
    return found.canonical_id if found is not None else None


def _added_links(history: list[Snapshot]) -> list[Added]:
    """Links each commit added (not in the commit before), with their chapter."""
    out: list[Added] = []
    before: set[str] = set()
    for n, snap in enumerate(history):
        parsed = parse_document(snap.files)
        now: dict[str, tuple[str, str]] = {}
        for link in parsed.links:
            key = _key(link.href) if link.target == "external" else None
            if key is not None:
                now.setdefault(key, (link.href, link.topic_slug))
        if n and snap.committed_at is not None:
            out += [Added(k, url, topic, snap.committed_at) for k, (url, topic) in now.items() if k not in before]
        before = set(now)
    return out


def evaluate_queue(repository: Path, feeds: Path, settings: Settings,
                   progress: Callable[[str], None] | None = None) -> QueueEvalReport:
    """Replay the document's git history week by week against a folder of dated feeds."""
    from tracker.db.session import open_database
    from tracker.services.feed_items import store_items
    from tracker.services.import_ import import_snapshot
    from tracker.services.propose import propose
    from tracker.services.sources import add_source
    from tracker.db import repo_candidates, repo_feeds
    from tracker.sources import parse_body

    say = progress or (lambda message: None)
    history = git_history(repository)
    dated = _dated_feeds(feeds)
    by_week: dict[str, list[Path]] = {}
    for when, path in dated:
        by_week.setdefault(week_of(when), []).append(path)
    records: list[WeekRecord] = []
    with tempfile.TemporaryDirectory(prefix="tracker-eval-queue-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'replay.db'}"
        db = open_database(url)
        try:
            imported: str | None = None
            for week in sorted(by_week):
                start = week_start(week)
                now = start + timedelta(days=6, hours=12)
                replay = replace(settings, database_url=url, now_override=now)
                known = [s for s in history if s.committed_at is None or s.committed_at < start]
                if not known:
                    continue  # the document did not exist yet
                snap = known[-1]
                if snap.label != imported:
                    import_snapshot(db, snap, replay)
                    imported = snap.label
                keys: set[str] = set()
                count = 0
                for path in by_week[week]:
                    name = FEED_DATE.sub("", path.stem).strip("_-") or path.stem
                    kind = _feed_kind(name)
                    parsed = parse_body(kind, path.read_bytes(), f"http://{name}.invalid/feed.xml")
                    with db.transaction() as session:
                        source = repo_feeds.get_source(session, name)
                    if source is None:
                        add_source(db, replay, "feed", f"http://{name}.invalid/feed.xml", name=name[:100])
                    with db.transaction() as session:
                        source = repo_feeds.get_source(session, name[:100])
                        assert source is not None
                        store_items(session, source, parsed.items, now, repo_feeds.load_cited(session))
                    keys |= {i.canonical_id for i in parsed.items}
                    count += len(parsed.items)
                result = propose(db, replay)
                with db.transaction() as session:
                    shown = repo_candidates.week_queue(session, week)
                records.append(WeekRecord(week, start, snap.label, count, frozenset(keys), shown,
                                          result.held_back))
                say(f"{week}: version {snap.label}, {count} items, {len(shown)} queued, "
                    f"{result.held_back} held back")
        finally:
            db.dispose()
    return score_weeks(records, _added_links(history))
