"""``tracker import`` end to end on a real database: versions, placements, bad input."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from tests.conftest import CLI, HANDBOOK, HANDBOOK_VERSIONS, NEWEST_HANDBOOK
from tests.helpers import copy_tree, table_counts
from tracker.db.models import DocumentVersion, Placement, Resource, Topic
from tracker.db.session import open_database
from tracker.document.structure import parse_document
from tracker.services.document_source import read_path


def _placements(db_url: str, label: str) -> list[tuple[object, ...]]:
    db = open_database(db_url)
    try:
        with db.transaction() as s:
            rows = s.execute(
                select(Topic.slug, Resource.canonical_url, Placement.position, Placement.url,
                       Placement.anchor_text, Placement.file, Placement.line)
                .join(Topic, Placement.topic_id == Topic.id).join(Resource, Placement.resource_id == Resource.id)
                .join(DocumentVersion, Placement.version_id == DocumentVersion.id)
                .where(DocumentVersion.label == label).order_by(Placement.position)
            ).all()
            return [tuple(r) for r in rows]
    finally:
        db.dispose()


def test_import_newest_handbook_counts(run: CLI) -> None:
    result = run("import", str(NEWEST_HANDBOOK), "--format", "json")
    assert result.exit_code == 0, result.stderr
    [summary] = json.loads(result.stdout)
    assert (summary["sections"], summary["chapters"], summary["links"], summary["resources"]) == (9, 52, 292, 272)
    assert summary["internal"] == {"anchor": 13, "bare": 3, "malformed": 1}
    topics = json.loads(run("topics", "--format", "json").stdout)
    assert sum(t["kind"] == "section" for t in topics) == 9
    assert sum(t["kind"] == "chapter" for t in topics) == 52
    tok = next(t for t in topics if t["slug"] == "tokenization")
    assert tok["parent"] == "section-iii-foundations-for-modern-language-modeling" and tok["resources"] == 2
    assert set(topics[0]) >= {"slug", "title", "parent", "position", "resources"}


def test_three_versions_and_identical_placements_for_typo_fixes(run: CLI, db_url: str) -> None:
    for v in HANDBOOK_VERSIONS:
        assert run("import", str(HANDBOOK / v)).exit_code == 0
    versions = json.loads(run("versions", "--format", "json").stdout)
    assert [v["label"] for v in versions] == HANDBOOK_VERSIONS
    assert [v["date"] for v in versions] == ["2024-05-21T00:00:00Z", "2024-09-11T00:00:00Z", "2026-02-02T00:00:00Z"]
    first, second, third = (_placements(db_url, v) for v in HANDBOOK_VERSIONS)
    assert len(first) == 292
    assert first == second == third


def test_same_content_again_creates_no_version(run: CLI, tmp_path: Path) -> None:
    assert run("import", str(NEWEST_HANDBOOK)).exit_code == 0
    again = run("import", str(NEWEST_HANDBOOK))
    assert again.exit_code == 0 and "unchanged" in again.stderr
    moved = copy_tree(NEWEST_HANDBOOK, tmp_path / "elsewhere")  # same content, other folder
    assert "unchanged" in run("import", str(moved)).stderr
    (moved / "_includes" / "section9.md").write_text(
        (moved / "_includes" / "section9.md").read_text() + "\nOne more [link](https://example.org/new).\n")
    assert run("import", str(moved), "--label", "v-next").exit_code == 0
    labels = [v["label"] for v in json.loads(run("versions", "--format", "json").stdout)]
    assert labels == ["2026-02-02_a7c5287", "v-next"]


def test_each_paper_and_video_listed_once(run: CLI) -> None:
    run("import", str(NEWEST_HANDBOOK))
    resources = json.loads(run("resources", "--format", "json").stdout)
    assert len(resources) == 272
    canon = [r["canonical_url"] for r in resources]
    assert len(canon) == len(set(canon))
    videos = [r for r in resources if r["kind"] == "video" and "youtube" in r["canonical_url"]]
    assert all(r["canonical_url"].startswith("https://www.youtube.com/watch?v=") for r in videos)
    # independent count of distinct video ids among the hrefs the document uses
    hrefs = [link.href for link in parse_document(read_path(NEWEST_HANDBOOK).files).links]
    video_ids = {parse_qs(urlsplit(h).query)["v"][0] for h in hrefs if "youtube.com/watch" in h}
    video_ids |= {urlsplit(h).path.strip("/") for h in hrefs if "youtu.be/" in h}
    assert len(hrefs_youtube := [h for h in hrefs if "youtu" in h and ("watch" in h or "youtu.be" in h)]) > len(video_ids)
    assert len({r["canonical_url"] for r in videos}) == len(videos) == len(video_ids) == 46
    arxiv_ids = {re.sub(r"v\d+$", "", urlsplit(h).path.split("/")[2].removesuffix(".pdf"))
                 for h in hrefs if re.match(r"https?://arxiv.org/(abs|pdf)/", h)}
    papers = [r for r in resources if "arxiv.org/abs/" in r["canonical_url"]]
    assert {p["canonical_url"].rsplit("/", 1)[1] for p in papers} == arxiv_ids
    assert len(papers) == 8 and len(hrefs_youtube) > 0
    assert {k for r in resources for k in r} >= {"url", "canonical_url", "kind", "title", "topics", "state"}
    repeated = next(r for r in resources if r["canonical_url"] == "https://www.youtube.com/watch?v=aircAruvnKk")
    assert repeated["citations"] == sum("v=aircAruvnKk" in h for h in hrefs) == 3


def test_resources_topic_filter_includes_chapters_of_a_section(run: CLI) -> None:
    run("import", str(NEWEST_HANDBOOK))
    section = json.loads(run("resources", "--topic", "section-ix-multimodal-models", "--format", "json").stdout)
    chapter = json.loads(run("resources", "--topic", "vq-vae", "--format", "json").stdout)
    assert set(r["url"] for r in chapter) < set(r["url"] for r in section)
    assert all("vq-vae" in r["topics"] for r in chapter)


def _git(cwd: Path, *args: str, date: str | None = None) -> None:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    if date:
        env |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


def test_git_history_imports_every_commit_oldest_first(run: CLI, tmp_path: Path) -> None:
    repo = tmp_path / "site"
    repo.mkdir()
    _git(repo, "init", "-q")
    for v in HANDBOOK_VERSIONS:
        shutil.rmtree(repo / "_includes", ignore_errors=True)
        shutil.copytree(HANDBOOK / v, repo, dirs_exist_ok=True, copy_function=shutil.copy)
        _git(repo, "add", "-A")
        _git(repo, "commit", "-qm", f"version {v}", date=f"{v[:10]}T12:00:00+00:00")
    (repo / "other.txt").write_text("not markdown")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "unrelated", date="2026-03-01T12:00:00+00:00")
    result = run("import", str(repo), "--history", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert [r["created"] for r in json.loads(result.stdout)] == [True, True, True]
    versions = json.loads(run("versions", "--format", "json").stdout)
    assert [v["date"][:10] for v in versions] == ["2024-05-21", "2024-09-11", "2026-02-02"]
    assert all(v["commit"] and len(v["commit"]) == 40 for v in versions)
    assert [v["label"] for v in versions] == [v["commit"][:7] for v in versions]
    again = run("import", str(repo), "--history", "--format", "json")
    assert [r["created"] for r in json.loads(again.stdout)] == [False, False, False]
    # a plain import of the clean checkout records its HEAD commit and creates nothing new
    assert "unchanged" in run("import", str(repo)).stderr


# ------------------------------------------------------------------ bad input


@pytest.fixture
def imported(run: CLI, db_url: str) -> dict[str, int]:
    assert run("import", str(NEWEST_HANDBOOK)).exit_code == 0
    db = open_database(db_url)
    counts = table_counts(db)
    db.dispose()
    return counts


def _assert_error(run: CLI, db_url: str, before: dict[str, int], *args: str, match: str) -> None:
    result = run(*args)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("Error: ") and match in lines[-1], result.stderr
    assert result.stdout == ""
    db = open_database(db_url)
    assert table_counts(db) == before
    db.dispose()


def test_bad_paths(run: CLI, db_url: str, imported: dict[str, int], tmp_path: Path) -> None:
    _assert_error(run, db_url, imported, "import", str(tmp_path / "missing"), match="does not exist")
    (tmp_path / "nomd").mkdir()
    (tmp_path / "nomd" / "notes.txt").write_text("hello")
    _assert_error(run, db_url, imported, "import", str(tmp_path / "nomd"), match="no Markdown files")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "doc.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    _assert_error(run, db_url, imported, "import", str(tmp_path / "bin"), match="binary file")
    (tmp_path / "latin").mkdir()
    (tmp_path / "latin" / "doc.md").write_bytes("# Caf\u00e9\n[x](https://e.org/)\n".encode("latin-1"))
    _assert_error(run, db_url, imported, "import", str(tmp_path / "latin"), match="not valid UTF-8")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "doc.md").write_text("")
    _assert_error(run, db_url, imported, "import", str(tmp_path / "empty"), match="empty")


def test_an_empty_path_or_document_name_is_an_error(run: CLI, db_url: str, imported: dict[str, int],
                                                    tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``tracker import "$DOC"`` with DOC unset imported whatever Markdown lay under the
    current folder; ``--document ""`` made a document without a name."""
    doc = tmp_path / "here"
    doc.mkdir()
    (doc / "notes.md").write_text("# Notes\n\n## A\n\n[x](https://example.org/x)\n", encoding="utf-8")
    monkeypatch.chdir(doc)
    for path in ("", "  "):
        _assert_error(run, db_url, imported, "import", path, match="PATH is empty")
    for name in ("", " "):
        _assert_error(run, db_url, imported, "import", str(doc), "--document", name, match="--document")


