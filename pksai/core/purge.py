"""Deleting a log's old rows without one long lock: in chunks of ids, each one DELETE in its own
transaction, so a second run at the same time finds nothing twice (used by the webhook delivery
log and the DCI message-id log)."""

from __future__ import annotations

from django.db import models, transaction


def delete_in_chunks(queryset: models.QuerySet, *, chunk: int) -> int:
    """Delete every row of ``queryset`` (re-evaluated after each chunk), ``chunk`` ids at a
    time in primary-key order. Returns the number of rows deleted (cascades included)."""
    model = queryset.model
    ordered = queryset.order_by("pk").values_list("pk", flat=True)
    deleted = 0
    while ids := list(ordered[:chunk]):
        with transaction.atomic():
            count, _by_model = model.objects.filter(pk__in=ids).delete()
        deleted += count
        if len(ids) < chunk:
            break
    return deleted
