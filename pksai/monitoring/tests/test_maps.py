"""The choropleth on an indicator's page (decision 0029): quantile classes and their colours,
one path per area of the level below in the user's scope and none outside it, the legend
(with "lower is better"), the plain message when no outlines are loaded, the table kept."""

import json
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone, translation

from pksai.accounts.tests.factories import make_user
from pksai.areas.boundaries import boundaries_load
from pksai.areas.tests.factories import make_areas
from pksai.cases.models import Case
from pksai.cases.tests.factories import make_child
from pksai.monitoring import maps
from pksai.monitoring.models import Indicator

THIS_YEAR = timezone.localdate().year
PATH = re.compile(r'<path d="[^"]+" fill="([^"]+)"[^>]*data-area="([^"]+)"><title>([^<]*)</title>')


def D(*values):
    return [Decimal(v) for v in values]


def test_quantile_classes_hold_about_as_many_areas_each():
    assert maps.class_bounds(D(*range(1, 11))) == D(2, 4, 6, 8, 10)
    assert maps.class_bounds(D(5, 1, 3)) == D(1, 3, 5)  # fewer values than classes
    assert maps.class_bounds(D(7, 7, 7)) == D(7)
    assert maps.class_bounds([]) == []
    uppers = D(2, 4, 6, 8, 10)
    assert [maps.class_of(v, uppers) for v in D(1, 2, "2.1", 9, 10)] == [0, 0, 1, 4, 4]


def test_colours_are_one_sequential_palette_per_number_of_classes():
    for count, palette in maps.PALETTES.items():
        assert len(palette) == len(set(palette)) == count
        # darker with every class: the luminance falls monotonically
        lum = [sum(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in palette]
        assert lum == sorted(lum, reverse=True)


def test_legend_names_each_class_by_its_bounds():
    with translation.override("en"):
        entries = maps.legend(D(2, 4, "6.5"), Decimal(1))
    assert [e.label for e in entries] == ["1 to 2", "over 2 to 4", "over 4 to 6.5"]
    assert [e.fill for e in entries] == maps.PALETTES[3]


def outline(west, south, size=0.02):
    ring = [[west, south], [west + size, south], [west + size, south + size], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def districts(pilot_areas):
    make_areas([("73.71.02", "Mamajang"), ("73.71.03", "Makassar")])


@pytest.fixture
def outlines(districts, tmp_path):
    features = [
        ("73.71.01", outline(119.40, -5.15)),
        ("73.71.02", outline(119.42, -5.15)),
        ("73.71.03", outline(119.44, -5.15)),
        ("73.06.01", outline(119.46, -5.30)),  # Gowa: outside a Makassar user's scope
        ("73.71", outline(119.40, -5.15, 0.06)),
        ("73.06", outline(119.46, -5.30, 0.2)),
        ("73", outline(119.0, -6.0, 2.0)),
    ]
    path = tmp_path / "test-outlines.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"code": c}, "geometry": g}
                    for c, g in features
                ],
            }
        )
    )
    result = boundaries_load(paths=[path], source="test shapes", licence="CC0 1.0")
    assert result.created == len(features)


@pytest.fixture
def cases(districts):
    owner = make_user("owner", roles=["social_worker"], scope=["73.71"])
    child = make_child()
    rows = [("73.71", "73.71.01")] * 7 + [("73.71", "73.71.02")] * 2 + [("73.06", "73.06.01")] * 4
    made = Case.objects.bulk_create(
        [
            Case(
                number=f"P-{i}",
                regency_id=regency,
                area_id=district,
                child=child,
                channel="phone",
                summary="-",
                stage="triage",
                owner=owner,
                created_by=owner,
            )
            for i, (regency, district) in enumerate(rows)
        ]
    )
    Case.objects.filter(pk__in=[c.pk for c in made]).update(
        created_at=datetime(THIS_YEAR, 1, 10, 2, tzinfo=UTC)
    )


