"""Use cases that list what the database knows: documents, versions, topics, resources.

Owns: choosing the document (``--document`` or the only/default one), resolving
topic slugs (with suggestions for typos), and shaping rows with the JSON field
names of DESIGN.md's contract. Rendering is the CLI's job.
Does not write anything.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from typing import Any

from tracker.db import Session

from tracker.config import Settings
from tracker.db import repo_documents as repo
from tracker.db.models_core import Document, DocumentVersion, Topic
from tracker.db.session import Database
from tracker.errors import Hint, NotFoundError
from tracker.services.states import link_states

__all__ = ["resolve_document", "list_topics", "list_resources", "list_versions", "resolve_topic",
           "topic_subtree"]


def resolve_document(session: Session, settings: Settings, name: str | None = None) -> Document:
    """The named document; else the configured one; else the only one in the database."""
    docs = repo.list_documents(session)
    if not docs:
        raise NotFoundError("no document imported yet; run `tracker import PATH` first")
    wanted = name or settings.document.name
    for doc in docs:
        if doc.name == wanted:
            return doc
    if name is None and len(docs) == 1:
        return docs[0]
    raise NotFoundError(f"no document named {wanted!r}; known: {', '.join(d.name for d in docs)}",
                        hint=Hint("choose_document"))


def resolve_topic(topics: list[Topic], slug: str) -> Topic:
    for topic in topics:
        if topic.slug == slug:
            return topic
    close = difflib.get_close_matches(slug, [t.slug for t in topics], n=3)
    if close:
        raise NotFoundError(f"no topic with slug {slug!r}; did you mean {', '.join(close)}?")
    raise NotFoundError(f"no topic with slug {slug!r}", hint=Hint("list_topics"))


def topic_subtree(topics: list[Topic], root: Topic) -> set[int]:
    """``root`` and every topic below it."""
    children: dict[int | None, list[Topic]] = defaultdict(list)
    for t in topics:
        children[t.parent_id].append(t)
    found, stack = {root.id}, [root]
    while stack:
        for child in children[stack.pop().id]:
            if child.id not in found:
                found.add(child.id)
                stack.append(child)
    return found


def _latest(session: Session, doc: Document) -> DocumentVersion:
    version = repo.latest_version(session, doc.id)
    if version is None:  # pragma: no cover - a document row always gets a version
        raise NotFoundError(f"document {doc.name!r} has no versions")
    return version


def list_topics(db: Database, settings: Settings, document: str | None = None) -> list[dict[str, Any]]:
    """Topics of the latest version in document order, with resource counts."""
    with db.transaction() as session:
        doc = resolve_document(session, settings, document)
        version = _latest(session, doc)
        topics = repo.topics_of(session, doc.id)
        by_id = {t.id: t for t in topics}
        counts: dict[int, set[int]] = defaultdict(set)
        for placement, _resource, topic in repo.placement_rows(session, version.id):
            counts[topic.id].add(placement.resource_id)
        def count(topic: Topic) -> int:  # a section counts the resources of its chapters too
            return len(set().union(*(counts[i] for i in topic_subtree(topics, topic))))

        return [dict(slug=t.slug, title=t.title, kind=t.kind,
                     parent=by_id[t.parent_id].slug if t.parent_id in by_id else None,
                     position=t.position, resources=count(t), description=t.description)
                for t in topics]


def list_resources(db: Database, settings: Settings, document: str | None = None,
                   topic: str | None = None) -> list[dict[str, Any]]:
    """Resources cited by the latest version (each once, in order of first citation)."""
    with db.transaction() as session:
        doc = resolve_document(session, settings, document)
        version = _latest(session, doc)
        topics = repo.topics_of(session, doc.id)
        allowed = topic_subtree(topics, resolve_topic(topics, topic)) if topic else None
        rows: dict[int, dict[str, Any]] = {}
        for placement, resource, t in repo.placement_rows(session, version.id):
            if allowed is not None and t.id not in allowed:
                continue
            row = rows.get(resource.id)
            if row is None:
                row = rows[resource.id] = dict(
                    id=resource.id, url=resource.url, canonical_url=resource.canonical_url,
                    kind=resource.kind, title=resource.title, topics=[], state="unchecked",
                    host=resource.host, external_id=resource.external_id, citations=0)
            row["citations"] += 1
            if t.slug not in row["topics"]:
                row["topics"].append(t.slug)
        states = link_states(session, list(rows))
        for rid, row in rows.items():
            row["state"] = states.get(rid, "unchecked")
        return list(rows.values())


def list_versions(db: Database, settings: Settings, document: str | None = None) -> list[dict[str, Any]]:
    with db.transaction() as session:
        doc = resolve_document(session, settings, document)
        return [dict(label=v.label, seq=v.seq, commit=v.commit, date=v.date, dated_by=v.dated_by,
                     path=v.git_path, imported_at=v.imported_at, content_hash=v.content_hash[:12],
                     links=repo.count_placements(session, v.id))
                for v in repo.list_versions(session, doc.id)]
