"""Single sign-on against a real OpenID Connect provider (pyop, run on 127.0.0.1 in a thread):
PKSAI's pages through Django's test client, the provider over HTTP. The provider signs the ID
tokens with its own key; nothing here makes a token or a provider answer."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from django.conf import settings
from django.utils import translation

from pksai.accounts.models import OidcIdentity, User
from pksai.accounts.tests.factories import make_user
from pksai.accounts.tests.oidc_provider import LocalProvider, form_fields
from pksai.audit.models import AuditEvent

CLIENT_ID = "pksai-test"
CLIENT_SECRET = "s3cret-for-the-test-provider"
CALLBACK = "http://testserver/accounts/sso/callback/"


@pytest.fixture
def provider(settings, monkeypatch):
    with LocalProvider(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uris=[CALLBACK]
    ) as op:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", op.ca_file)  # PKSAI trusts the provider's TLS
        settings.PKSAI_OIDC_ISSUER = op.issuer
        settings.PKSAI_OIDC_CLIENT_ID = CLIENT_ID
        settings.PKSAI_OIDC_CLIENT_SECRET = CLIENT_SECRET
        settings.PKSAI_OIDC_PROVIDER_NAME = op.name
        op.add_user(
            "ani.w",
            "provider-password",
            given_name="Ani",
            family_name="Wijaya",
            email="ani@example.org",
            pksai_roles=["social_worker", "wizard"],
            pksai_areas=["73.71", "99.99"],
        )
        yield op


def sso_sign_in(client, op, username="ani.w", password="provider-password", next_url=""):
    """PKSAI's button → the provider's sign-in form → the provider's redirect back → PKSAI."""
    start = client.get("/accounts/sso/start/", {"next": next_url})
    assert start.status_code == 302
    location = start["Location"]
    assert location.startswith(f"{op.issuer}/authorize?")
    browser = requests.Session()
    form_page = browser.get(location, timeout=10)
    assert form_page.status_code == 200 and 'name="password"' in form_page.text
    answer = browser.post(
        f"{op.issuer}/authorize",
        data={**form_fields(form_page.text), "username": username, "password": password},
        allow_redirects=False,
        timeout=10,
    )
    if answer.status_code != 303:
        return answer
    back = urlsplit(answer.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    return client.get(f"{back.path}?{back.query}")


def me(client):
    return client.get("/api/v1/me/")


def test_sign_in_page_without_single_sign_on_shows_only_the_password_form(client, db):
    page = client.get("/accounts/login/")
    assert "/accounts/sso/start/" not in page.text
    assert client.get("/accounts/sso/start/").status_code == 404
    assert client.get("/accounts/sso/callback/").status_code == 404


def test_sign_in_page_offers_the_provider(client, db, provider):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/accounts/login/")
    assert "Sign in with Test Identity" in page.text
    assert 'name="password"' in page.text  # local passwords stay


def test_sign_in_through_the_provider_gives_the_mapped_role_and_area(client, pilot_areas, provider):
    done = sso_sign_in(client, provider, next_url="/cases/")
    assert done.status_code == 302 and done["Location"] == "/cases/"

    user = User.objects.get(username="ani.w")
    assert sorted(user.groups.values_list("name", flat=True)) == ["social_worker"]
    assert list(user.scope_areas.values_list("code", flat=True)) == ["73.71"]
    assert not user.has_usable_password() and not user.is_national
    assert (user.first_name, user.last_name, user.email) == ("Ani", "Wijaya", "ani@example.org")
    identity = OidcIdentity.objects.get(user=user)
    assert identity.issuer == provider.issuer and identity.subject

    profile = me(client).json()
    assert [r["slug"] for r in profile["roles"]] == ["social_worker"]
    assert profile["scope"] == ["73.71"]
    with translation.override("en"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        assert client.get("/cases/").status_code == 200
        assert "Kota Makassar" in client.get("/").text

    login = AuditEvent.objects.get(action="login", actor=user)
    assert login.detail["method"] == "oidc" and login.detail["issuer"] == provider.issuer
    # the role and the area the mapping does not know: ignored, and said so in the trail
    assert login.detail["ignored_roles"] == ["wizard"]
    assert login.detail["ignored_areas"] == ["99.99"]
    created = AuditEvent.objects.get(action="create", object_id=str(user.pk))
    assert created.detail["roles"] == ["social_worker"] and created.detail["scope"] == ["73.71"]
    # the provider was really asked: discovery, keys, the code exchange, userinfo
    asked = {path for _method, path in provider.requests}
    assert {"/.well-known/openid-configuration", "/jwks", "/token", "/userinfo"} <= asked


def test_the_next_sign_in_brings_roles_and_areas_up_to_date(client, pilot_areas, provider):
    sso_sign_in(client, provider)
    client.post("/accounts/logout/")
    provider.claims["ani.w"]["pksai_roles"] = ["supervisor"]
    provider.claims["ani.w"]["pksai_areas"] = ["73.06"]
    sso_sign_in(client, provider)
    user = User.objects.get(username="ani.w")
    assert list(user.groups.values_list("name", flat=True)) == ["supervisor"]
    assert list(user.scope_areas.values_list("code", flat=True)) == ["73.06"]
    change = AuditEvent.objects.get(action="update", object_id=str(user.pk))
    assert change.detail["roles"] == {"added": ["supervisor"], "removed": ["social_worker"]}
    assert change.detail["areas"] == {"added": ["73.06"], "removed": ["73.71"]}
    assert User.objects.filter(oidc_identities__isnull=False).count() == 1


def test_a_user_disabled_at_the_provider_loses_access_at_the_next_check(
    client, pilot_areas, provider, settings
):
    settings.PKSAI_OIDC_RENEW_SECONDS = 0  # check with the provider on every request
    sso_sign_in(client, provider)
    refreshes_before = provider.requests.count(("POST", "/token"))
    assert me(client).status_code == 200  # checked: the refresh token still works
    assert client.get("/cases/").status_code == 200
    assert provider.requests.count(("POST", "/token")) == refreshes_before + 2

    provider.disable("ani.w")

    assert client.get("/cases/").status_code == 302  # to the sign-in page
    assert me(client).status_code == 401
    logout = AuditEvent.objects.get(action="logout", actor_username="ani.w")
    assert logout.detail == {"reason": "oidc_refused"}
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    # and the provider refuses a new sign-in too
    refused = sso_sign_in(client, provider)
    assert refused.status_code == 200 and "disabled" in refused.text


def test_a_user_reported_inactive_or_without_roles_loses_access(
    client, pilot_areas, provider, settings
):
    settings.PKSAI_OIDC_RENEW_SECONDS = 0
    sso_sign_in(client, provider)
    provider.claims["ani.w"]["active"] = False
    assert me(client).status_code == 401
    assert AuditEvent.objects.get(action="logout").detail == {"reason": "oidc_inactive"}

    provider.claims["ani.w"]["active"] = True
    sso_sign_in(client, provider)
    assert me(client).status_code == 200
    provider.claims["ani.w"]["pksai_roles"] = ["administrator"]  # not one the provider may give
    assert me(client).status_code == 401
    user = User.objects.get(username="ani.w")
    assert not user.groups.exists()  # taken away here too, and audited
    assert AuditEvent.objects.filter(
        action="update", object_id=str(user.pk), detail__roles={"removed": ["social_worker"]}
    ).exists()


def test_no_role_no_account(client, pilot_areas, provider):
    provider.add_user("eve", "provider-password", pksai_roles=["administrator"], pksai_areas=[])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    refused = sso_sign_in(client, provider, username="eve")
    assert refused.status_code == 302 and refused["Location"] == "/accounts/login/"
    assert not User.objects.filter(username="eve").exists()
    failed = AuditEvent.objects.get(action="login_failed")
    assert failed.actor_username == "eve"
    assert failed.detail["reason"] == "no_access"
    assert failed.detail["ignored_roles"] == ["administrator"]
    page = client.get("/accounts/login/")
    assert "gives no PKSAI role and working area" in page.text


def test_a_local_account_of_the_same_name_is_not_taken_over(client, pilot_areas, provider):
    local = make_user("ani.w", roles=["coordinator"], scope=["73.06"])
    sso_sign_in(client, provider)
    assert me(client).json()["username"] != "ani.w"
    local.refresh_from_db()
    assert list(local.groups.values_list("name", flat=True)) == ["coordinator"]
    # the local password still signs the local user in
    client.post("/accounts/logout/")
    signed_in = client.post(
        "/accounts/login/", {"username": "ani.w", "password": "correct-horse-battery"}
    )
    assert signed_in.status_code == 302


def test_a_forged_callback_is_refused_and_audited(client, db, provider):
    answer = client.get("/accounts/sso/callback/?code=made-up&state=made-up")
    assert answer.status_code == 302 and answer["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    failed = AuditEvent.objects.get(action="login_failed")
    assert failed.detail["method"] == "oidc"


@pytest.mark.parametrize(
    ("claims", "roles", "areas", "national", "ignored_roles", "ignored_areas"),
    [
        ({"pksai_roles": "coordinator auditor", "pksai_areas": "73.71,73.06"},
         ["coordinator", "auditor"], ["73.06", "73.71"], False, [], []),
        ({"pksai_roles": ["national_analyst"], "pksai_areas": ["73.71"]},
         [], ["73.71"], False, ["national_analyst"], []),
        ({"pksai_roles": ["national_analyst"], "pksai_areas": ["national"]},
         ["national_analyst"], [], True, [], []),
        ({"pksai_roles": ["pekerja-sosial"], "pksai_areas": ["7371", "x"]},
         ["social_worker"], ["73.71"], False, [], ["x"]),
    ],
)  # fmt: skip
def test_claims_map(pilot_areas, settings, claims, roles, areas, national, ignored_roles,
                    ignored_areas):  # fmt: skip
    from pksai.accounts.oidc import claims_map

    settings.PKSAI_OIDC_ROLE_MAP = {"pekerja-sosial": "social_worker"}
    access = claims_map(claims)
    assert (access.roles, access.areas, access.national) == (roles, areas, national)
    assert (access.ignored_roles, access.ignored_areas) == (ignored_roles, ignored_areas)
