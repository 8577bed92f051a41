"""The case page's birth registration in a real browser: a Makassar social worker asks the
civil registry (a local DCI CRVS registry on 127.0.0.1 that checks PKSAI's signature) and
sees the certificate number; at 390 × 844 and 1366 × 768, nothing wider than the screen and
no axe-core finding in the section. Screenshots: var/screenshots/dci-birth-<width>.png."""

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, expect

from pksai.cases.models import Case
from pksai.dci.models import BirthRegistration
from pksai.dci.tests.helpers import CrvsRegistry, new_key, write_private_key
from tests.browser.helpers import axe_violations, demo_data, describe_violations, sign_in

SHOTS = Path(settings.VAR_DIR) / "screenshots"


@pytest.fixture
def registry(live_server, settings, tmp_path):
    demo_data()
    key = new_key()
    settings.PKSAI_DCI_PRIVATE_KEY_FILE = write_private_key(key, tmp_path / "dci.pem")
    running = CrvsRegistry(caller_public_key=key.public_key()).start()
    settings.PKSAI_DCI_CRVS_URL = running.url
    settings.PKSAI_DCI_CRVS_RECEIVER_ID = running.receiver_id
    yield running
    running.stop()


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1366, 768)])
def test_check_birth_registration_from_the_case_page(
    browser: Browser, live_server, registry, width, height
):
    case = Case.objects.filter(regency_id="73.71", stage="planning").select_related("child").first()
    child = case.child
    record = {
        "uin": child.nik,
        "brn": "AL-7371-2014-000123",
        "name": child.name,
        "birth_date": child.birth_date.isoformat(),
        "registered": "2024-03-01",
    }
    registry.births[child.nik or (child.name, child.birth_date.isoformat())] = record
    page = browser.new_context(
        viewport={"width": width, "height": height}, locale="en-GB"
    ).new_page()
    sign_in(page, live_server.url, "makassar.social_worker")
    page.goto(f"{live_server.url}/cases/{case.pk}/#birth-registration")
    section = page.locator("section#birth-registration")
    expect(section).to_be_visible()
    section.locator("#birth-check").click()
    expect(page.locator("section#birth-registration")).to_contain_text("AL-7371-2014-000123")
    assert registry.signature_valid == [True]
    assert BirthRegistration.objects.get(person=child).outcome == "found"
    page.locator("section#birth-registration").scroll_into_view_if_needed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"dci-birth-{width}.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    violations = [
        v
        for v in axe_violations(page)
        if any("birth-registration" in " ".join(map(str, n["target"])) for n in v["nodes"])
    ]
    assert violations == [], describe_violations(violations)
    page.context.close()
