"""Self-service password change: the current password first, the new one twice, the error
summary as on every form, audited, the session kept, linked from the account menu."""

import pytest
from django.conf import settings

from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent


@pytest.fixture
def siti(client, pilot_areas):
    user = make_user("siti", scope=["73.71"])
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return user


@pytest.mark.django_db
def test_the_account_menu_links_to_the_password_change(client, siti):
    home = client.get("/")
    assert 'href="/accounts/password/change/"' in home.text
    page = client.get("/accounts/password/change/")
    assert page.status_code == 200
    assert "Current password" in page.text and "New password again" in page.text


@pytest.mark.django_db
def test_mistakes_come_back_with_the_error_summary_and_change_nothing(client, siti):
    answer = client.post(
        "/accounts/password/change/",
        {"old_password": "not-it", "new_password1": "12345", "new_password2": "54321"},
    )
    assert answer.status_code == 200
    assert "There is a problem" in answer.text
    assert 'href="#id_old_password"' in answer.text
    siti.refresh_from_db()
    assert siti.check_password("correct-horse-battery")
    assert not AuditEvent.objects.filter(action="password_changed").exists()


@pytest.mark.django_db
def test_a_change_is_audited_and_keeps_the_session(client, siti):
    answer = client.post(
        "/accounts/password/change/",
        {
            "old_password": "correct-horse-battery",
            "new_password1": "Benteng-Rotterdam-9",
            "new_password2": "Benteng-Rotterdam-9",
        },
    )
    assert answer.status_code == 302 and answer["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200 and "Your password was changed" in home.text
    siti.refresh_from_db()
    assert siti.check_password("Benteng-Rotterdam-9")
    event = AuditEvent.objects.get(action="password_changed")
    assert (event.actor_id, event.object_id) == (siti.pk, str(siti.pk))


def test_signed_out_the_page_asks_to_sign_in(client, db):
    answer = client.get("/accounts/password/change/")
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/")
