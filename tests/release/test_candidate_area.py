"""Pending changes and the export through the candidate area's own hand-over function
``tracker.db.repo_candidates.accepted_candidates`` (a real accepted candidate row)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import CLI, NEWEST_HANDBOOK
from tests.release.conftest import ENV, T0
from tracker.db.models_core import Document, Resource, Topic
from tracker.db.session import Database

URL = "https://arxiv.org/abs/2406.00009"


@pytest.mark.candidate_area
def test_an_accepted_candidate_row_reaches_pending_and_export(run: CLI, db: Database) -> None:
    from tracker.db.models_candidates import Candidate
    from tracker.db.models_feeds import FeedItem

    assert run("import", str(NEWEST_HANDBOOK), env=ENV).exit_code == 0
    with db.transaction() as s:
        doc = s.scalar(select(Document))
        topic = s.scalar(select(Topic).where(Topic.slug == "tokenization"))
        assert doc is not None and topic is not None
        resource = Resource(canonical_url=URL, url=URL, kind="paper", host="arxiv.org", external_id="2406.00009",
                            title="", origin="crawl", created_at=T0)
        s.add(resource)
        s.flush()
        item = FeedItem(canonical_id="arxiv:2406.00009", canonical_url=URL, kind="paper", url=URL,
                        title="Byte-level <b>tokens</b>", authors=["Ann Author"], first_seen_at=T0,
                        last_seen_at=T0, resource_id=resource.id)
        s.add(item)
        s.flush()
        s.add(Candidate(document_id=doc.id, item_id=item.id, canonical_url=URL, status="accepted",
                        week="2026-W48", topic_id=topic.id, resource_id=resource.id,
                        created_at=T0 - timedelta(days=1), decided_at=T0, note="good"))
    data = json.loads(run("changelog", "--pending", "--format", "json", env=ENV).stdout)
    assert [(c["type"], c["topic"], c["url"]) for c in data["changes"]] == [("accepted", "tokenization", URL)]
    export = json.loads(run("export", "--format", "json", env=ENV).stdout)
    tok = next(c for s in export["sections"] for c in s["chapters"] if c["slug"] == "tokenization")
    assert tok["resources"][-1]["url"] == URL and tok["resources"][-1]["status"] == "accepted"
