"""Area outlines for maps: reading GeoJSON, checking and simplifying the polygons, and one
batched upsert of ``Boundary`` rows (decision 0029).

A feature names its area by a Kemendagri code in one of its properties (``code``, ``kode``,
BIG's ``KDCPUM``/``KDPKAB``/``KDPPUM`` … or the property given). It is rejected — with the
reason, never silently — when it has no code, a code that is not a loaded area, a code seen
earlier in the same input, or geometry that is not a usable Polygon/MultiPolygon.

Simplification is Douglas–Peucker per ring (tolerance in metres, by level), so a city's
kecamatan map stays a few tens of kilobytes; no geometry library is needed. Rings that
simplify away (small islands, slivers) are dropped unless nothing of the area would remain.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from pksai.areas.codes import normalise_area_code
from pksai.areas.models import Area, Boundary

CODE_PROPERTIES = ("code", "kode", "kode_wilayah", "KDCPUM", "KDPKAB", "KDPPUM", "id")
# Douglas–Peucker tolerance per level, in metres on the ground
TOLERANCE_METRES = {
    Area.Level.PROVINCE: 1000.0,
    Area.Level.REGENCY: 250.0,
    Area.Level.DISTRICT: 60.0,
    Area.Level.VILLAGE: 15.0,
}
METRES_PER_DEGREE = 111_320.0
DECIMALS = 5  # about a metre
SUFFIXES = (".geojson", ".json", ".geojson.gz", ".json.gz")

Ring = list[tuple[float, float]]
Polygon = list[Ring]  # outer ring first, then holes


class BadGeometry(ValueError):
    """A feature's geometry cannot be drawn."""


@dataclass(frozen=True)
class Rejection:
    where: str  # file name and feature number
    code: str
    reason: str


@dataclass
class BoundaryLoadResult:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    points_before: int = 0
    points_after: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
        }


# --- geometry ------------------------------------------------------------------------------


def _position(raw: Any) -> tuple[float, float]:
    if not isinstance(raw, list | tuple) or len(raw) < 2:
        raise BadGeometry("a position is not [longitude, latitude]")
    try:
        lon, lat = float(raw[0]), float(raw[1])
    except (TypeError, ValueError) as exc:
        raise BadGeometry("a coordinate is not a number") from exc
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise BadGeometry("a coordinate is not finite")
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise BadGeometry("a coordinate lies outside longitude/latitude (projected data?)")
    return lon, lat


def _ring(raw: Any) -> Ring:
    if not isinstance(raw, list):
        raise BadGeometry("a ring is not a list of positions")
    ring = [_position(p) for p in raw]
    if len(ring) < 4:
        raise BadGeometry("a ring has fewer than four positions")
    if ring[0] != ring[-1]:
        raise BadGeometry("a ring is not closed")
    if len(set(ring)) < 3:
        raise BadGeometry("a ring has no area")
    return ring


def polygons_of(geometry: Any) -> list[Polygon]:
    """The polygons of a GeoJSON Polygon or MultiPolygon, checked; else BadGeometry."""
    if not isinstance(geometry, dict):
        raise BadGeometry("no geometry")
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        raw_polygons = [coordinates]
    elif kind == "MultiPolygon":
        raw_polygons = coordinates
    else:
        raise BadGeometry(f"geometry type {kind!r} is not Polygon or MultiPolygon")
    if not isinstance(raw_polygons, list) or not raw_polygons:
        raise BadGeometry("no coordinates")
    polygons = []
    for raw in raw_polygons:
        if not isinstance(raw, list) or not raw:
            raise BadGeometry("a polygon has no rings")
        polygons.append([_ring(r) for r in raw])
    return polygons


def _distance(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance of p from the segment a–b (planar, in the units given)."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    if dx == 0 and dy == 0:
        return math.hypot(p[0] - a[0], p[1] - a[1])
    t = max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy)))
    return math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy))


