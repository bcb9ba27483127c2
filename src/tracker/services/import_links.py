"""Storing the links of one parsed version, for ``services.import_``.

Owns: turning a version's parsed links into rows (canonical identity, resources,
placements, internal links, titles from anchor text, resource versions) and the order of
their writes. Links are canonicalised in batches of ``BATCH``; on PostgreSQL each
batch's writes (its new resources, then its placements) run on one background thread
while the next batch is canonicalised, so the server's share (index upkeep and the
foreign-key checks of every placement: ~3 s of a 100,000-link import, issue 15)
overlaps the client's instead of following it. The session is used by one thread at a
time: the writer waits for the previous batch before taking the next, and this module
waits for the writer before it touches the session again (also when anything fails);
while the writer runs, the interpreter switches threads more often (``SWITCH_INTERVAL``).
On SQLite the writes run in line, in one batch (one process: nothing to overlap).
The rows stored are the same either way: resources in order of first appearance with
the first anchor-text title, placements numbered through the whole version.
Does not own: the SQL (``db.repo_documents``), parsing, versions and topics (``import_``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tracker.db import Session
from tracker.db import repo_documents as repo
from tracker.db.sets import is_postgres
from tracker.document.model import ParsedLink
from tracker.document.titles import title_from_anchor
from tracker.urls import canonicalize

__all__ = ["BATCH", "StoredLinks", "store_links"]

#: links canonicalised per batch when the writes run beside it (PostgreSQL)
BATCH = 10_000
#: seconds the interpreter lets one thread hold the GIL while the writer runs (default 0.005):
#: the writer waits on the server between short bursts of Python (each COPY buffer, each
#: result), and at every turn it waited up to the whole interval for the canonicalising
#: thread; with 0.5 ms a 100,000-link import spent 1.7 s instead of 3.7 s waiting for it
SWITCH_INTERVAL = 0.0005


@dataclass
class StoredLinks:
    """What was stored: placements, distinct resources, the canonical URLs created now,
    internal links by reason."""

    placements: int = 0
    resources: int = 0
    created: set[str] = field(default_factory=set)
    internal: dict[str, int] = field(default_factory=dict)


class _Writer:
    """Writes each batch's new resources and placements, in order, on a background thread
    (``background``) or in line; ``ids`` collects canonical URL → resource id."""

    def __init__(self, session: Session, background: bool) -> None:
        self.session = session
        self.ids: dict[str, int] = {}
        self.created: set[str] = set()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="tracker-import") if background else None
        self._pending: Future[None] | None = None
        self._interval = sys.getswitchinterval()
        if background:  # see SWITCH_INTERVAL
            sys.setswitchinterval(min(self._interval, SWITCH_INTERVAL))

    def run(self, job: Callable[[], None]) -> None:
        """Run ``job`` (which uses the session) after the previous one."""
        self.wait()  # one job at a time: the session is never used by two threads at once
        if self._pool is None:
            job()
        else:
            self._pending = self._pool.submit(job)

    def write(self, resources: dict[str, dict[str, Any]], placements: list[dict[str, Any]]) -> None:
        self.run(lambda: self._write(resources, placements))

    def wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        """Wait for the thread (whatever happened) and let it go."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            sys.setswitchinterval(self._interval)

    def _write(self, resources: dict[str, dict[str, Any]], placements: list[dict[str, Any]]) -> None:
        ids, created = repo.ensure_resources(self.session, resources)
        self.ids.update(ids)
        self.created |= created
        for row in placements:
            row["resource_id"] = self.ids[row.pop("canonical")]
        repo.add_placements(self.session, placements)


def _overlapped(session: Session) -> bool:
    """Whether the writes run beside the canonicalisation: when the database works in a
    process of its own (PostgreSQL)."""
    return is_postgres(session)


def store_links(session: Session, version_id: int, links: list[ParsedLink], topic_ids: dict[str, int],
                now: datetime, topic_snapshots: list[dict[str, Any]]) -> StoredLinks:
    """Store the links of version ``version_id`` (topics already stored: slug → id), after
    the version's ``topic_snapshots`` (written first, beside the first batch too)."""
    background = _overlapped(session)
    size = BATCH if background else max(1, len(links))
    out = StoredLinks()
    seen: set[str] = set()
    titles: dict[str, str] = {}  # canonical URL → the first anchor-text title
    titled: set[str] = set()  # created with that title (the others get it by fill_missing_titles)
    internal: list[dict[str, Any]] = []
    versions: list[tuple[str, str]] = []
    writer = _Writer(session, background)
    try:
        writer.run(lambda: repo.add_topic_snapshots(session, topic_snapshots))
        for start in range(0, len(links), size):
            fresh: dict[str, dict[str, Any]] = {}  # resources first seen in this batch
            placements: list[dict[str, Any]] = []
            for link in links[start:start + size]:
                topic_id = topic_ids[link.topic_slug]
                if link.target != "external":
                    internal.append(dict(version_id=version_id, topic_id=topic_id, target=link.href,
                                         reason=link.target, anchor_text=link.text, file=link.file,
                                         line=link.line))
                    out.internal[link.target] = out.internal.get(link.target, 0) + 1
                    continue
                canon = canonicalize(link.href)
                url = canon.canonical
                if url not in seen:
                    seen.add(url)
                    fresh[url] = dict(canonical_url=url, url=link.href, kind=canon.kind, host=canon.host,
                                      external_id=canon.external_id, title="", origin="document",
                                      created_at=now)
                if url not in titles:
                    guess = title_from_anchor(link.text)
                    if guess:
                        titles[url] = guess
                        if url in fresh:
                            fresh[url]["title"] = guess
                            titled.add(url)
                if canon.version:
                    versions.append((url, canon.version))
                placements.append(dict(version_id=version_id, topic_id=topic_id, canonical=url,
                                       position=out.placements, url=link.href, fragment=canon.fragment,
                                       url_version=canon.version, anchor_text=link.text,
                                       sentence=link.sentence[:2000], file=link.file, line=link.line))
                out.placements += 1
            writer.write(fresh, placements)
        writer.wait()
    finally:
        writer.close()
    ids = writer.ids
    repo.add_internal_links(session, internal)
    repo.fill_missing_titles(session, {ids[url]: title for url, title in titles.items()
                                       if url not in titled or url not in writer.created})
    repo.add_resource_versions(session, [
        dict(resource_id=ids[url], label=v, origin="document", title="", old_title="", seen_at=now)
        for url, v in versions])
    out.resources, out.created = len(seen), writer.created
    return out
