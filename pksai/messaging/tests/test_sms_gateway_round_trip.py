"""Issue 20's acceptance through a real SMS gateway protocol: the HTTP SMS channel (Vonage
preset) talks to a local server that speaks Vonage's SMS API, and the gateway's callbacks
(an inbound message, a delivery receipt) are signed with Vonage's scheme. A complaint sent by
SMS keyword gets its tracking code by SMS, shows in the staff queue, its resolution goes back
by SMS, the receipt marks the message delivered, and a badly signed callback is refused."""

from __future__ import annotations

import pytest

from pksai.accounts.tests.factories import make_user
from pksai.grievances import selectors
from pksai.grievances import services as complaints
from pksai.grievances.models import Complaint
from pksai.messaging.models import Message

from .provider_server import ProviderServer
from .test_channel_http_sms import (
    SIGNATURE_SECRET,
    VONAGE_KEY,
    VONAGE_SECRET,
    FakeVonage,
    vonage_inbound,
    vonage_receipt,
)

CALLBACK = "/messaging/callback/sms/"


@pytest.fixture
def gateway(settings, tmp_path):
    """The sms channel is the HTTP SMS adapter pointed at a local Vonage; its service number
    belongs to Kota Makassar."""
    with ProviderServer(FakeVonage) as server:
        settings.PKSAI_MESSAGING_LOG = tmp_path / "messages.log"
        settings.PKSAI_MESSAGING_PHONE_CHANNEL = "sms"
        settings.PKSAI_MESSAGING_CHANNELS = {
            "sms": {
                "BACKEND": "pksai.messaging.channels.http_sms.HttpSmsChannel",
                "RATE_PER_SECOND": 1000,
                "OPTIONS": {
                    "preset": "vonage",
                    "url": f"{server.url}/sms/json",
                    "extra_fields": {"api_key": VONAGE_KEY, "api_secret": VONAGE_SECRET},
                    "sender_id": "DINSOS",
                    "callback": {"auth": {"secret": SIGNATURE_SECRET}},
                    "timeout": [2, 2],
                    "inbound_area": "73.71",
                },
            },
        }
        yield server


def texts_to(server, number: str) -> list[str]:
    return [s.form.get("text", "") for s in server.seen if s.form.get("to") == number]


@pytest.mark.django_db
def test_complaint_by_sms_keyword_through_the_gateway(
    client, pilot_areas, gateway, django_capture_on_commit_callbacks
):
    sender = "6281298765432"  # as Vonage writes numbers
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.get(CALLBACK, vonage_inbound("ADUAN Bantuan ibu saya tidak datang."))
    assert answer.status_code == 200
    complaint = Complaint.objects.get()
    assert (complaint.channel, complaint.area_id) == ("sms", "73.71")
    # the tracking code went back through the gateway, to the sender
    [receipt] = texts_to(gateway, sender)
    assert complaint.code in receipt
    # in the district's queue
    desk = make_user("desk", roles=["registration_staff"], scope=["73.71"])
    assert complaint in selectors.complaint_queue(user=desk)
    # the gateway's signed delivery receipt marks that message delivered
    message_id = next(iter(gateway.state["sent"]))
    answer = client.get(CALLBACK, vonage_receipt(gateway, message_id, "delivered"))
    assert answer.status_code == 200
    assert Message.objects.get(provider_id=message_id).status == "delivered"
    # a receipt signed with another secret is refused and changes nothing
    forged = vonage_receipt(gateway, message_id, "failed", secret="not-ours")
    assert client.get(CALLBACK, forged).status_code == 403
    assert Message.objects.get(provider_id=message_id).status == "delivered"
    # the resolution goes back by SMS through the gateway
    complaint.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        complaints.complaint_resolve(
            by=desk,
            complaint=complaint,
            resolution="Pembayaran sudah dikirim ulang.",
            expected_version=complaint.version,
        )
    assert "dikirim ulang" in texts_to(gateway, sender)[-1]
