"""The retention run as a background task: `pksai scheduler` queues it once a day (the
clock in ``RetentionClock``), the worker runs it (immediately in tests)."""

from __future__ import annotations

from django.tasks import task

from pksai.retention.services import retention_run


@task()
def run_retention(trigger: str) -> dict[str, object]:
    run = retention_run(trigger=trigger)
    return {"run": run.pk, "anonymised": run.counts, "held": run.held}
