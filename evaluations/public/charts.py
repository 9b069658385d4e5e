"""Server-rendered SVG charts for the public pages: no JavaScript, no outside assets.

Each chart is an ``<svg role="img">`` with a ``<title>`` and ``<desc>``; the page shows a
table of the same figures beside it, so the chart is never the only way to read them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from common.formatting import amount

WIDTH = 640
BAR_HEIGHT = 22
BAR_GAP = 12
LABEL_WIDTH = 170
VALUE_WIDTH = 110
ZERO = Decimal("0")


@dataclass(frozen=True)
class Point:
    """One labelled figure of a chart; ``value`` None means no figure (drawn as a gap)."""

    label: str
    value: Decimal | None


def _coord(x: Decimal | int | float) -> str:
    # Geometry only: figures themselves are printed from the Decimal, never from this.
    return f"{float(x):.1f}"


def _shorten(label: str, limit: int = 12) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


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
    """Horizontal bars, one per point, scaled to the largest value."""
    largest = max((p.value for p in points if p.value is not None), default=ZERO)
    scale_width = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    rows = []
    for i, point in enumerate(points):
        y = BAR_GAP + i * (BAR_HEIGHT + BAR_GAP)
        value = point.value if point.value is not None else ZERO
        length = (value / largest * scale_width) if largest > 0 and value > 0 else ZERO
        rows.append((
            _coord(LABEL_WIDTH - 8), _coord(y + BAR_HEIGHT * 0.7), _shorten(point.label),
            _coord(LABEL_WIDTH), _coord(y), _coord(length), BAR_HEIGHT,
            _coord(LABEL_WIDTH + length + 6), _coord(y + BAR_HEIGHT * 0.7),
            value_format(point.value) if point.value is not None else "—",
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


def line_chart(
    chart_id: str,
    *,
    title: str,
    description: str,
    points: Sequence[Point],
    maximum: Decimal | None = None,
    value_format: Callable[[Decimal], str] = amount,
) -> SafeString:
    """A line through the points left to right (years), from zero up to ``maximum``."""
    height = 240
    top, bottom, left, right = 24, 36, 48, 48
    plot_h = height - top - bottom
    plot_w = WIDTH - left - right
    values = [p.value for p in points if p.value is not None]
    top_value = maximum if maximum is not None else max(values, default=ZERO)
    step = Decimal(plot_w) / (len(points) - 1) if len(points) > 1 else ZERO

    def x_of(i: int) -> Decimal:
        return left + (step * i if len(points) > 1 else Decimal(plot_w) / 2)

    def y_of(v: Decimal) -> Decimal:
        share = (v / top_value) if top_value > 0 else ZERO
        return top + plot_h - share * plot_h

    marks = []
    path = []
    for i, point in enumerate(points):
        x = x_of(i)
        marks.append(("chart-label", _coord(x), _coord(height - 12), point.label))
        if point.value is None:
            continue
        y = y_of(point.value)
        path.append(f"{_coord(x)},{_coord(y)}")
        marks.append(("chart-value", _coord(x), _coord(y - 8), value_format(point.value)))
    axis = format_html(
        '<line class="chart-axis" x1="{}" y1="{}" x2="{}" y2="{}"></line>'
        '<line class="chart-grid" x1="{}" y1="{}" x2="{}" y2="{}"></line>'
        '<text class="chart-value" x="{}" y="{}" text-anchor="end">{}</text>',
        left, top + plot_h, WIDTH - right, top + plot_h,
        left, top, WIDTH - right, top,
        left - 6, top + 4, value_format(top_value),
    )
    line = (
        format_html('<polyline class="chart-line" points="{}"></polyline>', " ".join(path))
        if path else SafeString("")
    )
    dots = format_html_join(
        "", '<circle class="chart-dot" cx="{}" cy="{}" r="4"></circle>',
        [(p.split(",")[0], p.split(",")[1]) for p in path],
    )
    labels = format_html_join(
        "", '<text class="{}" x="{}" y="{}" text-anchor="middle">{}</text>', marks
    )
    return _svg(chart_id, title, description, height, axis + line + dots + labels)
