"""Phones first (issue 17): on a 390 × 844 screen every page of the main navigation fits the
width for every main role, the "Menu" button opens and closes the navigation, lists are cards
with thumb-sized links. Screenshots go to var/screenshots/ (nav, monitoring, case list).

The data is the demo (`pksai demo`, a small registry) for the pilot sites; every role signs in
as its Makassar demo user (the auditor is national)."""

import base64
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from playwright.sync_api import Browser, Page, expect

from pksai.accounts.tests.factories import make_user
from tests.browser.helpers import demo_data, sign_in

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
ROLES = (
    "makassar.social_worker",
    "makassar.supervisor",
    "makassar.coordinator",
    "makassar.program_officer",
    "makassar.data_officer",
    "makassar.focal_person",
    "makassar.complaints_officer",
    "national.auditor",
)
# Not ours to lay out: the Django admin and the API's generated documentation. The field app
# (/lapangan/) is its own shell without the site menu: tests/browser/test_field_app.py.
SKIPPED = ("/admin/", "/api/", "/lapangan/")
SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"

MEASURE = """() => {
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > innerWidth + 1 && !e.closest('.table-scroll'))
    .slice(0, 3).map(e => e.tagName + '.' + e.className);
  return {width: document.documentElement.scrollWidth, wide};
}"""
CARDS = """() => [...document.querySelectorAll('table.responsive > tbody > tr')].map(tr => ({
  display: getComputedStyle(tr).display,
  unlabelled: [...tr.cells].filter(c => !c.hasAttribute('data-label') && c.colSpan === 1
    && c.tagName === 'TD' && tr.cells.length > 1).length,
  shortLinks: [...tr.querySelectorAll('a')].filter(a => a.getBoundingClientRect().height < 44)
    .length,
}))"""


def menu_links(page: Page) -> list[str]:
    hrefs = page.locator("#site-menu nav a").evaluate_all("els => els.map(a => a.pathname)")
    return [h for h in dict.fromkeys(hrefs) if not h.startswith(SKIPPED)]


def check_menu_opens_and_closes(page: Page) -> None:
    toggle = page.locator("[data-menu-toggle]")
    links = page.locator(".nav-main a")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(links.first).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(links.first).to_be_visible()
    for box in links.evaluate_all("els => els.map(a => a.getBoundingClientRect().height)"):
        assert box >= 44, "a menu link is shorter than a thumb"
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(links.first).to_be_hidden()
    expect(toggle).to_be_focused()


def check_fits(page: Page, where: str) -> None:
    measured = page.evaluate(MEASURE)
    assert measured["width"] <= PHONE["width"] + 1, f"{where} scrolls sideways: {measured}"
    for row in page.evaluate(CARDS):
        assert row["display"] == "block", f"{where}: a list row is not a card"
        assert row["unlabelled"] == 0, f"{where}: a card cell without data-label"
        assert row["shortLinks"] == 0, f"{where}: a link in a card is shorter than 44 px"


def check_axe(page: Page, where: str) -> None:
    """axe-core (offline) finds nothing to fix."""
    violations = Axe().run(page).response["violations"]
    found = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
    assert violations == [], f"{where}: {found}"


def side_by_side(browser: Browser, left: bytes, right: bytes, path: Path) -> None:
    """One picture of the header with the menu closed (left) and open (right)."""
    page = browser.new_page(viewport={"width": 2 * PHONE["width"] + 24, "height": 200})
    images = "".join(
        f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}">'
        for png in (left, right)
    )
    page.set_content(
        "<body style='margin:0;display:flex;gap:24px;align-items:flex-start;"
        f"background:#888'>{images}</body>"
    )
    page.screenshot(path=str(path), full_page=True)
    page.close()


def test_every_main_page_fits_a_phone_for_every_role(browser: Browser, live_server):
    demo_data()
    base = live_server.url
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    visited = 0
    for username in ROLES:
        page = browser.new_context(viewport=PHONE).new_page()
        sign_in(page, base, username)
        check_menu_opens_and_closes(page)
        links = menu_links(page)
        assert links, f"{username} has no navigation"
        for href in links:
            response = page.goto(base + href)
            assert response is not None and response.ok, f"{username} {href}"
            check_fits(page, f"{username} {href}")
            if page.url.endswith(href) and href != "/":
                current = page.locator("#site-menu a[aria-current]")
                expect(current).to_have_count(1)
                assert current.evaluate("a => a.pathname") == href
            visited += 1
        page.context.close()
    assert visited >= 40

    # Screenshots of the coordinator's phone and laptop, judged by eye.
    page = browser.new_context(viewport=PHONE).new_page()
    sign_in(page, base, "makassar.coordinator")
    page.goto(base + "/cases/")
    check_axe(page, "case list, menu closed")
    closed = page.screenshot()
    page.locator("[data-menu-toggle]").click()
    check_axe(page, "case list, menu open")
    opened = page.screenshot()
    side_by_side(browser, closed, opened, SCREENSHOTS / "nav-390.png")
    page.locator("[data-menu-toggle]").click()
    page.screenshot(path=str(SCREENSHOTS / "cases-list-390.png"), full_page=True)
    page.goto(base + "/monitoring/")
    check_fits(page, "monitoring")
    lefts = page.locator("[data-testid=tile]").evaluate_all(
        "tiles => new Set(tiles.map(t => Math.round(t.getBoundingClientRect().left))).size"
    )
    assert lefts == 1  # the tiles in one column (tests/browser/test_dashboard.py)
    check_axe(page, "monitoring at 390")
    page.screenshot(path=str(SCREENSHOTS / "monitoring-390.png"), full_page=True)
    laptop = browser.new_context(viewport=LAPTOP).new_page()
    sign_in(laptop, base, "makassar.coordinator")
    laptop.goto(base + "/monitoring/")
    expect(laptop.locator("[data-menu-toggle]")).to_be_hidden()
    expect(laptop.locator(".nav-main a[aria-current]")).to_have_text("Pemantauan")
    check_axe(laptop, "monitoring at 1366")
    laptop.screenshot(path=str(SCREENSHOTS / "monitoring-1366.png"), full_page=True)
    for name in ("nav-390", "cases-list-390", "monitoring-390", "monitoring-1366"):
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000


def test_without_javascript_the_links_are_listed_and_the_skip_link_leads_to_the_content(
    browser: Browser, live_server, pilot_areas
):
    make_user("sw", roles=["social_worker"], scope=["73.71"], password="s3cret-pass-123")
    base = live_server.url
    no_js = browser.new_context(viewport=PHONE, java_script_enabled=False).new_page()
    sign_in(no_js, base, "sw", "s3cret-pass-123")
    no_js.goto(base + "/cases/")
    expect(no_js.locator("[data-menu-toggle]")).to_be_hidden()
    expect(no_js.locator(".nav-main a[href='/cases/']")).to_be_visible()
    assert no_js.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1

    page = browser.new_context(viewport=PHONE).new_page()
    sign_in(page, base, "sw", "s3cret-pass-123")
    page.goto(base + "/cases/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
