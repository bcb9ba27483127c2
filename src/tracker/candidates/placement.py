"""Where a long item belongs, from its whole text and its sections (pure, numpy only).

A paper abstract is scored as one text. A long text (a lecture-notes page, a
post with many sections) is scored as a whole *and* section by section
(``text.text_sections``), and the placement with the most support wins:

- every section whose best chapter clears the off-topic threshold *votes* for
  that chapter with its score;
- a chapter's section evidence is its best section score times its share of
  the votes, so one stray section in a long off-topic text counts, but so
  does a single on-topic section of an otherwise unrelated post;
- a chapter's fit is the larger of its whole-text score and its section
  evidence;
- a text whose votes spread over ``GENERAL_SECTIONS`` or more of the
  document's sections with no chapter holding ``GENERAL_SHARE`` of them is a
  *general* resource: it is placed in the document's front topic (the
  Introduction, where a handbook keeps its general resources) with the mean of
  its sections' best scores.

Owns: that rule. Does not vectorise, score or know about the database; the
caller passes score rows (``scoring.TopicScorer.scores``) and each target's
section.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Placement", "place", "GENERAL_SECTIONS", "GENERAL_SHARE"]

GENERAL_SECTIONS = 3  # votes spread over this many of the document's sections…
GENERAL_SHARE = 0.5  # …and no chapter holding this share of them: a general resource


@dataclass(frozen=True)
class Placement:
    """Per-target fit (same order as the scorer's targets), and whether the text is general."""

    row: NDArray[np.float64]
    general: bool = False
    general_score: float = 0.0
    sections: int = 0  # how many sections were scored (0: the text was scored whole)
    spread: tuple[int, ...] = ()  # targets the sections voted for, most votes first
    best_section: int | None = None  # the section that supports the winning chapter most


def place(whole: NDArray[np.float64], sections: NDArray[np.float64], target_sections: Sequence[str],
          threshold: float) -> Placement:
    """Combine the whole-text row with the ``sections`` × targets matrix (see the module doc)."""
    if sections.shape[0] == 0 or whole.shape[0] == 0:
        return Placement(whole)
    best_target = sections.argmax(axis=1)
    best_score = sections.max(axis=1)
    votes = np.zeros_like(whole)
    for target, score in zip(best_target, best_score):
        if score >= threshold:
            votes[target] += score
    total = float(votes.sum())
    if total <= 0.0:
        return Placement(whole, sections=sections.shape[0])
    share = votes / total
    evidence = sections.max(axis=0) * share
    row = np.maximum(whole, evidence)
    voted = [int(t) for t in np.argsort(-votes, kind="stable") if votes[t] > 0]
    winner = int(row.argmax())
    support = sections[:, winner]
    best_section = int(support.argmax()) if support.max() > 0 else None
    spread_sections = {target_sections[t] for t in voted}
    general = len(spread_sections) >= GENERAL_SECTIONS and float(share.max()) < GENERAL_SHARE
    general_score = float(best_score[best_score >= threshold].mean()) if general else 0.0
    return Placement(row, general, round(general_score, 4), sections.shape[0], tuple(voted), best_section)
