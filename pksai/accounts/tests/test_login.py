import pytest
from django.conf import settings
from django.test import override_settings

from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent


def login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_production_hasher_is_argon2():
    from pksai import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_login_page_is_indonesian_by_default(client, db):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert "Masuk" in page.text
    assert page["Content-Language"] == "id"


def test_login_and_logout_are_audited(client, pilot_areas):
    make_user("siti", scope=["73.71"])
    response = login(client, "siti", "correct-horse-battery")
    assert response.status_code == 302 and response["Location"] == "/"
    client.post("/accounts/logout/")
    actions = list(
        AuditEvent.objects.filter(actor_username="siti").values_list("action", flat=True)
    )
    assert sorted(actions) == ["login", "logout"]


def test_repeated_failed_logins_lock_the_account(client, pilot_areas):
    make_user("budi", scope=["73.71"])
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert login(client, "budi", "wrong-password").status_code in (200, 429)
    # Now even the right password is refused.
    locked = login(client, "budi", "correct-horse-battery")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="login_failed", actor_username="budi").exists()
    assert AuditEvent.objects.filter(action="locked_out", actor_username="budi").exists()


@override_settings(AXES_FAILURE_LIMIT=3)
def test_lockout_is_per_account_not_per_office(client, pilot_areas):
    make_user("budi", scope=["73.71"])
    make_user("ani", scope=["73.71"])
    for _ in range(3):
        login(client, "budi", "wrong-password")
    assert login(client, "ani", "correct-horse-battery").status_code == 302


@pytest.mark.parametrize("path", ["/", "/organisations/", "/audit/"])
def test_pages_require_login(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
