from pathlib import Path

import polib
import pytest
from django.utils import translation

import pksai


def test_catalogues_are_compiled():
    locale = Path(pksai.__file__).parent / "locale"
    po = locale / "id" / "LC_MESSAGES" / "django.po"
    mo = locale / "id" / "LC_MESSAGES" / "django.mo"
    assert po.exists() and mo.exists()
    catalogue = {e.msgid: e.msgstr or e.msgstr_plural.get(0, "") for e in polib.pofile(str(po))}
    untranslated = [msgid for msgid, msgstr in catalogue.items() if not msgstr]
    assert not untranslated, f"untranslated strings: {untranslated[:5]}"
    assert not [e.msgid for e in polib.pofile(str(po)) if "fuzzy" in e.flags]
    compiled = {
        e.msgid: e.msgstr or e.msgstr_plural.get(0, "") for e in polib.mofile(str(mo)) if e.msgid
    }
    assert compiled == catalogue, "django.mo is stale: run `make messages`"
    with translation.override("id"):
        assert translation.gettext("Sign in") == "Masuk"
    with translation.override("en"):
        assert translation.gettext("Sign in") == "Sign in"


def test_switch_to_english_and_back(client, db):
    assert "Masuk" in client.get("/accounts/login/").text
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    english = client.get("/accounts/login/")
    assert "Sign in" in english.text and english["Content-Language"] == "en"
    client.post("/i18n/setlang/", {"language": "id", "next": "/accounts/login/"})
    assert "Masuk" in client.get("/accounts/login/").text


def test_browser_language_does_not_override_default(client, db):
    page = client.get("/accounts/login/", headers={"Accept-Language": "en-US,en"})
    assert page["Content-Language"] == "id"


def test_security_headers(client, db):
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Request-ID"]


def test_session_cookie_is_httponly_and_samesite(client, pilot_areas):
    from pksai.accounts.tests.factories import make_user

    make_user("c", scope=["73.71"])
    response = client.post(
        "/accounts/login/", {"username": "c", "password": "correct-horse-battery"}
    )
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


@pytest.mark.parametrize("path", ["/accounts/login/", "/api/v1/docs"])
def test_no_asset_comes_from_the_internet(client, db, path):
    from pksai.accounts.tests.factories import make_user  # noqa: F401

    page = client.get(path, follow=True).text
    assert "https://" not in page.replace("https://github.com", "")
    assert "cdn" not in page.lower()


@pytest.mark.parametrize(
    "asset",
    ["pksai/vendor/htmx/htmx.min.js", "pksai/vendor/pico/pico.min.css", "pksai/css/pksai.css"],
)
def test_vendored_assets_are_found(asset):
    from django.contrib.staticfiles import finders

    assert finders.find(asset)
