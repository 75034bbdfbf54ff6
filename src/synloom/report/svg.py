"""Hand-written inline SVG charts: grouped bars, histograms and scatter plots.

No plotting library and nothing fetched: each function returns one `<svg>` element as a string,
with every text escaped. Series colours come from `PALETTE` (Tableau 10).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
SOURCE_COLORS = {"synthetic": "#4e79a7", "reference": "#f28e2b"}
# Labels take the other colours so a label never looks like a source.
LABEL_PALETTE = tuple(c for c in PALETTE if c not in SOURCE_COLORS.values())
FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def label_color(index: int) -> str:
    return LABEL_PALETTE[index % len(LABEL_PALETTE)]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (steps of 1, 2 or 5 × 10^k)."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0]
    if high <= low:
        high = low + 1.0
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = math.floor(low / step + 1e-9) * step
    ticks = [round(start, 10)]
    while ticks[-1] < high - step * 1e-9:  # the last tick is at or above `high`
        ticks.append(round(start + len(ticks) * step, 10))
    return ticks


def _fmt(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:.3g}"


@dataclass(frozen=True)
class _Frame:
    """Maps data coordinates into the plot area of a width × height SVG."""

    width: int
    height: int
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    left: int = 52
    right: int = 12
    top: int = 14
    bottom: int = 42

    def x(self, value: float) -> float:
        lo, hi = self.x_range
        return self.left + (value - lo) / ((hi - lo) or 1.0) * (self.width - self.left - self.right)

    def y(self, value: float) -> float:
        lo, hi = self.y_range
        span = (hi - lo) or 1.0
        return (
            self.height - self.bottom - (value - lo) / span * (self.height - self.top - self.bottom)
        )

    def y_axis(self, ticks: Sequence[float], label: str = "") -> str:
        parts = []
        for t in ticks:
            y = self.y(t)
            parts.append(
                f'<line x1="{self.left}" x2="{self.width - self.right}" y1="{y:.1f}" y2="{y:.1f}"'
                ' stroke="#e3e3e3"/>'
                f'<text x="{self.left - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(t)}</text>'
            )
        if label:
            mid = (self.top + self.height - self.bottom) / 2
            parts.append(
                f'<text transform="translate(12,{mid:.1f}) rotate(-90)" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
        return "".join(parts)

    def x_axis(self, ticks: Sequence[float], label: str = "") -> str:
        base = self.height - self.bottom
        parts = [
            f'<line x1="{self.left}" x2="{self.width - self.right}" y1="{base}" y2="{base}"'
            ' stroke="#888"/>'
        ]
        for t in ticks:
            x = self.x(t)
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{base}" y2="{base + 4}" stroke="#888"/>'
                f'<text x="{x:.1f}" y="{base + 16}" text-anchor="middle">{_fmt(t)}</text>'
            )
        if label:
            mid = (self.left + self.width - self.right) / 2
            parts.append(
                f'<text x="{mid:.1f}" y="{self.height - 6}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
        return "".join(parts)


def _svg(width: int, height: int, body: str, title: str) -> str:
    return (
        f'<svg width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" {FONT}>'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def legend(items: Sequence[tuple[str, str]], shapes: Sequence[str] | None = None) -> str:
    """An HTML legend (colour swatch + name) placed under a chart."""
    parts = []
    for i, (name, color) in enumerate(items):
        shape = shapes[i] if shapes else "square"
        radius = "50%" if shape == "circle" else "2px"
        parts.append(
            f'<span class="legend-item"><span class="swatch" style="background:{color};'
            f'border-radius:{radius}"></span>{escape(name)}</span>'
        )
    return f'<div class="legend">{"".join(parts)}</div>'


def bar_chart(
    categories: Sequence[str],
    series: Mapping[str, Sequence[float]],
    colors: Mapping[str, str],
    title: str,
    y_label: str = "",
    value_labels: Mapping[str, Sequence[str]] | None = None,
    width: int | None = None,
    height: int = 280,
) -> str:
    """Grouped vertical bars: one group per category, one bar per series."""
    if width is None:
        width = min(760, 90 + len(categories) * (40 + 50 * len(series)))
    top = max((v for values in series.values() for v in values), default=0) or 1.0
    ticks = nice_ticks(0, top)
    frame = _Frame(width, height, (0, max(len(categories), 1)), (0, ticks[-1]))
    n_series = max(len(series), 1)
    group = (frame.x(1) - frame.x(0)) * 0.8
    bar = group / n_series
    body = [frame.y_axis(ticks, y_label), frame.x_axis([])]
    for c, category in enumerate(categories):
        x0 = frame.x(c) + (frame.x(1) - frame.x(0)) * 0.1
        for s, (name, values) in enumerate(series.items()):
            value = values[c]
            y = frame.y(value)
            h = frame.y(0) - y
            label = value_labels[name][c] if value_labels else _fmt(value)
            tip = escape(f"{category} · {name}: {label}")
            body.append(
                f'<rect x="{x0 + s * bar:.1f}" y="{y:.1f}" width="{max(bar - 2, 1):.1f}"'
                f' height="{h:.1f}" fill="{colors[name]}"><title>{tip}</title></rect>'
            )
            if bar >= 28:
                body.append(
                    f'<text x="{x0 + s * bar + bar / 2 - 1:.1f}" y="{y - 3:.1f}"'
                    f' text-anchor="middle" fill="#333">{escape(label)}</text>'
                )
        name = category if len(category) <= 18 else category[:17] + "…"
        body.append(
            f'<text x="{frame.x(c + 0.5):.1f}" y="{frame.y(0) + 16:.1f}" text-anchor="middle">'
            f"{escape(name)}</text>"
        )
    return _svg(width, height, "".join(body), title)


def histogram(
    counts: Mapping[str, Mapping[int, int]],
    colors: Mapping[str, str],
    title: str,
    x_label: str = "",
    normalize: bool = True,
    max_bins: int = 40,
    width: int = 360,
    height: int = 220,
) -> str:
    """Side-by-side bars per bin for each series of {value: count}; shares when `normalize`."""
    values = [v for c in counts.values() for v in c]
    if not values:
        return _svg(width, height, '<text x="20" y="30">no data</text>', title)
    low, high = min(values), max(values)
    step = max(1, math.ceil((high - low + 1) / max_bins))
    n_bins = (high - low) // step + 1
    binned: dict[str, list[float]] = {}
    for name, c in counts.items():
        total = sum(c.values()) or 1
        bins = [0.0] * n_bins
        for v, k in c.items():
            bins[(v - low) // step] += k / total if normalize else k
        binned[name] = bins
    top = max(max(b) for b in binned.values()) or 1.0
    y_ticks = nice_ticks(0, top)
    frame = _Frame(width, height, (low, low + n_bins * step), (0, y_ticks[-1]))
    x_ticks = [t for t in nice_ticks(low, low + n_bins * step, 6) if low <= t <= high + step]
    body = [
        frame.y_axis(y_ticks, "share of samples" if normalize else "samples"),
        frame.x_axis(x_ticks, x_label),
    ]
    bin_px = frame.x(low + step) - frame.x(low)
    bar = bin_px / max(len(binned), 1)
    for s, (name, bins) in enumerate(binned.items()):
        for b, value in enumerate(bins):
            if value <= 0:
                continue
            x = frame.x(low + b * step) + s * bar
            y = frame.y(value)
            lo_v = low + b * step
            span = f"{lo_v}" if step == 1 else f"{lo_v}–{lo_v + step - 1}"
            shown = f"{value:.1%}" if normalize else _fmt(value)
            tip = escape(f"{name}, {span} {x_label}: {shown}")
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(bar - 0.5, 0.8):.1f}"'
                f' height="{frame.y(0) - y:.1f}" fill="{colors[name]}" fill-opacity="0.85">'
                f"<title>{tip}</title></rect>"
            )
    return _svg(width, height, "".join(body), title)


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    color: str
    shape: str = "circle"  # "circle" or "square"
    tip: str = ""


def scatter(
    points: Sequence[Point],
    title: str,
    x_label: str = "",
    y_label: str = "",
    width: int = 460,
    height: int = 400,
    radius: float = 2.6,
) -> str:
    """Points in drawing order (later on top); squares mark the second source."""
    if not points:
        return _svg(width, height, '<text x="20" y="30">no points</text>', title)
    xs, ys = [p.x for p in points], [p.y for p in points]
    pad_x = (max(xs) - min(xs)) * 0.04 or 1.0
    pad_y = (max(ys) - min(ys)) * 0.04 or 1.0
    x_ticks = nice_ticks(min(xs) - pad_x, max(xs) + pad_x)
    y_ticks = nice_ticks(min(ys) - pad_y, max(ys) + pad_y)
    frame = _Frame(width, height, (x_ticks[0], x_ticks[-1]), (y_ticks[0], y_ticks[-1]))
    body = [frame.y_axis(y_ticks, y_label), frame.x_axis(x_ticks, x_label)]
    for p in points:
        cx, cy = frame.x(p.x), frame.y(p.y)
        tip = f"<title>{escape(p.tip)}</title>" if p.tip else ""
        if p.shape == "square":
            side = radius * 1.8
            body.append(
                f'<rect x="{cx - side / 2:.1f}" y="{cy - side / 2:.1f}" width="{side:.1f}"'
                f' height="{side:.1f}" fill="{p.color}" fill-opacity="0.55">{tip}</rect>'
            )
        else:
            body.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius}" fill="{p.color}"'
                f' fill-opacity="0.65">{tip}</circle>'
            )
    return _svg(width, height, "".join(body), title)
