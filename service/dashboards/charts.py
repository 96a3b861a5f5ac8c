"""Charts drawn on the server as inline SVG: a line chart, small multiples and a choropleth map.

No script runs in the browser to draw them, nothing is fetched: a page's charts are there when its
HTML is. Each chart is an image with a title for screen readers; the figures it draws are in the
table beside it (and its CSV download)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from html import escape

# NHS.UK colours: blue scale for values, grey where an area has no figure.
BLUE = "#005eb8"
SCALE = ("#dbe8f6", "#a8c8ea", "#6fa3d9", "#2f76c2", "#003d78")
NO_DATA = "#d8dde0"
TEXT = "#212b32"


def nice_max(value: float) -> float:
    """The next 1, 2 or 5 x 10^n at or above value (axis top)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or float(value).is_integer() else f"{value:,.1f}"


def line_chart(
    points: Sequence[tuple[date, float]],
    *,
    title: str,
    width: int = 640,
    height: int = 240,
    chart_id: str = "",
    compact: bool = False,
) -> str:
    """A line over dates; `compact` for small multiples (no axis labels but first/last date)."""
    left, right, top, bottom = (8, 8, 6, 16) if compact else (56, 16, 12, 36)
    plot_w, plot_h = width - left - right, height - top - bottom
    ident = f' id="{escape(chart_id)}"' if chart_id else ""
    head = (
        f'<svg{ident} class="nhskg-chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
    )
    if not points:
        return head + f'<text x="{left}" y="{top + 14}" fill="{TEXT}">No figures</text></svg>'
    days = [p[0].toordinal() for p in points]
    first, last = min(days), max(days)
    span = max(last - first, 1)
    top_value = nice_max(max(v for _, v in points))

    def x(day: int) -> float:
        return left + plot_w * (day - first) / span

    def y(value: float) -> float:
        return top + plot_h * (1 - value / top_value)

    parts = [head]
    ticks = (
        (0.0, top_value)
        if compact
        else (0.0, top_value / 4, top_value / 2, 3 * top_value / 4, top_value)
    )
    for tick in ticks:
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            'stroke="#d8dde0" stroke-width="1"/>'
        )
        if not compact:
            parts.append(
                f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="12" '
                f'fill="{TEXT}">{number(tick)}</text>'
            )
    path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, (_, v) in zip(days, points, strict=True))
    parts.append(
        f'<polyline fill="none" stroke="{BLUE}" stroke-width="{1.5 if compact else 2}" '
        f'points="{path}"/>'
    )
    size = 10 if compact else 12
    base = height - (3 if compact else 14)
    parts.append(
        f'<text x="{left}" y="{base}" font-size="{size}" fill="{TEXT}">'
        f"{date.fromordinal(first).isoformat()}</text>"
        f'<text x="{left + plot_w}" y="{base}" font-size="{size}" text-anchor="end" '
        f'fill="{TEXT}">{date.fromordinal(last).isoformat()}</text>'
    )
    if compact:
        parts.append(
            f'<text x="{left + 2}" y="{top + 10}" font-size="10" fill="{TEXT}">'
            f"max {number(top_value)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def classes(values: Sequence[float]) -> list[float]:
    """Upper bounds of five equal-count classes (quantiles) of the values."""
    ordered = sorted(values)
    if not ordered:
        return []
    return [
        ordered[min(len(ordered) - 1, math.ceil(len(ordered) * k / 5) - 1)] for k in range(1, 6)
    ]


def colour(value: float | None, bounds: Sequence[float]) -> str:
    if value is None:
        return NO_DATA
    for bound, fill in zip(bounds, SCALE, strict=False):
        if value <= bound:
            return fill
    return SCALE[-1]


def choropleth(
    shapes: dict[str, str],
    values: dict[str, float],
    labels: dict[str, str],
    *,
    title: str,
    box: tuple[float, float],
    chart_id: str = "",
) -> str:
    """Areas (SVG path data per code, from boundaries.svg_paths) filled by value, each with a
    title ("name: value, reported x of y" in `labels`), and a legend of the five classes."""
    width, height = box
    bounds = classes(list(values.values()))
    ident = f' id="{escape(chart_id)}"' if chart_id else ""
    parts = [
        f'<svg{ident} class="nhskg-chart nhskg-map" role="img" viewBox="0 0 {width:.0f} '
        f'{height + 30:.0f}" width="100%" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
    ]
    for code, path in sorted(shapes.items()):
        fill = colour(values.get(code), bounds)
        label = escape(labels.get(code, code))
        parts.append(
            f'<path d="{path}" fill="{fill}" stroke="#fff" stroke-width="0.6" '
            f'data-area="{escape(code)}"><title>{label}</title></path>'
        )
    low = 0.0
    for n, (bound, fill) in enumerate(zip(bounds, SCALE, strict=False)):
        x = 4 + n * (width - 8) / 5
        parts.append(
            f'<rect x="{x:.0f}" y="{height + 4:.0f}" width="12" height="12" fill="{fill}" '
            f'stroke="#768692" stroke-width="0.5"/><text x="{x + 16:.0f}" y="{height + 14:.0f}" '
            f'font-size="10" fill="{TEXT}">{number(low)}-{number(bound)}</text>'
        )
        low = bound
    parts.append("</svg>")
    return "".join(parts)
