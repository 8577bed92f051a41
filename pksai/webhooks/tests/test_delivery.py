"""Webhooks delivered to a real local receiver that checks every signature (issue 21,
acceptance 1): a registered case gives one signed delivery without personal data; an approved
subscriber gets the child's name (audited); the area filter holds; a receiver that is down gets
the delivery later, once; a replay sends the same delivery id."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from pksai.audit.models import AuditEvent
from pksai.cases.tests.factories import make_child, register
from pksai.webhooks import services
from pksai.webhooks.models import Delivery, Event
from pksai.webhooks.services import deliveries_run, subscriber_create

pytestmark = pytest.mark.django_db


def _subscribe(admin, receiver, *, events=("case.registered",), area=None, name="Dinsos"):
    subscriber, secret = subscriber_create(
        by=admin, name=name, url=receiver.url, events=list(events), area=area
    )
    receiver.secret = secret
    return subscriber


def test_a_registered_case_is_delivered_once_signed_and_without_personal_data(
    team, admin, receiver, django_capture_on_commit_callbacks
):
    subscriber = _subscribe(admin, receiver)
    child = make_child("Siti Rahmawati", nik="7371010101140001")
    # the worker's task runs when the case's transaction commits (immediately in tests)
    with django_capture_on_commit_callbacks(execute=True):
        case = register(team, child=child)
    assert len(receiver.received) == 1
    receipt = receiver.received[0]
    assert receipt.valid
    delivery = Delivery.objects.get(subscriber=subscriber)
    assert receipt.delivery == receipt.body["id"] == str(delivery.uid)
    assert receipt.event == receipt.body["event"] == "case.registered"
    assert receipt.body["data"]["case"] == case.pk
    assert receipt.body["data"]["number"] == case.number
    assert receipt.body["data"]["area"] == "73.71.01.1001"
    assert receipt.body["data"]["stage"] == "triage"
    raw = receipt.raw.decode()
    assert "Siti" not in raw and "7371010101140001" not in raw and "personal" not in raw
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 204)
    # a wrong secret does not verify
    receiver.secret = "whsec_wrong"
    from pksai.webhooks.tests.receiver import verify

    headers = {
        "X-PKSAI-Timestamp": "1",
        "X-PKSAI-Signature": services.sign("x", "1", receipt.raw),
    }
    assert not verify("x", headers, receipt.raw)  # too old: replayed long after


def test_an_approved_subscriber_gets_the_name_and_the_disclosure_is_audited(
    team, admin, receiver, django_capture_on_commit_callbacks
):
    subscriber = _subscribe(admin, receiver)
    services.subscriber_approve_personal(
        by=admin, subscriber=subscriber, purpose="Rujukan layanan kesehatan anak"
    )
    assert AuditEvent.objects.filter(
        action="update",
        object_type="webhooks.subscriber",
        object_id=str(subscriber.pk),
        detail__personal_data="approved",
    ).exists()
    with django_capture_on_commit_callbacks(execute=True):
        case = register(team, child=make_child("Budi Santoso", nik="7371010101140002"))
    (receipt,) = receiver.received
    assert receipt.valid
    assert receipt.body["data"]["personal"] == {
        "child": {"name": "Budi Santoso", "nik": "7371010101140002"}
    }
    export = AuditEvent.objects.get(action="export", object_type="cases.case")
    assert export.object_id == str(case.pk)
    assert export.detail["delivery"] == receipt.delivery
    assert export.detail["purpose"] == "Rujukan layanan kesehatan anak"
    # a restricted case never carries personal data, approval or not
    with django_capture_on_commit_callbacks(execute=True):
        register(team, child=make_child("Rina Restricted"), concerns=("sexual_violence",))
    assert "personal" not in receiver.received[1].body["data"]
    assert "Rina" not in receiver.received[1].raw.decode()


def test_the_area_filter_excludes_other_areas(
    team, admin, receiver, django_capture_on_commit_callbacks, pilot_areas
):
    from pksai.areas.models import Area

    gowa = _subscribe(admin, receiver, area=Area.objects.get(code="73.06"), name="Gowa")
    makassar = _subscribe(admin, receiver, area=Area.objects.get(code="73.71"), name="Makassar")
    province = _subscribe(admin, receiver, area=Area.objects.get(code="73"), name="Sulsel")
    with django_capture_on_commit_callbacks(execute=True):
        register(team)
    assert not Delivery.objects.filter(subscriber=gowa).exists()
    assert Delivery.objects.filter(subscriber=makassar).count() == 1
    assert Delivery.objects.filter(subscriber=province).count() == 1
    assert len(receiver.received) == 2
    # an event the subscriber did not choose is not sent
    assert not Delivery.objects.filter(event__kind="case.moved").exists()


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"  # nothing listens there any more


def test_a_receiver_that_is_down_gets_the_delivery_later_once(team, admin, receiver, settings):
    settings.PKSAI_WEBHOOK_BACKOFF_SECONDS = 60
    subscriber = _subscribe(admin, receiver)
    live_url = receiver.url
    type(subscriber).objects.filter(pk=subscriber.pk).update(url=_closed_port())
    register(team)
    now = timezone.now()
    # down: connection refused → tried again after the back-off
    assert deliveries_run(now=now) == {"delivered": 0, "failed": 1}
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.last_status_code is None
    assert delivery.last_error
    assert delivery.next_attempt_at >= now + timedelta(seconds=59)
    assert deliveries_run(now=now) == {"delivered": 0, "failed": 0}  # not due yet
    # up but overloaded: 503 with Retry-After (seconds) is honoured
    type(subscriber).objects.filter(pk=subscriber.pk).update(url=live_url)
    receiver.answer, receiver.retry_after = 503, "600"
    later = now + timedelta(minutes=5)
    assert deliveries_run(now=later)["failed"] == 1
    delivery.refresh_from_db()
    assert delivery.last_status_code == 503 and receiver.refused == 1
    assert delivery.next_attempt_at >= timezone.now() + timedelta(seconds=590)
    # up: the due run delivers it; a second run sends nothing more
    receiver.answer = 200
    due = timezone.now() + timedelta(hours=1)
    assert deliveries_run(now=due) == {"delivered": 1, "failed": 0}
    assert deliveries_run(now=due) == {"delivered": 0, "failed": 0}
    assert receiver.ids() == [str(delivery.uid)]
    assert receiver.received[0].valid
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)


def test_gives_up_after_the_maximum_attempts(team, admin, receiver, settings):
    settings.PKSAI_WEBHOOK_MAX_ATTEMPTS = 3
    settings.PKSAI_WEBHOOK_BACKOFF_SECONDS = 1
    _subscribe(admin, receiver)
    receiver.answer = 500
    register(team)
    at = timezone.now()
    for _ in range(5):
        at += timedelta(hours=1)
        deliveries_run(now=at)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)
    assert receiver.refused == 3


def test_a_replay_sends_the_same_delivery_id(team, admin, receiver):
    _subscribe(admin, receiver)
    register(team)
    deliveries_run()
    delivery = Delivery.objects.get()
    services.delivery_replay(by=admin, delivery=delivery)
    deliveries_run()
    assert receiver.ids() == [str(delivery.uid)] * 2
    assert all(r.valid for r in receiver.received)
    assert receiver.received[0].body == receiver.received[1].body
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.replays) == ("delivered", 2, 1)
    assert AuditEvent.objects.filter(
        action="update", object_type="webhooks.delivery", object_id=str(delivery.pk)
    ).exists()


def test_backoff_doubles_and_is_capped(settings):
    settings.PKSAI_WEBHOOK_BACKOFF_SECONDS = 30
    settings.PKSAI_WEBHOOK_BACKOFF_MAX_SECONDS = 100
    assert [services.backoff(n) for n in (1, 2, 3, 4)] == [30, 60, 100, 100]


def test_plain_http_only_to_allowed_hosts(admin, settings):
    settings.PKSAI_WEBHOOK_ALLOW_HTTP_HOSTS = []
    with pytest.raises(ValidationError):
        subscriber_create(by=admin, name="x", url="http://example.org/h", events=["case.closed"])
    with pytest.raises(ValidationError):
        subscriber_create(by=admin, name="x", url="https://e.org/h", events=["nope"])
    subscriber, secret = subscriber_create(
        by=admin, name="x", url="https://example.org/h", events=["case.closed"]
    )
    # the secret is sealed at rest
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_subscriber WHERE id = %s", [subscriber.pk])
        stored = cursor.fetchone()[0]
    assert secret not in stored and type(subscriber).objects.get().secret == secret


def test_the_scheduler_hands_due_retries_to_the_worker(team, admin, receiver):
    _subscribe(admin, receiver)
    assert not services.webhooks_schedule()
    register(team)  # not committed in this test: the delivery waits
    assert services.webhooks_schedule()  # the immediate backend runs the task now
    assert len(receiver.received) == 1
    assert not services.webhooks_schedule()


def test_the_events_of_moves_referrals_complaints_reach_the_outbox(team, pilot_areas):
    from pksai.cases.tests.factories import move
    from pksai.grievances import services as grievances

    case = register(team)
    move(case, "triage", team["supervisor"], response="at_risk")
    assert list(Event.objects.values_list("kind", flat=True).order_by("id")) == [
        "case.registered",
        "case.moved",
    ]
    complaint = grievances.complaint_submit_public(
        grievances.ComplaintInput(
            category="mistargeting",
            description="Keluarga mampu menerima bantuan sosial.",
            area_code="73.71.01",
            name="Pelapor Satu",
            phone="081200000000",
        ),
        sender="10.9.9.9",
    )
    event = Event.objects.get(kind="complaint.filed")
    assert event.object_id == complaint.pk and event.area_code == "73.71.01"
    assert event.data["code"] == complaint.code and "Pelapor" not in str(event.data)
