"""The Primero exchange in a real browser, at phone and desktop widths: a supervisor sends a
case from its page to a local Primero server, then opens "Import from Primero" and imports it
back (an update). Screenshots in var/screenshots/primero-*.png; axe-core on both pages."""

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, expect

from pksai.accounts.demo import DEMO_PASSWORD
from pksai.cases.models import Case
from pksai.primero.models import CaseLink
from pksai.primero.tests import fake_primero
from pksai.privacy.tests.factories import give_consent
from tests.browser.helpers import WCAG_TAGS, axe_violations, describe_violations
from tests.browser.test_case_page import demo  # noqa: F401  (the demo fixture)

SHOTS = Path(settings.VAR_DIR) / "screenshots"


@pytest.fixture
def primero(settings):
    with fake_primero.configured(settings) as store:
        yield store


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1366, 768)])
def test_send_to_primero_and_import_back(browser: Browser, demo, primero, width, height):  # noqa: F811
    case = Case.objects.filter(regency_id="73.71", stage="planning", restricted=False).first()
    give_consent(case, case.owner, purpose="transfer")
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.goto(demo + "/accounts/login/")
    page.get_by_label("Nama pengguna").fill("makassar.supervisor")
    page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.get_by_role("button", name="EN", exact=True).click()
    page.goto(f"{demo}/cases/{case.pk}/#primero")
    page.get_by_role("button", name="Send to Primero").click()
    link = CaseLink.objects.get(case=case)
    expect(page.get_by_text(f"is in Primero as {link.short_id}")).to_be_visible()
    page.locator("#primero").scroll_into_view_if_needed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"primero-case-{width}.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= max(width, 390)

    page.goto(f"{demo}/primero/import/")
    page.get_by_label("Primero case id").fill(link.primero_id)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("link", name=case.number)).to_be_visible()
    page.screenshot(path=str(SHOTS / f"primero-import-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= max(width, 390)
    violations = axe_violations(page, tags=WCAG_TAGS)
    assert not violations, describe_violations(violations)
