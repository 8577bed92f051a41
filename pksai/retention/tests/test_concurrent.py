"""Several runs at once (two schedulers' workers, or one and `pksai retention`) anonymise each
record once: the chunks are taken FOR UPDATE SKIP LOCKED and written into the ledger in the
same transaction, so together the runs do exactly the due work, with no overlap."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from pksai.grievances import services as grievances
from pksai.grievances.models import Complaint
from pksai.retention.models import AnonymisedRecord, Kind, RetentionRun
from pksai.retention.services import retention_run

COMPLAINTS = 40


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_anonymise_each_record_once(pilot_areas):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's in-memory test database cannot hold concurrent writers")
    for i in range(COMPLAINTS):
        grievances.complaint_submit_public(
            grievances.ComplaintInput(
                category="mistargeting",
                description=f"Keluarga nomor {i} menerima bantuan padahal mampu.",
                area_code="73.71.01",
                name=f"Pelapor {i}",
                phone="0812000000",
            ),
            sender=f"10.0.1.{i}",
        )
    Complaint.objects.update(status="resolved", resolved_at=timezone.now() - timedelta(days=900))
    threads = 4
    barrier = threading.Barrier(threads)
    runs: list[RetentionRun] = []
    errors: list[BaseException] = []

    def run():
        try:
            barrier.wait()
            runs.append(retention_run(trigger=RetentionRun.Trigger.COMMAND, chunk=3))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors, errors
    assert sum(r.counts[Kind.COMPLAINT_RESOLVED] for r in runs) == COMPLAINTS
    assert AnonymisedRecord.objects.filter(kind="grievances.complaint").count() == COMPLAINTS
    assert set(Complaint.objects.values_list("complainant_name", flat=True)) == {""}
    # every complaint got one new version: blanked once, not four times
    assert set(Complaint.objects.values_list("version", flat=True)) == {2}
