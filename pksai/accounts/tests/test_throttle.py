"""Sign-in throttling (decision 0019): a username from one address is locked after a few
failures, an address trying many usernames is paused, a stranger elsewhere cannot lock the
real user out, the real user lifts a lock with an e-mailed link, every lock and unlock is
audited, and a missing username is answered exactly like a real one."""

import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command

from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent

RIGHT, WRONG = "correct-horse-battery", "wrong-password"
STRANGER, OFFICE, HOME = "203.0.113.66", "198.51.100.10", "192.0.2.44"


def login(client, username, password, address):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def main_text(response) -> str:
    """The page's main content without the per-request bits (CSRF token, CSP nonce)."""
    body = response.content.decode()
    main = body[body.index("<main") : body.index("</main>")]
    return re.sub(r'(value|nonce)="[^"]*"', "", main)


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.django_db
def test_a_stranger_elsewhere_cannot_lock_the_real_user_out(english, pilot_areas):
    make_user("budi", scope=["73.71"])
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(english, "budi", WRONG, STRANGER)
    locked = login(english, "budi", RIGHT, STRANGER)  # even the right password, from there
    assert locked.status_code == 429
    assert "Too many failed sign-ins with this username from your connection" in locked.text
    assert "_auth_user_id" not in english.session
    event = AuditEvent.objects.filter(action="locked_out").latest("id")
    assert (event.actor_username, event.ip, event.detail) == ("budi", STRANGER, {"lock": "pair"})
    # the real user, from their own address, signs in as always
    assert login(english, "budi", RIGHT, OFFICE).status_code == 302


@pytest.mark.django_db
def test_a_missing_username_is_answered_exactly_like_a_real_one(english, pilot_areas):
    make_user("budi", scope=["73.71"])
    answers = {}
    for username in ("budi", "no.such.user"):
        answers[username] = [
            login(english, username, WRONG, STRANGER)
            for _ in range(settings.AXES_FAILURE_LIMIT + 1)
        ]
    real, missing = answers["budi"], answers["no.such.user"]
    assert [r.status_code for r in real] == [r.status_code for r in missing]
    assert (real[0].status_code, real[-1].status_code) == (200, 429)
    assert [main_text(r) for r in real] == [main_text(r) for r in missing]


@pytest.mark.django_db
def test_password_spraying_from_one_address_is_paused(english, pilot_areas, settings):
    settings.PKSAI_LOGIN_ADDRESS_FAILURE_LIMIT = 4
    make_user("siti", scope=["73.71"])
    for username in ("ani", "budi", "citra", "dewi"):  # one guess per account: no pair lock
        assert login(english, username, "Jakarta2026!", STRANGER).status_code in (200, 429)
    # the next guess from that address is refused whatever the username — right password too
    paused = login(english, "siti", RIGHT, STRANGER)
    assert paused.status_code == 429
    assert "with several usernames" in paused.text
    assert "_auth_user_id" not in english.session
    assert AuditEvent.objects.filter(action="locked_out", detail__lock="address").exists()
    # siti, from her own address, is not touched by it
    assert login(english, "siti", RIGHT, OFFICE).status_code == 302


@pytest.mark.django_db
def test_the_pause_spares_users_who_signed_in_from_that_address_before(
    client, pilot_areas, settings
):
    """A district office shares one NAT address: one machine spraying does not stop the
    colleagues who sign in from there every day."""
    settings.PKSAI_LOGIN_ADDRESS_FAILURE_LIMIT = 3
    make_user("siti", scope=["73.71"])
    make_user("new.colleague", scope=["73.71"])
    assert login(client, "siti", RIGHT, OFFICE).status_code == 302
    client.post("/accounts/logout/", REMOTE_ADDR=OFFICE)
    for username in ("x1", "x2", "x3"):
        login(client, username, WRONG, OFFICE)
    assert login(client, "siti", RIGHT, OFFICE).status_code == 302
    client.post("/accounts/logout/", REMOTE_ADDR=OFFICE)
    # a username that never signed in from here waits (or sets a new password by e-mail)
    assert login(client, "new.colleague", RIGHT, OFFICE).status_code == 429


