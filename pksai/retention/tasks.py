"""The retention run as a background task: `pksai scheduler` queues it once a day (the
clock in ``RetentionClock``), the worker runs it (immediately in tests)."""

from __future__ import annotations

from django.tasks import task

from pksai.retention.services import retention_run


@task()
def run_retention(trigger: str) -> dict[str, object]:
    """The daily housekeeping: the retention run, then the webhook delivery log's pruning
    (PKSAI_WEBHOOK_LOG_DAYS) and of the DCI message ids kept against replays
    (PKSAI_DCI_MESSAGE_LOG_DAYS); no personal data, so deleted outright, not anonymised."""
    from pksai.dci.services import received_messages_prune
    from pksai.webhooks.services import webhook_log_prune

    run = retention_run(trigger=trigger)
    pruned = webhook_log_prune()
    return {
        "run": run.pk,
        "anonymised": run.counts,
        "held": run.held,
        "webhook_log": pruned,
        "dci_message_log": received_messages_prune(),
    }
