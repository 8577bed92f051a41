"""/messaging/callback/<channel>/: a bad or missing signature is refused (403, logged, nothing
read); a signed one moves messages on and handles STOP. The development log channel's own
signed format stands in for a provider here (each adapter's real protocol is tested beside it)."""

import json
import logging

import pytest

from pksai.messaging import sending, services
from pksai.messaging.channels import get_channel
from pksai.messaging.models import ContactConsent, Message, Purpose

S = Message.Status
URL = "/messaging/callback/log/"


def post(client, payload, *, signature=None):
    body = json.dumps(payload).encode()
    sig = get_channel("log").signature(body) if signature is None else signature
    return client.post(
        URL, body, content_type="application/json", headers={"X-PKSAI-Signature": sig}
    )


@pytest.fixture
def sent(channels):
    services.consent_give(
        address="081234567890", channel="log", purpose=Purpose.COMPLAINT, source="staff"
    )
    m = services.message_send(
        to="081234567890", channel="log", template="complaint_received", params={"code": "Z"}
    )
    sending.messages_send_due(budget_seconds=5)
    m.refresh_from_db()
    assert m.status == S.SENT and m.provider_id == f"log-{m.reference}"
    line = json.loads(channels and open(get_channel("log").path).read().splitlines()[-1])
    assert line["to"] == "+6281234567890" and "Z" in line["body"]
    return m


@pytest.mark.django_db
def test_a_bad_signature_is_refused_and_nothing_changes(client, sent, caplog):
    payload = {"receipts": [{"provider_id": sent.provider_id, "status": "delivered"}]}
    with caplog.at_level(logging.WARNING, logger="pksai.messaging.views"):
        assert post(client, payload, signature="0" * 64).status_code == 403
        assert post(client, payload, signature="").status_code == 403
    assert "bad signature" in caplog.text
    sent.refresh_from_db()
    assert sent.status == S.SENT
    # e-mail takes no callbacks; an unknown channel is not found
    assert client.post("/messaging/callback/email/", {}).status_code == 403
    assert client.post("/messaging/callback/nope/", {}).status_code == 404


@pytest.mark.django_db
def test_a_signed_receipt_and_a_stop_reply_are_applied(client, sent):
    payload = {
        "receipts": [{"provider_id": sent.provider_id, "status": "read"}],
        "inbound": [{"sender": "+62 812-3456-7890", "text": "BERHENTI", "id": "in-1"}],
    }
    assert post(client, payload).status_code == 200
    sent.refresh_from_db()
    assert sent.status == S.READ and sent.delivered_at and sent.body == ""
    c = ContactConsent.objects.get()
    assert c.withdrawn_at and c.withdrawn_how == "stop"
    assert Message.objects.filter(template="opt_out_confirmed", channel="log").exists()
    # matched by our reference when the provider's id is unknown
    m2 = services.message_send(
        to="081234567890", channel="log", template="opt_out_confirmed", consent_required=False
    )
    sending.messages_send_due(budget_seconds=5)
    assert (
        post(
            client,
            {"receipts": [{"reference": str(m2.reference), "status": "failed", "error": "x"}]},
        ).status_code
        == 200
    )
    m2.refresh_from_db()
    assert m2.status == S.FAILED and m2.last_error == "x"
