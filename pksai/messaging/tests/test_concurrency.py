"""Two workers sending at once never send one message twice (PostgreSQL: SKIP LOCKED)."""

import threading

import pytest
from django.db import connection, connections

from pksai.messaging import sending, services
from pksai.messaging.models import Message, Purpose


@pytest.mark.django_db(transaction=True)
def test_two_workers_send_each_message_once(channels, settings):
    if connection.vendor != "postgresql":
        pytest.skip("row locks with SKIP LOCKED: PostgreSQL")
    # queued only (no task runs at commit): the two workers below do the sending
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    services.consent_give(
        address="081234567890", channel="sms", purpose=Purpose.COMPLAINT, source="staff"
    )
    for i in range(60):
        services.message_send(
            to="081234567890", template="complaint_received", params={"code": str(i)}
        )
    channels.delay = 0.01
    barrier = threading.Barrier(2)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(sending.messages_send_due(budget_seconds=10, batch=7))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refs = [m.reference for m in channels.sent]
    assert len(refs) == 60 == len(set(refs))
    assert sum(r["sent"] for r in results) == 60
    assert all(r["sent"] > 0 for r in results)  # both took part
    assert Message.objects.filter(status="sent", attempts=1).count() == 60
