"""Payment notices as a background task: a cycle of many thousand beneficiaries queues its
notices in one task, after the cycle's transaction commits."""

from __future__ import annotations

from django.tasks import task

from pksai.payments.notices import payment_notices_queue


@task()
def queue_payment_notices(cycle_id: int) -> dict[str, int]:
    return payment_notices_queue(cycle_id=cycle_id)
