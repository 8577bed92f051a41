"""The messaging service: consent decides, templates render, the queue sends, retries with
backoff and gives up, rate limits hold, receipts move messages on, STOP withdraws consent,
bodies are blanked."""

import logging
from datetime import timedelta

import polars as pl
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pksai.messaging import sending, services
from pksai.messaging.channels.base import ChannelError, Receipt
from pksai.messaging.models import ContactConsent, Message, MessageTemplate, Purpose
from pksai.messaging.tests.fakes import FakeChannel

S = Message.Status
PHONE = "0812 3456 7890"


def consent(address=PHONE, channel="sms", purpose=Purpose.COMPLAINT):
    return services.consent_give(
        address=address, channel=channel, purpose=purpose, source=ContactConsent.Source.STAFF
    )


@pytest.mark.django_db
def test_without_consent_nothing_is_sent_and_the_log_says_why(channels, caplog):
    with caplog.at_level(logging.WARNING, logger="pksai.messaging.services"):
        m = services.message_send(to=PHONE, template="complaint_received", params={"code": "X"})
    assert m.status == S.REFUSED_NO_CONSENT and m.body == "" and "no consent" in m.last_error
    assert "no consent" in caplog.text and "7890" in caplog.text and "3456" not in caplog.text
    assert sending.messages_send_due(budget_seconds=5) == {
        "sent": 0,
        "retry": 0,
        "failed": 0,
        "throttled": 0,
    }
    assert channels.sent == []


@pytest.mark.django_db
def test_a_consented_message_is_rendered_sealed_sent_and_its_receipt_blanks_it(
    channels, django_capture_on_commit_callbacks
):
    consent()
    with django_capture_on_commit_callbacks(execute=True):
        m = services.message_send(
            to=PHONE,
            template="complaint_received",
            params={"code": "PKS-1234", "status_link": "http://x/s/"},
        )
    # the task ran at commit (one task) and the fake provider got the Indonesian text
    [out] = channels.sent
    assert out.to == "+6281234567890" and out.body.startswith("Pengaduan Anda sudah kami terima")
    assert "PKS-1234" in out.body and out.reference == str(m.reference)
    m.refresh_from_db()
    assert (m.status, m.attempts, m.provider_id) == (S.SENT, 1, "fake-1")
    with connection.cursor() as c:
        c.execute("SELECT recipient, body FROM messaging_message WHERE id = %s", [m.pk])
        raw_to, raw_body = c.fetchone()
    assert raw_to.startswith("enc1:") and raw_body.startswith("enc1:") and "PKS" not in raw_body
    assert (
        sending.receipts_apply(
            channel="sms", receipts=[Receipt(provider_id="fake-1", status="delivered")]
        )
        == 1
    )
    m.refresh_from_db()
    assert m.status == S.DELIVERED and m.body == "" and m.delivered_at and m.body_blanked_at
    # an older receipt arriving late never moves it back
    sending.receipts_apply(channel="sms", receipts=[Receipt(provider_id="fake-1", status="sent")])
    m.refresh_from_db()
    assert m.status == S.DELIVERED


