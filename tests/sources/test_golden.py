"""Golden-file tests: every shared feed fixture, parsed, against a stored summary.

The golden files (``golden/<fixture>.json``) hold derived facts only — ids,
titles, URLs, versions, announce types, dates and counts — never summaries.
Regenerate after a deliberate parser change with ``UPDATE_GOLDEN=1 pytest tests/sources``
and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.sources.util import fixture_files, kind_of
from tracker.sources import parse_body
from tracker.sources.text import looks_mojibake

GOLDEN = Path(__file__).parent / "golden"
BASE_URL = "https://feeds.example/feed"


def summarize(name: str, body: bytes) -> dict[str, Any]:
    parsed = parse_body(kind_of(name), body, BASE_URL)
    return {
        "file": name,
        "parser": kind_of(name),
        "usable": parsed.usable,
        "error": parsed.error,
        "bozo": parsed.bozo,
        "feed_title": parsed.title,
        "ttl_minutes": parsed.ttl_minutes,
        "count": len(parsed.items),
        "rejected": parsed.rejected,
        "items": [
            {
                "canonical_id": i.canonical_id,
                "url": i.url,
                "title": i.title,
                "kind": i.kind,
                "version": i.version,
                "announce_type": i.announce_type,
                "primary_category": i.primary_category,
                "categories": len(i.categories),
                "authors": len(i.authors),
                "has_summary": bool(i.summary),
                "published_at": i.published_at.isoformat() if i.published_at else None,
                "updated_at": i.updated_at.isoformat() if i.updated_at else None,
            }
            for i in parsed.items
        ],
    }


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.name)
def test_fixture_matches_golden(path: Path) -> None:
    got = summarize(path.name, path.read_bytes())
    golden = GOLDEN / f"{path.stem}.json"
    if os.environ.get("UPDATE_GOLDEN") or not golden.exists():
        golden.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        if not os.environ.get("UPDATE_GOLDEN"):
            pytest.fail(f"wrote missing golden file {golden.name}; review and commit it")
    assert got == json.loads(golden.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.name)
def test_no_mojibake_and_every_item_has_title_and_link(path: Path) -> None:
    parsed = parse_body(kind_of(path.name), path.read_bytes(), BASE_URL)
    assert not looks_mojibake(parsed.title), parsed.title
    for item in parsed.items:
        assert item.title.strip() and item.url.startswith(("http://", "https://"))
        assert not looks_mojibake(item.title), item.title
        assert not looks_mojibake(item.summary[:2000]), item.summary[:80]


def test_golden_files_are_derived_data_only() -> None:
    """No golden file carries free text beyond titles (no summaries of other people's text)."""
    for golden in GOLDEN.glob("*.json"):
        data = json.loads(golden.read_text(encoding="utf-8"))
        for item in data["items"]:
            assert set(item) <= {"canonical_id", "url", "title", "kind", "version", "announce_type",
                                 "primary_category", "categories", "authors", "has_summary",
                                 "published_at", "updated_at"}
    assert {p.stem for p in GOLDEN.glob("*.json")} == {p.stem for p in fixture_files()}
