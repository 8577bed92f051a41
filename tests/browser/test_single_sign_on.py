"""Single sign-on in a real browser: PKSAI's sign-in page → the local OpenID provider (pyop on
https://127.0.0.1, pksai/accounts/tests/oidc_provider.py) → back, with the mapped role and area;
then the user is disabled at the provider and loses access at the next request. Screenshots
at 390×844 and 1366×768 in var/screenshots/."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import Browser, expect

from pksai.accounts.models import User
from pksai.accounts.tests.oidc_provider import LocalProvider

SHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"


@pytest.mark.parametrize("width,height", [(390, 844), (1366, 768)])
def test_sign_in_with_the_provider_then_disabled_there(
    browser: Browser, live_server, pilot_areas, settings, monkeypatch, width, height
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    callback = f"{live_server.url}/accounts/sso/callback/"
    with LocalProvider(
        client_id="pksai-browser", client_secret="browser-secret", redirect_uris=[callback]
    ) as op:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", op.ca_file)
        settings.PKSAI_OIDC_ISSUER = op.issuer
        settings.PKSAI_OIDC_CLIENT_ID = "pksai-browser"
        settings.PKSAI_OIDC_CLIENT_SECRET = "browser-secret"
        settings.PKSAI_OIDC_PROVIDER_NAME = op.name
        settings.PKSAI_OIDC_RENEW_SECONDS = 0  # check with the provider on every request
        op.add_user(
            "siti.r",
            "provider-password",
            given_name="Siti",
            family_name="Rahma",
            pksai_roles=["social_worker"],
            pksai_areas=["73.71"],
        )
        # the browser trusts the provider's certificate made for this run
        context = browser.new_context(
            viewport={"width": width, "height": height}, ignore_https_errors=True
        )
        page = context.new_page()
        page.goto(live_server.url + "/")
        expect(page).to_have_url(re.compile(r"/accounts/login/"))
        expect(page.get_by_label("Kata sandi")).to_be_visible()  # the password form stays
        page.screenshot(path=SHOTS / f"sso-{width}-1-sign-in.png", full_page=True)

        page.get_by_role("button", name=re.compile("Test Identity")).click()
        expect(page).to_have_url(re.compile(re.escape(op.issuer) + "/authorize"))
        page.get_by_label("Username").fill("siti.r")
        page.get_by_label("Password").fill("provider-password")
        page.screenshot(path=SHOTS / f"sso-{width}-2-provider.png", full_page=True)
        page.get_by_role("button", name="Log in to Test Identity").click()

        expect(page).to_have_url(live_server.url + "/")
        expect(page.get_by_role("heading", name="Peran Anda")).to_be_visible()
        expect(page.get_by_text("Pekerja sosial / pendamping", exact=True)).to_be_visible()
        page.screenshot(path=SHOTS / f"sso-{width}-3-signed-in.png", full_page=True)
        user = User.objects.get(username="siti.r")
        assert list(user.groups.values_list("name", flat=True)) == ["social_worker"]

        # their area's page, then the case list of their area
        page.get_by_role("link", name="73.71 Kota Makassar").click()
        expect(page).to_have_url(live_server.url + "/areas/73.71/")
        expect(page.get_by_role("heading", name=re.compile("Kota Makassar"))).to_be_visible()
        page.goto(live_server.url + "/cases/")
        expect(page).to_have_url(live_server.url + "/cases/")

        op.disable("siti.r")
        page.reload()
        expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/cases/"))
        expect(page.get_by_role("status")).to_contain_text("single sign-on session has ended")
        page.screenshot(path=SHOTS / f"sso-{width}-4-access-lost.png", full_page=True)
        context.close()
