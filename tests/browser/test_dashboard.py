"""Issue 9 in a real browser: a national analyst opens the indicator dashboard; the charts
(server-side SVG, no internet needed) are visible beside their tables, and a screenshot of the
page is saved."""

from datetime import UTC, datetime
from importlib import import_module

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import Browser, expect

from pksai.accounts.tests.factories import make_user
from pksai.cases.models import Case
from pksai.cases.tests.factories import make_child

PASSWORD = "correct-horse-battery"  # the factories' default


def _cases() -> None:
    """A dozen cases this year in two regencies, some triaged."""
    owner = make_user("owner", roles=["social_worker"], scope=["73.71"])
    child = make_child()
    places = [("73.71", "73.71.01")] * 8 + [("73.06", "73.06.01")] * 4
    made = Case.objects.bulk_create(
        [
            Case(
                number=f"B-{i}",
                regency_id=regency,
                area_id=district,
                child=child,
                channel="phone",
                summary="-",
                stage="assessment" if i % 3 else "triage",
                response="at_risk" if i % 3 else "",
                owner=owner,
                created_by=owner,
            )
            for i, (regency, district) in enumerate(places)
        ]
    )
    year = timezone.localdate().year
    for i, case in enumerate(made):
        Case.objects.filter(pk=case.pk).update(
            created_at=datetime(year, 1 + i % 2, 5, 3, tzinfo=UTC)
        )


def test_dashboard_charts_are_visible(browser: Browser, live_server, pilot_areas, tmp_path):
    # Live-server tests may have emptied the tables, migration data included.
    import_module("pksai.monitoring.migrations.0003_pilot_indicators").forward(apps, None)
    with transaction.atomic():
        make_user("analyst", roles=["national_analyst"], national=True)
        _cases()
    base = live_server.url
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(base + "/accounts/login/")
    page.get_by_label("Nama pengguna").fill("analyst")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.get_by_role("button", name="EN", exact=True).click()

    page.goto(base + "/monitoring/?group=regency")
    expect(page.get_by_role("heading", name="Indicators", exact=True)).to_be_visible()
    charts = page.locator("img.chart")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 2
    box = charts.first.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 50
    # the image decoded (an SVG that failed to load has no natural size)
    assert page.evaluate("document.querySelector('img.chart').naturalWidth") > 0
    card = page.locator("#indicator-cases_reported")
    row = card.locator("tr", has=page.get_by_role("rowheader", name="Kota Makassar"))
    expect(row.locator("td").first).to_have_text("8")  # the number beside the chart
    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.exists() and shot.stat().st_size > 20_000
