"""Migration 0006 on a database written before versions were dated (issue 10, point 3).

A database at 0005 holding versions in import order (the newest handbook first, a
duplicate ``.2`` of it, a git commit, local edits, a URL import labelled by its
day, an undated folder) is upgraded: each row gets its own date, ``seq`` follows
those dates, nothing else changes, and ``db check`` finds no drift.
"""

from __future__ import annotations

import json
from datetime import datetime

from alembic import command
from sqlalchemy import text

from tests.conftest import CLI
from tracker.db.session import open_database

_ROWS = [  # id, label, commit, committed_at, imported_at — in the (wrong) import order of 0005
    (1, "2026-02-02_a7c5287", None, "2026-02-02 00:00:00", "2026-05-01 10:00:00"),
    (2, "2024-05-21_2d07718", None, "2024-05-21 00:00:00", "2026-05-01 10:01:00"),
    (3, "2024-09-11_12f50f2", None, "2024-09-11 00:00:00", "2026-05-01 10:02:00"),
    (4, "2026-02-02_a7c5287.2", None, "2026-02-02 00:00:00", "2026-05-01 10:03:00"),
    (5, "abc1234", "abc1234" + "0" * 33, "2025-01-01 12:00:00", "2026-05-01 10:04:00"),
    (6, "abc1234+local", None, "2025-01-01 12:00:00", "2026-05-02 08:00:00"),
    (7, "2026-05-03", None, None, "2026-05-03 07:00:00"),
    (8, "notes", None, None, "2026-04-01 06:00:00"),
]


def test_upgrade_dates_existing_versions_and_keeps_their_data(empty_db_url: str, tmp_path, clean_env: None) -> None:  # type: ignore[no-untyped-def]
    db = open_database(empty_db_url, ensure_schema=False)
    command.upgrade(db._alembic_config(), "0005")
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO documents (id, name, location, layout, created_at) "
                          "VALUES (1, 'handbook', '', 'handbook', '2026-05-01 10:00:00')"))
        for seq, (vid, label, commit, committed, imported) in enumerate(_ROWS, start=1):
            conn.execute(text(
                "INSERT INTO document_versions (id, document_id, seq, label, content_hash, \"commit\", "
                "committed_at, imported_at, source_path) VALUES (:id, 1, :seq, :label, :hash, :commit, "
                ":committed, :imported, '')"),
                dict(id=vid, seq=seq, label=label, hash=f"{vid:064d}", commit=commit,
                     committed=committed and datetime.fromisoformat(committed),
                     imported=datetime.fromisoformat(imported)))
        conn.execute(text("INSERT INTO topics (id, document_id, slug, title, kind, position, description, "
                          "text, file, active) VALUES (1, 1, 'a', 'A', 'chapter', 0, '', '', '', true)"))
        conn.execute(text("INSERT INTO resources (id, canonical_url, url, kind, host, title, origin, "
                          "created_at) VALUES (1, 'https://example.org/', 'https://example.org/', 'page', "
                          "'example.org', '', 'document', '2026-05-01 10:00:00')"))
        conn.execute(text("INSERT INTO placements (version_id, topic_id, resource_id, position, url, "
                          "fragment, url_version, anchor_text, sentence, file, line) VALUES "
                          "(1, 1, 1, 0, 'https://example.org/', '', '', 'x', '', 'index.md', 1)"))
    db.dispose()

    run = CLI(empty_db_url, tmp_path)
    upgraded = run("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.stderr
    assert run("db", "check").exit_code == 0
    versions = json.loads(run("versions", "--format", "json").stdout)
    assert [(v["seq"], v["label"], v["date"], v["dated_by"]) for v in versions] == [
        (1, "2024-05-21_2d07718", "2024-05-21T00:00:00Z", "name"),
        (2, "2024-09-11_12f50f2", "2024-09-11T00:00:00Z", "name"),
        (3, "abc1234", "2025-01-01T12:00:00Z", "commit"),
        (4, "2026-02-02_a7c5287", "2026-02-02T00:00:00Z", "name"),
        (5, "2026-02-02_a7c5287.2", "2026-02-02T00:00:00Z", "name"),
        (6, "notes", "2026-04-01T06:00:00Z", "import"),
        (7, "abc1234+local", "2026-05-02T08:00:00Z", "import"),
        (8, "2026-05-03", "2026-05-03T07:00:00Z", "import"),
    ]
    assert [v["links"] for v in versions if v["label"] == "2026-02-02_a7c5287"] == [1]  # placements kept
    assert all(v["path"] is None for v in versions)