def douglas_peucker(points: Ring, tolerance: float) -> Ring:
    """The points of an open or closed line kept by Douglas–Peucker (iterative, planar)."""
    if len(points) < 3 or tolerance <= 0:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        farthest, index = 0.0, -1
        for i in range(first + 1, last):
            d = _distance(points[i], points[first], points[last])
            if d > farthest:
                farthest, index = d, i
        if index >= 0 and farthest > tolerance:
            keep[index] = True
            stack.extend(((first, index), (index, last)))
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def simplify_ring(ring: Ring, tolerance_degrees: float) -> Ring | None:
    """A closed ring simplified in a local plane (longitudes shrunk by cos latitude so the
    tolerance is the same east–west and north–south); None if fewer than 4 points remain."""
    scale = math.cos(math.radians(sum(lat for _lon, lat in ring) / len(ring)))
    # split the closed ring at its farthest point from the start, so both halves are lines
    start = ring[0]
    far = max(
        range(len(ring)),
        key=lambda i: math.hypot((ring[i][0] - start[0]) * scale, ring[i][1] - start[1]),
    )
    plane = [(lon * scale, lat) for lon, lat in ring]
    first = douglas_peucker(plane[: far + 1], tolerance_degrees)
    second = douglas_peucker(plane[far:], tolerance_degrees)
    kept = first + second[1:]
    if len(kept) < 4:
        return None
    return [(round(x / scale, DECIMALS), round(y, DECIMALS)) for x, y in kept]


def simplify(polygons: list[Polygon], tolerance_metres: float) -> list[Polygon]:
    """Every ring simplified; a polygon whose outer ring vanishes is dropped, a hole that
    vanishes is dropped. If nothing would remain, the rings are kept as they were (rounded)."""
    tolerance = tolerance_metres / METRES_PER_DEGREE
    kept: list[Polygon] = []
    for polygon in polygons:
        outer = simplify_ring(polygon[0], tolerance)
        if outer is None:
            continue
        holes = [h for h in (simplify_ring(r, tolerance) for r in polygon[1:]) if h]
        kept.append([outer, *holes])
    if kept:
        return kept
    return [
        [[(round(lon, DECIMALS), round(lat, DECIMALS)) for lon, lat in ring] for ring in polygon]
        for polygon in polygons
    ]


def bounds(polygons: list[Polygon]) -> tuple[float, float, float, float]:
    """West, south, east, north of the outer rings."""
    lons = [lon for polygon in polygons for lon, _lat in polygon[0]]
    lats = [lat for polygon in polygons for _lon, lat in polygon[0]]
    return min(lons), min(lats), max(lons), max(lats)


def _count(polygons: list[Polygon]) -> int:
    return sum(len(ring) for polygon in polygons for ring in polygon)


# --- reading ---------------------------------------------------------------------------------


