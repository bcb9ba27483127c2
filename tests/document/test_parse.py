"""Parsing the handbook layout and plain Markdown into topics and links."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import HANDBOOK, HANDBOOK_VERSIONS, NEWEST_HANDBOOK
from tracker.document.structure import parse_document
from tracker.errors import DocumentError
from tracker.services.document_source import read_path
from tracker.urls import canonicalize


def _parse(path: Path):  # type: ignore[no-untyped-def]
    return parse_document(read_path(path).files)


def test_newest_handbook_sections_chapters_and_links(fixtures_dir: Path) -> None:
    doc = _parse(NEWEST_HANDBOOK)
    kinds = Counter(t.kind for t in doc.topics)
    assert doc.layout == "handbook"
    assert kinds == {"section": 9, "chapter": 52, "front": 1}
    sections = [t for t in doc.topics if t.kind == "section"]
    assert sections[0].title == "Section I: Foundations of Sequential Prediction"
    assert sections[0].description.startswith("Recap machine learning basics")
    assert sections[-1].title == "Section IX: Multimodal Models"
    chapters_per_section = Counter(t.parent_slug for t in doc.topics if t.kind == "chapter")
    assert [chapters_per_section[s.slug] for s in sections] == [5, 6, 6, 6, 10, 5, 5, 6, 3]
    targets = Counter(link.target for link in doc.links)
    # 292 external links; 13 in-page anchors (#s7, #diffusion-models…); 3 URLs written as
    # plain text, which the site does not render as links; 1 malformed target
    # "[https://lilianweng…]" (brackets inside the parentheses: a broken link on the site).
    assert targets == {"external": 292, "anchor": 13, "bare": 3, "malformed": 1}
    unique = {canonicalize(link.href).canonical for link in doc.links if link.target == "external"}
    assert len(unique) == 272
    assert not doc.warnings


def test_links_land_in_their_chapter_with_sentence_and_line(fixtures_dir: Path) -> None:
    doc = _parse(NEWEST_HANDBOOK)
    video = next(link for link in doc.links if "zduSFxRajkE" in link.href)
    assert video.topic_slug == "tokenization"
    assert video.text == "video"
    assert video.file == "_includes/section3.md" and video.line == 6
    assert "Karpathy" in video.sentence and "tokenization" in video.sentence
    intro_links = [link for link in doc.links if link.topic_slug == "introduction"]
    assert intro_links[0].href == "https://x.com/willccbb"  # before any section: Introduction
    section_level = [link for link in doc.links
                     if link.topic_slug == "section-iii-foundations-for-modern-language-modeling"]
    assert [link.href for link in section_level] == [
        "https://magazine.sebastianraschka.com/p/understanding-large-language-models"]


def test_typo_fix_versions_parse_to_the_same_links(fixtures_dir: Path) -> None:
    docs = [_parse(HANDBOOK / v) for v in HANDBOOK_VERSIONS]
    shapes = [[(l.href, l.topic_slug, l.text, l.file, l.line) for l in d.links] for d in docs]
    assert shapes[0] == shapes[1] == shapes[2]
    assert len({d.content_hash for d in docs}) == 3


AWESOME = """# Awesome LLM Reading

