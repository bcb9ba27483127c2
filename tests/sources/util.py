"""Helpers for the parser tests: which parser each shared fixture is for."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import FEEDS


def kind_of(name: str) -> str:
    """The source kind whose parser reads fixture ``name``."""
    if name.startswith("arxiv_api"):
        return "arxiv"
    if name.startswith("arxiv_rss"):
        return "arxiv-listing"
    if name.startswith("youtube"):
        return "youtube"
    return "feed"


def fixture_files() -> list[Path]:
    """Every XML fixture in the shared feeds folder (the .json recording is not a feed)."""
    return sorted(FEEDS.glob("*.xml"))


def fixture(name: str) -> bytes:
    return (FEEDS / name).read_bytes()
