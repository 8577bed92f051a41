"""Issue 20's acceptance, end to end through the signed callback: a complaint filed by SMS
keyword gets its tracking code by SMS, shows in the staff queue, and its resolution goes back
by SMS; LAPOR reaches the case intake queue; a code asks for the status; anything else gets
the instructions."""

import json
from datetime import timedelta

import pytest

from pksai.accounts.tests.factories import make_user
from pksai.cases.models import IntakeReport
from pksai.grievances import selectors
from pksai.grievances import services as complaints
from pksai.grievances.models import Complaint
from pksai.messaging.channels import get_channel
from pksai.messaging.models import ContactConsent

SENDER = "+6281299990000"


@pytest.fixture
def sms(channels, settings):
    settings.PKSAI_MESSAGING_CHANNELS["log"]["OPTIONS"]["inbound_area"] = "73.71"
    return get_channel("log")


def inbound(client, text, sender=SENDER):
    body = json.dumps({"inbound": [{"sender": sender, "text": text, "id": "m1"}]}).encode()
    sig = get_channel("log").signature(body)
    answer = client.post(
        "/messaging/callback/log/",
        body,
        content_type="application/json",
        headers={"X-PKSAI-Signature": sig},
    )
    assert answer.status_code == 200


def sent_lines(channel):
    return [json.loads(x) for x in channel.path.read_text().splitlines()]


@pytest.mark.django_db
def test_a_complaint_by_sms_keyword_round_trip(
    client, pilot_areas, sms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        inbound(client, "ADUAN Bantuan JSLU ibu saya tidak datang tiga bulan.")
    complaint = Complaint.objects.get()
    assert (complaint.channel, complaint.category, complaint.area_id) == ("sms", "other", "73.71")
    assert ContactConsent.objects.get().source == "inbound"
    [receipt] = sent_lines(sms)
    assert receipt["to"] == SENDER and complaint.code in receipt["body"]
    # in the district staff's queue
    desk = make_user("desk", roles=["registration_staff"], scope=["73.71"])
    assert complaint in selectors.complaint_queue(user=desk)
    # overdue: the escalation goes back on the channel the complaint came by
    with django_capture_on_commit_callbacks(execute=True):
        assert complaints.escalate_overdue(now=complaint.due_at + timedelta(minutes=1)) == 1
    assert "diteruskan ke tingkat" in sent_lines(sms)[-1]["body"]
    complaint.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        complaints.complaint_resolve(
            by=desk,
            complaint=complaint,
            resolution="Pembayaran sudah dikirim ulang.",
            expected_version=complaint.version,
        )
    resolved = sent_lines(sms)[-1]
    assert resolved["to"] == SENDER and "dikirim ulang" in resolved["body"]
    # the status, asked by code
    with django_capture_on_commit_callbacks(execute=True):
        inbound(client, complaint.code.lower())
    assert sent_lines(sms)[-1]["body"].startswith(f"Pengaduan {complaint.code}: ")
    with django_capture_on_commit_callbacks(execute=True):
        inbound(client, "ADU-AAAA-BBBB")
        inbound(client, "halo")
    assert "tidak ditemukan" in sent_lines(sms)[-2]["body"]
    assert sent_lines(sms)[-1]["body"].startswith("Kirim ADUAN")


@pytest.mark.django_db
def test_lapor_reaches_the_case_intake_queue(client, pilot_areas, sms):
    inbound(client, "LAPOR 73.71.01 Anak tetangga sering dipukul dan tidak sekolah.")
    complaint = Complaint.objects.get()
    assert complaint.category == "child_protection" and complaint.area_id == "73.71.01"
    report = IntakeReport.objects.get(reference=complaint.code)
    assert report.area_id == "73.71.01"
