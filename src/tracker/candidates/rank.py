"""The weekly queue's ranking and budget (pure): signals, priority, selection.

A candidate's *priority* is a product of factors a maintainer can read back:

    priority = fit / threshold                     how far above off-topic its chapter fit is
             × (1 + CORROBORATION × (sources - 1)) independent sources that reached it
             × prior                               what the document cites, what was accepted
             × freshness                           new things first

- *corroboration* counts independent source families: all arXiv feeds are one
  (a paper in cs.CL and cs.LG listings is one announcement), each blog host is
  one, each YouTube channel is one;
- the *source prior* is learned from the document (the share of its citations
  of the item's kind, and whether it already cites the item's host) and, once
  ``MIN_DECISIONS`` decisions on a source family exist, from its acceptance rate
  relative to all decisions (Laplace-smoothed);
- *freshness* halves its bonus every ``FRESH_HALF_LIFE``.

``select`` fills the week: candidates pinned to the week (deferred to it, or
already decided in it) use their slots first, then the rest in priority order
while the week holds fewer than ``weekly_budget`` and the chapter fewer than
``per_topic_budget``; everything else is overflow. Owns: those rules. Does not
touch the database or score text.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

__all__ = ["Signals", "SourceRef", "PriorModel", "Entry", "select", "source_family", "freshness",
           "CORROBORATION", "FRESH_HALF_LIFE", "MIN_DECISIONS"]

CORROBORATION = 0.75  # each independent source beyond the first adds this much
FRESH_HALF_LIFE = timedelta(days=14)
MIN_DECISIONS = 3  # decisions on a source family before its acceptance rate counts
PRIOR_RANGE = (0.5, 2.0)
_KINDS = ("paper", "video", "blog")


@dataclass(frozen=True)
class SourceRef:
    """A source that saw an item: its name, kind and target (as stored)."""

    name: str
    kind: str
    target: str


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def source_family(source: SourceRef) -> str:
    """What makes sources independent: arXiv is one voice, a blog host or channel is another."""
    if source.kind in ("arxiv", "arxiv-listing"):
        return "arxiv"
    if source.kind == "youtube":
        return f"youtube:{source.target}"
    return f"web:{_host(source.target) or source.name}"


def freshness(published: datetime | None, now: datetime) -> float:
    """1.0 for a thing published now, 0.75 after one half-life, towards 0.5; undated: 0.75."""
    if published is None:
        return 0.75
    age = max(0.0, (now - published).total_seconds())
    return 0.5 + 0.5 * math.pow(0.5, age / FRESH_HALF_LIFE.total_seconds())


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


@dataclass(frozen=True)
class PriorModel:
    """The source prior, learned from what the document cites and what was decided."""

    kinds: Mapping[str, int]  # citations of the document by kind (paper, video, blog)
    hosts: Mapping[str, int]  # citations by host
    decisions: Mapping[str, tuple[int, int]]  # source family → (accepted, decided)

    @classmethod
    def learn(cls, cited: Iterable[tuple[str, str]],
              decided: Iterable[tuple[str, bool]] = ()) -> PriorModel:
        """``cited``: ``(kind, url)`` of the document's links; ``decided``: ``(family, accepted)``."""
        kinds: Counter[str] = Counter()
        hosts: Counter[str] = Counter()
        for kind, url in cited:
            kinds[kind if kind in _KINDS else "blog"] += 1
            hosts[_host(url)] += 1
        tally: dict[str, tuple[int, int]] = {}
        for family, accepted in decided:
            a, n = tally.get(family, (0, 0))
            tally[family] = (a + int(accepted), n + 1)
        return cls(dict(kinds), dict(hosts), tally)

    def factor(self, kind: str, url: str, families: Sequence[str]) -> tuple[float, list[str]]:
        """The prior of an item of ``kind`` at ``url`` reached through ``families``, and why."""
        why: list[str] = []
        total = sum(self.kinds.values())
        kind = kind if kind in _KINDS else "blog"
        value = 1.0
        if total:
            share = (self.kinds.get(kind, 0) + 1) / (total + len(_KINDS))
            value = _clamp(share * len(_KINDS), 0.6, 1.5)
            why.append(f"the document's links are {round(100 * self.kinds.get(kind, 0) / total)} % {kind}s")
        host = _host(url)
        if host and self.hosts.get(host) and kind == "blog":
            value *= 1.2
            why.append(f"it already cites {host}")
        accepted = sum(a for a, _n in self.decisions.values())
        decided = sum(n for _a, n in self.decisions.values())
        rates = [self.decisions[f] for f in families if self.decisions.get(f, (0, 0))[1] >= MIN_DECISIONS]
        if rates and decided:
            overall = (accepted + 1) / (decided + 2)
            a, n = max(rates, key=lambda r: (r[0] + 1) / (r[1] + 2))
            value *= _clamp(((a + 1) / (n + 2)) / overall, 0.5, 1.5)
            why.append(f"{a} of {n} accepted from this source")
        return round(_clamp(value, *PRIOR_RANGE), 3), why


@dataclass(frozen=True)
class Signals:
    """The ranking factors of one candidate, as stored with it and shown in its reasons."""

    fit: float
    threshold: float
    sources: tuple[str, ...]  # names of the independent sources that reached it (one per family)
    prior: float
    freshness: float
    terms: tuple[str, ...] = ()
    placement: str = ""  # "" (scored whole), "section N of M" or "general (K chapters)"

    @property
    def priority(self) -> float:
        fit = self.fit / self.threshold if self.threshold > 0 else self.fit
        corroboration = 1.0 + CORROBORATION * max(0, len(self.sources) - 1)
        return round(fit * corroboration * self.prior * self.freshness, 4)

    def as_dict(self) -> dict[str, Any]:
        return {"fit": self.fit, "threshold": self.threshold, "sources": list(self.sources),
                "corroboration": len(self.sources), "prior": self.prior, "freshness": round(self.freshness, 3),
                "terms": list(self.terms), "placement": self.placement, "priority": self.priority}


@dataclass(frozen=True)
class Entry:
    """A candidate competing for the week: its id, chapter, priority; ``pinned`` takes a slot
    whatever its priority (deferred to this week, or already decided in it)."""

    id: int
    topic: str | None
    priority: float
    pinned: bool = False


def select(entries: Sequence[Entry], weekly_budget: int, per_topic_budget: int) -> dict[int, int]:
    """Candidate id → rank (1 = best) of those inside the budget; the others are overflow.

    Pinned entries always get a rank and count against both budgets; ranks follow
    priority among everything chosen.
    """
    per_topic: Counter[str | None] = Counter()
    chosen: list[Entry] = [e for e in entries if e.pinned]
    for entry in chosen:
        per_topic[entry.topic] += 1
    for entry in sorted((e for e in entries if not e.pinned), key=lambda e: (-e.priority, e.id)):
        if len(chosen) >= weekly_budget:
            break
        if per_topic[entry.topic] >= per_topic_budget:
            continue
        chosen.append(entry)
        per_topic[entry.topic] += 1
    ordered = sorted(chosen, key=lambda e: (-e.priority, e.id))
    return {entry.id: rank for rank, entry in enumerate(ordered, start=1)}
