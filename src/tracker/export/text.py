"""Making untrusted text safe in Markdown, HTML and CSV (pure).

Titles come from feeds and web pages: ``[x](javascript:alert(1))``, ``<script>``,
``|`` and newlines must show as text, never become links, markup, table
columns or extra rows. Owns: one-line squashing, Markdown escaping, safe link
targets, HTML escaping and the spreadsheet-formula guard for CSV cells.
Does not own: layout (the renderers).
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote, urlsplit

__all__ = ["one_line", "md_text", "md_link", "safe_url", "html_text", "html_link", "csv_cell",
           "csv_value", "shorten"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_MD_SPECIAL = re.compile(r"([\\`*\[\]|~#!])")
_UNDERSCORE = re.compile(r"_(?![^\W_])|(?<![^\W_])_")  # "_" that could open or close emphasis


def one_line(text: str | None) -> str:
    """Collapse newlines, tabs and control characters into single spaces."""
    return " ".join(_CONTROL.sub(" ", text or "").split())


def shorten(text: str, limit: int = 200) -> str:
    """``one_line(text)`` cut at a word boundary to at most ``limit`` characters."""
    line = one_line(text)
    if len(line) <= limit:
        return line
    cut = line[: limit - 1].rsplit(" ", 1)[0] or line[: limit - 1]
    return cut.rstrip(" ,;:") + "…"


def md_text(text: str | None) -> str:
    """Inline Markdown that renders exactly ``text``: no links, emphasis, HTML or table cells."""
    line = one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _UNDERSCORE.sub(r"\\_", _MD_SPECIAL.sub(r"\\\1", line))


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit to be a link target (spaces, quotes, brackets and parentheses
    percent-encoded); ``None`` for anything else (javascript:, data:, relative…)."""
    text = one_line(url)
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        return None
    if scheme not in ("http", "https") or not urlsplit(text).netloc:
        return None
    return quote(text, safe="/:?#[]@!$&*+,;=%-._~")


def md_link(title: str, url: str | None) -> str:
    """``[title](url)``, or the escaped title alone when the URL is not a safe http(s) link."""
    target = safe_url(url)
    label = md_text(title) or md_text(url)
    if target is None:
        return f"{label} ({md_text(url)})" if url and label != md_text(url) else label
    return f"[{label}]({target})"


def html_text(text: str | None) -> str:
    return html.escape(one_line(text), quote=True)


def html_link(title: str, url: str | None) -> str:
    target = safe_url(url)
    label = html_text(title) or html_text(url)
    if target is None:
        return label
    return f'<a href="{html.escape(target, quote=True)}">{label}</a>'


#: a cell a spreadsheet would read as a formula: it starts with = + - @ (OWASP's list;
#: tab, CR and NUL cannot start a cell, ``one_line`` turns them into spaces and strips),
#: possibly behind apostrophes, so that the guard itself can be undone exactly
_FORMULA = re.compile(r"^'*[=+\-@]")


def csv_cell(text: str | None) -> str:
    """One line, and text a spreadsheet will not run as a formula: a cell starting with
    ``= + - @`` gets a leading ``'`` (OWASP's CSV-injection advice, ASVS 1.2.10).

    ``@`` is guarded too, although ``@willccbb`` is a handle: Excel reads a cell starting
    with ``@`` as a formula (``@SUM(A1)``, or ``#NAME?`` for a handle), so the apostrophe
    is what keeps the handle readable there. ``csv_value`` undoes the guard exactly."""
    line = one_line(text)
    if _FORMULA.match(line):
        return "'" + line
    return line


def csv_value(cell: str) -> str:
    """The text ``csv_cell`` was given (after ``one_line``): the guard apostrophe removed."""
    return cell[1:] if _FORMULA.match(cell) and cell.startswith("'") else cell