def page(client, user, code="cases_reported", query=""):
    """The page in English (the Indonesian catalogue is made at merge)."""
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = f"/monitoring/indicators/{code}/?start={THIS_YEAR}-01&end={THIS_YEAR}-12{query}"
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_a_city_coordinator_sees_the_kecamatan_of_the_city_and_nothing_else(
    client, outlines, cases
):
    makassar = make_user("makassar", roles=["coordinator"], scope=["73.71"])
    html = page(client, makassar)
    svg = html[html.index('<svg xmlns="http://www.w3.org/2000/svg"') :]
    svg = svg[: svg.index("</svg>")]
    drawn = {area: (fill, title) for fill, area, title in PATH.findall(svg)}
    assert set(drawn) == {"73.71.01", "73.71.02", "73.71.03"}  # Gowa's 73.06.01 not drawn
    assert "73.06" not in svg and 'role="img"' in svg and 'aria-labelledby="map-caption"' in svg
    assert re.search(r'viewBox="0 0 \d+ \d+"', svg)
    mariso, mamajang, third = drawn["73.71.01"], drawn["73.71.02"], drawn["73.71.03"]
    assert mariso[1] == "Mariso: 7" and mamajang[1] == "Mamajang: 2"
    assert third == ("url(#map-no-data)", "Makassar: no data")
    assert mariso[0] == maps.PALETTES[2][1] and mamajang[0] == maps.PALETTES[2][0]
    assert 'id="map-caption"' in html and "The table below lists the same values." in html
    legend = html[html.index('data-testid="map-legend"') :]
    assert "2" in legend and "over 2 to 7" in legend and "1 area" in legend
    assert "lower is better" not in legend  # more cases reported is not "lower is better"
    # the table stays: every kecamatan value is there as text
    table = html[html.index('id="group-heading"') :]
    assert "Mariso" in table and "Mamajang" in table


def test_lower_is_better_is_said_in_the_legend(client, outlines, cases):
    Indicator.objects.filter(code="cases_reported").update(higher_is_better=False)
    analyst = make_user("analyst", roles=["national_analyst"], national=True)
    html = page(client, analyst, query="&group=district&area=73.71")
    assert "lower is better for this indicator" in html
    assert len(PATH.findall(html)) == 3


def test_a_national_analyst_sees_the_provinces(client, outlines, cases):
    analyst = make_user("analyst", roles=["national_analyst"], national=True)
    html = page(client, analyst, query="&group=province")
    assert [area for _f, area, _t in PATH.findall(html)] == ["73"]


def test_another_grouping_on_the_card_still_maps_the_level_below_with_its_table(
    client, outlines, cases
):
    makassar = make_user("makassar", roles=["coordinator"], scope=["73.71"])
    html = page(client, makassar, query="&group=sex")
    assert {area for _f, area, _t in PATH.findall(html)} == {"73.71.01", "73.71.02", "73.71.03"}
    section = html[html.index('data-testid="map-section"') : html.index('id="group-heading"')]
    assert "<table" in section and "Mariso" in section


def test_without_outlines_the_page_says_so_and_keeps_the_table(client, pilot_areas, cases):
    makassar = make_user("makassar", roles=["coordinator"], scope=["73.71"])
    html = page(client, makassar)
    assert 'data-testid="map"' not in html and "<path" not in html
    assert 'data-testid="map-missing"' in html
    assert "Mariso" in html[html.index('id="group-heading"') :]


def test_outlines_of_another_regency_only_give_the_no_map_message(client, pilot_areas, tmp_path):
    gowa_only = tmp_path / "gowa.geojson"
    gowa_only.write_text(
        json.dumps(
            {
                "type": "Feature",
                "properties": {"code": "73.06.01"},
                "geometry": outline(119.46, -5.30),
            }
        )
    )
    boundaries_load(paths=[gowa_only], source="test shapes", licence="CC0 1.0")
    makassar = make_user("makassar", roles=["coordinator"], scope=["73.71"])
    html = page(client, makassar)
    assert "<path" not in html and 'data-testid="map-missing"' in html


def test_no_monitoring_role_no_page(client, outlines):
    client.force_login(make_user("worker", roles=["social_worker"], scope=["73.71"]))
    assert client.get("/monitoring/indicators/cases_reported/").status_code == 403
    client.force_login(make_user("makassar", roles=["coordinator"], scope=["73.71"]))
    assert client.get("/monitoring/indicators/cases_reported/?area=73.06").status_code == 404
