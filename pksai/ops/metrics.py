"""Prometheus metrics: request latency and errors per view (counted in each process), task
queue depth and age and import progress (read from the database when scraped).

With several web-server worker processes, set ``PROMETHEUS_MULTIPROC_DIR`` to an empty
directory writable by all of them (emptied when the server starts); each process writes its
counters there and ``/metrics`` adds them up (prometheus_client's multiprocess mode). The
server calls :func:`mark_process_dead` when a worker exits.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

if _dir := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(_dir, exist_ok=True)  # each process writes its counters there

# Seconds: most pages answer well under 300 ms; reports and imports take longer.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10, 30, 60)

REQUEST_LATENCY = Histogram(
    "pksai_http_request_duration_seconds",
    "Time to answer a request, by view (URL name) and method.",
    ["view", "method"],
    buckets=LATENCY_BUCKETS,
)
RESPONSES = Counter(
    "pksai_http_responses_total",
    "Responses by view, method and status class (2xx, 3xx, 4xx, 5xx).",
    ["view", "method", "status"],
)
EXCEPTIONS = Counter(
    "pksai_http_exceptions_total",
    "Unhandled exceptions raised by views (answered with 500), by view and exception class.",
    ["view", "exception"],
)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def mark_process_dead(pid: int) -> None:
    """Call from the web server when a worker process exits (gunicorn's ``child_exit``)."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)


def observe_request(*, view: str, method: str, status: int, seconds: float) -> None:
    REQUEST_LATENCY.labels(view=view, method=method).observe(seconds)
    RESPONSES.labels(view=view, method=method, status=f"{status // 100}xx").inc()


def observe_exception(*, view: str, exception: BaseException) -> None:
    EXCEPTIONS.labels(view=view, exception=type(exception).__name__).inc()


def _age(now: datetime, then: datetime | None) -> float:
    return max((now - then).total_seconds(), 0.0) if then else 0.0


class DatabaseCollector(Collector):
    """Reads the task queue (django_tasks_db) and the registry import batches at scrape time:
    a few grouped queries, whatever the number of rows."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django_tasks_db.models import DBTaskResult

        from pksai.registry.models import ImportBatch

        now = timezone.now()
        tasks = GaugeMetricFamily(
            "pksai_tasks", "Background tasks by queue and status.", labels=["queue", "status"]
        )
        oldest_ready = GaugeMetricFamily(
            "pksai_tasks_ready_oldest_age_seconds",
            "Age of the oldest task waiting for a worker (0 when none waits), by queue.",
            labels=["queue"],
        )
        oldest_running = GaugeMetricFamily(
            "pksai_tasks_running_oldest_age_seconds",
            "How long the longest-running task has run (0 when none runs), by queue.",
            labels=["queue"],
        )
        groups = (
            DBTaskResult.objects.order_by()
            .values("queue_name", "status")
            .annotate(n=Count("id"), enqueued=Min("enqueued_at"), started=Min("started_at"))
        )
        queues: dict[str, dict[str, float]] = {}
        for row in groups:
            queue = row["queue_name"]
            tasks.add_metric([queue, row["status"].lower()], row["n"])
            ages = queues.setdefault(queue, {"ready": 0.0, "running": 0.0})
            if row["status"] == "READY":
                ages["ready"] = _age(now, row["enqueued"])
            elif row["status"] == "RUNNING":
                ages["running"] = _age(now, row["started"])
        for queue, ages in sorted(queues.items()):
            oldest_ready.add_metric([queue], ages["ready"])
            oldest_running.add_metric([queue], ages["running"])
        yield tasks
        yield oldest_ready
        yield oldest_running

        batches = GaugeMetricFamily(
            "pksai_import_batches", "Registry import batches by status.", labels=["status"]
        )
        for row in ImportBatch.objects.order_by().values("status").annotate(n=Count("id")):
            batches.add_metric([row["status"]], row["n"])
        yield batches
        progress = GaugeMetricFamily(
            "pksai_import_progress_ratio",
            "Progress (0–1) of each queued or running registry import.",
            labels=["batch", "source", "status"],
        )
        rows = GaugeMetricFamily(
            "pksai_import_rows",
            "Rows read, accepted and rejected so far by each queued or running import.",
            labels=["batch", "kind"],
        )
        age = GaugeMetricFamily(
            "pksai_import_age_seconds",
            "Time since each queued or running import was created.",
            labels=["batch"],
        )
        active = ImportBatch.objects.filter(
            status__in=[ImportBatch.Status.QUEUED, ImportBatch.Status.RUNNING]
        ).values(
            "pk",
            "source",
            "status",
            "progress",
            "rows_read",
            "rows_accepted",
            "rows_rejected",
            "created_at",
        )
        for batch in active:
            key = str(batch["pk"])
            progress.add_metric([key, batch["source"], batch["status"]], batch["progress"] / 100)
            for kind in ("read", "accepted", "rejected"):
                rows.add_metric([key, kind], batch[f"rows_{kind}"])
            age.add_metric([key], _age(now, batch["created_at"]))
        yield progress
        yield rows
        yield age


def render() -> tuple[bytes, str]:
    """The exposition text: this process's (or all processes') counters and the database's
    gauges."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector())
    return text + generate_latest(database), CONTENT_TYPE_LATEST


# --- who may read them -----------------------------------------------------------------------


def _networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(item, strict=False)
        for item in getattr(settings, "PKSAI_METRICS_ALLOWED", ["127.0.0.1", "::1"])
    ]


def may_read(*, ip: str | None, authorization: str) -> bool:
    """A scraper may read the metrics with the bearer token (``PKSAI_METRICS_TOKEN``) or from
    an allowed address (``PKSAI_METRICS_ALLOWED``: addresses or networks; default 127.0.0.1
    and ::1). Nothing else — not even a signed-in administrator."""
    token = getattr(settings, "PKSAI_METRICS_TOKEN", "")
    if token and authorization.startswith("Bearer "):
        return secrets.compare_digest(authorization[7:].strip().encode(), token.encode())
    if not ip:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in _networks())
