"""Where the files shipped with tracker live once installed.

Owns: locating the Alembic migrations (``tracker._migrations``) and the default
``jobs/`` files (``tracker._jobs``: ``schedule.toml``, ``sources.toml``) through
``importlib.resources``. The project keeps their sources in the top-level
``migrations/`` and ``jobs/`` folders; the packaging (``setup.py``) maps those
folders to these two packages, so an editable install reads the sources and a
wheel carries copies. Never looks at the source tree.
Does not own reading or validating those files.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["migrations_dir", "default_jobs_file"]


def _package_dir(package: str) -> Path:
    root = files(package)
    if not isinstance(root, Path):  # e.g. imported from a zip: Alembic needs real files
        raise RuntimeError(f"{package} is not installed as plain files ({root!r}); reinstall tracker with pip")
    return root


def migrations_dir() -> Path:
    """The folder Alembic reads (``env.py``, ``script.py.mako``, ``versions/``)."""
    return _package_dir("tracker._migrations")


def default_jobs_file(name: str) -> Path:
    """A default file of ``jobs/`` (``schedule.toml`` or ``sources.toml``)."""
    return _package_dir("tracker._jobs") / name
