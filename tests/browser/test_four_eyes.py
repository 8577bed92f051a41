"""Four eyes in a real browser: the officer who ran a selection round sees why another officer
must approve it and no approve button (on a phone too); the other officer approves it under a
decree. Screenshots in var/screenshots/."""

from datetime import date
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from playwright.sync_api import Browser, expect

from pksai.accounts.tests.factories import make_user
from pksai.programs import services
from pksai.programs.models import Program, Quota, SelectionRound
from pksai.programs.tests.factories import nominate_disabled

PASSWORD = "s3cret-pass-123"
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def sign_in(browser: Browser, base: str, username: str, *, width: int = 1366):
    context = browser.new_context(viewport={"width": width, "height": 844 if width < 800 else 768})
    page = context.new_page()
    page.goto(base + "/accounts/login/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.get_by_role("button", name="EN", exact=True).click()
    return page


def test_the_runner_is_told_another_officer_approves(browser: Browser, live_server, pilot_areas):
    runner = make_user(
        "po", roles=["program_officer"], scope=["73.71"], password=PASSWORD, first_name="Syahrul"
    )
    make_user("po2", roles=["program_officer"], scope=["73.71"], password=PASSWORD)
    for name in ("Andi Multiple", "Becce Device", "Cahya Physical"):
        nominate_disabled(runner, name)
    jspaca = Program.objects.get(code="jspaca")
    Quota.objects.create(program=jspaca, year=2026, area_id="73.71", places=2)
    selection = services.round_run(
        by=runner, program=jspaca, year=2026, area_code="73.71", seed=1, sample_share=Decimal(0)
    ).round
    url = f"{live_server.url}/programs/rounds/{selection.pk}/"
    SHOTS.mkdir(parents=True, exist_ok=True)

    for width in (390, 1366):
        page = sign_in(browser, live_server.url, "po", width=width)
        page.goto(url + "#approve")
        section = page.locator("#approve")
        expect(section.get_by_test_id("four-eyes")).to_have_text(
            "You ran this round. Another program officer must approve this round."
        )
        expect(section.get_by_role("button", name="Approve")).to_have_count(0)
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        section.screenshot(path=str(SHOTS / f"four-eyes-round-{width}.png"))
        page.context.close()

    page = sign_in(browser, live_server.url, "po2")
    page.goto(url + "#approve")
    section = page.locator("#approve")
    expect(section.get_by_test_id("four-eyes")).to_have_count(0)
    section.get_by_label("Decree number").fill("12/HUK/2026")
    section.get_by_label("Decree date").fill(date(2026, 3, 2).isoformat())
    section.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("The list is approved.")).to_be_visible()
    selection.refresh_from_db()
    assert selection.status == SelectionRound.Status.APPROVED
    assert selection.approved_by.username == "po2"