def test_missing_include_rolls_back(run: CLI, db_url: str, imported: dict[str, int], tmp_path: Path) -> None:
    doc = copy_tree(NEWEST_HANDBOOK, tmp_path / "doc")
    (doc / "_includes" / "section4.md").unlink()
    _assert_error(run, db_url, imported, "import", str(doc), match="includes 'section4.md', which does not exist")


def test_suspicious_links_warn_and_strict_refuses(run: CLI, db_url: str, imported: dict[str, int],
                                                   tmp_path: Path) -> None:
    doc = tmp_path / "links"
    doc.mkdir()
    (doc / "doc.md").write_text(
        "# Sec\n## Chap\n[ok](https://example.org/ok) [v6](http://[::1) [odd](ht!tp://x)\n"
        "[js](javascript:alert(1)) [mail](mailto:me@example.org)\n## Chap\n[dup](https://example.org/d)\n")
    _assert_error(run, db_url, imported, "import", str(doc), "--strict", match="malformed URL")
    result = run("import", str(doc), "--document", "links", "--format", "json")
    assert result.exit_code == 0
    [summary] = json.loads(result.stdout)
    assert summary["resources"] == 2
    assert summary["internal"] == {"malformed": 2, "javascript": 1, "mailto": 1}
    assert result.stderr.count("warning:") == 5  # 4 links + the duplicate chapter title


