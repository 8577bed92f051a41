"""The choropleth on an indicator's page (issue 18, decision 0029): the areas of the level
below the user's scope (or below the chosen area) drawn from their loaded outlines
(``areas.Boundary``) as one SVG built on the server — no script, no tiles, no CDN — each
coloured by the indicator's value in one of at most five classes.

Only outlines of areas inside the user's scope are read (``accounts.scoping``). The values
are those of the table beside the map (``indicator_values``, the same figures the page
shows); an area without a value is drawn with the "no data" hatching. The table stays the
accessible version of the map."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from pksai.accounts.scoping import scoped
from pksai.areas.codes import area_q
from pksai.areas.models import Area, Boundary
from pksai.monitoring.indicators import VIEW, Value
from pksai.monitoring.measures import AREA_DIGITS

LEVELS = {
    "province": Area.Level.PROVINCE,
    "regency": Area.Level.REGENCY,
    "district": Area.Level.DISTRICT,
}
# ColorBrewer "Blues" (single hue, sequential: readable with every colour-vision deficiency
# and in greyscale), the set for the number of classes in use.
PALETTES = {
    1: ["#6baed6"],
    2: ["#bdd7e7", "#3182bd"],
    3: ["#deebf7", "#9ecae1", "#3182bd"],
    4: ["#eff3ff", "#bdd7e7", "#6baed6", "#2171b5"],
    5: ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"],
}
NO_DATA = "url(#map-no-data)"
WIDTH = 600.0
MAX_HEIGHT = 720.0
PAD = 6.0


@dataclass(frozen=True)
class LegendClass:
    fill: str
    label: str


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    path: str
    value: Decimal | None
    shown: str  # the value as the page writes it, or "no data"
    fill: str


@dataclass(frozen=True)
class Choropleth:
    regions: list[Region]
    legend: list[LegendClass]
    width: int
    height: int
    higher_is_better: bool
    unit: str
    missing: int  # areas drawn without a value

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


def class_bounds(values: list[Decimal], classes: int = 5) -> list[Decimal]:
    """Upper bounds of at most ``classes`` quantile classes (each class holds about the same
    number of areas); fewer when there are fewer distinct values. The last bound is the
    maximum. Empty for no values."""
    ordered = sorted(values)
    if not ordered:
        return []
    n = len(ordered)
    uppers = [ordered[max(0, math.ceil(i * n / classes) - 1)] for i in range(1, classes + 1)]
    return sorted(set(uppers))


def class_of(value: Decimal, uppers: list[Decimal]) -> int:
    """The class (0-based) of a value: the first whose upper bound it does not exceed."""
    for index, upper in enumerate(uppers):
        if value <= upper:
            return index
    return len(uppers) - 1


def _number(value: Decimal) -> str:
    return formats.number_format(value, decimal_pos=None, use_l10n=True, force_grouping=True)


def legend(uppers: list[Decimal], lowest: Decimal) -> list[LegendClass]:
    """One entry per class: "2 to 5", "over 5 to 9", … (the lowest value opens the first)."""
    palette = PALETTES.get(len(uppers), [])
    entries = []
    for index, upper in enumerate(uppers):
        if index == 0:
            label = (
                _number(upper)
                if lowest == upper
                else _("%(low)s to %(high)s") % {"low": _number(lowest), "high": _number(upper)}
            )
        else:
            label = _("over %(low)s to %(high)s") % {
                "low": _number(uppers[index - 1]),
                "high": _number(upper),
            }
        entries.append(LegendClass(fill=palette[index], label=label))
    return entries


def _project(polygons: list, *, west: float, north: float, scale: float, k: float) -> str:
    """SVG path data: longitude shrunk by cos(mid-latitude), north up, in viewBox units."""
    parts = []
    for polygon in polygons:
        for ring in polygon:
            points = [
                (PAD + (lon - west) * k * scale, PAD + (north - lat) * scale) for lon, lat in ring
            ]
            head, *rest = points[:-1]  # the ring is closed: Z draws the last edge
            parts.append(
                f"M{head[0]:.1f} {head[1]:.1f}"
                + "".join(f"L{x:.1f} {y:.1f}" for x, y in rest)
                + "Z"
            )
    return "".join(parts)


def indicator_map(
    indicator: Any, values: list[Value], *, user, group: str, area: str = ""
) -> Choropleth | None:
    """The choropleth of ``values`` (keyed by area code, at ``group``'s level) over the
    outlines of that level in the user's scope under ``area``; None when no outline of those
    areas is loaded (or the grouping is not an area level)."""
    if group not in AREA_DIGITS:
        return None
    rows = list(
        scoped(Boundary.objects.filter(level=LEVELS[group]), user, perm=VIEW, area_field="area")
        .filter(area_q("area", area))
        .order_by("area_id")
        .values_list("area_id", "area__name", "geometry", "west", "south", "east", "north")
    )
    if not rows:
        return None
    west = min(r[3] for r in rows)
    south = min(r[4] for r in rows)
    east = max(r[5] for r in rows)
    north = max(r[6] for r in rows)
    k = math.cos(math.radians((south + north) / 2))
    span_x, span_y = max((east - west) * k, 1e-9), max(north - south, 1e-9)
    scale = (WIDTH - 2 * PAD) / span_x
    if span_y * scale > MAX_HEIGHT - 2 * PAD:  # a tall area: fit the height instead
        scale = (MAX_HEIGHT - 2 * PAD) / span_y
    width = math.ceil(span_x * scale + 2 * PAD)
    height = math.ceil(span_y * scale + 2 * PAD)

    by_code = {v.key: v.value for v in values}
    drawn = [by_code.get(code) for code, *_rest in rows]
    present = [v for v in drawn if v is not None]
    uppers = class_bounds(present)
    palette = PALETTES.get(len(uppers), [])
    regions = []
    for (code, name, geometry, *_box), value in zip(rows, drawn, strict=True):
        fill = palette[class_of(value, uppers)] if value is not None else NO_DATA
        shown = _number(value) if value is not None else _("no data")
        regions.append(
            Region(
                code=code,
                name=name,
                path=_project(json.loads(geometry), west=west, north=north, scale=scale, k=k),
                value=value,
                shown=shown,
                fill=fill,
            )
        )
    return Choropleth(
        regions=regions,
        legend=legend(uppers, min(present)) if present else [],
        width=width,
        height=height,
        higher_is_better=indicator.higher_is_better,
        unit=str(indicator.get_unit_display()),
        missing=sum(1 for v in drawn if v is None),
    )
