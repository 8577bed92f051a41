"""The case page in a real browser, as a district social worker opens it on a cheap phone
(390 × 844) and on an office laptop (1366 × 768): the demo's "case plan being written"
(goals, no action yet).

- the summary header (child, age, risk, stage, owner, due date) stays at the top of the
  screen after a jump to the timeline;
- the section links reach every part of the case;
- "submit the plan" is not offered while the plan has no action: the page says so and links
  to the form that adds one;
- nothing makes the page wider than the phone, and axe-core finds no accessibility fault;
- an overdue case says "overdue" in its header.

Screenshots (full page, top of the page, and after the jump to the timeline) are saved in
var/screenshots/ as case-page-<width>[-top|-timeline|-overdue].png."""

from importlib import import_module
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.apps import apps
from django.conf import settings
from playwright.sync_api import Browser, Page, expect

from pksai.accounts.demo import DEMO_PASSWORD, PILOT_SITES, demo_accounts
from pksai.areas.tests.factories import make_areas
from pksai.cases.demo import demo_cases
from pksai.cases.models import Case
from pksai.registry.demo import demo_registry

SHOTS = Path(settings.VAR_DIR) / "screenshots"
SECTIONS = (
    "overview",
    "assessment",
    "plan",
    "conference",
    "visits",
    "notes",
    "attachments",
    "referrals",
    "timeline",
)


@pytest.fixture
def demo(live_server):
    """The demo as `pksai demo` makes it: pilot sites, their users, registry and cases."""
    # An earlier live-server test may have emptied the tables, migration data included.
    import_module("pksai.cases.migrations.0002_default_slas_and_follow_ups").forward(apps, None)
    regencies = [code for _slug, code, _name in PILOT_SITES]
    make_areas(
        [("31", "DKI Jakarta"), ("73", "Sulawesi Selatan"), ("33", "Jawa Tengah")]
        + [("35", "Jawa Timur")]
        + [(code, f"Kabupaten {code}") for code in regencies]
        + [(f"{code}.01", f"Kecamatan {code}") for code in regencies]
        + [(f"{code}.01.2001", f"Desa {code}") for code in regencies]
    )
    demo_accounts()
    demo_registry(households=80)
    demo_cases()
    return live_server.url


def sign_in(browser: Browser, base: str, width: int, height: int) -> Page:
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.goto(base + "/accounts/login/")
    page.get_by_label("Nama pengguna").fill("makassar.social_worker")
    page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.get_by_role("button", name="EN").click()
    expect(page.get_by_role("heading", name="Your role")).to_be_visible()
    return page


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1366, 768)])
def test_case_page_header_sections_and_next_step(browser: Browser, demo, width, height):
    case = Case.objects.get(regency_id="73.71", stage="planning")
    page = sign_in(browser, demo, width, height)
    page.goto(f"{demo}/cases/{case.pk}/")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"case-page-{width}-top.png"))
    page.screenshot(path=str(SHOTS / f"case-page-{width}.png"), full_page=True)

    header = page.get_by_test_id("case-header")
    expect(header).to_contain_text(case.child.name)
    expect(header).to_contain_text("years")
    expect(header).to_contain_text("medium risk")
    expect(header.get_by_test_id("stage")).to_have_text("case plan")
    expect(header).to_contain_text("WITA")  # the due time in the worker's zone
    expect(header.get_by_text("overdue")).to_have_count(0)

    # Every section is reachable from the section links.
    nav = page.get_by_role("navigation", name="Sections of the case")
    for section in SECTIONS:
        expect(nav.locator(f'a[href="#{section}"]')).to_have_count(1)
        expect(page.locator(f"section#{section}")).to_have_count(1)

    # Submitting the plan is not offered: the page says what is missing and links to it.
    expect(page.get_by_role("button", name="Submit the plan for approval")).to_have_count(0)
    next_step = page.locator("#next-step")
    expect(next_step).to_contain_text("Submit the plan for approval")
    expect(next_step).to_contain_text("The plan needs at least one action")
    add = next_step.get_by_role("link", name="Add an action to the plan")
    add.click()
    form = page.locator("#plan-action-new")
    expect(form.get_by_label("Responsible person or provider")).to_be_visible()
    expect(page.locator("#plan").get_by_role("button", name="Add action")).to_be_visible()

    # The header stays at the top after a jump to the timeline, and is not covering it.
    nav.locator('a[href="#timeline"]').click()
    expect(page.locator("#timeline h2")).to_be_in_viewport()
    box = header.bounding_box()
    assert box is not None and abs(box["y"]) <= 2, box
    assert box["height"] <= (130 if width < 600 else 110), box
    heading = page.locator("#timeline h2").bounding_box()
    assert heading is not None and heading["y"] >= box["y"] + box["height"] - 1
    page.screenshot(path=str(SHOTS / f"case-page-{width}-timeline.png"))
    # ... and after scrolling by hand to the end of the page.
    page.mouse.wheel(0, 20_000)
    page.wait_for_function("window.scrollY + window.innerHeight >= document.body.scrollHeight - 2")
    box = header.bounding_box()
    assert box is not None and abs(box["y"]) <= 2, box

    # Nothing is wider than the screen; axe-core (offline) finds nothing to fix.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    violations = Axe().run(page).response["violations"]
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]

    # An overdue case (a plan awaiting approval for 4 days, 3 allowed) says so in the header;
    # its owner may not approve it, and is told who will.
    late = Case.objects.get(regency_id="73.71", stage="plan_review")
    page.goto(f"{demo}/cases/{late.pk}/")
    expect(page.get_by_test_id("case-header").get_by_text("overdue")).to_be_visible()
    page.screenshot(path=str(SHOTS / f"case-page-{width}-overdue.png"))
    expect(page.get_by_role("button", name="Approve the plan")).to_have_count(0)
    expect(page.locator("#next-step")).to_contain_text(
        f"Waiting for approval by {late.supervisor.get_full_name()}"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.context.close()


def test_sections_reachable_without_javascript(browser: Browser, demo):
    case = Case.objects.get(regency_id="73.71", stage="planning")
    page = sign_in(browser, demo, 390, 844)
    cookies = page.context.cookies()
    page.context.close()
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    context.add_cookies(cookies)
    page = context.new_page()
    page.goto(f"{demo}/cases/{case.pk}/")
    nav = page.get_by_role("navigation", name="Sections of the case")
    for section in ("visits", "plan", "timeline"):
        nav.locator(f'a[href="#{section}"]').click()
        expect(page.locator(f"#{section} h2")).to_be_in_viewport()
        box = page.get_by_test_id("case-header").bounding_box()
        assert box is not None and abs(box["y"]) <= 2, (section, box)
    expect(page.locator("#plan-action-new")).to_contain_text("Add a plan action")
    context.close()
