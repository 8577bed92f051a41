"""/metrics: who may read it, request latency and errors per view, the task queue and the
registry imports read from the database."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from prometheus_client.parser import text_string_to_metric_families

from pksai.registry.models import ImportBatch

pytestmark = pytest.mark.django_db


def scrape(client: Client, **headers) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_only_allowed_addresses_or_the_token_may_read(settings):
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 403
    settings.PKSAI_METRICS_ALLOWED = ["10.1.0.0/16"]
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 403
    settings.PKSAI_METRICS_TOKEN = "scrape-me-please"
    outsider = Client(REMOTE_ADDR="192.0.2.7")
    assert outsider.get("/metrics").status_code == 403
    wrong = outsider.get("/metrics", HTTP_AUTHORIZATION="Bearer guess")
    assert wrong.status_code == 403
    right = outsider.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me-please")
    assert right.status_code == 200 and b"pksai_tasks" in right.content


def test_a_signed_in_administrator_from_outside_is_refused(pilot_areas):
    from pksai.accounts.tests.factories import make_user

    admin = make_user("boss", national=True)
    admin.is_superuser = admin.is_staff = True
    admin.save()
    client = Client(REMOTE_ADDR="198.51.100.9")
    client.force_login(admin)
    assert client.get("/metrics").status_code == 403


def test_latency_and_responses_are_counted_per_view():
    client = Client(REMOTE_ADDR="127.0.0.1")
    before = scrape(client)
    for _ in range(3):
        assert client.get("/accounts/login/").status_code == 200
    client.get("/no-such-page/")
    after = scrape(client)
    count = "pksai_http_request_duration_seconds_count"
    assert (
        value(after, count, view="accounts:login", method="GET")
        - value(before, count, view="accounts:login", method="GET")
        == 3
    )
    ok = dict(view="accounts:login", method="GET", status="2xx")
    assert (
        value(after, "pksai_http_responses_total", **ok)
        - value(before, "pksai_http_responses_total", **ok)
        == 3
    )
    missing = dict(view="<unmatched>", method="GET", status="4xx")
    assert (
        value(after, "pksai_http_responses_total", **missing)
        - value(before, "pksai_http_responses_total", **missing)
        == 1
    )
    # the histogram has buckets: a login page answers within 10 s
    assert (
        value(
            after,
            "pksai_http_request_duration_seconds_bucket",
            le="10.0",
            **{"view": "accounts:login", "method": "GET"},
        )
        >= 3
    )


def test_unhandled_errors_are_counted(settings):
    settings.ROOT_URLCONF = "pksai.ops.tests.urls_boom"
    client = Client(REMOTE_ADDR="127.0.0.1", raise_request_exception=False)
    before = scrape(client)
    assert client.get("/boom/").status_code == 500
    after = scrape(client)
    labels = dict(view="boom", exception="RuntimeError")
    assert (
        value(after, "pksai_http_exceptions_total", **labels)
        - value(before, "pksai_http_exceptions_total", **labels)
        == 1
    )
    errors = dict(view="boom", method="GET", status="5xx")
    assert (
        value(after, "pksai_http_responses_total", **errors)
        - value(before, "pksai_http_responses_total", **errors)
        == 1
    )


def _task(status: str, *, queue: str = "default", age: timedelta, started=None):
    task = DBTaskResult.objects.create(
        status=status,
        args_kwargs={"args": [], "kwargs": {}},
        task_path="pksai.registry.tasks.run_registry_import",
        backend_name="default",
        queue_name=queue,
        run_after=timezone.now(),
    )
    DBTaskResult.objects.filter(pk=task.pk).update(
        enqueued_at=timezone.now() - age, started_at=started
    )


def test_task_queue_depth_and_age():
    _task("READY", age=timedelta(minutes=5))
    _task("READY", age=timedelta(minutes=1))
    _task("READY", queue="reports", age=timedelta(seconds=30))
    _task("RUNNING", age=timedelta(minutes=20), started=timezone.now() - timedelta(minutes=9))
    _task("SUCCESSFUL", age=timedelta(hours=2))
    samples = scrape(Client(REMOTE_ADDR="127.0.0.1"))
    assert value(samples, "pksai_tasks", queue="default", status="ready") == 2
    assert value(samples, "pksai_tasks", queue="reports", status="ready") == 1
    assert value(samples, "pksai_tasks", queue="default", status="running") == 1
    assert value(samples, "pksai_tasks", queue="default", status="successful") == 1
    oldest = value(samples, "pksai_tasks_ready_oldest_age_seconds", queue="default")
    assert 300 <= oldest < 400
    running = value(samples, "pksai_tasks_running_oldest_age_seconds", queue="default")
    assert 540 <= running < 640


def test_import_progress():
    running = ImportBatch.objects.create(
        source="dtks",
        file_name="extract.csv",
        file_sha256="0" * 64,
        status=ImportBatch.Status.RUNNING,
        progress=40,
        rows_read=1000,
        rows_accepted=990,
        rows_rejected=10,
    )
    ImportBatch.objects.create(
        source="dtks", file_name="old.csv", file_sha256="1" * 64, status=ImportBatch.Status.DONE
    )
    samples = scrape(Client(REMOTE_ADDR="127.0.0.1"))
    key = str(running.pk)
    assert value(samples, "pksai_import_batches", status="running") == 1
    assert value(samples, "pksai_import_batches", status="done") == 1
    assert value(
        samples, "pksai_import_progress_ratio", batch=key, source="dtks", status="running"
    ) == pytest.approx(0.4)
    assert value(samples, "pksai_import_rows", batch=key, kind="rejected") == 10
    assert value(samples, "pksai_import_rows", batch=key, kind="accepted") == 990
    # finished batches are not listed one by one
    assert not any(
        name == "pksai_import_progress_ratio" and ("status", "done") in labels
        for name, labels in samples
    )
