"""The area picker in a real browser (issue 17): a social worker registers a case by typing the
start of the village's name, picks the suggestion with the keyboard and submits; the case is
created in that village. On a phone (390 × 844) and a laptop (1366 × 768), with screenshots in
var/screenshots/. Without script, the typed name is read by the server and a name that fits
several villages lists them to choose from."""

import re
from importlib import import_module
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.apps import apps
from django.conf import settings
from django.db import transaction
from playwright.sync_api import Browser, Page, expect

from pksai.accounts.tests.factories import make_user
from pksai.areas.tests.factories import make_areas
from pksai.cases.models import Case

PASSWORD = "s3cret-pass-123"
SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"


@pytest.fixture
def makassar_team(pilot_areas):
    # An earlier live-server test may have emptied the tables, migration data included.
    import_module("pksai.cases.migrations.0002_default_slas_and_follow_ups").forward(apps, None)
    with transaction.atomic():
        make_areas(
            [
                ("73.71.01.1002", "Mattoangin"),
                ("73.71.01.1006", "Mariso"),
                ("73.71.07", "Bontoala"),
                ("73.71.07.1001", "Bontoala Tua"),
                ("73.06.01.2006", "Bontorannu"),  # Gowa: outside the worker's area
            ]
        )
        make_user("sw", roles=["social_worker"], scope=["73.71"], password=PASSWORD)
        make_user("spv", roles=["supervisor"], scope=["73.71"], password=PASSWORD)


def sign_in(browser: Browser, base: str, *, width: int, height: int, script: bool = True) -> Page:
    context = browser.new_context(
        viewport={"width": width, "height": height}, java_script_enabled=script
    )
    page = context.new_page()
    page.goto(base + "/accounts/login/")
    page.get_by_label("Nama pengguna").fill("sw")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.get_by_role("button", name="EN", exact=True).click()
    return page


