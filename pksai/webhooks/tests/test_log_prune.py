"""The delivery log's retention: delivered or given-up deliveries older than
PKSAI_WEBHOOK_LOG_DAYS and the events left without one are deleted in chunks by the daily
retention job; waiting deliveries and recent ones stay."""

from __future__ import annotations

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from pksai.webhooks.models import Delivery, Event
from pksai.webhooks.services import subscriber_create, webhook_log_prune

pytestmark = pytest.mark.django_db


@pytest.fixture
def log(admin, receiver):
    """Events and deliveries of several ages and states (now = ``log["now"]``)."""
    subscriber, _secret = subscriber_create(
        by=admin, name="Dinsos", url=receiver.url, events=["case.registered"], area=None
    )
    now = timezone.now()
    old, recent = now - timedelta(days=100), now - timedelta(days=10)

    def event(at, n):
        return Event.objects.create(
            kind="case.registered",
            model="cases.case",
            object_id=n,
            occurred_at=at,
            emit_key=uuid.uuid4(),
        )

    def delivery(ev, status, **times):
        return Delivery.objects.create(event=ev, subscriber=subscriber, status=status, **times)

    D = Delivery.Status
    made = {"now": now, "events": {}, "deliveries": {}}
    e = made["events"]
    d = made["deliveries"]
    e["old_delivered"] = event(old, 1)
    d["old_delivered"] = delivery(
        e["old_delivered"], D.DELIVERED, created_at=old, delivered_at=old, last_attempt_at=old
    )
    e["old_failed"] = event(old, 2)
    d["old_failed"] = delivery(e["old_failed"], D.FAILED, created_at=old, last_attempt_at=old)
    e["old_pending"] = event(old, 3)  # a retry still waiting: kept, and its event
    d["old_pending"] = delivery(e["old_pending"], D.PENDING, created_at=old, next_attempt_at=now)
    e["recent"] = event(recent, 4)
    d["recent"] = delivery(e["recent"], D.DELIVERED, created_at=recent, delivered_at=recent)
    # delivered long ago, replayed and delivered again last week: recent activity, kept
    e["replayed"] = event(old, 5)
    d["replayed"] = delivery(e["replayed"], D.DELIVERED, created_at=old, delivered_at=recent)
    # one event, two subscribers' deliveries: the old one goes, the event stays
    e["shared"] = event(old, 6)
    d["shared_old"] = delivery(e["shared"], D.FAILED, created_at=old, last_attempt_at=old)
    d["shared_new"] = delivery(
        e["shared"], D.PENDING, created_at=old, last_attempt_at=recent, next_attempt_at=now
    )
    e["old_no_delivery"] = event(old, 7)
    e["recent_no_delivery"] = event(recent, 8)
    return made


def test_finished_deliveries_and_their_events_older_than_the_setting_go(log, settings):
    settings.PKSAI_WEBHOOK_LOG_DAYS = 90
    counts = webhook_log_prune(now=log["now"], chunk=2)  # small chunks: the loop is exercised
    assert counts == {"deliveries": 3, "events": 3}
    left = set(Delivery.objects.values_list("pk", flat=True))
    d = log["deliveries"]
    assert left == {d[k].pk for k in ("old_pending", "recent", "replayed", "shared_new")}
    e = log["events"]
    assert set(Event.objects.values_list("pk", flat=True)) == {
        e[k].pk for k in ("old_pending", "recent", "replayed", "shared", "recent_no_delivery")
    }
    # a second run finds nothing more
    assert webhook_log_prune(now=log["now"]) == {"deliveries": 0, "events": 0}


def test_zero_days_keeps_the_log_and_a_longer_setting_keeps_more(log, settings):
    settings.PKSAI_WEBHOOK_LOG_DAYS = 0
    assert webhook_log_prune(now=log["now"]) == {"deliveries": 0, "events": 0}
    assert webhook_log_prune(now=log["now"], days=365) == {"deliveries": 0, "events": 0}
    assert Delivery.objects.count() == 7 and Event.objects.count() == 8


def test_the_daily_retention_job_prunes_the_log(log, settings):
    settings.PKSAI_WEBHOOK_LOG_DAYS = 30
    out = StringIO()
    call_command("retention", stdout=out)
    assert (
        "Webhook log: 3 delivery(ies) and 3 event(s) older than 30 days deleted." in out.getvalue()
    )
    assert not Delivery.objects.filter(pk=log["deliveries"]["old_delivered"].pk).exists()

    from pksai.retention.tasks import run_retention

    Delivery.objects.filter(pk=log["deliveries"]["recent"].pk).update(
        delivered_at=log["now"] - timedelta(days=40)
    )
    result = run_retention.call("scheduler")
    # the delivery's activity is 40 days old; its event occurred 10 days ago and stays
    assert result["webhook_log"] == {"deliveries": 1, "events": 0}
