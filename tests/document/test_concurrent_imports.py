"""Several ``tracker import`` processes at once on one database (the weekly job's
re-import and a maintainer's import): each finishes, and every version is stored with
its own place in the order. Before, each read the highest ``seq`` before the others
had committed and all but the first failed with ``UNIQUE constraint failed:
document_versions.document_id, document_versions.seq`` (PostgreSQL: a duplicate key)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import HANDBOOK, HANDBOOK_VERSIONS
from tracker.config import load_settings
from tracker.db.session import Database
from tracker.services.catalog import list_versions
from tracker.services.import_ import import_document

NOW = "2026-11-30T10:00:00Z"


def _variant(source: Path, target: Path, n: int) -> Path:
    """The newest handbook version with one more line in index.md: other content, same date."""
    shutil.copytree(source, target)
    with (target / "index.md").open("a", encoding="utf-8") as index:
        index.write(f"\nVariant {n}: see [note {n}](https://example.org/variant-{n}).\n")
    return target


def test_imports_at_once_each_store_their_version(db: Database, db_url: str, tmp_path: Path) -> None:
    oldest, middle, newest = (HANDBOOK / name for name in HANDBOOK_VERSIONS)
    settings = load_settings(env={"TRACKER_NOW": NOW}, overrides={"database_url": db_url})
    import_document(db, oldest, settings)  # the document exists, as it does every week
    folders = [middle, newest] + [_variant(newest, tmp_path / f"{newest.name}-v{n}", n) for n in (1, 2)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env["TRACKER_NOW"] = NOW
    procs = [subprocess.Popen([sys.executable, "-m", "tracker", "--db", db_url, "import", str(folder)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for folder in folders]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    versions = list_versions(db, settings)
    assert len(versions) == 5 and [v["seq"] for v in versions] == [1, 2, 3, 4, 5]
    labels = [v["label"] for v in versions]
    assert labels[:2] == list(HANDBOOK_VERSIONS[:2])  # by their own dates; the three of 2026-02-02 follow
    assert set(labels[2:]) == {newest.name, f"{newest.name}-v1", f"{newest.name}-v2"}
