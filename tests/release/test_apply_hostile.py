"""``export --apply`` writes only valid http(s) URLs into the document, encoded so they
cannot end a Markdown link early; anything else is reported and left alone."""

from __future__ import annotations

from pathlib import Path

import httpx
from markdown_it import MarkdownIt

from tests.conftest import CLI
from tests.release.conftest import ENV, MarkLink

DEAD = "https://blog.paperspace.com/conditional-generative-adversarial-networks/"
FILE = "_includes/section8.md"


def _hrefs(text: str) -> list[str]:
    tokens = MarkdownIt("commonmark").parse(text)
    return [str(child.attrGet("href")) for t in tokens for child in (t.children or [])
            if child.type == "link_open"]


def test_redirect_to_a_markdown_breaking_location_is_reported_not_applied(
        run: CLI, handbook_copy: Path, mark_link: MarkLink) -> None:
    # what the checker stores after `Location: /ok/a)[click me](javascript:alert(1)`
    target = str(httpx.URL("http://127.0.0.1:8123/old").join("/ok/a)[click me](javascript:alert(1)"))
    assert run("import", str(handbook_copy), env=ENV).exit_code == 0
    mark_link(DEAD, "redirected", suggested_url=target)
    before = (handbook_copy / FILE).read_text(encoding="utf-8")

    result = run("export", "--apply", str(handbook_copy), env=ENV)

    assert result.exit_code == 0, result.stderr
    after = (handbook_copy / FILE).read_text(encoding="utf-8")
    assert after == before
    assert "javascript" not in "".join(_hrefs(after))
    assert "is not a valid http(s) URL" in result.stderr and DEAD in result.stderr
    assert "0 links replaced" in result.stderr


def test_a_valid_redirect_with_parentheses_is_applied_encoded(
        run: CLI, handbook_copy: Path, mark_link: MarkLink) -> None:
    target = "http://127.0.0.1:8123/ok/a)(javascript:alert(1)"
    assert run("import", str(handbook_copy), env=ENV).exit_code == 0
    mark_link(DEAD, "redirected", suggested_url=target)

    result = run("export", "--apply", str(handbook_copy), env=ENV)

    assert result.exit_code == 0, result.stderr
    after = (handbook_copy / FILE).read_text(encoding="utf-8")
    assert "http://127.0.0.1:8123/ok/a%29%28javascript:alert%281%29" in after
    hrefs = _hrefs(after)
    assert "http://127.0.0.1:8123/ok/a%29%28javascript:alert%281%29" in hrefs
    assert not [h for h in hrefs if "javascript" in h and not h.startswith("http://127.0.0.1:8123/")]