def fill_the_report(page: Page) -> None:
    page.get_by_label("Reported through").select_option("phone")
    page.get_by_label("Child's name").fill("Dewi Lestari")
    page.get_by_label("Birth date").fill("2016-04-12")
    page.get_by_label(re.compile(r"^Sex")).select_option("F")
    page.get_by_label("physical or psychological violence").check()
    page.get_by_label("What was reported").fill("Tetangga mendengar anak dipukul setiap malam.")
    page.get_by_label(re.compile(r"^Supervisor")).select_option("spv")


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=False)
    return path


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1366, 768)])
def test_register_a_case_by_typing_the_village_name(
    browser: Browser, live_server, makassar_team, width: int, height: int
):
    page = sign_in(browser, live_server.url, width=width, height=height)
    page.goto(live_server.url + "/cases/new/")
    fill_the_report(page)

    village = page.get_by_role("combobox", name="Village")
    listbox = page.get_by_role("listbox", name="Village")
    status = page.locator(".area-picker-status")
    expect(village).to_have_attribute("aria-expanded", "false")

    # Escape closes the suggestions and keeps what was typed.
    village.press_sequentially("Mat", delay=40)
    expect(listbox.get_by_role("option")).to_have_count(1)
    village.press("Escape")
    expect(listbox).to_be_hidden()
    expect(village).to_have_attribute("aria-expanded", "false")
    expect(village).to_have_value("Mat")

    # "Bontor…": only the village in the worker's area is suggested (not Gowa's).
    village.fill("")
    village.press_sequentially("Bontor", delay=40)
    options = listbox.get_by_role("option")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("Bontorannu · Mariso · Kota Makassar")
    expect(status).to_have_text("1 place found.")
    expect(village).to_have_attribute("aria-expanded", "true")
    village.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    option_id = options.first.get_attribute("id")
    expect(village).to_have_attribute("aria-activedescendant", option_id)
    box = listbox.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    assert options.first.bounding_box()["height"] >= 44  # a tap target
    violations = Axe().run(page, context=".area-picker")
    assert violations.violations_count == 0, violations.generate_report()
    shot = screenshot(page, f"area-picker-{width}.png")
    assert shot.stat().st_size > 10_000

    village.press("Enter")  # chooses; does not send the form
    expect(listbox).to_be_hidden()
    expect(page).to_have_url(re.compile(r"/cases/new/$"))
    expect(village).to_have_value("Bontorannu · Mariso · Kota Makassar")
    expect(page.locator("input[type=hidden][name=child_village]")).to_have_value("73.71.01.1001")
    expect(page.locator("[data-area-picker-chosen]")).to_have_text(
        "village (desa/kelurahan) · 73.71.01.1001"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing too wide

    page.get_by_role("button", name="Register the case").click()
    expect(page.get_by_role("heading", name=re.compile(r"Case 7371-\d{4}-000001"))).to_be_visible()
    screenshot(page, f"area-picker-case-{width}.png")
    case = Case.objects.get()
    assert case.child.village_id == "73.71.01.1001" and case.area_id == "73.71.01.1001"
    page.context.close()


def test_without_script_a_name_is_read_and_several_villages_are_listed(
    browser: Browser, live_server, makassar_team
):
    page = sign_in(browser, live_server.url, width=390, height=844, script=False)
    page.goto(live_server.url + "/cases/new/")
    fill_the_report(page)
    page.get_by_label("Village").fill("Bonto")
    page.get_by_role("button", name="Register the case").click()

    group = page.get_by_role("group", name="Which place do you mean?")
    expect(group).to_be_visible()
    expect(page.locator(".error", has_text="Several places match “Bonto”")).to_be_visible()
    expect(group.get_by_role("radio")).to_have_count(2)
    group.scroll_into_view_if_needed()
    screenshot(page, "area-picker-nojs-390.png")
    group.get_by_role("radio", name=re.compile(r"^Bontoala Tua · Bontoala · Kota Makassar")).check()
    page.get_by_role("button", name="Register the case").click()
    expect(page.get_by_role("heading", name=re.compile(r"Case 7371-\d{4}-000001"))).to_be_visible()
    assert Case.objects.get().child.village_id == "73.71.07.1001"
    page.context.close()


def test_public_complaint_form_suggests_regencies_and_districts(
    browser: Browser, live_server, makassar_team
):
    with transaction.atomic():
        make_areas([("73.71.03", "Makassar"), ("73.09", "Kabupaten Maros")])
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(live_server.url + "/pengaduan/")
    page.get_by_role("button", name="EN", exact=True).click()
    area = page.get_by_role("combobox", name=re.compile(r"^Regency, city or district"))
    area.press_sequentially("maka", delay=40)
    options = page.get_by_role("listbox").get_by_role("option")
    # the city first (its name without "Kota " starts with what was typed), then the district
    expect(options).to_have_count(2)
    expect(options.nth(0)).to_contain_text("Kota Makassar · Sulawesi Selatan")
    expect(options.nth(1)).to_contain_text("Makassar · Kota Makassar")
    violations = Axe().run(page, context=".area-picker")
    assert violations.violations_count == 0, violations.generate_report()
    screenshot(page, "area-picker-public-390.png")
    area.press("ArrowDown")
    area.press("ArrowDown")
    area.press("Enter")
    expect(page.locator("input[type=hidden][name=area]")).to_have_value("73.71.03")
    page.context.close()


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1366, 768)])
def test_case_list_filter_by_place_name(
    browser: Browser, live_server, makassar_team, width: int, height: int
):
    page = sign_in(browser, live_server.url, width=width, height=height)
    page.goto(live_server.url + "/cases/")
    more = page.locator("details.more-filters")
    # a phone shows the search box and one "More filters" line; a laptop shows every filter
    assert more.evaluate("d => d.open") == (width >= 768)
    if width < 768:
        more.locator("summary").click()
    area = page.get_by_role("combobox", name="Area")
    area.press_sequentially("bontoala", delay=40)
    options = page.get_by_role("listbox", name="Area").get_by_role("option")
    expect(options).to_have_count(2)  # the district, then its village
    expect(options.nth(0)).to_contain_text("Bontoala · Kota Makassar")
    screenshot(page, f"area-picker-filter-{width}.png")
    area.press("ArrowDown")
    area.press("Enter")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"area=73\.71\.07(&|$)"))
    expect(area).to_have_value("Bontoala · Kota Makassar")
    expect(more).to_have_attribute("open", "")  # a filter is set: its panel stays open
    expect(more.locator("summary")).to_contain_text("1 set")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.context.close()
