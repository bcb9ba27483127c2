"""The built wheel carries everything a command reads: the Alembic migrations and the
default jobs/ files, found through ``importlib.resources`` and never the source tree.

The wheel is built once per session with ``pip wheel --no-deps --no-build-isolation``
(offline: the test extra pins a setuptools that builds wheels by itself) from a copy of
the files the build reads, so a stale ``build/`` folder in the checkout cannot hide a
missing file. ``.ci/run`` does the same with a real ``pip install`` into a fresh venv.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

# what the build reads; anything else in the checkout does not go into the wheel
BUILD_INPUTS = ("pyproject.toml", "setup.py", "README.md", "src", "migrations", "jobs")
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("wheel")
    project = root / "project"
    project.mkdir()
    for name in BUILD_INPUTS:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=_SKIP)
        else:
            shutil.copy2(source, project / name)
    out = root / "dist"
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
         str(project)],
        capture_output=True, text=True, env=env, cwd=root,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = out.glob("tracker-*.whl")
    yield built


def _names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_carries_migrations_and_jobs_files(wheel: Path) -> None:
    names = _names(wheel)
    versions = sorted(p.name for p in (REPO / "migrations" / "versions").glob("*.py"))
    assert versions, "no migrations in the checkout"
    shipped = sorted(n.rsplit("/", 1)[1] for n in names
                     if n.startswith("tracker/_migrations/versions/") and n.endswith(".py"))
    assert shipped == versions
    for name in ("tracker/_migrations/env.py", "tracker/_migrations/script.py.mako",
                 "tracker/_jobs/schedule.toml", "tracker/_jobs/sources.toml", "tracker/py.typed"):
        assert name in names, name


def test_wheel_carries_every_module(wheel: Path) -> None:
    """Every module under src/, also in folders without an ``__init__.py``."""
    names = _names(wheel)
    src = REPO / "src"
    modules = sorted(str(p.relative_to(src)) for p in src.rglob("*.py") if "__pycache__" not in p.parts)
    assert "tracker/cli/__init__.py" in modules
    assert [m for m in modules if m not in names] == []


def test_wheel_carries_the_web_pages_templates_and_static_files(wheel: Path) -> None:
    """``tracker serve`` renders templates and serves static files from the package."""
    names = _names(wheel)
    src = REPO / "src"
    files = sorted(str(p.relative_to(src)) for folder in ("templates", "static")
                   for p in (src / "tracker" / "web" / folder).iterdir() if p.is_file())
    assert "tracker/web/templates/queue.html" in files
    assert [f for f in files if f not in names] == []


def test_installed_wheel_runs_without_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    """Unpacked alone (as pip would install it) and run from an empty folder, the commands
    that read migrations and the schedule work, and read the installed copies."""
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    work = tmp_path / "empty"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env["PYTHONPATH"] = str(site)  # before the editable install, so this copy is imported
    env["TRACKER_DATABASE_URL"] = f"sqlite:///{tmp_path / 'installed.db'}"
    env["TRACKER_NOW"] = "2026-03-02T09:00:00Z"

    def tracker(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", "from tracker.cli import main; main()", *args],
                              capture_output=True, text=True, env=env, cwd=work)

    where = subprocess.run(
        [sys.executable, "-c",
         "from tracker.packaged import migrations_dir, default_jobs_file as j; "
         "print(migrations_dir()); print(j('schedule.toml')); print(j('sources.toml'))"],
        capture_output=True, text=True, env=env, cwd=work, check=True,
    ).stdout.split()
    assert [Path(p).is_relative_to(site) for p in where] == [True, True, True], where
    for args in (["db", "upgrade"], ["db", "check"]):
        done = tracker(*args)
        assert done.returncode == 0, (args, done.stderr)
    jobs = tracker("jobs", "--format", "json")
    assert jobs.returncode == 0, jobs.stderr
    schedule = tomllib.loads((REPO / "jobs" / "schedule.toml").read_text(encoding="utf-8"))
    assert [row["job"] for row in json.loads(jobs.stdout)["schedule"]] == list(schedule["jobs"])
    synced = tracker("sources", "sync", "--format", "json")  # no FILE: the shipped list
    assert synced.returncode == 0, synced.stderr
    sources = tomllib.loads((REPO / "jobs" / "sources.toml").read_text(encoding="utf-8"))
    assert sorted(json.loads(synced.stdout)["added"]) == sorted(s["name"] for s in sources["source"])
    assert os.listdir(work) == []