@pytest.mark.django_db
def test_retries_back_off_exponentially_then_give_up(channels):
    consent()
    m = services.message_send(to=PHONE, template="complaint_received", params={"code": "A"})
    channels.failures.extend(
        [ChannelError("503", retryable=True), ChannelError("429", retryable=True, retry_after=900)]
    )
    before = timezone.now()
    assert sending.messages_send_due(budget_seconds=5)["retry"] == 1
    m.refresh_from_db()
    assert m.status == S.QUEUED and m.attempts == 1 and m.last_error == "503"
    assert timedelta(seconds=59) < m.next_attempt_at - before < timedelta(seconds=70)
    Message.objects.filter(pk=m.pk).update(next_attempt_at=timezone.now())
    sending.messages_send_due(budget_seconds=5)
    m.refresh_from_db()  # the provider's Retry-After (900 s) beats the backoff (120 s)
    assert m.attempts == 2 and m.next_attempt_at - before > timedelta(seconds=890)
    Message.objects.filter(pk=m.pk).update(next_attempt_at=timezone.now())
    sending.messages_send_due(budget_seconds=5)
    m.refresh_from_db()
    assert (m.status, m.attempts) == (S.SENT, 3)
    # a final refusal is not retried, and a retryable failure stops at MAX_ATTEMPTS
    m2 = services.message_send(to=PHONE, template="complaint_received", params={"code": "B"})
    channels.failures.append(ChannelError("bad number", retryable=False))
    assert sending.messages_send_due(budget_seconds=5)["failed"] == 1
    m2.refresh_from_db()
    assert m2.status == S.FAILED and m2.body == "" and m2.attempts == 1
    m3 = services.message_send(to=PHONE, template="complaint_received", params={"code": "C"})
    channels.failures.extend([ChannelError("down", retryable=True)] * 3)
    for _ in range(3):
        Message.objects.filter(pk=m3.pk, status=S.QUEUED).update(next_attempt_at=timezone.now())
        sending.messages_send_due(budget_seconds=5)
    m3.refresh_from_db()
    assert (m3.status, m3.attempts, m3.last_error) == (S.FAILED, 3, "down")


@pytest.mark.django_db
def test_the_rate_limit_holds_back_what_is_over_it(channels, settings):
    settings.PKSAI_MESSAGING_CHANNELS["sms"]["RATE_PER_SECOND"] = 2
    consent()
    for i in range(5):
        services.message_send(to=PHONE, template="complaint_received", params={"code": str(i)})
    counts = sending.messages_send_due(budget_seconds=0.5)
    assert counts["sent"] <= 2 + 2  # at most two per one-second window
    assert counts["throttled"] >= 1
    assert Message.objects.filter(status=S.QUEUED, attempts=0).exists()


@pytest.mark.django_db
def test_stop_withdraws_consent_stops_the_queue_and_is_confirmed(channels, caplog):
    consent()
    consent(purpose=Purpose.PAYMENT)
    waiting = services.message_send(to=PHONE, template="complaint_received", params={"code": "A"})
    assert services.inbound_receive(channel="sms", sender="+6281234567890", text="stop ") == "stop"
    waiting.refresh_from_db()
    assert waiting.status == S.OPTED_OUT and waiting.body == ""
    assert ContactConsent.objects.filter(withdrawn_at__isnull=True).count() == 0
    assert set(ContactConsent.objects.values_list("withdrawn_how", flat=True)) == {"stop"}
    confirmation = Message.objects.get(template="opt_out_confirmed")
    assert confirmation.status == S.QUEUED and "tidak akan menerima" in confirmation.body
    later = services.message_send(to=PHONE, template="complaint_received", params={"code": "B"})
    assert later.status == S.OPTED_OUT
    # anything else goes to the inbound handler (by default: the instructions)
    assert services.inbound_receive(channel="sms", sender=PHONE, text="halo") == "help"


@pytest.mark.django_db
def test_templates_validate_placeholders_and_newest_version_wins(channels):
    bad = MessageTemplate(code="payment_notice", language="id", text="Rp {amout}")
    with pytest.raises(ValidationError) as err:
        bad.full_clean()
    assert "amout" in str(err.value)
    with pytest.raises(ValidationError):
        MessageTemplate(code="nope", language="id", text="x").full_clean()
    MessageTemplate.objects.create(
        code="complaint_received",
        language="id",
        text="v2 {code}",
        version=2,
        valid_from=timezone.localdate(),
    )
    MessageTemplate.objects.create(
        code="complaint_received",
        language="id",
        text="future {code}",
        version=3,
        valid_from=timezone.localdate() + timedelta(days=5),
    )
    tpl = services.template_get(code="complaint_received", language="id", channel="sms")
    assert tpl.version == 2
    english = services.template_get(code="complaint_received", language="en", channel="sms")
    assert english.text.startswith("Your complaint")
    # every shipped message has a default in both languages
    from pksai.messaging.catalogue import KINDS

    shipped = set(MessageTemplate.objects.filter(version=1).values_list("code", "language"))
    assert {(c, lang) for c in KINDS for lang in ("id", "en")} <= shipped


