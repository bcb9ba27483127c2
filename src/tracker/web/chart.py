"""The link-state chart as plain geometry for a server-rendered SVG (pure).

Owns: stacking each check run's state counts into bars — positions, heights, axis
ticks and labels — so the template only draws rectangles and text. No JavaScript,
no chart library, nothing from a CDN. Does not own: the counts
(``services.dashboard.link_history``) or the markup (``templates/links.html``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tracker.services.dashboard import RunStates

__all__ = ["Bar", "Chart", "Segment", "stack", "CHART_STATES"]

CHART_STATES = ("alive", "redirected", "blocked", "failing", "dead", "unchecked")  # bottom to top
WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 10, 40


@dataclass(frozen=True)
class Segment:
    state: str
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Bar:
    label: str
    total: int
    inconclusive: bool
    x: float
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    ticks: tuple[tuple[float, int], ...]  # (y, value)
    baseline: float
    left: int
    right: int


def stack(history: Sequence[RunStates], width: int = WIDTH, height: int = HEIGHT) -> Chart:
    """One stacked bar per run, states in ``CHART_STATES`` order from the bottom."""
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    top = max((sum(h.counts.values()) for h in history), default=0) or 1
    slot = plot_w / max(len(history), 1)
    bar_w = max(min(slot * 0.7, 48.0), 2.0)
    scale = plot_h / top
    bars = []
    for i, run in enumerate(history):
        x = LEFT + i * slot + (slot - bar_w) / 2
        y = float(TOP + plot_h)
        segments = []
        for state in CHART_STATES:
            count = run.counts.get(state, 0)
            if count:
                h = count * scale
                y -= h
                segments.append(Segment(state, count, round(x, 1), round(y, 1), round(bar_w, 1), round(h, 1)))
        bars.append(Bar(run.at.strftime("%m-%d"), sum(run.counts.values()), run.inconclusive, round(x, 1),
                        tuple(segments)))
    step = max(1, -(-top // 4))
    ticks = tuple((round(TOP + plot_h - v * scale, 1), v) for v in range(0, top + 1, step))
    return Chart(width, height, tuple(bars), ticks, float(TOP + plot_h), LEFT, width - RIGHT)
