"""Complainants hear back through the messaging service: receipt with the tracking code,
escalation (also the overdue escalation, in bulk), resolution with the rating link; after STOP,
nothing more."""

from datetime import timedelta

import pytest
from django.utils import translation

from pksai.accounts.tests.factories import make_user
from pksai.grievances import services as complaints
from pksai.grievances.services import ComplaintInput
from pksai.messaging import services
from pksai.messaging.models import ContactConsent, Message

TEXT = "Tetangga saya kaya tetapi menerima bantuan JSLU setiap bulan."


@pytest.mark.django_db
def test_a_complainant_hears_back_in_their_language_until_stop(
    pilot_areas, channels, django_capture_on_commit_callbacks
):
    desk = make_user("desk", roles=["registration_staff"], scope=["73.71"])
    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        c = complaints.complaint_submit_public(
            ComplaintInput(
                category="mistargeting",
                description=TEXT,
                area_code="73.71.01",
                phone="0812 1111 2222",
            ),
            sender="10.0.0.9",
        )
    consent = ContactConsent.objects.get()
    assert (consent.purpose, consent.source, consent.language) == ("complaint", "form", "en")
    [received] = channels.sent
    assert received.body.startswith("Your complaint was received") and c.code in received.body
    assert received.to == "+6281211112222"
    # overdue: escalated in bulk, the level said in the complainant's language
    with django_capture_on_commit_callbacks(execute=True):
        assert complaints.escalate_overdue(now=c.due_at + timedelta(minutes=1)) == 1
    assert (
        channels.sent[-1].body
        == f"Complaint {c.code} was escalated to the province level to be handled quickly."
    )
    c.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        complaints.complaint_resolve(
            by=desk, complaint=c, resolution="Data penerima diperbaiki.", expected_version=c.version
        )
    assert "/pengaduan/status/" in channels.sent[-1].body and "diperbaiki" in channels.sent[-1].body
    assert list(c.messages.values_list("template", flat=True).order_by("id")) == [
        "complaint_received",
        "complaint_escalated",
        "complaint_resolved",
    ]
    # STOP: the next news is not sent
    services.inbound_receive(channel="sms", sender="+6281211112222", text="STOP")
    other = complaints.complaint_submit_public(
        ComplaintInput(
            category="mistargeting", description=TEXT, area_code="73.71.01", phone="081211112222"
        ),
        sender="10.0.0.10",
    )
    # a new complaint is a new request to hear back: consent given again by the form
    assert other.messages.get().status == Message.Status.QUEUED


@pytest.mark.django_db
def test_an_anonymous_complaint_sends_nothing(pilot_areas, channels):
    complaints.complaint_submit_public(
        ComplaintInput(
            category="mistargeting", description=TEXT, area_code="73.71.01", anonymous=True
        ),
        sender="10.0.0.11",
    )
    assert not Message.objects.exists() and not ContactConsent.objects.exists()
