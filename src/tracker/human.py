"""Human output: counted nouns, lists in sentences, and tables fitted to the terminal (pure).

Owns how numbers and rows read to a person: ``plural(1, "link")`` → "1 link",
``counts({"alive": 9, "dead": 1})`` → "9 alive and 1 dead", and ``table`` (rich,
wrapped to the terminal width, words never cut). Values pass through
``escape.terminal_text``, so no Python repr, control character or escape
sequence reaches the screen. Does not own JSON or CSV (``escape``), or where
the text goes (the CLI).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from tracker.escape import rfc3339, terminal_text

__all__ = ["plural", "counts", "and_list", "cell", "table", "terminal_width"]

_IRREGULAR = {"entry": "entries", "copy": "copies", "query": "queries",
              "this": "these", "was": "were", "is": "are", "has": "have"}


def plural(n: int, word: str, many: str | None = None) -> str:
    """``"1 link"``, ``"2 links"``, ``"0 entries"`` (``many`` for an irregular plural)."""
    if n == 1:
        return f"{n} {word}"
    return f"{n} {many or _IRREGULAR.get(word) or word + ('es' if word.endswith(('s', 'x', 'ch', 'sh')) else 's')}"


def and_list(items: Iterable[str], empty: str = "none", last: str = "and") -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"`` (``last="or"``: ``"a, b or c"``)."""
    words = [w for w in items if w]
    if not words:
        return empty
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {last} " + words[-1]


def counts(values: Mapping[str, Any], skip_zero: bool = True, empty: str = "none") -> str:
    """``{"alive": 9, "dead": 1, "failing": 0}`` → ``"9 alive and 1 dead"``; names with
    underscores read as words; nested values are left out, never printed as a repr."""
    parts = [f"{v} {k.replace('_', ' ')}" for k, v in values.items()
             if isinstance(v, (int, float)) and not isinstance(v, bool) and (v or not skip_zero)]
    return and_list(parts, empty)


def cell(value: Any) -> str:
    """One table cell: dates as RFC 3339, lists comma-separated, booleans yes/no, one line."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (datetime, date)):
        return rfc3339(value)
    if isinstance(value, Mapping):
        return counts(value, empty="")
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(v) for v in value)
    return terminal_text(str(value))


def terminal_width(default: int = 100) -> int:
    """Columns of the terminal (``COLUMNS`` wins; ``default`` when there is none)."""
    return max(20, shutil.get_terminal_size((default, 24)).columns)


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], width: int | None = None) -> str:
    """Rows as a table no wider than ``width`` (default: the terminal's): long cells wrap
    at spaces (a word is cut only when it alone is wider than its column)."""
    from rich import box  # imported here: only table output pays for rich
    from rich.console import Console
    from rich.table import Table

    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    for name in columns:
        grid.add_column(name, overflow="fold")
    for row in rows:
        grid.add_row(*(cell(row.get(c)) for c in columns))
    console = Console(width=width or terminal_width(), color_system=None, force_terminal=False,
                      highlight=False, markup=False, emoji=False, soft_wrap=False)
    with console.capture() as captured:
        console.print(grid)
    return "\n".join(line.rstrip() for line in captured.get().splitlines()).strip("\n")
