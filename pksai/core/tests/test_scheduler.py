"""Several schedulers at once never alert or escalate the same thing twice (decision 0015):
two real `pksai scheduler` processes on one database, and — on PostgreSQL — concurrent
rounds in threads with their own connections, released together by a barrier."""

from __future__ import annotations

import subprocess
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from pksai.cases import services as case_services
from pksai.cases.models import Alert, Case
from pksai.cases.tests.conftest import team  # noqa: F401  (the case-work team fixture)
from pksai.cases.tests.factories import register
from pksai.core.tests.processes import CONSOLE_SCRIPT, query, subprocess_database_url
from pksai.grievances import services as complaint_services
from pksai.grievances.models import Complaint
from pksai.grievances.services import ComplaintInput

CASES = 30
COMPLAINTS = 6


def _overdue_work(team) -> None:  # noqa: F811
    for _ in range(CASES):
        register(team)
    Alert.objects.all().delete()
    Case.objects.update(stage_due_at=timezone.now() - timedelta(hours=1), overdue_alerted_at=None)
    for i in range(COMPLAINTS):
        complaint_services.complaint_submit_public(
            ComplaintInput(
                category="mistargeting",
                description="Tetangga saya kaya tetapi menerima bantuan setiap bulan.",
                area_code="73.71.01",
            ),
            sender=f"10.0.0.{i + 1}",
        )
    Complaint.objects.update(due_at=timezone.now() - timedelta(hours=1))


@pytest.mark.django_db(transaction=True)
def test_two_scheduler_processes_never_send_the_same_alert_twice(team, tmp_path):  # noqa: F811
    _overdue_work(team)
    url = subprocess_database_url(tmp_path)
    env = {"DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    processes = [
        subprocess.Popen(  # noqa: S603
            [str(CONSOLE_SCRIPT), "scheduler", "--once"],
            env={**__import__("os").environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=180)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs

    # Every overdue case alerted its owner and supervisor exactly once.
    assert query(url, "SELECT count(*) FROM cases_alert") == [(2 * CASES,)], outputs
    duplicates = query(
        url,
        "SELECT case_id, user_id FROM cases_alert GROUP BY case_id, user_id HAVING count(*) > 1",
    )
    assert duplicates == []
    assert query(url, "SELECT count(*) FROM cases_case WHERE overdue_alerted_at IS NULL") == [(0,)]
    # Every overdue complaint went up exactly one level, with one history row.
    assert query(url, "SELECT level, count(*) FROM grievances_complaint GROUP BY level") == [
        (2, COMPLAINTS)
    ]
    assert query(
        url, "SELECT count(*) FROM grievances_complaintevent WHERE kind = 'escalated'"
    ) == [(COMPLAINTS,)]
    # The two rounds' reports add up to the work, whoever did which part.
    reported = sum(int(out.split(" case(s)")[0].split()[-1]) for out in outputs)
    assert reported == CASES, outputs


@pytest.mark.django_db(transaction=True)
def test_concurrent_rounds_in_threads_alert_each_deadline_once(team):  # noqa: F811
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite's in-memory test database cannot hold concurrent writers (shared cache "
            "locks the table); the two-process test covers SQLite"
        )
    from django.db import connections

    _overdue_work(team)
    rounds, threads = 5, 4
    for round_no in range(rounds):
        barrier = threading.Barrier(threads)
        counts: list[int] = []
        errors: list[BaseException] = []

        def run(barrier=barrier, counts=counts, errors=errors):
            try:
                barrier.wait()
                counts.append(case_services.alert_overdue())
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                connections.close_all()

        # A new deadline, passed just now, after the last alert: every case is due once more.
        Case.objects.update(stage_due_at=timezone.now())
        workers = [threading.Thread(target=run) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert not errors, errors
        assert sum(counts) == CASES, counts  # together exactly the overdue cases, no overlap
        assert Alert.objects.count() == 2 * CASES * (round_no + 1)
