"""Two ``tracker propose`` processes at once on one database: both finish, and every
feed item gets exactly one candidate (issue 12: the second failed with ``UNIQUE
constraint failed: candidates.document_id, candidates.item_id``)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from tests.candidates.conftest import NOW
from tests.twins import run_twins
from tracker.config import Settings
from tracker.db.models_candidates import Candidate
from tracker.db.models_feeds import FeedItem
from tracker.db.session import Database


def test_two_proposes_at_once_make_one_candidate_per_item(db: Database, db_url: str, crawled: Settings) -> None:
    runs = run_twins(db_url, ["propose", "--format", "json"], {"TRACKER_NOW": NOW})
    for run in runs:
        assert run.code == 0, run.stderr
    results = [json.loads(run.stdout) for run in runs]
    with db.transaction() as s:
        items = set(s.scalars(select(FeedItem.id)))
        per_item = dict(s.execute(select(Candidate.item_id, func.count()).group_by(Candidate.item_id)).all())
        ids = set(s.scalars(select(Candidate.id)))
        queued = s.scalar(select(func.count()).select_from(Candidate).where(Candidate.status == "queued"))
    assert items and per_item == {item: 1 for item in items}
    made = [set(r["candidate_ids"]) for r in results]
    assert not made[0] & made[1] and made[0] | made[1] == ids  # the second saw the first's rows
    assert sum(r["items"] for r in results) == len(items)
    # they took turns: the second found every item proposed and re-ranked the same week
    second = [r for r in results if r["items"] == 0]
    assert len(second) == 1 and second[0]["week_queue"] == queued
