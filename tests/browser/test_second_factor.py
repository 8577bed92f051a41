"""The second factor in a real browser (decision 0020): a coordinator signs in, is sent to set
up a second factor, adds a passkey (Chromium's virtual authenticator over CDP), is shown the
recovery codes once, and at the next sign-in verifies with the key before the restricted case
opens. Screenshots at 390 × 844 and 1366 × 768 in var/screenshots/."""

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, expect

from pksai.accounts.models import SecurityKey
from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.cases.tests.factories import make_child

PASSWORD = "s3cret-pass-123"
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def _restricted_case():
    from pksai.cases import services

    staff = make_user("reg", roles=["registration_staff"], scope=["73.71"], password=PASSWORD)
    return services.case_register(
        by=staff,
        child=make_child("Nur Rahasia"),
        channel="phone",
        summary="Laporan kekerasan seksual.",
        concerns=["sexual_violence"],
        owner=make_user("sw", roles=["social_worker"], scope=["73.71"], password=PASSWORD),
        supervisor=make_user("spv", roles=["supervisor"], scope=["73.71"], password=PASSWORD),
        consent_given=True,
    )


def _sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()


def _no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide"


@pytest.mark.parametrize("width", [390, 1366])
def test_a_passkey_is_the_second_factor_before_a_restricted_case_opens(
    browser: Browser, live_server, pilot_areas, second_factor_on, width
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    case = _restricted_case()
    coordinator = make_user("coord", roles=["coordinator"], scope=["73.71"], password=PASSWORD)
    # WebAuthn needs a domain for the site id, not an IP address
    base = live_server.url.replace("127.0.0.1", "localhost")
    height = 844 if width < 800 else 768
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )

    _sign_in(page, base, "coord")
    page.goto(f"{base}/cases/{case.pk}/")
    expect(page).to_have_url(f"{base}/accounts/second-factor/app/?next=%2Fcases%2F{case.pk}%2F")
    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up an authenticator app")
    expect(page.locator(".qr-code svg")).to_be_visible()
    _no_horizontal_scroll(page)
    page.screenshot(path=SHOTS / f"second-factor-enrol-{width}.png", full_page=True)

    page.get_by_role("link", name="Use a security key or passkey instead").click()
    page.get_by_label("Name of the key").fill("Passkey on this phone")
    page.get_by_role("button", name="Add a security key or passkey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    _no_horizontal_scroll(page)
    page.screenshot(path=SHOTS / f"second-factor-recovery-codes-{width}.png", full_page=True)
    key = SecurityKey.objects.get(user=coordinator)
    assert key.name == "Passkey on this phone"

    # the next sign-in: the key, then the restricted case
    page.get_by_role("button", name="I have kept them, continue").click()
    context.clear_cookies()  # a new browser session: the password, then the key again
    page.goto(base + "/accounts/login/")
    page.get_by_label("Nama pengguna").fill("coord")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.goto(f"{base}/cases/{case.pk}/")
    expect(page).to_have_url(f"{base}/accounts/second-factor/verify/?next=%2Fcases%2F{case.pk}%2F")
    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify it is you")
    _no_horizontal_scroll(page)
    page.screenshot(path=SHOTS / f"second-factor-verify-{width}.png", full_page=True)
    page.get_by_role("button", name="Use my security key or passkey").click()
    expect(page).to_have_url(f"{base}/cases/{case.pk}/")
    expect(page.get_by_text("Nur Rahasia").first).to_be_visible()
    page.screenshot(path=SHOTS / f"second-factor-case-opened-{width}.png")
    used = AuditEvent.objects.filter(actor_username="coord", action__startswith="mfa")
    assert list(used.order_by("id").values_list("action", flat=True)) == [
        "mfa_enrolled",
        "mfa_verified",
    ]
    context.close()
