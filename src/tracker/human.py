"""Human output: counted nouns, lists in sentences, and tables fitted to the terminal (pure).

Owns how numbers and rows read to a person: ``plural(1, "link")`` → "1 link",
``counts({"alive": 9, "dead": 1, "hosts": 1})`` → "9 alive, 1 dead and 1 host", and ``table`` (rich,
wrapped to the terminal width, words never cut; a table that needs no wrapping is drawn
the same way without importing rich). Values pass through
``escape.terminal_text``, so no Python repr, control character or escape
sequence reaches the screen. Does not own JSON or CSV (``escape``), or where
the text goes (the CLI).
"""

from __future__ import annotations

import shutil
import textwrap
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
    parts = [f"{v} {_singular(k.replace('_', ' ')) if v == 1 else k.replace('_', ' ')}" for k, v in values.items()
             if isinstance(v, (int, float)) and not isinstance(v, bool) and (v or not skip_zero)]
    return and_list(parts, empty)


_SINGULAR = {many: one for one, many in _IRREGULAR.items()}


def _singular(name: str) -> str:
    """``"hosts"`` → ``"host"``, ``"new versions"`` → ``"new version"`` (the last word; "1
    hosts" read wrong); a name that is not a plural noun (``"checked"``) is left as it is."""
    head, _, last = name.rpartition(" ")
    if last in _SINGULAR:
        last = _SINGULAR[last]
    elif last.endswith("s") and not last.endswith(("ss", "us", "is")):
        last = last[:-1]
    return f"{head} {last}" if head else last


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


def _min_width(cells: Sequence[Sequence[str]], columns: Sequence[str]) -> int:
    """The narrowest table that cuts no word: each column as wide as its longest word."""
    widest = [max([len(name)] + [len(w) for row in cells for w in row[i].split()])
              for i, name in enumerate(columns)]
    return sum(widest) + 3 * (len(columns) - 1)


def _records(cells: Sequence[Sequence[str]], columns: Sequence[str], width: int) -> str:
    """One block of ``name: value`` lines per row, values wrapped at spaces (for rows too
    wide to be a table without cutting words)."""
    pad = max(len(c) for c in columns) + 2
    blocks = []
    for row in cells:
        lines = []
        for name, value in zip(columns, row):
            wrapped = textwrap.wrap(value, max(20, width - pad), break_long_words=False,
                                    break_on_hyphens=False) or [""]
            lines.append(f"{name + ':':<{pad}}{wrapped[0]}".rstrip())
            lines += [" " * pad + more for more in wrapped[1:]]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _plain_table(cells: Sequence[Sequence[str]], columns: Sequence[str], width: int) -> str | None:
    """The table ``_rich_table`` draws (``box.SIMPLE_HEAD``, no edge), written directly when
    nothing in it needs rich: printable ASCII only (one character, one column), no empty
    column, and every row on one line within ``width``. ``None`` otherwise. (Importing
    rich costs ~30 ms, a tenth of a start of ``tracker check``; a property test holds
    the two drawings equal.)"""
    texts = [list(columns), *cells]
    if not all(text.isascii() and text.isprintable() for row in texts for text in row):
        return None
    widths = [max(len(row[i]) for row in texts) for i in range(len(columns))]
    total = sum(widths) + 3 * (len(columns) - 1)  # a space of padding, the rule's gap, a space
    if min(widths, default=0) < 1 or total > width:
        return None
    lines = ["   ".join(text.ljust(w) for text, w in zip(row, widths)).rstrip() for row in texts]
    lines.insert(1, "\u2500" * total)
    return "\n".join(lines).strip("\n")


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], width: int | None = None) -> str:
    """Rows as a table no wider than ``width`` (default: the terminal's): long cells wrap
    at spaces, and when even that would cut a word (long slugs on 80 columns), each row
    becomes a block of ``name: value`` lines instead."""
    width = width or terminal_width()
    cells = [[cell(row.get(c)) for c in columns] for row in rows]
    if cells and _min_width(cells, columns) > width:
        return _records(cells, columns, width)
    plain = _plain_table(cells, columns, width)
    return plain if plain is not None else _rich_table(cells, columns, width)


def _rich_table(cells: Sequence[Sequence[str]], columns: Sequence[str], width: int) -> str:
    """The table drawn by rich: columns shrunk and cells folded to fit ``width``."""
    from rich import box  # imported here: only tables that wrap (or hold wide characters) pay for rich
    from rich.console import Console
    from rich.table import Table

    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    for name in columns:
        grid.add_column(name, overflow="fold")
    for row_cells in cells:
        grid.add_row(*row_cells)
    console = Console(width=width, color_system=None, force_terminal=False, highlight=False, markup=False,
                      emoji=False, soft_wrap=False)
    with console.capture() as captured:
        console.print(grid)
    return "\n".join(line.rstrip() for line in captured.get().splitlines()).strip("\n")