@pytest.mark.django_db
def test_bulk_queue_is_one_insert_and_one_task(channels, django_capture_on_commit_callbacks):
    frame = pl.DataFrame(
        {
            "to": ["081200000001", "081200000002", None],
            "channel": ["sms", "sms", "sms"],
            "consent": ["ok", "opted_out", "none"],
            "language": ["id", "en", "id"],
            "program": ["PKSA"] * 3,
            "amount": ["Rp 300.000"] * 3,
            "periods": ["2026-01"] * 3,
            "where": ["Kantor Pos"] * 3,
            "from_date": ["15-01-2026"] * 3,
        }
    )
    with CaptureQueriesContext(connection) as queries:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            counts = services.messages_queue_bulk(frame=frame, template="payment_notice")
    assert counts == {"queued": 1, "opted_out": 1, "refused_no_consent": 1}
    assert len(callbacks) == 1
    inserts = [q for q in queries if q["sql"].upper().startswith('INSERT INTO "MESSAGING_MESSAGE"')]
    assert len(inserts) <= 1
    queued = Message.objects.get(status=S.QUEUED)
    assert (
        queued.body.startswith("Bantuan PKSA sebesar Rp 300.000")
        and queued.recipient == "+6281200000001"
    )
    refused = Message.objects.exclude(status=S.QUEUED)
    assert all(m.body == "" and m.recipient == "" and m.last_error for m in refused)


@pytest.mark.django_db
def test_old_bodies_are_blanked_and_stale_claims_return(channels):
    consent()
    m = services.message_send(to=PHONE, template="complaint_received", params={"code": "A"})
    sending.messages_send_due(budget_seconds=5)
    stuck = services.message_send(to=PHONE, template="complaint_received", params={"code": "B"})
    Message.objects.filter(pk=stuck.pk).update(
        status=S.SENDING, claimed_at=timezone.now() - timedelta(hours=1)
    )
    later = timezone.now() + timedelta(days=8)
    assert sending.messages_housekeeping(now=later) == {"requeued": 1, "blanked": 1}
    m.refresh_from_db()
    assert m.status == S.SENT and m.body == "" and m.body_blanked_at


class PolledChannel(FakeChannel):
    """A provider that is asked for receipts (as RapidPro is) instead of calling back."""

    asked: list = []

    def poll_receipts(self, provider_ids):
        PolledChannel.asked.append(list(provider_ids))
        return [Receipt(provider_id=pid, status="delivered") for pid in provider_ids]


@pytest.mark.django_db
def test_the_scheduler_polls_receipts_and_queues_due_retries(channels, settings):
    settings.PKSAI_MESSAGING_CHANNELS = {
        **settings.PKSAI_MESSAGING_CHANNELS,
        "sms": {"BACKEND": "pksai.messaging.tests.test_services.PolledChannel"},
    }
    consent()
    m = services.message_send(to=PHONE, template="complaint_received", params={"code": "A"})
    sending.messages_send_due(budget_seconds=5)
    retry = services.message_send(to=PHONE, template="complaint_received", params={"code": "B"})
    Message.objects.filter(pk=retry.pk).update(attempts=1, next_attempt_at=timezone.now())
    counts = sending.messaging_schedule()
    assert counts["polled"] == 1 and counts["queued_task"] == 1
    m.refresh_from_db()
    retry.refresh_from_db()
    assert m.status == S.DELIVERED and m.body == ""
    assert retry.status == S.SENT  # the queued task ran (immediately, in tests)
