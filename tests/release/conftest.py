"""Fixtures of the release tests: handbook copies in tmp, link states, accepted candidates.

The fixture Markdown is other people's text: it is copied into ``tmp_path`` at
test time only. Link states are written straight into the link area's
``link_status`` table; accepted candidates are handed to
``tracker.services.pending.load_accepted`` (the candidate area's hand-over shape).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import NEWEST_HANDBOOK
from tracker.db.models_core import Resource
from tracker.db.models_links import LinkStatus as LinkStatusRow
from tracker.db.session import Database
from tracker.services import pending
from tracker.types import AcceptedCandidate
from tracker.urls import canonicalize

NOW = "2026-11-23T09:00:00Z"
ENV = {"TRACKER_NOW": NOW}
T0 = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace ``old`` (which must be there exactly ``count`` times) in a copied file."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == count, f"{old!r} appears {text.count(old)} times in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def handbook_copy(tmp_path: Path) -> Path:
    """The newest handbook version, copied into this test's tmp dir."""
    return Path(shutil.copytree(NEWEST_HANDBOOK, tmp_path / "handbook"))


MarkLink = Callable[..., int]


@pytest.fixture
def mark_link(db: Database) -> MarkLink:
    """``mark_link(url, "dead", archive_url=…)``: give a cited resource a link state."""

    def mark(url: str, state: str, *, archive_url: str | None = None, suggested_url: str | None = None,
             previous_state: str | None = None, since: datetime = T0) -> int:
        with db.transaction() as session:
            rid = session.scalar(select(Resource.id).where(
                Resource.canonical_url == canonicalize(url).canonical))
            assert rid is not None, f"{url} is not a resource"
            session.add(LinkStatusRow(resource_id=rid, state=state, previous_state=previous_state,
                                      state_since=since, archive_url=archive_url,
                                      suggested_url=suggested_url, reason=f"test: {state}"))
        return rid

    return mark


Accept = Callable[..., AcceptedCandidate]


@pytest.fixture(autouse=True)
def _candidates_by_hand(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Accepted candidates come from ``accept`` (hand-built) unless a test asks for the real
    candidate area with the ``candidate_area`` marker, so these tests do not depend on
    that area's work in progress."""
    if request.node.get_closest_marker("candidate_area") is None and "accept" not in request.fixturenames:
        monkeypatch.setattr(pending, "load_accepted", lambda session, document_id: [])


@pytest.fixture
def accept(monkeypatch: pytest.MonkeyPatch) -> Accept:
    """``accept(url, title, topic)``: an accepted candidate the loader will return."""
    accepted: list[AcceptedCandidate] = []
    monkeypatch.setattr(pending, "load_accepted", lambda session, document_id: list(accepted))

    def add(url: str, title: str, topic: str, *, kind: str = "paper", authors: str = "",
            source: str = "arxiv", note: str = "") -> AcceptedCandidate:
        try:
            canonical = canonicalize(url).canonical
        except ValueError:
            canonical = url
        candidate = AcceptedCandidate(len(accepted) + 1, 10_000 + len(accepted), url,
                                      canonical, title, kind, topic, T0, note=note,
                                      source=source, authors=authors)
        accepted.append(candidate)
        return candidate

    return add


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "candidate_area: use the candidate area's real accepted_candidates")
