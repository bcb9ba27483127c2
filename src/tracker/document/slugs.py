"""Topic slugs: GitHub-style from titles, made unique within a document.

Does not decide which headings are topics.
"""

from __future__ import annotations

import re
import unicodedata

_DROP = re.compile(r"[^\w\- ]+", re.UNICODE)


def slugify(title: str) -> str:
    """``'Tool Use and "Agents"'`` → ``'tool-use-and-agents'`` (ASCII where possible)."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _DROP.sub("", text.lower()).strip()
    text = re.sub(r"[\s_]+", "-", text)
    text = re.sub(r"-{2,}", "-", text).strip("-")
    return text or "topic"


class SlugRegistry:
    """Hands out unique slugs: on a clash, prefix the parent's slug, then number."""

    def __init__(self) -> None:
        self._used: set[str] = set()
        # the last number handed out per stem: every lower number is taken, so the next
        # search starts there (thousands of equal titles stay linear, not quadratic)
        self._last: dict[str, int] = {}

    def claim(self, title: str, parent_slug: str | None = None) -> str:
        base = slugify(title)
        candidates = [base]
        if parent_slug:
            candidates.append(f"{parent_slug}-{base}")
        for candidate in candidates:
            if candidate not in self._used:
                self._used.add(candidate)
                return candidate
        stem = candidates[-1]
        n = self._last.get(stem, 2)
        while f"{stem}-{n}" in self._used:
            n += 1
        slug = f"{stem}-{n}"
        self._used.add(slug)
        self._last[stem] = n
        return slug

    def release(self, slug: str) -> None:
        """Give a slug back (a topic was renamed before the parse finished)."""
        self._used.discard(slug)
        self._last.clear()  # a freed number may now be the lowest free one
