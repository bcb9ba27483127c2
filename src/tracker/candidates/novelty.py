"""Novelty (pure): does a new item duplicate something the document already cites?

Three ways an item can be something the document has:

- *the same thing in another form*: its identity (arXiv id whatever the
  abs/pdf/version form, YouTube video id, canonical URL) is one the document's
  links have;
- *the same title at another URL*: its normalised title equals the title or
  anchor text of a cited link (anchors of three words or more: "this post" or
  "video" name nothing);
- *a near-identical text*: its title shares ``NEAR_IDENTICAL`` of its words with
  a cited title (both at least ``MIN_NEAR_WORDS`` words long).

Owns: those comparisons. Does not read the database (the caller hands it the
cited links) and does not canonicalise URLs itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["Citations", "normal_title", "NEAR_IDENTICAL"]

NEAR_IDENTICAL = 0.85
MIN_TITLE_WORDS = 3
MIN_NEAR_WORDS = 5
_WORD = re.compile(r"[^\W_]+")
_JOINER = re.compile(r"(?<=\w)[-\u2010\u2011](?=\w)")  # "sub-word" and "subword" are one word
_ARXIV_PREFIX = re.compile(r"^\s*(\[[^\]]*\]|arxiv:\s*\S+)\s*", re.IGNORECASE)


def normal_title(text: str) -> str:
    """Lower-case words only (accents folded, punctuation dropped): the comparable title."""
    text = _JOINER.sub("", _ARXIV_PREFIX.sub("", text or ""))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(_WORD.findall(text.lower()))


@dataclass
class Citations:
    """What the document cites: identities and titles, each pointing at the cited URL."""

    keys: dict[str, str] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    _words: list[tuple[frozenset[str], str]] = field(default_factory=list)

    @classmethod
    def of(cls, links: Iterable[tuple[str, Iterable[str], Iterable[str]]]) -> Citations:
        """``links``: ``(url, identity keys, titles and anchors)`` of each cited link."""
        found = cls()
        for url, keys, titles in links:
            for key in keys:
                if key:
                    found.keys.setdefault(key, url)
            for title in titles:
                normal = normal_title(title)
                words = normal.split()
                if len(words) >= MIN_TITLE_WORDS:
                    found.titles.setdefault(normal, url)
                if len(words) >= MIN_NEAR_WORDS:
                    found._words.append((frozenset(words), url))
        return found

    def duplicate(self, keys: Iterable[str], title: str) -> tuple[str, str] | None:
        """``(why, cited url)`` when the item is already cited, else ``None``."""
        for key in keys:
            if key and key in self.keys:
                return "the same resource", self.keys[key]
        normal = normal_title(title)
        if normal in self.titles:
            return "the same title", self.titles[normal]
        words = frozenset(normal.split())
        if len(words) >= MIN_NEAR_WORDS:
            for cited, url in self._words:
                if len(words & cited) / len(words | cited) >= NEAR_IDENTICAL:
                    return "a near-identical title", url
        return None
