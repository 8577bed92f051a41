"""Loading area outlines (decision 0029): good features simplified and stored with their source
and licence, every rejected feature reported with its reason, a re-run writes nothing new."""

import gzip
import json

import pytest

from pksai.areas.boundaries import (
    boundaries_load,
    douglas_peucker,
    polygons_of,
    simplify,
)
from pksai.areas.models import Boundary
from pksai.areas.tests.factories import make_areas


def square(west, south, size, *, steps=1):
    """A closed square ring with ``steps`` points per side (collinear extras)."""
    corners = [
        (west, south),
        (west + size, south),
        (west + size, south + size),
        (west, south + size),
    ]
    ring = []
    for (x0, y0), (x1, y1) in zip(corners, corners[1:] + corners[:1], strict=True):
        ring.extend([x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps] for i in range(steps))
    return [*ring, ring[0]]


def feature(properties, geometry):
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def polygon(ring):
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def areas(pilot_areas):
    make_areas([("73.71.02", "Mamajang")])


def write(path, features, *, gz=False):
    text = json.dumps({"type": "FeatureCollection", "features": features})
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_good_features_load_simplified_and_rejections_say_why(areas, tmp_path):
    folder = tmp_path / "batas"
    folder.mkdir()
    write(
        folder / "districts.geojson",
        [
            feature({"code": "73.71.01"}, polygon(square(119.40, -5.15, 0.02, steps=50))),
            feature({"kode": "737102"}, polygon(square(119.42, -5.15, 0.02))),  # undotted
            feature({"code": "73.71.99"}, polygon(square(119.0, -5.0, 0.01))),
            feature({"code": "73.71.01"}, polygon(square(119.0, -5.0, 0.01))),
            feature({"name": "no code"}, polygon(square(119.0, -5.0, 0.01))),
            feature({"code": "73.06.01"}, {"type": "Point", "coordinates": [119.5, -5.2]}),
            feature({"code": "73"}, polygon(square(119.0, -5.0, 0.5)[:-1])),  # not closed
            feature({"code": "73.71"}, polygon([[1e6, 2e6], [1e6, 3e6], [2e6, 3e6], [1e6, 2e6]])),
        ],
    )
    write(folder / "more.geojson.gz", [], gz=True)  # gzip is read too (empty here)
    (folder / "broken.geojson").write_text("{not json", encoding="utf-8")

    result = boundaries_load(paths=[folder], source="Test outlines", licence="CC0 1.0")

    assert (result.read, result.created, result.updated, result.unchanged) == (8, 2, 0, 0)
    reasons = {(r.code, r.reason.split(":")[0]) for r in result.rejected}
    assert ("73.71.99", "unknown code (no such area loaded)") in reasons
    assert ("73.71.01", "code already given earlier") in reasons
    assert ("", "no area code in the properties") in reasons
    assert ("73.06.01", "bad geometry") in reasons
    assert ("73", "bad geometry") in reasons
    assert ("73.71", "bad geometry") in reasons  # projected metres, not longitude/latitude
    assert any("broken.geojson" in r.where and "unreadable" in r.reason for r in result.rejected)
    assert len(result.rejected) == 7

    mariso = Boundary.objects.get(area_id="73.71.01")
    assert mariso.level == 3 and mariso.source == "Test outlines" and mariso.licence == "CC0 1.0"
    rings = json.loads(mariso.geometry)
    assert len(rings[0][0]) == 5  # 200 collinear points on the edges → the 4 corners, closed
    assert mariso.points == 5 and result.points_before > 200
    assert mariso.west == pytest.approx(119.40) and mariso.north == pytest.approx(-5.13)
    assert Boundary.objects.filter(area_id="73.71.02").exists()


