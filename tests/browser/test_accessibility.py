"""axe-core finds nothing to fix (issue 17): the main pages, each opened by the role that
works on it, on a phone (390 × 844) and on an office laptop (1366 × 768), checked with the
WCAG 2.1 A and AA rules (and axe's best practices: landmarks, heading order…) of the offline
axe-core copy that axe-playwright-python ships.

Pages (role signed in):

==============================  =====================================================
login page                      anonymous
public complaint form           anonymous (``/pengaduan/``)
home                            social worker (``makassar.social_worker``)
case list                       social worker
case page                       social worker (the demo case with the most records)
new case (intake form)          social worker
intake form sent empty          social worker (the form again, with its error messages)
referrals list                  social worker
home                            supervisor (``makassar.supervisor``)
alerts                          supervisor
reassign a case                 supervisor (the same case's reassign page)
provider portal                 focal person (``makassar.focal_person``)
programs index                  program officer (``makassar.program_officer``)
selection round                 program officer (the demo's largest round)
payment cycles                  program officer
complaints queue                complaints officer (``makassar.complaints_officer``)
monitoring dashboard            coordinator (``makassar.coordinator``)
vulnerable children estimates   data officer (``makassar.data_officer``)
imports list                    data officer
==============================  =====================================================

The demo (`pksai demo`, a small registry) is loaded once; one browser context per screen size
is reused, signing in again when the role changes. Each page is saved as
var/screenshots/a11y-<page>-<width>.png. A failure lists every violation: page, width, rule,
impact, target selector and help."""

from pathlib import Path

from django.conf import settings
from django.db.models import Count
from playwright.sync_api import Browser, Page

from pksai.cases.models import Case
from pksai.programs.models import SelectionRound
from tests.browser.helpers import (
    AXE_TAGS,
    axe_violations,
    demo_data,
    describe_violations,
    sign_in,
)

SIZES = ({"width": 390, "height": 844}, {"width": 1366, "height": 768})
SHOTS = Path(settings.VAR_DIR) / "screenshots"
ERRORS = "main [aria-invalid=true]"


def main_pages() -> list[tuple[str | None, str, str, str]]:
    """(username or None for anonymous, page name, path, an element only the real page has)."""
    case = (
        Case.objects.filter(regency_id="73.71", restricted=False)
        .annotate(records=Count("events", distinct=True))
        .order_by("-records", "pk")
        .first()
    )
    selection = (
        SelectionRound.objects.filter(area_id="73.71")
        .annotate(size=Count("entries"))
        .order_by("-size", "pk")
        .first()
    )
    assert case is not None and selection is not None, "the demo has no case or no round"
    sw, sup = "makassar.social_worker", "makassar.supervisor"
    po, do = "makassar.program_officer", "makassar.data_officer"
    return [
        (None, "login", "/accounts/login/", "#id_username"),
        (None, "complaint-form", "/pengaduan/", "main form"),
        (sw, "home-social-worker", "/", "main h1"),
        (sw, "case-list", "/cases/", "main table"),
        (sw, "case-page", f"/cases/{case.pk}/", "[data-testid=case-header]"),
        (sw, "intake", "/cases/new/", "main form"),
        (sw, "intake-errors", "/cases/new/", ERRORS),
        (sw, "referrals", "/referrals/", "main h1"),
        (sup, "home-supervisor", "/", "main h1"),
        (sup, "alerts", "/cases/alerts/", "main h1"),
        (sup, "reassign", f"/cases/{case.pk}/assign/", "main form select"),
        ("makassar.focal_person", "portal", "/portal/", "main h1"),
        (po, "programs", "/programs/", "main h1"),
        (po, "selection-round", f"/programs/rounds/{selection.pk}/", "main table"),
        (po, "payments", "/payments/", "main table"),
        ("makassar.complaints_officer", "complaints", "/complaints/", "main table"),
        ("makassar.coordinator", "monitoring", "/monitoring/", "main .tiles"),
        (
            "makassar.coordinator",
            "indicator",
            "/monitoring/indicators/cases_responded/",
            "main .table-scroll",
        ),
        (do, "vulnerability", "/vulnerability/", "main table"),
        (do, "imports", "/registry/imports/", "main table"),
    ]


def visit(page: Page, base: str, path: str, shows: str) -> None:
    response = page.goto(base + path)
    assert response is not None and response.ok, f"{path}: {response and response.status}"
    if shows == ERRORS:  # the form sent empty: the page again, with its errors
        page.locator("main form[method=post] button[type=submit]").last.click()
        page.wait_for_load_state()
    assert page.url == base + path, f"{path} went to {page.url}"
    assert page.locator(shows).count() > 0, f"{path} does not show {shows}"


def test_main_pages_have_no_wcag_violations_at_both_sizes(browser: Browser, live_server):
    demo_data()
    base = live_server.url
    pages = main_pages()
    assert len(pages) >= 12
    SHOTS.mkdir(parents=True, exist_ok=True)
    report = []
    for size in SIZES:
        context = browser.new_context(viewport=size)
        page = context.new_page()
        signed_in_as = None
        for username, name, path, shows in pages:
            if username != signed_in_as:
                context.clear_cookies()
                if username:
                    sign_in(page, base, username)
                signed_in_as = username
            visit(page, base, path, shows)
            shot = SHOTS / f"a11y-{name}-{size['width']}.png"
            page.screenshot(path=str(shot), full_page=True)
            violations = axe_violations(page, tags=AXE_TAGS)
            if violations:
                who = username or "anonymous"
                report.append(f"{name} ({path}, {who}) at {size['width']} px:")
                report.append(describe_violations(violations))
        context.close()
    assert not report, "axe-core violations (WCAG 2.1 A/AA, best practice):\n" + "\n".join(report)


def test_the_check_finds_what_is_wrong(page: Page):
    """The helpers report a fault axe-core knows, with rule, impact, target and help."""
    page.set_content(
        "<!doctype html><html lang='en'><title>t</title><main><h1>Form</h1>"
        "<input id='nik'><p style='color:#bbb;background:#fff'>pale words</p></main></html>"
    )
    found = describe_violations(axe_violations(page, tags=AXE_TAGS))
    assert "label [critical] ['#nik']" in found, found
    assert "color-contrast [serious]" in found, found
