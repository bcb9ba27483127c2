"""Seeding a benchmark database: one document version citing a list of URLs (shared by
``throughput.py`` and ``bench.py``; bulk inserts, since seeding is not what they measure)."""

from __future__ import annotations

from datetime import datetime, timezone

__all__ = ["seed"]


def seed(db_url: str, urls: list[str]) -> None:
    """One document version citing every URL (bulk inserts: seeding is not what we measure)."""
    from sqlalchemy import insert

    from tracker.db.models_core import Document, DocumentVersion, Placement, Resource, Topic
    from tracker.db.session import open_database
    from tracker.urls import canonicalize

    db = open_database(db_url)
    now = datetime(2026, 11, 23, tzinfo=timezone.utc)
    with db.transaction() as s:
        doc = Document(name="bench", location="", layout="markdown", created_at=now)
        s.add(doc)
        s.flush()
        ver = DocumentVersion(document_id=doc.id, seq=1, label="v1", content_hash="0" * 64, imported_at=now,
                              source_path="")
        topic = Topic(document_id=doc.id, slug="bench", title="Bench", kind="section", position=0)
        s.add_all([ver, topic])
        s.flush()
        rows = []
        for url in urls:
            c = canonicalize(url)
            rows.append({"canonical_url": c.canonical, "url": url, "kind": c.kind, "host": c.host, "title": "",
                         "origin": "document", "created_at": now, "external_id": c.external_id})
        s.execute(insert(Resource), rows)
        ids = {url: rid for rid, url in s.query(Resource.id, Resource.url)}
        s.execute(insert(Placement), [{"version_id": ver.id, "topic_id": topic.id, "resource_id": ids[u],
                                       "position": n, "url": u} for n, u in enumerate(urls)])
    db.dispose()
