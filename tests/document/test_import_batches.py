"""The links of a version are stored in batches, the writes of each beside the next
batch's canonicalisation on PostgreSQL (issue 15): the rows stored must be exactly those
of one batch written in line — resources in order of first appearance with the first
anchor-text title (also when that title comes a batch later, or the resource existed
untitled before), placements numbered through the version, internal links and resource
versions — and a failing write must fail the import with the database unchanged."""

from __future__ import annotations

import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tracker.config import Settings, load_settings
from tracker.db import repo_documents
from tracker.db.models_core import InternalLink, Placement, Resource, ResourceVersion
from tracker.db.session import Database, open_database
from tracker.services import import_links
from tracker.services.import_ import import_document

from ..conftest import TEST_NOW

_LINKS = [
    "See [here](https://a.example.org/one) and [the Alpha guide](https://a.example.org/one?utm_source=x).",
    "Read [Attention Is All You Need](https://arxiv.org/abs/1706.03762v5) now.",
    "Also [link](https://b.example.org/two), [an anchor](#top) and [mail](mailto:x@example.org).",
    "Later [The Beta Book](https://b.example.org/two) and [the paper](https://arxiv.org/pdf/1706.03762v7).",
    "Again [here](https://c.example.org/three) then [Gamma Notes](https://c.example.org/three).",
    "Old [Delta Site](https://old.example.org/) and [relative](docs/x.md).",
]


def _document(folder: Path, lines: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    body = "\n\n".join(f"## Chapter {i}\n\n{line}" for i, line in enumerate(lines))
    (folder / "README.md").write_text(f"# Doc\n\nIntro.\n\n{body}\n")
    return folder


def _rows(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    with db.transaction() as session:
        return {
            "resources": [tuple(r) for r in session.execute(select(
                Resource.id, Resource.canonical_url, Resource.url, Resource.kind, Resource.title)
                .order_by(Resource.id))],
            "placements": [tuple(r) for r in session.execute(select(
                Placement.version_id, Placement.position, Placement.resource_id, Placement.url,
                Placement.url_version, Placement.anchor_text, Placement.line).order_by(Placement.id))],
            "internal": [tuple(r) for r in session.execute(select(
                InternalLink.target, InternalLink.reason).order_by(InternalLink.id))],
            "versions": [tuple(r) for r in session.execute(select(
                ResourceVersion.resource_id, ResourceVersion.label).order_by(ResourceVersion.id))],
        }


def _import_twice(db: Database, settings: Settings, tmp_path: Path) -> dict[str, list[tuple[Any, ...]]]:
    import_document(db, _document(tmp_path / "v1", _LINKS[-1:]), settings, label="v1")
    with db.transaction() as session:  # an untitled resource the next version names
        session.execute(Resource.__table__.update().values(title=""))  # type: ignore[attr-defined]
    import_document(db, _document(tmp_path / "v2", _LINKS), settings, label="v2")
    return _rows(db)


def _reference(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of one batch written in line, on a second fresh database."""
    database = open_database(url)
    try:
        with monkeypatch.context() as m:
            m.setattr(import_links, "_overlapped", lambda session: False)
            return _import_twice(database, load_settings(env={}, overrides={"database_url": url, "now": TEST_NOW}),
                                 tmp_path)
    finally:
        database.dispose()


@pytest.mark.parametrize("batch", [1, 2, 5])
def test_batches_on_a_thread_store_what_one_batch_stores(db: Database, settings: Settings, empty_db_url: str,
                                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         batch: int) -> None:
    expected = _reference(empty_db_url, tmp_path / "inline", monkeypatch)
    assert [r[4] for r in expected["resources"]] == [
        "Delta Site", "the Alpha guide", "Attention Is All You Need", "The Beta Book", "Gamma Notes"]
    monkeypatch.setattr(import_links, "BATCH", batch)
    monkeypatch.setattr(import_links, "_overlapped", lambda session: True)  # on SQLite too
    threads: set[str] = set()
    real = repo_documents.add_placements

    def watched(session: Any, rows: list[dict[str, Any]]) -> None:
        threads.add(threading.current_thread().name)
        real(session, rows)

    monkeypatch.setattr(repo_documents, "add_placements", watched)
    interval = sys.getswitchinterval()
    assert _import_twice(db, settings, tmp_path / "batched") == expected
    assert threads and all(name.startswith("tracker-import") for name in threads)
    assert sys.getswitchinterval() == interval  # lowered only while the writer ran


def test_a_failing_batch_fails_the_import_and_stores_nothing(db: Database, settings: Settings, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import_document(db, _document(tmp_path / "v1", _LINKS[:1]), settings, label="v1")
    before = _rows(db)
    monkeypatch.setattr(import_links, "BATCH", 2)
    monkeypatch.setattr(import_links, "_overlapped", lambda session: True)
    calls = 0
    real = repo_documents.add_placements

    def failing(session: Any, rows: list[dict[str, Any]]) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("disk full")
        real(session, rows)

    monkeypatch.setattr(repo_documents, "add_placements", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        import_document(db, _document(tmp_path / "v2", _LINKS), settings, label="v2")
    assert calls == 2  # the batches after the failing one were never written
    assert _rows(db) == before
    with db.transaction() as session:
        assert [v.label for v in repo_documents.list_versions(session, 1)] == ["v1"]


def test_ensure_resources_many_rows_part_known(db: Database) -> None:
    """Over ``CHUNK`` rows (PostgreSQL: ``COPY``, ``INSERT … RETURNING`` and a join back):
    ids of every row, the known ones unchanged, only the new ones reported created."""
    from tracker.db.sets import CHUNK

    def rows(urls: list[str]) -> dict[str, dict[str, Any]]:
        return {u: dict(canonical_url=u, url=u, kind="blog", host="h.example.org", external_id=None,
                        title="", origin="document", created_at=datetime(2026, 11, 23, tzinfo=timezone.utc))
                for u in urls}

    first = [f"https://h.example.org/a/{i}" for i in range(CHUNK + 50)]
    second = first[::2] + [f"https://h.example.org/b/{i}" for i in range(CHUNK + 10)]
    with db.transaction() as session:
        known, created = repo_documents.ensure_resources(session, rows(first))
        assert created == set(first) and sorted(known.values()) == list(range(1, len(first) + 1))
    with db.transaction() as session:
        ids, created = repo_documents.ensure_resources(session, rows(second))
    assert created == set(second) - set(first)
    assert set(ids) == set(second) and all(ids[u] == known[u] for u in first[::2])
    assert len(set(ids.values())) == len(second)