def test_unopenable_database(run: CLI, tmp_path: Path) -> None:
    result = run("--db", f"sqlite:///{tmp_path}/no/such/dir/t.db", "import", str(NEWEST_HANDBOOK))
    assert result.exit_code == 1 and result.stderr.startswith("Error: cannot open database")
    result = run("--db", "postgresql+psycopg://nobody@127.0.0.1:9/none", "topics")
    assert result.exit_code == 1 and result.stderr.startswith("Error: cannot open database")
    result = run("--db", "not a url", "topics")
    assert result.exit_code == 1 and "cannot parse database URL" in result.stderr


def test_listing_before_any_import_is_a_clear_error(run: CLI) -> None:
    result = run("topics")
    assert result.exit_code == 1 and "run `tracker import PATH` first" in result.stderr


def test_unknown_topic_suggests_close_slugs(run: CLI, imported: dict[str, int]) -> None:
    result = run("resources", "--topic", "tokenisation")
    assert result.exit_code == 1 and "did you mean tokenization" in result.stderr


def test_arxiv_versions_are_recorded_on_one_resource(run: CLI, db_url: str, tmp_path: Path) -> None:
    from tracker.db.models import ResourceVersion

    doc = tmp_path / "papers"
    doc.mkdir()
    (doc / "d.md").write_text("## Papers\n[QLoRA](https://arxiv.org/abs/2305.14314v2) and "
                              "[pdf](https://arxiv.org/pdf/2305.14314v1.pdf)\n")
    assert run("import", str(doc)).exit_code == 0
    (doc / "d.md").write_text("## Papers\n[QLoRA](https://arxiv.org/abs/2305.14314v3)\n")
    assert run("import", str(doc)).exit_code == 0
    resources = json.loads(run("resources", "--format", "json").stdout)
    assert [r["canonical_url"] for r in resources] == ["https://arxiv.org/abs/2305.14314"]
    assert resources[0]["title"] == "QLoRA"
    db = open_database(db_url)
    with db.transaction() as s:
        labels = sorted(s.scalars(select(ResourceVersion.label)))
    db.dispose()
    assert labels == ["v1", "v2", "v3"]


