"""Charts as server-side SVG (pygal; docs/decisions/0011-charts.md), so a dashboard renders
with no internet and no JavaScript.

A chart is drawn by pygal with its own tooltips script switched off and any ``<script>`` taken
out, gets a ``<title>`` and a ``<desc>`` (what it shows, for screen readers and for a saved
file), and is embedded in the page as an ``<img>`` with a ``data:`` URL: pygal styles its SVG
with an internal stylesheet, which our Content-Security-Policy (``style-src 'self'``) would
block inline in the page but does not govern inside an image. The numbers are always in a
table beside the chart (the templates), which is the accessible reading of the same data.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from html import escape


@cache
def _style():
    """pygal is imported when the first chart is drawn, not when the URLs load (start-up)."""
    from pygal.style import Style

    return Style(
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#1f2933",
        foreground_strong="#1f2933",
        foreground_subtle="#7b8794",
        colors=("#1f6feb", "#d9822b", "#2f9e44", "#9c36b5", "#e03131"),
        font_family="DejaVu Sans, Arial, sans-serif",
        label_font_size=11,
        major_label_font_size=11,
        title_font_size=13,
        value_font_size=10,
        legend_font_size=11,
    )


_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
_OPEN = re.compile(r"<svg\b[^>]*>")


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    svg: str

    @property
    def data_url(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode()


def _config(title: str, **extra) -> dict:
    return {
        "title": title,
        "style": _style(),
        "js": [],
        "disable_xml_declaration": True,
        "explicit_size": True,
        "width": 640,
        "height": 300,
        "show_legend": extra.pop("show_legend", False),
        "print_values": False,
        "x_label_rotation": extra.pop("x_label_rotation", 0),
        "truncate_label": 18,
        "no_data_text": extra.pop("no_data_text", "—"),
        **extra,
    }


def _finish(chart, title: str, description: str) -> Chart:
    svg = _SCRIPT.sub("", chart.render(is_unicode=True))
    opening = _OPEN.search(svg)
    if opening is not None:  # role, title and desc first, for assistive technology
        tag = opening.group(0).replace("<svg", '<svg role="img"', 1)
        head = f"<title>{escape(title)}</title><desc>{escape(description)}</desc>"
        svg = svg[: opening.start()] + tag + head + svg[opening.end() :]
    return Chart(title=title, description=description, svg=svg)


def _number(value: int | Decimal | None) -> float | None:
    # pygal plots floats; the figures people read are the exact ones in the table beside
    return None if value is None else float(value)


def _rotation(labels: Sequence[str]) -> int:
    return 30 if len(labels) > 6 or any(len(label) > 12 for label in labels) else 0


def bar_chart(
    *,
    title: str,
    description: str,
    labels: Sequence[str],
    values: Sequence[int | Decimal | None],
    series: str = "",
) -> Chart:
    """One bar per label."""
    import pygal

    chart = pygal.Bar(**_config(title, x_label_rotation=_rotation(labels)))
    chart.x_labels = list(labels)
    chart.add(series or title, [_number(v) for v in values])
    return _finish(chart, title, description)


def line_chart(
    *,
    title: str,
    description: str,
    labels: Sequence[str],
    series: dict[str, Sequence[int | Decimal | None]],
) -> Chart:
    """One line per series over the labels (months)."""
    import pygal

    chart = pygal.Line(
        **_config(title, show_legend=len(series) > 1, x_label_rotation=_rotation(labels))
    )
    chart.x_labels = list(labels)
    for name, values in series.items():
        chart.add(name, [_number(v) for v in values])
    return _finish(chart, title, description)


def sparkline(
    *, title: str, description: str, values: Sequence[int | Decimal | None], colour: str = ""
) -> Chart:
    """A small trend line for a tile (no axes, no labels): the months' values in order. The
    figures are on the indicator's page; the description says what the line shows."""
    import pygal
    from pygal.style import Style

    style = Style(
        background="transparent",
        plot_background="transparent",
        colors=(colour or "#1f6feb",),
        stroke_width=2,
    )
    chart = pygal.Line(style=style, disable_xml_declaration=True, interpolate=None)
    chart.add(title, [_number(v) for v in values])
    svg = chart.render_sparkline(width=180, height=36, margin=2, is_unicode=True)
    return _finish_svg(svg, title, description)


def _finish_svg(svg: str, title: str, description: str) -> Chart:
    svg = _SCRIPT.sub("", svg)
    opening = _OPEN.search(svg)
    if opening is not None:
        tag = opening.group(0).replace("<svg", '<svg role="img"', 1)
        head = f"<title>{escape(title)}</title><desc>{escape(description)}</desc>"
        svg = svg[: opening.start()] + tag + head + svg[opening.end() :]
    return Chart(title=title, description=description, svg=svg)
