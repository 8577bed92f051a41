"""Webhook deliveries in the worker (queued after the change commits, and by `pksai
scheduler` for retries that came due; immediately in tests)."""

from __future__ import annotations

from django.tasks import task

from pksai.webhooks.services import deliveries_run


@task()
def deliver_webhooks() -> dict[str, int]:
    return deliveries_run()
