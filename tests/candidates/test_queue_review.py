"""The shared feed fixtures crawled over HTTP, proposed, queued and reviewed end to end."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

import tracker.cli.candidates as cli_candidates
from tests.candidates.conftest import WEEK
from tests.conftest import CLI
from tracker.config import Settings
from tracker.db.models_candidates import Candidate, CandidateDecision
from tracker.db.models_core import Resource
from tracker.db.models_feeds import FeedItem
from tracker.db.repo_candidates import accepted_candidates
from tracker.db.session import Database
from tracker.services.propose import propose


def _by_title(db: Database) -> dict[str, Candidate]:
    with db.transaction() as session:
        rows = session.execute(select(FeedItem.title, Candidate).join(Candidate, Candidate.item_id == FeedItem.id))
        return {title: c for title, c in rows}


def test_crawled_feeds_give_a_queue_with_each_candidate_once_under_plausible_chapters(
        db: Database, crawled: Settings, run: CLI) -> None:
    first = propose(db, crawled)
    assert first.items == 136 and first.week == WEEK
    assert first.queued + first.overflow + first.off_topic + first.in_document + first.duplicates == 136
    assert first.in_document >= 5  # Lil'Log posts the handbook already cites
    assert first.queued == first.week_queue == 25 and first.overflow == first.held_back >= 25  # the budget
    again = propose(db, crawled)  # after the next crawl: nothing new, nothing re-queued
    assert (again.items, again.queued, again.rescored, again.week_queue) == (0, 0, 0, 25)

    result = run("queue", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == first.queued
    assert sorted(r["rank"] for r in rows) == list(range(1, 26))
    assert max(Counter(r["topic"] for r in rows).values()) <= 3  # per_topic_budget
    assert len({r["id"] for r in rows}) == len({r["canonical_id"] for r in rows}) == len(rows)
    for row in rows:
        assert row["status"] == "queued" and row["reason"].startswith("matched: ")
        assert row["topics"] and row["topics"][0]["slug"] == row["topic"]
        assert [t["score"] for t in row["topics"]] == sorted((t["score"] for t in row["topics"]), reverse=True)
        assert set(row) >= {"id", "url", "canonical_id", "title", "source", "kind", "published_at", "status",
                            "rank", "reasons", "authors", "section", "chapter"}
        assert row["reasons"][0].startswith("fits ") and f"#{row['rank']} of this week's budget of 25" \
            in row["reasons"][-1]
    everything = json.loads(run("queue", "--all", "--format", "json").stdout)
    held = [r for r in everything if r["status"] == "overflow"]
    assert everything[:len(rows)] == rows and len(held) == first.overflow  # the overflow keeps the rest
    assert all(r["rank"] is None and "held back" in r["reasons"][-1] for r in held)
    assert min(r["priority"] for r in rows) >= max(r["priority"] for r in held) or \
        all(Counter(r["topic"] for r in rows)[h["topic"]] == 3 for h in held
            if h["priority"] > min(r["priority"] for r in rows))  # held back only by its chapter's budget
    best = {r["title"]: r["topic"] for r in everything}
    assert best["Scaling Laws, Carefully"] == "scaling-laws"
    assert best["Reward Hacking in Reinforcement Learning"] == "reward-models-and-rlhf"
    assert best["From Autoencoder to Beta-VAE"] in ("vq-vae", "variational-auto-encoders")
    assert best["Predict Stock Prices Using RNN: Part 1"] == "recurrent-neural-networks"
    assert "Prompt Engineering" not in best  # cited by the handbook: in_document, never queued
    nasa = [r for r in everything if r["source"] == "youtube-5"]
    assert len(nasa) <= 2  # NASA launches are off-topic: kept, not queued
    off = _by_title(db)["U.S. Spacewalk 96"]
    assert off.status == "off_topic" and off.scores  # kept with its scores

    md = run("queue", "--week", WEEK)
    assert md.exit_code == 0 and md.stdout.startswith(f"# Candidate queue {WEEK}")
    assert md.stdout.count("\n- **[") == 25 and "  - fits " in md.stdout
    assert "## Overflow" not in md.stdout and "## Overflow: " in run("queue", "--all").stdout
    scoped = json.loads(run("queue", "--topic", "section-iv-finetuning-methods-for-llms",
                            "--format", "json").stdout)
    assert scoped and all(r["section"].startswith("Section IV") for r in scoped)


def _answers(rows: list[dict[str, Any]]) -> tuple[str, dict[int, str]]:
    """A scripted review: accept, reject with a reason, defer, move then accept, open then skip."""
    script: list[str] = []
    expect: dict[int, str] = {}
    for n, row in enumerate(rows):
        kind = n % 5
        if kind == 0:
            script.append("a")
            expect[row["id"]] = "accepted"
        elif kind == 1:
            script += ["r", f"not for the handbook {n}"]
            expect[row["id"]] = "rejected"
        elif kind == 2:
            script.append("d")
            expect[row["id"]] = "deferred"
        elif kind == 3:
            script += ["m", "no-such-topiq", "tokenization", "a"]
            expect[row["id"]] = "accepted"
        else:
            script += ["o", "x", "s"]
            expect[row["id"]] = "queued"
    return "\n".join(script) + "\n", expect


def test_review_walks_the_whole_queue_and_stores_every_decision(
        db: Database, crawled: Settings, run: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(cli_candidates, "open_link", opened.append)
    propose(db, crawled)
    env = {"TRACKER_NOW": "2026-11-24T10:00:00Z", "USER": "alice"}
    rows = json.loads(run("queue", "--format", "json", env=env).stdout)
    script, expect = _answers(rows)
    result = run("review", env=env, input=script)
    assert result.exit_code == 0, result.stderr
    assert f"[1/{len(rows)}]" in result.stderr and f"[{len(rows)}/{len(rows)}]" in result.stderr
    assert "no topic with slug 'no-such-topiq'" in result.stderr
    assert result.stdout == ""  # the dialogue is on stderr
    assert len(opened) == sum(1 for s in expect.values() if s == "queued")

    with db.transaction() as session:
        stored = {c.id: c for c in session.scalars(select(Candidate).where(Candidate.id.in_(list(expect))))}
        decisions = list(session.scalars(select(CandidateDecision)))
        assert {cid: stored[cid].status for cid in expect} == expect
        moved = [d for d in decisions if d.action == "move"]
        assert moved and all(d.topic_slug == "tokenization" for d in moved)
        assert all(d.decided_by == "alice" and d.decided_at.isoformat().startswith("2026-11-24T10:00")
                   for d in decisions)
        assert len([d for d in decisions if d.action != "move"]) == \
            sum(1 for s in expect.values() if s != "queued")
        rejected = [d for d in decisions if d.action == "reject"]
        assert all(d.note.startswith("not for the handbook") for d in rejected)
        deferred = [c for c in stored.values() if c.status == "deferred"]
        assert all(c.week == "2026-W49" for c in deferred)
        accepted = accepted_candidates(session, stored[rows[0]["id"]].document_id)
        resources = {r.id: r for r in session.scalars(select(Resource).where(Resource.origin == "candidate"))}
    assert {a.candidate_id for a in accepted} == {cid for cid, s in expect.items() if s == "accepted"}
    assert all(a.resource_id in resources and a.topic_slug for a in accepted)
    assert {a.topic_slug for a in accepted if a.candidate_id == rows[3]["id"]} == {"tokenization"}

    after = json.loads(run("queue", "--format", "json", env=env).stdout)
    assert {r["id"] for r in after} == {cid for cid, s in expect.items() if s == "queued"}
    next_week = json.loads(run("queue", "--week", "2026-W49", "--format", "json", env=env).stdout)
    assert {cid for cid, s in expect.items() if s == "deferred"} <= {r["id"] for r in next_week}
    assert propose(db, crawled).queued == 0  # decided items never come back


def test_review_interrupted_keeps_what_was_decided(db: Database, crawled: Settings, run: CLI) -> None:
    propose(db, crawled)
    rows = json.loads(run("queue", "--format", "json").stdout)
    result = run("review", "--by", "bob", input="a\nr\n")  # end of input at the reason prompt = Ctrl-C
    assert result.exit_code == 1 and "interrupted: 1 decision saved" in result.stderr
    with db.transaction() as session:
        statuses = dict(session.execute(select(Candidate.id, Candidate.status)
                                        .where(Candidate.id.in_([rows[0]["id"], rows[1]["id"]]))).all())
        assert statuses == {rows[0]["id"]: "accepted", rows[1]["id"]: "queued"}
        assert session.scalar(select(func.count()).select_from(CandidateDecision)) == 1
    quit_ = run("review", "--by", "bob", input="q\n")
    assert quit_.exit_code == 0 and "0 decisions saved" in quit_.stderr