def test_import_from_raw_markdown_urls(db_url: str, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The handbook's raw files over HTTP (a MockTransport serving the fixture)."""
    import httpx

    from tracker.services.import_ import import_document

    fetched: list[str] = []

    def serve(request: httpx.Request) -> httpx.Response:
        fetched.append(request.url.path)
        rel = request.url.path.removeprefix("/genai-handbook/main/")
        file = NEWEST_HANDBOOK / rel
        return httpx.Response(200, content=file.read_bytes()) if file.is_file() else httpx.Response(404)

    db = open_database(db_url)
    base = "https://raw.example.org/genai-handbook/main/"
    [result] = import_document(db, base, settings, transport=httpx.MockTransport(serve))
    assert (result.created, result.sections, result.chapters, result.links) == (True, 9, 52, 292)
    assert fetched[0].endswith("/index.md") and len(fetched) == 12  # index + 11 included files
    [again] = import_document(db, base, settings, transport=httpx.MockTransport(serve))
    assert not again.created
    from tracker.db.models_core import Document
    with db.transaction() as s:
        assert [d.location for d in s.scalars(select(Document))] == [base]  # the URL, intact
    db.dispose()


def test_raw_url_with_a_missing_include_is_a_clear_error(db_url: str, settings) -> None:  # type: ignore[no-untyped-def]
    import httpx

    from tracker.errors import DocumentError
    from tracker.services.import_ import import_document

    def serve(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("index.md"):
            return httpx.Response(200, text="<h1>S</h1>\n\n{% include gone.md %}\n")
        return httpx.Response(404)

    db = open_database(db_url)
    with pytest.raises(DocumentError, match=r"_includes/gone.md answered HTTP 404"):
        import_document(db, "https://raw.example.org/doc/", settings, transport=httpx.MockTransport(serve))
    db.dispose()


def test_untracked_document_inside_a_repository_is_a_plain_folder(run: CLI, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "README.md").write_text("# tracked\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "init")
    (repo / ".gitignore").write_text("/out/\n")
    doc = repo / "out" / "doc"
    doc.mkdir(parents=True)
    (doc / "d.md").write_text("## A\n[x](https://example.org/x)\n")
    assert run("import", str(doc), env={"TRACKER_NOW": "2026-11-02T09:00:00Z"}).exit_code == 0
    (doc / "d.md").write_text("## A\n[x](https://example.org/x) [y](https://example.org/y)\n")
    assert run("import", str(doc), env={"TRACKER_NOW": "2026-11-02T10:00:00Z"}).exit_code == 0
    versions = json.loads(run("versions", "--format", "json").stdout)
    assert [(v["label"], v["commit"]) for v in versions] == [("2026-11-02", None), ("2026-11-02.2", None)]
    # a tracked but edited document is labelled as local changes on top of the commit
    (repo / "README.md").write_text("# tracked\n\n[z](https://example.org/z)\n")
    result = run("import", str(repo), "--document", "repo", "--format", "json")
    assert json.loads(result.stdout)[0]["label"].endswith("+local")


def test_history_of_a_single_markdown_file(run: CLI, tmp_path: Path) -> None:
    repo = tmp_path / "r"
    (repo / "docs").mkdir(parents=True)
    _git(repo, "init", "-q")
    guide = repo / "docs" / "guide.md"
    for i, date in enumerate(("2026-01-01", "2026-02-01")):
        guide.write_text("## A\n" + "".join(f"[l{j}](https://example.org/{j})\n" for j in range(i + 1)))
        (repo / "docs" / "other.md").write_text(f"# other {i}\n")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-qm", f"v{i}", date=f"{date}T12:00:00+00:00")
    result = run("import", str(guide), "--history", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert [r["links"] for r in json.loads(result.stdout)] == [1, 2]


def test_import_without_document_name_continues_the_only_document(run: CLI, tmp_path: Path) -> None:
    doc = tmp_path / "guide"
    doc.mkdir()
    (doc / "g.md").write_text("## A\n[x](https://example.org/x)\n")
    assert run("import", str(doc), "--document", "field-guide").exit_code == 0
    (doc / "g.md").write_text("## A\n[x](https://example.org/x) [y](https://example.org/y)\n")
    assert run("import", str(doc)).exit_code == 0  # no --document: the only one, not a new "handbook"
    versions = json.loads(run("versions", "--format", "json").stdout)
    assert len(versions) == 2
    other = run("import", str(NEWEST_HANDBOOK), "--document", "handbook")
    assert other.exit_code == 0
    assert "handbook" in run("import", str(NEWEST_HANDBOOK)).stderr  # now the configured name exists


@pytest.mark.parametrize(("url", "message"), [("http://[::1", "cannot import from"),
                                              ("https://", "cannot import from"),
                                              # was "path ftp:/x does not exist" (a Path folds "//")
                                              ("ftp://x/", "cannot import from 'ftp://x/'"),
                                              ("file:///etc/", "cannot import from 'file:///etc/'")])
def test_malformed_import_urls_are_errors(run: CLI, url: str, message: str) -> None:
    result = run("import", url)
    assert result.exit_code == 1 and result.stderr.startswith(f"Error: {message}")


def test_an_html_page_is_not_imported_as_markdown(db_url: str, settings) -> None:  # type: ignore[no-untyped-def]
    import httpx

    from tracker.errors import DocumentError
    from tracker.services.import_ import import_document

    def page(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, html="<!doctype html><html><title>Sign in</title></html>")

    def disguised(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<!DOCTYPE html><html><body>Sign in</body></html>")

    db = open_database(db_url)
    for handler in (page, disguised):
        with pytest.raises(DocumentError, match="not Markdown"):
            import_document(db, "https://raw.example.org/doc/", settings, transport=httpx.MockTransport(handler))
    db.dispose()


@pytest.mark.parametrize("label", ["", "  ", "two\nlines"])
def test_unusable_labels_are_refused(run: CLI, label: str) -> None:
    result = run("import", str(NEWEST_HANDBOOK), "--label", label)
    assert result.exit_code == 1 and "not a usable version name" in result.stderr


def test_a_missing_path_leaves_no_new_database_behind(run: CLI, tmp_path: Path) -> None:
    """`tracker --db sqlite:///new.db import nothere.md` said the path does not exist and left
    an empty new.db behind (found by trying the installed command from an empty folder)."""
    target = tmp_path / "new.db"
    result = run("--db", f"sqlite:///{target}", "import", str(tmp_path / "nothere.md"))
    assert result.exit_code == 1
    assert result.stderr == f"Error: path {tmp_path / 'nothere.md'} does not exist; pass a Markdown file or the " \
                            "document's folder\n"
    assert not target.exists()
