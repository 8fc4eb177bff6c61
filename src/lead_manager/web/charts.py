"""Bar charts drawn on the server as inline SVG: the geometry here, the markup in charts.html.

Hand-made rather than pygal: pygal's SVG carries its own <style> and <script> elements, which
the pages' Content-Security-Policy (no inline style or script) blocks. These charts use only
presentation attributes and classes that site.css styles, and every number is also in a table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 720
HEIGHT = 240
# Room for the y-axis labels on the left and the x-axis labels below.
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 36
MAX_X_LABELS = 8


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    # Read aloud / shown on hover: "12 May: 3".
    title: str


@dataclass(frozen=True, slots=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True, slots=True)
class XLabel:
    x: float
    label: str


@dataclass(frozen=True, slots=True)
class BarChart:
    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    bars: list[Bar]
    ticks: list[Tick]
    x_labels: list[XLabel]


def nice_step(maximum: int, steps: int = 4) -> int:
    """A round step (1, 2 or 5 times a power of ten) so that `steps` of them reach at least `maximum`."""
    if maximum <= steps:
        return 1
    raw = maximum / steps
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return int(factor * magnitude)
    return int(10 * magnitude)  # pragma: no cover - the loop always returns


def bar_chart(
    points: Sequence[tuple[str, int]], *, unit: str, short_labels: Sequence[str] | None = None
) -> BarChart:
    """Bars for (label, value) points; `short_labels` (as many) go under the axis, thinned to
    at most MAX_X_LABELS."""
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    maximum = max((value for _label, value in points), default=0)
    step = nice_step(maximum)
    top_value = max(step * math.ceil(maximum / step), step)
    slot = plot_width / max(len(points), 1)
    gap = min(slot * 0.2, 4.0)
    bars = []
    for index, (label, value) in enumerate(points):
        height = plot_height * value / top_value
        bars.append(
            Bar(
                x=round(LEFT + index * slot + gap / 2, 2),
                y=round(TOP + plot_height - height, 2),
                width=round(max(slot - gap, 0.5), 2),
                height=round(height, 2),
                title=f"{label}: {value} {unit}",
            )
        )
    ticks = [
        Tick(y=round(TOP + plot_height - plot_height * value / top_value, 2), label=str(value))
        for value in range(0, top_value + 1, step)
    ]
    names = list(short_labels) if short_labels is not None else [label for label, _ in points]
    every = max(1, math.ceil(len(names) / MAX_X_LABELS))
    x_labels = [
        XLabel(x=round(LEFT + index * slot + slot / 2, 2), label=name)
        for index, name in enumerate(names)
        if index % every == 0
    ]
    return BarChart(WIDTH, HEIGHT, LEFT, TOP, RIGHT, BOTTOM, bars, ticks, x_labels)
