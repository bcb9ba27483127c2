"""``tracker export``: the updated resource list in Markdown, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from markdown_it import MarkdownIt
from sqlalchemy import select

from tests.conftest import CLI, NEWEST_HANDBOOK
from tests.release.conftest import ENV, Accept, MarkLink
from tracker.db.models_core import DocumentVersion, Placement, Topic
from tracker.db.session import Database

EVIL = "[x](javascript:alert(1)) <script>alert(1)</script> | col\nnext=1"
ARCHIVE = "https://web.archive.org/web/20240101000000/https://mistral.ai/"


def _placements(db: Database) -> list[tuple[str, str]]:
    with db.transaction() as s:
        latest = s.scalar(select(DocumentVersion.id).order_by(DocumentVersion.seq.desc()).limit(1))
        return [(slug, url) for slug, url in s.execute(
            select(Topic.slug, Placement.url).join(Topic, Placement.topic_id == Topic.id)
            .where(Placement.version_id == latest).order_by(Placement.position)).all()]


def _flatten(data: dict) -> list[dict]:  # type: ignore[type-arg]
    out = []
    for section in data["sections"]:
        for r in section["resources"]:
            out.append({**r, "_under": section["slug"]})
        for chapter in section["chapters"]:
            assert chapter["chapters"] == []
            for r in chapter["resources"]:
                out.append({**r, "_under": chapter["slug"]})
    return out


def test_json_round_trips_every_link_once_under_its_chapter_in_order(run: CLI, db: Database) -> None:
    assert run("import", str(NEWEST_HANDBOOK), env=ENV).exit_code == 0
    result = run("export", "--format", "json", env=ENV)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["format"] == "tracker-export/1" and data["version"] == NEWEST_HANDBOOK.name
    items = _flatten(data)
    assert [(i["_under"], i["url"]) for i in items] == _placements(db)
    assert len(items) == 292 == data["counts"]["resources"]
    assert all(i["_under"] == i["topic"] and i["status"] == "cited" for i in items)
    positions = [i["position"] for i in items]
    assert positions == sorted(positions) == list(range(292))
    kinds = {i["kind_label"] for i in items}
    assert {"Blog post", "Video", "Paper", "Textbook", "Repository"} <= kinds
    section = next(s for s in data["sections"] if s["slug"].startswith("section-viii"))
    assert [c["title"] for c in section["chapters"]][:2] == ["Distribution Modeling", "Variational Auto-Encoders"]


def test_dead_redirected_and_accepted_are_applied(run: CLI, mark_link: MarkLink, accept: Accept) -> None:
    assert run("import", str(NEWEST_HANDBOOK), env=ENV).exit_code == 0
    mark_link("https://mistral.ai/", "dead", archive_url=ARCHIVE)
    mark_link("https://www.anthropic.com/", "redirected", suggested_url="https://www.anthropic.com/company")
    mark_link("https://x.com/willccbb", "dead")  # no archived copy: stays as it is
    accept("https://arxiv.org/abs/2406.00001", "A Survey of Everything", "tokenization", authors="A. Author")
    accept("https://arxiv.org/abs/2406.00002", "Lost", "no-such-chapter")
    result = run("export", "--format", "json", env=ENV)
    assert result.exit_code == 0, result.stderr
    assert "no-such-chapter" in result.stderr and "left out" in result.stderr
    items = {i["original_url"]: i for i in _flatten(json.loads(result.stdout))}
    assert items["https://mistral.ai/"]["url"] == ARCHIVE
    assert items["https://mistral.ai/"]["replacement"] == "archived"
    assert items["https://www.anthropic.com/"]["url"] == "https://www.anthropic.com/company"
    assert items["https://x.com/willccbb"]["url"] == "https://x.com/willccbb"
    assert items["https://x.com/willccbb"]["state"] == "dead"
    new = items["https://arxiv.org/abs/2406.00001"]
    assert (new["_under"], new["status"], new["position"], new["source"]) == ("tokenization", "accepted", None,
                                                                              "A. Author")
    md = run("export", env=ENV).stdout
    assert f"[Mistral]({ARCHIVE}) (archived copy; the original link is dead: https://mistral.ai/)" in md
    assert "- Paper: [A Survey of Everything](https://arxiv.org/abs/2406.00001) (new) — A. Author" in md
    tok = md[md.index("### Tokenization"):]
    tok = tok[:tok.index("\n#")]
    assert tok.strip().splitlines()[-1].startswith("- Paper: [A Survey of Everything]")


def test_markdown_reads_as_a_reading_list(run: CLI, tmp_path: Path) -> None:
    assert run("import", str(NEWEST_HANDBOOK), env=ENV).exit_code == 0
    out = tmp_path / "list.md"
    result = run("export", "--format", "md", "--out", str(out), env=ENV)
    assert result.exit_code == 0 and result.stdout == "" and "292 links to 272 resources" in result.stderr
    md = out.read_text(encoding="utf-8")
    assert md.startswith("# handbook: resource list\n")
    assert "## Section VIII: Generative Modeling Beyond Sequences" in md
    assert "### Variational Auto-Encoders\n\nResources:\n\n- Textbook: " in md
    assert ("- Video: [video](https://www.youtube.com/watch?v=9zKuYvjFFS8) — YouTube: video from Arxiv Insights\n"
            in md)
    assert '- Blog post: ["Understanding Large Language Models"](' in md  # the anchor as written


def test_feed_titles_cannot_inject_links_markup_columns_or_rows(run: CLI, accept: Accept) -> None:
    assert run("import", str(NEWEST_HANDBOOK), env=ENV).exit_code == 0
    accept("https://arxiv.org/abs/2406.00003", EVIL, "tokenization", authors="<b>Eve</b> | =cmd()")
    accept("javascript:alert(2)", "bad url", "tokenization")
    md = run("export", "--format", "md", env=ENV).stdout
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(md)
    assert "<script" not in html and "javascript:" not in html.split("href=")[-1]
    assert 'href="javascript' not in html and "<b>Eve" not in html
    line = next(line for line in md.splitlines() if "2406.00003" in line)
    assert line.startswith("- Paper: [\\[x\\](javascript:alert(1)) &lt;script&gt;")
    assert "\\| col next=1" in line
    bad = next(line for line in md.splitlines() if "bad url" in line)
    assert "](javascript" not in bad
    rows = list(csv.reader(io.StringIO(run("export", "--format", "csv", env=ENV).stdout)))
    header = rows[0]
    assert all(len(r) == len(header) for r in rows) and len(rows) == 1 + 292 + 2
    evil = next(r for r in rows if "2406.00003" in r[header.index("url")])
    assert evil[header.index("title")] == EVIL.replace("\n", " ")
    assert evil[header.index("source")].startswith("<b>Eve</b>")
    assert all("\n" not in cell for r in rows for cell in r)


def test_csv_neutralises_formulas(run: CLI, accept: Accept) -> None:
    assert run("import", str(NEWEST_HANDBOOK), env=ENV).exit_code == 0
    accept("https://arxiv.org/abs/2406.00004", "=HYPERLINK(\"http://evil\")", "tokenization")
    rows = list(csv.reader(io.StringIO(run("export", "--format", "csv", env=ENV).stdout)))
    title = rows[0].index("title")
    assert any(r[title] == "'=HYPERLINK(\"http://evil\")" for r in rows)


def test_export_needs_a_document_and_a_writable_out(run: CLI, tmp_path: Path) -> None:
    result = run("export", env=ENV)
    assert result.exit_code == 1 and "run `tracker import PATH` first" in result.stderr
    assert run("import", str(NEWEST_HANDBOOK), env=ENV).exit_code == 0
    result = run("export", "--out", str(tmp_path / "missing" / "x.md"), env=ENV)
    assert result.exit_code == 1 and "does not exist" in result.stderr
    result = run("export", "--dry-run", env=ENV)
    assert result.exit_code == 1 and "--dry-run goes with --apply" in result.stderr


def test_an_accepted_resource_shows_its_checked_state(run: CLI, db: Database, accept: Accept) -> None:
    """Accepted resources are checked like the cited ones (``tracker weekly`` does), but the
    export called every one of them 'unchecked' while the link report, from the same
    database, said 'failing' (found on week 8 of a maintainer's trial)."""
    from datetime import datetime, timezone

    from tracker.db.models_core import Resource
    from tracker.db.models_links import LinkStatus as LinkStatusRow

    assert run("import", str(NEWEST_HANDBOOK), env=ENV).exit_code == 0
    when = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)
    moved = "https://arxiv.org/abs/2406.00002"
    for n, url in enumerate(("https://arxiv.org/abs/2406.00001", moved)):
        candidate = accept(url, f"Paper {n}", "tokenization")
        with db.transaction() as s:
            s.add(Resource(id=candidate.resource_id, canonical_url=candidate.canonical_url, url=url,
                           kind="paper", host="arxiv.org", origin="candidate", created_at=when))
            s.flush()
            s.add(LinkStatusRow(resource_id=candidate.resource_id, state=("failing", "redirected")[n],
                                state_since=when, suggested_url=moved + "v2" if n else None, reason="test"))
    result = run("export", "--format", "json", env=ENV)
    assert result.exit_code == 0, result.stderr
    items = {i["original_url"]: i for i in _flatten(json.loads(result.stdout))}
    assert items["https://arxiv.org/abs/2406.00001"]["state"] == "failing"
    assert (items[moved]["state"], items[moved]["url"], items[moved]["replacement"]) == (
        "redirected", moved + "v2", "redirect")
