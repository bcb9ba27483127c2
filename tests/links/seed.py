"""Test helpers of the links area: seed a document's resources, build settings, a fake clock.

Until ``tracker import`` is the way in, tests create Document/DocumentVersion/
Topic/Resource/Placement rows directly.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from tracker.config import Settings, load_settings
from tracker.db.models_core import Document, DocumentVersion, Placement, Resource, Topic
from tracker.db.session import Database
from tracker.urls import canonicalize

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)

#: settings for wire tests: fast, still polite enough to exercise the limits
FAST_CHECK = {"timeout": 2.0, "host_interval": 0.0, "host_concurrency": 4, "backoff_base": 0.01,
              "retries": 2, "max_retry_after": 5}


def make_settings(db_url: str, now: datetime = T0, check: dict[str, Any] | None = None,
                  links: dict[str, Any] | None = None, wayback: dict[str, Any] | None = None) -> Settings:
    overrides: dict[str, Any] = {"database_url": db_url, "now": now.isoformat(),
                                 "check": {**FAST_CHECK, **(check or {})}}
    if links:
        overrides["links"] = links
    if wayback:
        overrides["wayback"] = wayback
    return load_settings(env={}, overrides=overrides)


def at(settings: Settings, now: datetime) -> Settings:
    """The same settings with the clock moved to ``now`` (as ``TRACKER_NOW`` would)."""
    return dataclasses.replace(settings, now_override=now)


def seed(db: Database, urls: Sequence[str], chapters: Sequence[tuple[str, str]] = (("Foundations", "Basics"),),
         origin: str = "document") -> dict[str, int]:
    """One document version citing ``urls``, spread round-robin over ``chapters``
    (section title, chapter title); returns url → resource id."""
    out: dict[str, int] = {}
    with db.transaction() as s:
        doc = s.scalar(select(Document).where(Document.name == "handbook"))
        if doc is None:
            doc = Document(name="handbook", location="", layout="markdown", created_at=T0)
            s.add(doc)
            s.flush()
        version = DocumentVersion(document_id=doc.id, seq=1, label="v1", content_hash="0" * 64,
                                  imported_at=T0, source_path="")
        s.add(version)
        s.flush()
        topics: list[Topic] = []
        sections: dict[str, Topic] = {}
        for i, (sec, chap) in enumerate(chapters):
            if sec not in sections:
                sections[sec] = Topic(document_id=doc.id, slug=_slug(sec), title=sec, kind="section",
                                      position=len(sections))
                s.add(sections[sec])
                s.flush()
            topic = Topic(document_id=doc.id, slug=_slug(chap), title=chap, kind="chapter",
                          parent_id=sections[sec].id, position=i)
            s.add(topic)
            s.flush()
            topics.append(topic)
        for n, url in enumerate(urls):
            canon = canonicalize(url)
            res = Resource(canonical_url=canon.canonical, url=url, kind=canon.kind, host=canon.host,
                           external_id=canon.external_id, title="", origin=origin, created_at=T0)
            s.add(res)
            s.flush()
            s.add(Placement(version_id=version.id, topic_id=topics[n % len(topics)].id,
                            resource_id=res.id, position=n, url=url))
            out[url] = res.id
    return out


def add_unplaced(db: Database, url: str) -> int:
    """A resource that came from an accepted candidate (no placement yet)."""
    canon = canonicalize(url)
    with db.transaction() as s:
        res = Resource(canonical_url=canon.canonical, url=url, kind=canon.kind, host=canon.host,
                       title="", origin="candidate", created_at=T0)
        s.add(res)
        s.flush()
        return res.id


def _slug(text: str) -> str:
    return "-".join(text.lower().split())


class FakeClock:
    """A monotonic clock that ``sleep`` advances instantly; records every sleep."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += max(0.0, seconds)
        await asyncio.sleep(0)


def days(n: float) -> timedelta:
    return timedelta(days=n)