def geojson_files(paths: Iterable[Path]) -> list[Path]:
    """The GeoJSON files named, and those inside the folders named (sorted)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(SUFFIXES))
            )
        else:
            found.append(path)
    return found


def _read_json(path: Path) -> Any:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def _features(document: Any) -> list[Any]:
    if isinstance(document, dict) and document.get("type") == "FeatureCollection":
        return list(document.get("features") or [])
    if isinstance(document, dict) and document.get("type") == "Feature":
        return [document]
    raise BadGeometry("not a GeoJSON Feature or FeatureCollection")


def feature_code(feature: Any, code_property: str | None = None) -> str:
    """The raw area code a feature carries ("" if none)."""
    properties = feature.get("properties") if isinstance(feature, dict) else None
    properties = properties if isinstance(properties, dict) else {}
    names = (code_property,) if code_property else CODE_PROPERTIES
    for name in names:
        value = properties.get(name)
        if value not in (None, ""):
            return str(value).strip()
    return ""


def _iter_features(files: list[Path], result: BoundaryLoadResult) -> Iterator[tuple[str, Any]]:
    for path in files:
        try:
            features = _features(_read_json(path))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, BadGeometry) as exc:
            result.rejected.append(Rejection(path.name, "", f"unreadable file: {exc}"))
            continue
        for number, feature in enumerate(features, start=1):
            yield f"{path.name}#{number}", feature


# --- loading ---------------------------------------------------------------------------------


def boundaries_load(
    *,
    paths: Iterable[Path],
    source: str,
    licence: str,
    code_property: str | None = None,
    tolerance_metres: float | None = None,
    batch_size: int = 500,
) -> BoundaryLoadResult:
    """Read GeoJSON files, check and simplify every feature and upsert one ``Boundary`` per
    area in batches. Idempotent: a feature whose simplified geometry, source and licence are
    unchanged is counted as unchanged and not written."""
    source, licence = source.strip(), licence.strip()
    if not source or not licence:
        raise ValueError("the source and the licence of boundary data must be recorded")
    result = BoundaryLoadResult()
    candidates: dict[str, tuple[str, Any]] = {}  # code → (where, feature)
    for where, feature in _iter_features(geojson_files(paths), result):
        result.read += 1
        raw = feature_code(feature, code_property)
        code = normalise_area_code(raw) if raw else None
        if not raw:
            result.rejected.append(Rejection(where, "", "no area code in the properties"))
        elif code is None:
            result.rejected.append(Rejection(where, raw, "malformed area code"))
        elif code in candidates:
            result.rejected.append(Rejection(where, code, "code already given earlier"))
        else:
            candidates[code] = (where, feature)

    levels = dict(Area.objects.filter(code__in=list(candidates)).values_list("code", "level"))
    rows: dict[str, dict[str, Any]] = {}
    for code, (where, feature) in candidates.items():
        if code not in levels:
            result.rejected.append(Rejection(where, code, "unknown code (no such area loaded)"))
            continue
        try:
            polygons = polygons_of(feature.get("geometry"))
        except BadGeometry as exc:
            result.rejected.append(Rejection(where, code, f"bad geometry: {exc}"))
            continue
        level = levels[code]
        tolerance = tolerance_metres if tolerance_metres is not None else TOLERANCE_METRES[level]
        simple = simplify(polygons, tolerance)
        result.points_before += _count(polygons)
        result.points_after += _count(simple)
        geometry = json.dumps(simple, separators=(",", ":"))
        digest = hashlib.sha256("\n".join((geometry, source, licence)).encode()).hexdigest()
        west, south, east, north = bounds(simple)
        rows[code] = {
            "level": level,
            "geometry": geometry,
            "west": west,
            "south": south,
            "east": east,
            "north": north,
            "points": _count(simple),
            "digest": digest,
        }

    stored = dict(Boundary.objects.filter(area_id__in=list(rows)).values_list("area_id", "digest"))
    now = timezone.now()
    changed = [
        Boundary(area_id=code, source=source, licence=licence, loaded_at=now, **row)
        for code, row in rows.items()
        if stored.get(code) != row["digest"]
    ]
    result.created = sum(1 for b in changed if b.area_id not in stored)
    result.updated = len(changed) - result.created
    result.unchanged = len(rows) - len(changed)
    with transaction.atomic():
        for start in range(0, len(changed), batch_size):
            Boundary.objects.bulk_create(
                changed[start : start + batch_size],
                update_conflicts=True,
                unique_fields=["area"],
                update_fields=[
                    "level",
                    "geometry",
                    "west",
                    "south",
                    "east",
                    "north",
                    "points",
                    "source",
                    "licence",
                    "digest",
                    "loaded_at",
                ],
            )
    return result


SHIPPED_DIR = Path(__file__).resolve().parent / "data" / "boundaries"
MANIFEST = "SOURCE.json"  # {"source": "...", "licence": "..."} beside the shipped files


def boundaries_load_shipped(*, data_dir: Path = SHIPPED_DIR) -> BoundaryLoadResult | None:
    """Load the outlines shipped inside the package (``areas/data/boundaries/``, gzipped
    GeoJSON with a ``SOURCE.json`` naming their source and licence: the provinces and the demo
    provinces' regencies from OpenStreetMap, decision 0029); None when none ship. Files
    without the manifest are refused: a licence must be recorded."""
    files = geojson_files([data_dir]) if data_dir.is_dir() else []
    files = [path for path in files if path.name != MANIFEST]
    if not files:
        return None
    manifest_path = data_dir / MANIFEST
    if not manifest_path.is_file():
        raise ValueError(f"{manifest_path} is missing: the source and licence must be recorded")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return boundaries_load(
        paths=files,
        source=str(manifest.get("source") or ""),
        licence=str(manifest.get("licence") or ""),
    )
