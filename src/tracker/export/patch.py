"""Patching the document's own Markdown: computing edits, not writing files (pure).

Owns: replacing one link's URL at its exact spot (the placement's file and
line, in Markdown ``](url)``, an HTML ``href``, an autolink ``<url>`` or a
reference definition), finding where a chapter ends, appending accepted
candidates there as a list, and the unified diff. Everything else in the file
is left byte for byte (line endings included), so ``git diff`` shows only the
edited lines. Does not own: reading or writing files (``services.release``).
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tracker.changelog.model import TopicView
from tracker.human import plural
from tracker.escape import md_link, md_text, one_line, patch_url, terminal_text
from tracker.types import AcceptedCandidate

__all__ = ["UrlEdit", "Addition", "PatchPlan", "plan_patch", "chapter_end", "candidate_line",
           "unified_diff", "split_lines", "MAX_LINK_SPAN"]

#: how many lines after a link's first line its URL may appear (link text wrapped over lines)
MAX_LINK_SPAN = 12
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,9}[.)])\s")


@dataclass(frozen=True)
class UrlEdit:
    """Replace ``old_url`` with ``new_url`` in the link that starts at ``file``:``line``."""

    file: str
    line: int
    old_url: str
    new_url: str


@dataclass(frozen=True)
class Addition:
    """Insert Markdown ``lines`` after line ``after_line`` of ``file`` (0: at the top)."""

    file: str
    after_line: int
    lines: tuple[str, ...]


@dataclass
class PatchPlan:
    """New texts of the files that change, and what was done or skipped."""

    texts: dict[str, str] = field(default_factory=dict)
    replaced: int = 0
    added: int = 0
    notes: list[str] = field(default_factory=list)


def split_lines(text: str) -> list[str]:
    """Lines with their own endings (``\\n``, ``\\r\\n`` or ``\\r``), nothing else splits."""
    return _LINE.findall(text)


def _newline(lines: Sequence[str]) -> str:
    for line in lines:
        if line.endswith("\r\n"):
            return "\r\n"
        if line.endswith("\n"):
            return "\n"
        if line.endswith("\r"):
            return "\r"
    return "\n"


def _patterns(url: str) -> list[re.Pattern[str]]:
    out = []
    for form in dict.fromkeys((url, html.escape(url, quote=True), html.escape(url, quote=False))):
        u = re.escape(form)
        out += [re.compile(rf"(?<=\]\()(\s*<?){u}(?=>?(?:\s|\)))"),          # [text](url) / (url "t")
                re.compile(rf"(?<=href=)([\"']?){u}(?=[\"'\s>])", re.I),   # <a href="url">
                re.compile(rf"(?<=<){u}(?=>)")]                              # <url>
    return out


def _target(url: str) -> str:
    """A URL that cannot end a Markdown link or an HTML attribute early (``plan_patch``
    has already refused every URL ``escape.patch_url`` does not accept)."""
    return patch_url(url) or ""


def _replace_in(line: str, edit: UrlEdit) -> str | None:
    for pattern in _patterns(edit.old_url):
        m = pattern.search(line)
        if m:
            prefix = m.group(1) if pattern.groups else ""
            return line[:m.start()] + prefix + _target(edit.new_url) + line[m.end():]
    return None


def _apply_edit(lines: list[str], edit: UrlEdit) -> bool:
    start = max(0, edit.line - 1)
    for i in range(start, min(len(lines), start + MAX_LINK_SPAN)):
        if i > start and not lines[i].strip():
            break  # a blank line ends the paragraph the link is in
        new = _replace_in(lines[i], edit)
        if new is not None:
            lines[i] = new
            return True
    definition = re.compile(rf"^( {{0,3}}\[[^\]]+\]:[ \t]*<?){re.escape(edit.old_url)}(?=>?(?:\s|$))")
    for i, line in enumerate(lines):  # a reference-style link: the URL is in its definition
        m = definition.match(line)
        if m:
            lines[i] = m.group(1) + _target(edit.new_url) + line[m.end():]
            return True
    return False


def plan_patch(files: Mapping[str, str], edits: Sequence[UrlEdit],
               additions: Sequence[Addition]) -> PatchPlan:
    """Apply ``edits`` and ``additions`` to copies of ``files``; unchanged files are left out."""
    plan = PatchPlan()
    work: dict[str, list[str]] = {}
    for edit in edits:
        if edit.file not in files:
            plan.notes.append(f"{edit.file} is not part of the document; {edit.old_url} left as it is")
            continue
        if patch_url(edit.new_url) is None:
            plan.notes.append(f"{edit.file}:{edit.line}: the new address {terminal_text(edit.new_url)} is not a "
                              f"valid http(s) URL; {edit.old_url} left as it is")
            continue
        lines = work.setdefault(edit.file, split_lines(files[edit.file]))
        if _apply_edit(lines, edit):
            plan.replaced += 1
        else:
            plan.notes.append(f"{edit.file}:{edit.line}: link to {edit.old_url} not found there; left as it is")
    inserts: dict[tuple[str, int], list[str]] = {}
    for add in additions:
        if add.file not in files:
            plan.notes.append(f"{add.file} is not part of the document; {plural(len(add.lines), 'line')} not added")
            continue
        work.setdefault(add.file, split_lines(files[add.file]))
        inserts.setdefault((add.file, add.after_line), []).extend(add.lines)
        plan.added += len(add.lines)
    for (name, after), new_lines in sorted(inserts.items(), key=lambda kv: (kv[0][0], -kv[0][1])):
        lines = work[name]
        nl = _newline(lines)
        after = min(max(after, 0), len(lines))
        block = [text + nl for text in new_lines]
        previous = lines[after - 1] if after else ""
        if previous.strip() and not _LIST_ITEM.match(previous):
            block.insert(0, nl)  # a list after a paragraph: a blank line between them
        if after < len(lines) and lines[after].strip():
            block.append(nl)
        if after == len(lines) and after and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += nl
            block[-1] = block[-1][: -len(nl)]  # keep "no newline at end of file" as it was
        lines[after:after] = block
    for name, lines in work.items():
        text = "".join(lines)
        if text != files[name]:
            plan.texts[name] = text
    return plan


def chapter_end(files: Mapping[str, str], topics: Sequence[TopicView], slug: str) -> tuple[str, int] | None:
    """(file, last non-blank line) of a chapter, where a list can be appended; ``None`` when the
    topic is not a chapter (or a Markdown-headed topic) in a file of the document."""
    ordered = sorted(topics, key=lambda t: t.position)
    topic = next((t for t in ordered if t.slug == slug), None)
    if topic is None or topic.file not in files:
        return None
    lines = split_lines(files[topic.file])
    heading = lines[topic.line - 1] if 0 < topic.line <= len(lines) else ""
    if topic.kind != "chapter" and not heading.lstrip().startswith("#"):
        return None
    end = len(lines)
    for t in ordered:
        if t.position > topic.position and t.file == topic.file and t.line > topic.line:
            end = t.line - 1
            break
    last = end
    while last > topic.line and not lines[last - 1].strip():
        last -= 1
    return topic.file, max(last, topic.line)


def candidate_line(candidate: AcceptedCandidate, url: str | None = None) -> str | None:
    """``- [Title](url) by Authors`` for the document (``None`` for a URL that is not a valid
    http(s) URL); ``url``: the address to write instead of the candidate's (its link moved, or
    only an archived copy is left: ``export.build.replacement_for``)."""
    url = url or candidate.url
    if patch_url(url) is None:
        return None
    line = "- " + md_link(one_line(candidate.title) or candidate.url, url)
    if one_line(candidate.authors):
        line += f" by {md_text(candidate.authors)}"
    elif one_line(candidate.source):
        line += f" ({md_text(candidate.source)})"
    return line


def _diff_lines(lines: list[str]) -> list[str]:
    return [line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
            for line in lines]


def unified_diff(before: Mapping[str, str], after: Mapping[str, str]) -> str:
    """``git diff``-style unified diff of the files that changed."""
    out: list[str] = []
    for name in sorted(after):
        old = [line.replace("\r\n", "\n") for line in split_lines(before.get(name, ""))]
        new = [line.replace("\r\n", "\n") for line in split_lines(after[name])]
        out += difflib.unified_diff(_diff_lines(old), _diff_lines(new), f"a/{name}", f"b/{name}")
    return "".join(line if line.endswith("\n") else line + "\n" for line in out)
