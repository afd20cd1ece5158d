"""Small SVG charts drawn on the server: read at a glance, no script, no external library.

Each chart is an ``<svg role="img">`` with a title and a one-sentence
description (what a screen reader announces), weeks along the x axis, and
the target band or zone shaded behind the data. Colours come from CSS
classes (static/web.css) so contrast is set in one place.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 560, 170
LEFT, RIGHT, TOP, BOTTOM = 34, 8, 24, 22
MIN_BAR = 2
ROUND_STEPS = (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 8, 10)


@dataclass(frozen=True)
class Series:
    """One line or bar series: a CSS class, a legend label, one value per week (or None)."""

    css: str
    label: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Band:
    """A shaded horizontal band (target range) or, when low == high, a reference line."""

    low: float
    high: float
    label: str
    css: str = "band"


class _Frame:
    """Maps weeks and values to pixels."""

    def __init__(self, weeks: int, y_max: float, y_min: float = 0.0) -> None:
        self.weeks = max(weeks, 1)
        self.y_min = y_min
        self.y_max = y_max if y_max > y_min else y_min + 1
        self.plot_w = WIDTH - LEFT - RIGHT
        self.plot_h = HEIGHT - TOP - BOTTOM

    def x(self, index: int) -> float:
        """Centre of week slot ``index`` (0-based)."""
        return LEFT + (index + 0.5) * self.plot_w / self.weeks

    def slot(self) -> float:
        """Width of one week slot."""
        return self.plot_w / self.weeks

    def y(self, value: float) -> float:
        """Pixel row of a value."""
        clamped = min(max(value, self.y_min), self.y_max)
        return TOP + self.plot_h * (1 - (clamped - self.y_min) / (self.y_max - self.y_min))


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _axes(frame: _Frame, ticks: Sequence[float], week_labels: Sequence[int]) -> list[str]:
    parts = []
    for tick in ticks:
        y = frame.y(tick)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" '
                     f'y2="{y:.1f}"/><text class="tick" x="{LEFT - 4}" y="{y + 3:.1f}" '
                     f'text-anchor="end">{_fmt(tick)}</text>')
    step = max(1, len(week_labels) // 13 + (1 if len(week_labels) % 13 else 0))
    for i, week in enumerate(week_labels):
        if i % step == 0 or i == len(week_labels) - 1:
            parts.append(f'<text class="tick" x="{frame.x(i):.1f}" y="{HEIGHT - 6}" '
                         f'text-anchor="middle">{week}</text>')
    return parts


def _band(frame: _Frame, band: Band) -> str:
    title = f"<title>{escape(band.label)}</title>"
    if band.low == band.high:
        y = frame.y(band.low)
        return (f'<line class="{band.css}-line" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" '
                f'y2="{y:.1f}">{title}</line>')
    top, bottom = frame.y(band.high), frame.y(band.low)
    return (f'<rect class="{band.css}" x="{LEFT}" y="{top:.1f}" width="{frame.plot_w:.1f}" '
            f'height="{bottom - top:.1f}">{title}</rect>')


def _open(title: str, description: str) -> str:
    return (f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
            f'<desc>{escape(description)}</desc>')


def nice_top(y_min: float, y_max: float, count: int = 4) -> float:
    """The smallest round top above y_max: ``count`` steps of a round size (12.5, 20, 25...)."""
    span = max(y_max - y_min, 1e-9)
    magnitude = 10 ** math.floor(math.log10(span / count))
    step = next(m * magnitude for m in ROUND_STEPS if m * magnitude * count >= span)
    return y_min + step * count


def _ticks(y_min: float, y_max: float, count: int = 4) -> list[float]:
    step = (y_max - y_min) / count
    return [y_min + step * i for i in range(count + 1)]


def _legend(series: Sequence[Series]) -> str:
    items = []
    for i, s in enumerate(series):
        x = LEFT + i * 170
        items.append(f'<line class="line {s.css}" x1="{x}" x2="{x + 16}" y1="9" y2="9"/>'
                     f'<text class="legend" x="{x + 20}" y="13">{escape(s.label)}</text>')
    return f'<g class="legend" aria-hidden="true">{"".join(items)}</g>'


def bar_chart(title: str, description: str, week_labels: Sequence[int], series: Series,
              bands: Sequence[Band] = (), y_max: float | None = None,
              classify: Band | None = None) -> Markup:
    """Bars per week; with ``classify``, bars below/within/above that band get their class."""
    values = [v for v in series.values if v is not None]
    top = y_max if y_max is not None else nice_top(0, max([*values, *(b.high for b in bands), 1]))
    frame = _Frame(len(week_labels), top)
    parts = [_open(title, description), *_axes(frame, _ticks(0, top), week_labels)]
    parts.extend(_band(frame, b) for b in bands)
    width = frame.slot() * 0.6
    for i, value in enumerate(series.values):
        if value is None:
            continue
        css = series.css
        if classify is not None:
            css += (" below" if value < classify.low else
                    " above" if value > classify.high else " within")
        # A week at zero still shows a sliver: "nothing" must read differently from "no data".
        y = min(frame.y(value), frame.y(0) - MIN_BAR)
        parts.append(
            f'<rect class="bar {css}" x="{frame.x(i) - width / 2:.1f}" y="{y:.1f}" '
            f'width="{width:.1f}" height="{frame.y(0) - y:.1f}">'
            f'<title>{escape(series.label)} S{week_labels[i]} : {_fmt(value)}</title></rect>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(title: str, description: str, week_labels: Sequence[int],
               series: Sequence[Series], bands: Sequence[Band] = (),
               y_min: float = 0.0, y_max: float | None = None) -> Markup:
    """One polyline per series (gaps break the line), dots on every value."""
    values = [v for s in series for v in s.values if v is not None]
    top = y_max if y_max is not None else nice_top(
        y_min, max([*values, *(b.high for b in bands), y_min + 1]))
    frame = _Frame(len(week_labels), top, y_min)
    parts = [_open(title, description), *_axes(frame, _ticks(y_min, top), week_labels)]
    parts.extend(_band(frame, b) for b in bands)
    for s in series:
        runs: list[list[str]] = [[]]
        for i, value in enumerate(s.values):
            if value is None:
                runs.append([])
                continue
            x, y = frame.x(i), frame.y(value)
            runs[-1].append(f"{x:.1f},{y:.1f}")
            parts.append(f'<circle class="dot {s.css}" cx="{x:.1f}" cy="{y:.1f}" r="2.5">'
                         f'<title>{escape(s.label)} S{week_labels[i]} : {_fmt(value)}</title>'
                         f'</circle>')
        parts.extend(f'<polyline class="line {s.css}" points="{" ".join(run)}"/>'
                     for run in runs if len(run) > 1)
    if len(series) > 1:
        parts.append(_legend(series))
    parts.append("</svg>")
    return Markup("".join(parts))


def session_chart(title: str, description: str, duration_s: int,
                  series: Sequence[tuple[Series, Sequence[tuple[int, int]]]],
                  bands: Sequence[Band] = (), y_min: float = 0.0) -> Markup:
    """Per-second series of one session against time (minutes along the x axis).

    ``series`` pairs a :class:`Series` (its css and label; ``values`` unused) with its
    ``(offset_s, value)`` samples. A gap of more than a minute (strap off, link lost)
    breaks the line rather than drawing a value nobody measured.
    """
    values = [v for _s, pts in series for _o, v in pts]
    top = nice_top(y_min, max([*values, *(b.high for b in bands), y_min + 1]))
    frame = _Frame(1, top, y_min)
    span = max(duration_s, 60)

    def x(offset: float) -> float:
        return LEFT + frame.plot_w * min(offset, span) / span

    parts = [_open(title, description)]
    for tick in _ticks(y_min, top):
        y = frame.y(tick)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" '
                     f'y2="{y:.1f}"/><text class="tick" x="{LEFT - 4}" y="{y + 3:.1f}" '
                     f'text-anchor="end">{_fmt(tick)}</text>')
    step = 5 if span <= 3600 else 15
    for minute in range(0, span // 60 + 1, step):
        parts.append(f'<text class="tick" x="{x(minute * 60):.1f}" y="{HEIGHT - 6}" '
                     f'text-anchor="middle">{minute}</text>')
    parts.extend(_band(frame, b) for b in bands)
    for s, points in series:
        runs: list[list[str]] = [[]]
        previous = None
        for offset, value in points:
            if previous is not None and offset - previous > 60:
                runs.append([])
            runs[-1].append(f"{x(offset):.1f},{frame.y(value):.1f}")
            previous = offset
        parts.extend(f'<polyline class="line {s.css}" points="{" ".join(run)}">'
                     f'<title>{escape(s.label)}</title></polyline>'
                     for run in runs if len(run) > 1)
    parts.append(_legend([s for s, _p in series]))
    parts.append("</svg>")
    return Markup("".join(parts))