def test_a_second_run_writes_nothing_and_a_new_licence_updates(areas, tmp_path):
    path = write(
        tmp_path / "b.geojson",
        [
            feature({"code": "73.71.01"}, polygon(square(119.40, -5.15, 0.02))),
            feature({"code": "73.71.02"}, polygon(square(119.42, -5.15, 0.02))),
        ],
    )
    first = boundaries_load(paths=[path], source="S", licence="L")
    stamp = Boundary.objects.get(area_id="73.71.01").loaded_at
    again = boundaries_load(paths=[path], source="S", licence="L")
    assert (first.created, again.created, again.updated, again.unchanged) == (2, 0, 0, 2)
    assert Boundary.objects.count() == 2
    assert Boundary.objects.get(area_id="73.71.01").loaded_at == stamp  # not rewritten
    relicensed = boundaries_load(paths=[path], source="S", licence="ODbL 1.0")
    assert (relicensed.created, relicensed.updated) == (0, 2)
    assert set(Boundary.objects.values_list("licence", flat=True)) == {"ODbL 1.0"}


def test_source_and_licence_are_required(areas, tmp_path):
    path = write(tmp_path / "b.geojson", [])
    with pytest.raises(ValueError, match="licence"):
        boundaries_load(paths=[path], source="S", licence=" ")


def test_douglas_peucker_keeps_corners_and_drops_what_is_within_the_tolerance():
    line = [(0.0, 0.0), (1.0, 0.01), (2.0, -0.01), (3.0, 5.0), (4.0, 6.0)]
    assert douglas_peucker(line, 0.1) == [(0.0, 0.0), (2.0, -0.01), (3.0, 5.0), (4.0, 6.0)]
    assert douglas_peucker(line, 0.0) == line


def test_an_island_smaller_than_the_tolerance_is_dropped_unless_it_is_all_there_is():
    big = square(119.40, -5.15, 0.05)
    speck = square(119.50, -5.15, 0.0001)  # about 11 m across
    kept = simplify(polygons_of({"type": "MultiPolygon", "coordinates": [[big], [speck]]}), 60)
    assert len(kept) == 1
    alone = simplify(polygons_of({"type": "Polygon", "coordinates": [speck]}), 60)
    assert len(alone) == 1 and len(alone[0][0]) == 5  # kept as it was


def test_the_admin_lists_outlines_with_their_source_and_licence_read_only(
    areas, tmp_path, admin_client
):
    path = write(
        tmp_path / "b.geojson",
        [feature({"code": "73.71.01"}, polygon(square(119.40, -5.15, 0.02)))],
    )
    boundaries_load(paths=[path], source="Test outlines", licence="CC0 1.0")
    listing = admin_client.get("/admin/areas/boundary/")
    assert listing.status_code == 200
    assert "Test outlines" in listing.content.decode() and "CC0 1.0" in listing.content.decode()
    assert admin_client.get("/admin/areas/boundary/add/").status_code == 403


def test_shipped_outlines_load_with_the_source_and_licence_of_their_manifest(areas, tmp_path):
    from pksai.areas.boundaries import SHIPPED_DIR, boundaries_load_shipped

    assert boundaries_load_shipped(data_dir=tmp_path / "absent") is None
    # What ships: provinces and the demo provinces' regencies from OpenStreetMap (ODbL); the
    # manifest beside them is not read as outlines
    shipped = boundaries_load_shipped(data_dir=SHIPPED_DIR)
    assert shipped is not None and shipped.created > 0
    assert not [r for r in shipped.rejected if r.reason != "unknown code (no such area loaded)"]
    assert set(Boundary.objects.values_list("licence", flat=True)) == {
        "ODbL-1.0 (Open Database License 1.0), © OpenStreetMap contributors"
    }
    assert Boundary.objects.filter(area_id="73.71").exists()  # Kota Makassar
    Boundary.objects.all().delete()
    write(
        tmp_path / "73.geojson.gz",
        [feature({"code": "73.71.01"}, polygon(square(119.40, -5.15, 0.02)))],
        gz=True,
    )
    with pytest.raises(ValueError, match="SOURCE.json"):
        boundaries_load_shipped(data_dir=tmp_path)
    (tmp_path / "SOURCE.json").write_text(json.dumps({"source": "Shipped", "licence": "CC0"}))
    result = boundaries_load_shipped(data_dir=tmp_path)
    assert result is not None and result.created == 1
    stored = Boundary.objects.get(area_id="73.71.01")
    assert (stored.source, stored.licence) == ("Shipped", "CC0")