A curated list. See [the site](https://example.org/) and [contributing](CONTRIBUTING.md).

## Foundations

### Tokenizers
- [BPE explained](https://example.org/bpe) - how byte pair encoding works.
- [SentencePiece](https://github.com/google/sentencepiece)

### Attention
Read [Attention Is All You Need](https://arxiv.org/abs/1706.03762v7) first. Then [this](#tokenizers).

## Applications

### Agents
- [ReAct](https://arxiv.org/pdf/2210.03629.pdf)
- <a href="https://example.org/agents">Agents overview</a>
"""


def test_plain_markdown_awesome_list_layout() -> None:
    doc = parse_document({"README.md": AWESOME})
    assert doc.layout == "markdown"
    topics = [(t.slug, t.kind, t.parent_slug) for t in doc.topics]
    assert topics == [
        ("introduction", "front", None),
        ("foundations", "section", None),
        ("tokenizers", "chapter", "foundations"),
        ("attention", "chapter", "foundations"),
        ("applications", "section", None),
        ("agents", "chapter", "applications"),
    ]
    by_href = {link.href: link for link in doc.links}
    assert by_href["https://example.org/bpe"].topic_slug == "tokenizers"
    assert by_href["https://example.org/agents"].topic_slug == "agents"
    assert by_href["CONTRIBUTING.md"].target == "relative"
    assert by_href["#tokenizers"].target == "anchor"
    assert by_href["https://arxiv.org/abs/1706.03762v7"].sentence == "Read Attention Is All You Need first."


def test_folder_of_markdown_files_readme_first(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# Course\n\nIntro [site](https://example.org/).\n")
    (tmp_path / "lecture2.md").write_text("# Lecture 2\n\n[notes](https://example.org/l2)\n")
    (tmp_path / "lecture1.md").write_text("# Lecture 1\n\n[notes](https://example.org/l1)\n")
    doc = _parse(tmp_path)
    assert [link.href for link in doc.links] == [
        "https://example.org/", "https://example.org/l1", "https://example.org/l2"]
    assert [link.topic_slug for link in doc.links] == ["course", "lecture-1", "lecture-2"]


def test_duplicate_chapter_titles_get_distinct_slugs_and_a_warning() -> None:
    text = "# A\n## Resources\n[x](https://e.org/1)\n# B\n## Resources\n[y](https://e.org/2)\n## Resources\n[z](https://e.org/3)\n"
    doc = parse_document({"doc.md": text})
    slugs = [t.slug for t in doc.topics if t.kind == "chapter"]
    assert slugs == ["resources", "b-resources", "b-resources-2"]
    assert len(doc.warnings) == 1 and "duplicate chapter title 'Resources'" in doc.warnings[0]


def test_missing_include_names_the_file_and_line() -> None:
    files = {"index.md": "<h1>S</h1>\n\n{% include nope.md %}\n"}
    with pytest.raises(DocumentError, match=r"index.md line 3 includes 'nope.md', which does not exist"):
        parse_document(files)


def test_include_cycle_is_an_error() -> None:
    files = {"index.md": "<h1>S</h1>\n\n{% include a.md %}\n", "_includes/a.md": "{% include a.md %}\n"}
    with pytest.raises(DocumentError, match="loops"):
        parse_document(files)


def test_empty_document_is_an_error() -> None:
    with pytest.raises(DocumentError, match="empty"):
        parse_document({"empty.md": "\n\n"})


def test_links_keep_the_exact_href_written() -> None:
    doc = parse_document({"d.md": "## C\n[a](https://example.org/a%20b?x=1&amp;y=é) [j](javascript:alert(1))\n"})
    assert [link.href for link in doc.links][1] == "javascript:alert(1)"
    assert doc.links[1].target == "javascript"


def test_a_section_wrapper_split_by_blank_lines_keeps_its_chapters() -> None:
    """The h1 and its include in separate HTML blocks (a blank line between) still form one
    section; what follows the section's include is back matter."""
    index = ('<div class="section">\n<h1>Section I: Basics</h1>\n'
             '<div class="section-summary"><b>Goal:</b> Learn.</div>\n\n'
             '<div markdown="1">\n{% include s1.md %}\n</div>\n</div>\n\n'
             "{% include credits.md %}\n")
    files = {"index.md": index,
             "_includes/s1.md": "<h2>Tokens</h2>\n\n[bpe](https://example.org/bpe)\n",
             "_includes/credits.md": "Thanks to [everyone](https://example.org/thanks).\n"}
    doc = parse_document(files)
    assert [(t.slug, t.kind, t.parent_slug) for t in doc.topics] == [
        ("section-i-basics", "section", None), ("tokens", "chapter", "section-i-basics"),
        ("back-matter", "front", None)]
    assert {link.href: link.topic_slug for link in doc.links} == {
        "https://example.org/bpe": "tokens", "https://example.org/thanks": "back-matter"}
    assert doc.topics[0].description == "Learn."
