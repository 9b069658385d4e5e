"""Server-rendered SVG charts for the public pages: no JavaScript, no outside assets.

Each chart is an ``<svg role="img">`` with a ``<title>`` and ``<desc>``; the page shows a
table of the same figures beside it, so the chart is never the only way to read them.

The viewBox is 640 units wide and scaled to its box; the type grows in the chart's own units
as the box narrows, up to ``FONT_SIZE`` (static/css/site.css's container queries, docs/design.md
"Public pages on a phone and on a wide screen"). Room for every label is reserved at that
largest size, from the label's estimated width, so no label leaves the box or covers another
at any width: a line chart's figure goes above its dot, else below it, else (too many years
for the width) it is left to the table.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from common.formatting import amount

WIDTH = 640
BAR_HEIGHT = 22
BAR_GAP = 12
LABEL_LIMIT = 256  # a bar's label is shortened to this many units at FONT_SIZE
LINE_HEIGHT = 240
ZERO = Decimal("0")
# The largest chart type in the chart's units (site.css: 25px below a 340 px box); a test
# holds the two together. Glyph extents are estimated from it, in ems of that size.
FONT_SIZE = 25
ASCENT, DESCENT = 0.9, 0.25
GAP = 4  # between two labels, and between a label and the box's edge


@dataclass(frozen=True)
class Point:
    """One labelled figure of a chart; ``value`` None means no figure (drawn as a gap)."""

    label: str
    value: Decimal | None


@dataclass(frozen=True)
class Box:
    """A label's estimated extent in the chart's units."""

    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Box) -> bool:
        return (self.left < other.right + GAP and other.left < self.right + GAP
                and self.top < other.bottom + GAP and other.top < self.bottom + GAP)

    def inside(self, width: float, height: float) -> bool:
        return self.left >= 0 and self.top >= 0 and self.right <= width and self.bottom <= height


def _char_em(char: str) -> float:
    """A generous width for one character in ems (CJK and sans-serif faces alike)."""
    if unicodedata.east_asian_width(char) in ("W", "F") or char in "…—":
        return 1.0
    if char.isdigit():
        return 0.64
    if char in ".,:;'!|iIjl ":
        return 0.36
    if char.isupper() or char in "mwMW%@":
        return 0.85
    return 0.64


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """The estimated advance of ``text`` at ``size`` (an upper bound for the site's faces)."""
    return size * sum(_char_em(c) for c in text)


def text_box(text: str, x: float, y: float, anchor: str = "start", size: float = FONT_SIZE) -> Box:
    """The estimated box of a ``<text>`` at baseline ``y`` anchored at ``x``."""
    width = text_width(text, size)
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return Box(left, y - ASCENT * size, left + width, y + DESCENT * size)


def _coord(x: Decimal | int | float) -> str:
    # Geometry only: figures themselves are printed from the Decimal, never from this.
    return f"{float(x):.1f}"


def _shorten(label: str, limit: int = 12) -> str:
    """At most ``limit`` characters and LABEL_LIMIT units wide, an ellipsis where cut."""
    short = label if len(label) <= limit else label[: limit - 1] + "…"
    while len(short) > 1 and text_width(short) > LABEL_LIMIT:
        short = short.rstrip("…")[:-1] + "…"
    return short


def _svg(chart_id: str, title: str, description: str, height: int, body: SafeString) -> SafeString:
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {w} {h}" width="100%" '
        'preserveAspectRatio="xMinYMin meet" aria-labelledby="{id}-title {id}-desc" '
        'xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        w=WIDTH, h=height, id=chart_id, title=title, desc=description, body=body,
    )


def bar_chart(
    chart_id: str,
    *,
    title: str,
    description: str,
    points: Sequence[Point],
    value_format: Callable[[Decimal], str] = amount,
) -> SafeString:
    """Horizontal bars, one per point, scaled to the largest value, between a column of
    labels as wide as the widest and room for the widest figure."""
    labels = [_shorten(p.label) for p in points]
    figures = [value_format(p.value) if p.value is not None else "—" for p in points]
    label_right = GAP + max((text_width(t) for t in labels), default=0)
    bar_left = label_right + 8
    figure_room = 6 + max((text_width(t) for t in figures), default=0) + GAP
    scale_width = max(WIDTH - bar_left - figure_room, 0)
    largest = max((p.value for p in points if p.value is not None), default=ZERO)
    rows = []
    for i, (point, label, figure) in enumerate(zip(points, labels, figures, strict=True)):
        y = BAR_GAP + i * (BAR_HEIGHT + BAR_GAP)
        value = point.value if point.value is not None else ZERO
        length = (float(value / largest) * scale_width) if largest > 0 and value > 0 else 0
        rows.append((
            _coord(label_right), _coord(y + BAR_HEIGHT * 0.7), label,
            _coord(bar_left), _coord(y), _coord(length), BAR_HEIGHT,
            _coord(bar_left + length + 6), _coord(y + BAR_HEIGHT * 0.7), figure,
        ))
    body = format_html_join(
        "",
        '<text class="chart-label" x="{}" y="{}" text-anchor="end">{}</text>'
        '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}"></rect>'
        '<text class="chart-value" x="{}" y="{}">{}</text>',
        rows,
    )
    height = BAR_GAP + len(points) * (BAR_HEIGHT + BAR_GAP)
    return _svg(chart_id, title, description, max(height, 40), body)


