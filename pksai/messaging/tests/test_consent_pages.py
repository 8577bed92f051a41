"""Consent to be contacted from the pages (issue 20 point 3): a staff member chooses work
alerts by WhatsApp on My messages (/messaging/me/); staff who may change beneficiaries record
and withdraw a family's consent on the beneficiary's card. No message goes without it."""

import logging
from datetime import date

import pytest
from django.test import Client

from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.messaging import services
from pksai.messaging.models import ContactConsent, Message, Purpose
from pksai.messaging.tests.fakes import FakeChannel
from pksai.payments import notices
from pksai.payments import services as payments
from pksai.payments.tests.test_notices import beneficiaries  # noqa: F401  (fixture)

ME = "/messaging/me/"


@pytest.fixture
def whatsapp(channels, settings):  # noqa: F811
    """The test channels plus WhatsApp (the fake provider): work alerts go by WhatsApp."""
    settings.PKSAI_MESSAGING_CHANNELS = {
        **settings.PKSAI_MESSAGING_CHANNELS,
        "whatsapp": {"BACKEND": "pksai.messaging.tests.fakes.FakeChannel"},
    }
    return FakeChannel


def alert(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.users_notify(
            rows=[
                {
                    "user_id": user.pk,
                    "text": "Kasus 7371-2026-0001 lewat batas waktu.",
                    "link": "https://pksai.example/cases/1/",
                }
            ],
            template="work_alert",
        )


@pytest.mark.django_db
def test_a_worker_opts_in_gets_alerts_by_whatsapp_and_opts_out(
    pilot_areas, whatsapp, client, caplog, django_capture_on_commit_callbacks
):
    worker = make_user("sakti", roles=["social_worker"], scope=["73.71"])
    client.force_login(worker)
    client.cookies["django_language"] = "en"
    page = client.get(ME).text
    assert "Receive work alerts by WhatsApp" in page
    assert "you have not chosen to receive them by message" in page
    # nothing chosen yet: no alert by message
    alert(worker, django_capture_on_commit_callbacks)
    assert not Message.objects.exists()

    response = client.post(ME, {"wanted": "yes", "phone": "0812 7777 0003"})
    assert response.status_code == 302 and response["Location"] == ME
    consent = ContactConsent.objects.get(user=worker)
    assert (consent.recipient, consent.channel, consent.purpose, consent.source) == (
        "+6281277770003",
        "whatsapp",
        Purpose.WORK,
        "self",
    )
    assert AuditEvent.objects.filter(
        action="create", object_id=str(consent.pk), actor=worker
    ).exists()
    page = client.get(ME).text
    assert "Yes, by WhatsApp to +6281****0003, since" in page
    assert 'value="+6281277770003"' in page  # her own number, to change it

    alert(worker, django_capture_on_commit_callbacks)
    sent = Message.objects.get(template="work_alert")
    assert (sent.channel, sent.recipient, sent.status) == ("whatsapp", "+6281277770003", "sent")
    assert "Kasus 7371-2026-0001" in whatsapp.sent[-1].body
    assert whatsapp.sent[-1].to == "+6281277770003"

    # opting out: withdrawn with the date, nothing more goes, the log says why
    assert client.post(ME, {"wanted": "no", "phone": ""}).status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawn_how == "self"
    assert "you stopped them on" in client.get(ME).text
    before = len(whatsapp.sent)
    with caplog.at_level(logging.INFO, logger="pksai.messaging.services"):
        alert(worker, django_capture_on_commit_callbacks)
    assert Message.objects.filter(template="work_alert").count() == 1
    assert len(whatsapp.sent) == before
    assert "work_alert: 1 of 1 users not messaged: no consent to work messages" in caplog.text


@pytest.mark.django_db
def test_my_messages_without_whatsapp_uses_the_phone_channel_and_changes_number(
    pilot_areas, channels, client
):
    worker = make_user("sakti", roles=["social_worker"], scope=["73.71"])
    client.force_login(worker)
    client.post(ME, {"wanted": "yes", "phone": "081277770003"})
    client.post(ME, {"wanted": "yes", "phone": "+62 812 7777 0004"})
    rows = list(
        ContactConsent.objects.filter(user=worker)
        .order_by("given_at", "pk")
        .values_list("recipient", "channel", "withdrawn_how")
    )
    assert rows == [("+6281277770003", "sms", "self"), ("+6281277770004", "sms", "")]


@pytest.mark.django_db
def test_my_messages_refuses_bad_input_with_an_error_summary_and_needs_csrf(pilot_areas, channels):
    worker = make_user("sakti", roles=["social_worker"], scope=["73.71"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(worker)
    client.cookies["django_language"] = "en"
    assert client.post(ME, {"wanted": "yes", "phone": "081277770003"}).status_code == 403
    page = client.get(ME)
    token = page.context["csrf_token"]
    bad = client.post(ME, {"wanted": "yes", "phone": "12", "csrfmiddlewaretoken": str(token)})
    assert bad.status_code == 400
    assert "There is a problem" in bad.text and "Enter a mobile number" in bad.text
    empty = client.post(ME, {"wanted": "yes", "phone": "", "csrfmiddlewaretoken": str(token)})
    assert empty.status_code == 400 and "Enter the number to send your alerts to" in empty.text
    none = client.post(ME, {"csrfmiddlewaretoken": str(token)})
    assert none.status_code == 400 and "Choose yes or no" in none.text
    assert not ContactConsent.objects.exists()
    # Indonesian by default
    client.cookies["django_language"] = "id"
    assert client.get(ME).status_code == 200
    client.logout()
    assert client.get(ME).status_code == 302  # signed out: to the sign-in page


def _consents_url(beneficiary):
    return f"/payments/beneficiaries/{beneficiary.pk}/consents/"


@pytest.mark.django_db
def test_staff_record_a_familys_consent_then_the_payment_notice_goes(
    beneficiaries,  # noqa: F811
    channels,
    client,
    django_capture_on_commit_callbacks,
):
    officer, jslu = beneficiaries["officer"], beneficiaries["jslu"]
    family = beneficiaries["all"][10]  # never asked
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    card = client.get(f"/payments/beneficiaries/{family.pk}/card/").text
    assert "Consent to be contacted" in card and "No consent recorded" in card
    # before: the January notice is refused for lack of consent
    with django_capture_on_commit_callbacks(execute=True):
        payments.cycle_generate(by=officer, program=jslu, period=date(2026, 1, 1))
    assert (
        Message.objects.get(template="payment_notice", beneficiary=family).status
        == "refused_no_consent"
    )
    # a bad number: 400, the error summary, nothing recorded
    bad = client.post(
        _consents_url(family),
        {
            "consent-phone": "abc",
            "consent-channel": "sms",
            "consent-purpose": "payment",
            "consent-language": "id",
            "consent-given_by": "Ibu Sari, anak",
        },
    )
    assert bad.status_code == 400 and "There is a problem" in bad.text
    assert not ContactConsent.objects.filter(beneficiary=family).exists()
    response = client.post(
        _consents_url(family),
        {
            "consent-phone": "0813 5555 0010",
            "consent-channel": "sms",
            "consent-purpose": "payment",
            "consent-language": "id",
            "consent-given_by": "Ibu Sari, anak",
        },
    )
    assert response.status_code == 302
    consent = ContactConsent.objects.get(beneficiary=family)
    assert (consent.recipient, consent.source, consent.given_by) == (
        "+6281355550010",
        "staff",
        officer,
    )
    who = AuditEvent.objects.get(
        action="update", object_type="programs.beneficiary", object_id=str(family.pk)
    )
    assert who.detail["given_by"] == "Ibu Sari, anak" and who.detail["purpose"] == "payment"
    card = client.get(f"/payments/beneficiaries/{family.pk}/card/").text
    section = card[card.index('id="consents"') :]
    assert "+6281****0010" in section and "0813 5555 0010" not in section
    assert "payment notices" in section and "Withdraw consent" in section
    # after: the February notice goes to that number
    with django_capture_on_commit_callbacks(execute=True):
        payments.cycle_generate(by=officer, program=jslu, period=date(2026, 2, 1))
    jan, feb = Message.objects.filter(template="payment_notice", beneficiary=family).order_by("pk")
    assert jan.status == "refused_no_consent"
    assert (feb.status, feb.recipient) == ("sent", "+6281355550010")


@pytest.mark.django_db
def test_withdrawal_by_staff_stops_the_queued_messages(
    beneficiaries,  # noqa: F811
    channels,
    client,
):
    officer, jslu = beneficiaries["officer"], beneficiaries["jslu"]
    family = beneficiaries["all"][0]  # consented by SMS in the fixture
    cycle = payments.cycle_generate(by=officer, program=jslu, period=date(2026, 1, 1))
    notices.payment_notices_queue(cycle_id=cycle.pk)  # queued; the send task not run
    queued = Message.objects.get(template="payment_notice", beneficiary=family)
    assert queued.status == "queued"
    consent = ContactConsent.objects.get(beneficiary=family)
    other = ContactConsent.objects.get(beneficiary=beneficiaries["all"][1])
    client.force_login(officer)
    # a consent of another beneficiary cannot be withdrawn through this card
    assert client.post(_consents_url(family), {"withdraw": other.pk}).status_code == 404
    assert client.post(_consents_url(family), {"withdraw": "x"}).status_code == 404
    response = client.post(_consents_url(family), {"withdraw": consent.pk})
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawn_how == "staff"
    queued.refresh_from_db()
    assert queued.status == "opted_out" and queued.body == ""
    assert (
        Message.objects.get(template="payment_notice", beneficiary=beneficiaries["all"][1]).status
        == "queued"
    )
    assert (
        services.consent_state(address=consent.recipient, channel="sms", purpose=Purpose.PAYMENT)[0]
        == "opted_out"
    )


@pytest.mark.django_db
def test_other_district_gets_404_and_a_role_that_may_not_change_beneficiaries_403(
    beneficiaries,  # noqa: F811
    channels,
    client,
):
    family = beneficiaries["all"][10]
    consent = ContactConsent.objects.get(beneficiary=beneficiaries["all"][0])
    data = {
        "consent-phone": "081355550010",
        "consent-channel": "sms",
        "consent-purpose": "payment",
        "consent-language": "id",
        "consent-given_by": "Ibu",
    }
    elsewhere = make_user("po2", roles=["program_officer"], scope=["73.06"])
    client.force_login(elsewhere)
    assert client.post(_consents_url(family), data).status_code == 404
    assert (
        client.post(_consents_url(beneficiaries["all"][0]), {"withdraw": consent.pk}).status_code
        == 404
    )
    assert AuditEvent.objects.filter(
        action="permission_denied", actor=elsewhere, object_id=str(family.pk)
    ).exists()
    worker = make_user("sakti", roles=["social_worker"], scope=["73.71"])
    client.force_login(worker)
    assert client.post(_consents_url(family), data).status_code == 403
    assert client.get(_consents_url(family)).status_code in (403, 405)
    assert not ContactConsent.objects.filter(beneficiary=family).exists()
    consent.refresh_from_db()
    assert consent.withdrawn_at is None
