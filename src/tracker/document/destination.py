"""A faster ``parseLinkDestination`` for markdown-it (pure; the same answers).

Owns: finding where the destination of ``[text](URL …)`` ends. markdown-it-py's helper
walks the URL one ``charCodeAt`` call per character (a third of the parse of a
document of plain links, issue 15); here one precompiled search finds the first
character that can end or complicate the destination (space, control character,
backslash, parenthesis). A plain URL ending at ``)`` or a space is answered from that
search; anything else (``<…>`` destinations, backslashes, nested parentheses) goes to
markdown-it's own helper, unchanged. ``tests/document/test_destination.py`` compares
both on generated text. Does not own: the rest of Markdown parsing (``scan``).
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

from markdown_it import helpers
from markdown_it.common.utils import unescapeAll

__all__ = ["parse_link_destination", "with_fast_helpers"]

#: what ends a plain destination (space, control) or needs the full walk (\ ( ))
_STOP = re.compile(r"[\x00-\x20\x7f\\()]")


class Destination:
    """What markdown-it's link rules read from the helper: ok, pos, str."""

    __slots__ = ("ok", "pos", "str")

    def __init__(self, ok: bool, pos: int, text: str) -> None:
        self.ok, self.pos, self.str = ok, pos, text


def parse_link_destination(string: str, pos: int, maximum: int) -> Any:
    """``markdown_it.helpers.parseLinkDestination(string, pos, maximum)``, faster on plain URLs."""
    if pos < maximum and string[pos] != "<":
        stop = _STOP.search(string, pos, maximum)
        end = maximum if stop is None else stop.start()
        if stop is None or string[end] not in "\\(":  # the walk stops here at level 0
            if end == pos:
                return Destination(False, 0, "")
            text = string[pos:end]
            return Destination(True, end, unescapeAll(text))
    return helpers.parseLinkDestination(string, pos, maximum)


def with_fast_helpers() -> SimpleNamespace:
    """markdown-it's helpers namespace with ``parseLinkDestination`` replaced (for ``md.helpers``)."""
    names = {name: getattr(helpers, name) for name in dir(helpers) if not name.startswith("_")}
    names["parseLinkDestination"] = parse_link_destination
    return SimpleNamespace(**names)
