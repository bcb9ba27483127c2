"""The pure Markdown patcher: URL swaps at the exact spot, lists at a chapter's end, diffs."""

from __future__ import annotations

from tracker.changelog.model import TopicView
from tracker.export.patch import Addition, UrlEdit, chapter_end, plan_patch, unified_diff

OLD, NEW = "https://old.example/a", "https://web.archive.org/web/2024/https://old.example/a"


def test_markdown_html_autolink_reference_and_wrapped_links() -> None:
    text = (f"See [the post]({OLD}) and [another](https://old.example/a/b).\n"
            f'<p><a href="{OLD}">html</a></p>\n'
            f"Autolink <{OLD}>.\n"
            "A [link that\nwraps]( " + OLD + ' "title")\n'
            "\n"
            "[ref][r] here\n"
            "\n"
            f"[r]: {OLD}\n")
    edits = [UrlEdit("f.md", 1, OLD, NEW), UrlEdit("f.md", 2, OLD, NEW), UrlEdit("f.md", 3, OLD, NEW),
             UrlEdit("f.md", 4, OLD, NEW), UrlEdit("f.md", 7, OLD, NEW)]
    plan = plan_patch({"f.md": text}, edits, [])
    assert plan.replaced == 5 and plan.notes == []
    assert plan.texts["f.md"] == text.replace(OLD + ")", NEW + ")").replace(f'"{OLD}"', f'"{NEW}"') \
        .replace(f"<{OLD}>", f"<{NEW}>").replace(f"( {OLD} ", f"( {NEW} ").replace(f"]: {OLD}", f"]: {NEW}")
    assert "https://old.example/a/b" in plan.texts["f.md"]


def test_crlf_kept_and_missing_links_noted() -> None:
    text = f"# T\r\n\r\n- [a]({OLD})\r\n- [b](https://b.example)\r\n"
    plan = plan_patch({"f.md": text}, [UrlEdit("f.md", 3, OLD, NEW), UrlEdit("f.md", 4, "https://zzz", NEW),
                                       UrlEdit("f.md", 3, OLD, "javascript:alert(1)")],
                      [Addition("f.md", 4, ("- [c](https://c.example)",))])
    assert plan.texts["f.md"] == f"# T\r\n\r\n- [a]({NEW})\r\n- [b](https://b.example)\r\n- [c](https://c.example)\r\n"
    assert len(plan.notes) == 2 and "not found" in plan.notes[0] and "not a valid http(s) URL" in plan.notes[1]


def test_chapter_end_and_list_after_paragraph_and_at_end_of_file() -> None:
    text = "<h2>One</h2>\n\nProse of one.\n\n\n<h2>Two</h2>\nLast line"
    topics = [TopicView("one", "One", "chapter", None, 0, file="s.md", line=1),
              TopicView("two", "Two", "chapter", None, 1, file="s.md", line=6),
              TopicView("sec", "Sec", "section", None, 2, file="index.md", line=1)]
    files = {"s.md": text, "index.md": "<h1>Sec</h1>\n"}
    assert chapter_end(files, topics, "one") == ("s.md", 3)
    assert chapter_end(files, topics, "two") == ("s.md", 7)
    assert chapter_end(files, topics, "sec") is None  # an HTML section heading: no place for a list
    plan = plan_patch(files, [], [Addition("s.md", 3, ("- [x](https://x.example)",)),
                                  Addition("s.md", 7, ("- [y](https://y.example)",))])
    assert plan.texts["s.md"] == ("<h2>One</h2>\n\nProse of one.\n\n- [x](https://x.example)\n\n\n<h2>Two</h2>\n"
                                  "Last line\n\n- [y](https://y.example)")
    diff = unified_diff(files, plan.texts)
    assert diff.count("\\ No newline at end of file") == 2
    assert "+- [x](https://x.example)\n" in diff and "--- a/s.md\n+++ b/s.md\n" in diff
