"""Two workers sending at once never deliver one delivery twice: each claims its rows FOR
UPDATE SKIP LOCKED and pushes them past a lease before sending (PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections
from django.utils import timezone

from pksai.webhooks.models import Delivery
from pksai.webhooks.services import deliveries_run, subscriber_create

DELIVERIES = 30


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_deliver_one_delivery_twice(team, admin, receiver):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's in-memory test database cannot hold concurrent writers")
    from pksai.cases.services import case_register
    from pksai.cases.tests.factories import make_child

    _subscriber, receiver.secret = subscriber_create(
        by=admin, name="Dinsos", url=receiver.url, events=["case.registered"]
    )
    for i in range(DELIVERIES):
        case_register(
            by=team["staff"],
            child=make_child(f"Anak {i}"),
            channel="phone",
            summary="Laporan",
            concerns=["physical_violence"],
            owner=team["worker"],
            supervisor=team["supervisor"],
        )
    # the on-commit task has sent them already: make them all due again, as unsent
    receiver.received.clear()
    Delivery.objects.update(status="pending", tries=0, attempts=0, next_attempt_at=timezone.now())
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work():
        try:
            barrier.wait()
            deliveries_run(limit=4)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=work) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors, errors
    counts = Counter(receiver.ids())
    assert len(counts) == DELIVERIES and set(counts.values()) == {1}
    assert all(r.valid for r in receiver.received)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}