@dataclass(frozen=True)
class _Label:
    cls: str
    x: float
    y: float
    anchor: str
    text: str

    @property
    def box(self) -> Box:
        return text_box(self.text, self.x, self.y, self.anchor)


def _place(label: _Label, placed: list[_Label], height: float) -> bool:
    """Keep ``label`` if it lies inside the box and clear of every label kept so far."""
    box = label.box
    if box.inside(WIDTH, height) and not any(box.overlaps(p.box) for p in placed):
        placed.append(label)
        return True
    return False


def line_chart(
    chart_id: str,
    *,
    title: str,
    description: str,
    points: Sequence[Point],
    maximum: Decimal | None = None,
    value_format: Callable[[Decimal], str] = amount,
) -> SafeString:
    """A line through the points left to right (years), from zero (or the lowest figure, if
    below zero) up to ``maximum`` (or the highest figure); both ends of the scale labelled."""
    values = [p.value for p in points if p.value is not None]
    high = max([maximum] + values if maximum is not None else values, default=ZERO)
    low = min([ZERO] + values)
    ends = [value_format(high), value_format(low)] if high > low else [value_format(low)]
    line_h = (ASCENT + DESCENT) * FONT_SIZE
    top, bottom = GAP + line_h + 8, LINE_HEIGHT - GAP - line_h - GAP
    axis_right = GAP + max(text_width(t) for t in ends) + 6
    figures = {i: value_format(p.value) for i, p in enumerate(points) if p.value is not None}
    widest = max((text_width(t) for t in [p.label for p in points] + list(figures.values())),
                 default=0)
    first, last = axis_right + widest / 2 + GAP, WIDTH - GAP - widest / 2
    step = (last - first) / (len(points) - 1) if len(points) > 1 else 0

    def x_of(i: int) -> float:
        return first + step * i if len(points) > 1 else (first + last) / 2

    def y_of(v: Decimal) -> float:
        share = float((v - low) / (high - low)) if high > low else 0.0
        return bottom - share * (bottom - top)

    shift = (ASCENT - DESCENT) * FONT_SIZE / 2  # a baseline that centres the type on a line
    placed: list[_Label] = []
    for text, v in zip(ends, (high, low), strict=False):
        _place(_Label("chart-value", axis_right - 6, y_of(v) + shift, "end", text), placed, LINE_HEIGHT)
    for i, point in enumerate(points):
        _place(_Label("chart-label", x_of(i), LINE_HEIGHT - GAP - DESCENT * FONT_SIZE, "middle",
                      point.label), placed, LINE_HEIGHT)
    dots = [(_coord(x_of(i)), _coord(y_of(points[i].value))) for i in figures]
    for i, text in figures.items():
        y = y_of(points[i].value)
        above = _Label("chart-value", x_of(i), y - 8 - DESCENT * FONT_SIZE, "middle", text)
        below = _Label("chart-value", x_of(i), y + 8 + ASCENT * FONT_SIZE, "middle", text)
        _place(above, placed, LINE_HEIGHT) or _place(below, placed, LINE_HEIGHT)
    axis = format_html(
        '<line class="chart-axis" x1="{}" y1="{}" x2="{}" y2="{}"></line>'
        '<line class="chart-grid" x1="{}" y1="{}" x2="{}" y2="{}"></line>',
        _coord(axis_right), _coord(y_of(low)), WIDTH - GAP, _coord(y_of(low)),
        _coord(axis_right), _coord(y_of(high)), WIDTH - GAP, _coord(y_of(high)),
    )
    line = (
        format_html('<polyline class="chart-line" points="{}"></polyline>',
                    " ".join(f"{x},{y}" for x, y in dots))
        if dots else SafeString("")
    )
    circles = format_html_join("", '<circle class="chart-dot" cx="{}" cy="{}" r="4"></circle>', dots)
    labels = format_html_join("", '<text class="{}" x="{}" y="{}" text-anchor="{}">{}</text>', [
        (lb.cls, _coord(lb.x), _coord(lb.y), lb.anchor, lb.text) for lb in placed])
    return _svg(chart_id, title, description, LINE_HEIGHT, axis + line + circles + labels)
