"""Issue 18 in a real browser: the Makassar coordinator's dashboard is one screen of tiles at
1366 × 768 (every tile's bottom within the window, no scrolling), a tile opens the indicator's
page (chart, table by kecamatan, definition); on a 390 px phone the tiles are one column and
nothing scrolls sideways. Screenshots in var/screenshots/ (dashboard-1366.png,
dashboard-390.png, indicator-1366.png)."""

from pathlib import Path

from django.conf import settings
from playwright.sync_api import Browser, expect

from pksai.monitoring.indicators import active_indicators
from pksai.monitoring.models import IndicatorTarget
from tests.browser.helpers import (
    AXE_TAGS,
    axe_violations,
    demo_data,
    describe_violations,
    sign_in,
)

SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
WIDTH = "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"


def test_coordinator_dashboard_is_one_screen_of_tiles(browser: Browser, live_server):
    demo_data()
    IndicatorTarget.objects.create(  # one tile with a target: its status in words
        indicator=active_indicators().get(code="cases_responded"),
        area_id="73.71",
        year=2026,
        baseline=60,
        target=80,
        source="Rencana kerja PKSAI Kota Makassar",
    )
    expected = active_indicators().count()
    base = live_server.url
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page = browser.new_context(viewport=LAPTOP).new_page()
    sign_in(page, base, "makassar.coordinator")
    page.goto(base + "/monitoring/")
    tiles = page.get_by_test_id("tile")
    expect(tiles).to_have_count(expected)
    bottoms = tiles.evaluate_all("ts => ts.map(t => t.getBoundingClientRect().bottom)")
    page.screenshot(path=str(SCREENSHOTS / "dashboard-1366.png"))
    fitting = sum(b <= LAPTOP["height"] for b in bottoms)
    assert fitting == expected, f"{fitting} of {expected} tiles fit in 768 px: {bottoms}"
    assert page.evaluate(WIDTH) <= LAPTOP["width"]
    responded = page.locator("#indicator-cases_responded")
    expect(responded.get_by_test_id("tile-status")).not_to_be_empty()  # a word, not only colour
    expect(responded).to_contain_text("Target 80")
    # a tile opens its indicator
    page.locator("#indicator-cases_reported").click()
    page.wait_for_url("**/monitoring/indicators/cases_reported/**")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kasus dilaporkan")
    expect(page.get_by_test_id("chart")).to_be_visible()
    expect(page.locator("main table").first.locator("th").first).to_have_text("Kecamatan")
    expect(page.locator("#definition-heading")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "indicator-1366.png"), full_page=True)
    page.context.close()

    phone = browser.new_context(viewport=PHONE).new_page()
    sign_in(phone, base, "makassar.coordinator")
    phone.goto(base + "/monitoring/")
    tiles = phone.get_by_test_id("tile")
    expect(tiles).to_have_count(expected)
    lefts = tiles.evaluate_all(
        "ts => new Set(ts.map(t => Math.round(t.getBoundingClientRect().left))).size"
    )
    assert lefts == 1, "the tiles are not one column"
    assert phone.evaluate(WIDTH) <= PHONE["width"], "the page scrolls sideways"
    phone.screenshot(path=str(SCREENSHOTS / "dashboard-390.png"), full_page=True)
    phone.context.close()


def test_indicator_map_fits_a_phone_and_a_laptop(browser: Browser, live_server, tmp_path):
    """The choropleth of the kecamatan beside the table (decision 0029), on test outlines —
    a made-up grid of six cells, not real boundaries (none are shipped) — at 390 × 844 and
    1366 × 768: the SVG no wider than its column, one path per kecamatan, the legend, the
    caption pointing to the table, nothing for axe-core to report. Screenshots:
    indicator-map-390.png, indicator-map-1366.png."""
    import json

    from pksai.areas.boundaries import boundaries_load
    from pksai.areas.tests.factories import make_areas

    demo_data()
    names = ["Mamajang", "Makassar", "Ujung Pandang", "Wajo", "Bontoala"]
    make_areas([(f"73.71.0{i}", name) for i, name in enumerate(names, start=2)])
    features = []
    for index in range(6):  # a 3 × 2 grid of slightly uneven cells around Makassar
        col, row = index % 3, index // 3
        west, south = 119.40 + col * 0.03, -5.20 + row * 0.03
        ring = [
            [west, south],
            [west + 0.015, south - 0.004 * (col % 2)],
            [west + 0.03, south],
            [west + 0.03, south + 0.03],
            [west + 0.012, south + 0.03 + 0.003 * (row % 2)],
            [west, south + 0.03],
            [west, south],
        ]
        features.append(
            {
                "type": "Feature",
                "properties": {"code": f"73.71.0{index + 1}"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    path = tmp_path / "grid.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    boundaries_load(paths=[path], source="browser test grid", licence="CC0 1.0")
    base = live_server.url
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for viewport, name in ((PHONE, "indicator-map-390.png"), (LAPTOP, "indicator-map-1366.png")):
        page = browser.new_context(viewport=viewport).new_page()
        sign_in(page, base, "makassar.coordinator")
        page.goto(base + "/monitoring/indicators/cases_reported/")
        svg = page.get_by_test_id("map")
        expect(svg).to_be_visible()
        expect(svg.locator("path")).to_have_count(6)
        expect(page.get_by_test_id("map-legend")).to_be_visible()
        box = svg.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        assert page.evaluate(WIDTH) <= viewport["width"], "the page scrolls sideways"
        found = describe_violations(axe_violations(page, tags=AXE_TAGS))
        assert not found, f"axe at {viewport['width']} px:\n{found}"
        page.get_by_test_id("map-section").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
        page.context.close()