@pytest.mark.django_db
def test_a_successful_sign_in_does_not_reset_the_address_count(client, pilot_areas, settings):
    """A sprayer with an account of their own cannot wipe the address's failures by signing
    in: only their own username's failures are cleared."""
    settings.PKSAI_LOGIN_ADDRESS_FAILURE_LIMIT = 3
    make_user("insider", scope=["73.71"])
    make_user("victim", scope=["73.71"])
    for username in ("victim", "other"):
        login(client, username, WRONG, STRANGER)
    assert login(client, "insider", RIGHT, STRANGER).status_code == 302
    client.post("/accounts/logout/", REMOTE_ADDR=STRANGER)
    login(client, "third", WRONG, STRANGER)
    assert login(client, "victim", RIGHT, STRANGER).status_code == 429


def _reset_link(mailoutbox) -> str:
    (message,) = mailoutbox
    return re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", message.body).group(1)


@pytest.mark.django_db
def test_the_real_user_lifts_the_lock_with_the_emailed_link(english, pilot_areas, mailoutbox):
    budi = make_user("budi", scope=["73.71"])
    budi.email = "budi@example.id"
    budi.save(update_fields=["email"])
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(english, "budi", WRONG, HOME)
    assert login(english, "budi", RIGHT, HOME).status_code == 429

    sent = english.post("/accounts/password/reset/", {"email": "budi@example.id"}, REMOTE_ADDR=HOME)
    assert sent.status_code == 302 and sent["Location"] == "/accounts/password/reset/sent/"
    assert "budi" in mailoutbox[0].body  # the username, for who forgot it too
    form = english.get(_reset_link(mailoutbox), REMOTE_ADDR=HOME, follow=True)
    assert "New password again" in form.text
    done = english.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Pantai-Losari-7", "new_password2": "Pantai-Losari-7"},
        REMOTE_ADDR=HOME,
    )
    assert done.status_code == 302 and done["Location"] == "/"
    assert english.session["_auth_user_id"] == str(budi.pk)  # signed in at once
    assert not AccessAttempt.objects.filter(username="budi").exists()
    actions = list(
        AuditEvent.objects.filter(actor_username="budi")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-3:] == ["password_reset", "unlocked", "login"]
    unlocked = AuditEvent.objects.get(action="unlocked")
    assert unlocked.detail == {"address": "", "cleared": 1}  # every address of the username
    # the link works once
    assert "does not work" in english.get(_reset_link(mailoutbox), follow=True).text
    english.post("/accounts/logout/", REMOTE_ADDR=HOME)
    assert login(english, "budi", "Pantai-Losari-7", HOME).status_code == 302


@pytest.mark.django_db
def test_a_reset_request_says_the_same_for_an_unknown_address_and_is_limited(
    english, pilot_areas, mailoutbox, settings
):
    settings.PKSAI_PASSWORD_RESETS_PER_HOUR = 2
    answer = english.post("/accounts/password/reset/", {"email": "nobody@example.id"})
    assert answer.status_code == 302 and answer["Location"] == "/accounts/password/reset/sent/"
    assert not mailoutbox
    english.post("/accounts/password/reset/", {"email": "nobody@example.id"})
    refused = english.post("/accounts/password/reset/", {"email": "nobody@example.id"})
    assert refused.status_code == 429 and "Too many requests" in refused.text
    other = english.post(
        "/accounts/password/reset/", {"email": "nobody@example.id"}, REMOTE_ADDR=OFFICE
    )
    assert other.status_code == 302


@pytest.mark.django_db
def test_an_administrator_unlock_is_audited(client, pilot_areas):
    make_user("budi", scope=["73.71"])
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "budi", WRONG, STRANGER)
    call_command("axes_reset_username", "budi")
    event = AuditEvent.objects.get(action="unlocked")
    assert event.actor_username == "budi" and event.detail["cleared"] == 1
    assert login(client, "budi", RIGHT, STRANGER).status_code == 302


@pytest.mark.django_db
def test_the_locked_page_is_indonesian_by_default(client, pilot_areas):
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        locked = login(client, "budi", WRONG, STRANGER)
    assert locked.status_code == 429
    assert locked["Content-Language"] == "id"
