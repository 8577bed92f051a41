"""Sending what the service queued (decision 0033): the worker claims due messages in batches
(``SELECT … FOR UPDATE SKIP LOCKED``, marked ``sending`` in the same transaction), keeps each
channel under its rate, hands each message to its channel, retries with exponential backoff or
fails it; receipts (callbacks, or polled) move messages on; the scheduler's round does the
housekeeping (claims of crashed workers, texts past ``PKSAI_MESSAGING_BODY_DAYS``)."""

from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from pksai.core import ratelimit
from pksai.messaging.channels import get_channel
from pksai.messaging.channels.base import ChannelError, OutboundMessage, Receipt
from pksai.messaging.models import Message
from pksai.messaging.services import S, _enqueue_send

log = logging.getLogger(__name__)
_RANK = {S.QUEUED: 0, S.SENDING: 1, S.SENT: 2, S.DELIVERED: 3, S.READ: 4}
STALE_CLAIM = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=6)


# --- sending ---------------------------------------------------------------------------------


def _claim(limit: int) -> list[int]:
    """Take up to ``limit`` due messages for this worker: locked with SKIP LOCKED (rows another
    worker holds are passed over) and marked ``sending`` in the same transaction, so no two
    workers ever claim one message."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(status=S.QUEUED, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Message.objects.filter(pk__in=ids, status=S.QUEUED).update(
                status=S.SENDING, claimed_at=now, attempts=F("attempts") + 1
            )
    return ids


def _rate(channel: str) -> float:
    config = settings.PKSAI_MESSAGING_CHANNELS.get(channel) or {}
    return float(config.get("RATE_PER_SECOND", 10))


def _backoff(attempts: int, retry_after: float | None) -> timedelta:
    base = timedelta(seconds=settings.PKSAI_MESSAGING_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0))
    wait = max(base, timedelta(seconds=retry_after or 0))
    return min(wait, MAX_BACKOFF)


def _deliver(message: Message) -> str:
    """Hand one claimed message to its channel and record the outcome."""
    now = timezone.now()
    mine = Message.objects.filter(pk=message.pk, status=S.SENDING)
    params = dict(message.params or {})
    provider_template = params.pop("provider_template", "")
    try:
        result = get_channel(message.channel).send(
            OutboundMessage(
                reference=str(message.reference),
                to=message.recipient,
                body=message.body,
                language=message.language,
                subject=message.subject,
                template=provider_template,
                params=params,
            )
        )
    except Exception as exc:
        retryable = exc.retryable if isinstance(exc, ChannelError) else True
        retry_after = exc.retry_after if isinstance(exc, ChannelError) else None
        if not isinstance(exc, ChannelError):
            log.exception("channel %s raised on message %s", message.channel, message.pk)
        error = str(exc)[:500]
        if retryable and message.attempts < settings.PKSAI_MESSAGING_MAX_ATTEMPTS:
            mine.update(
                status=S.QUEUED,
                claimed_at=None,
                last_error=error,
                next_attempt_at=now + _backoff(message.attempts, retry_after),
            )
            log.info(
                "message %s attempt %d failed, retrying: %s", message.pk, message.attempts, error
            )
            return "retry"
        mine.update(
            status=S.FAILED,
            claimed_at=None,
            last_error=error,
            body="",
            subject="",
            params=None,
            body_blanked_at=now,
        )
        log.warning("message %s failed after %d attempts: %s", message.pk, message.attempts, error)
        return "failed"
    mine.update(
        status=S.SENT,
        claimed_at=None,
        last_error="",
        sent_at=now,
        provider_id=result.provider_id[:128],
    )
    return "sent"


def messages_send_due(*, budget_seconds: float = 50.0, batch: int | None = None) -> dict[str, int]:
    """Send the due messages, a batch at a time, until none is due or the time budget is
    spent. A channel over its rate (``RATE_PER_SECOND`` in its settings, counted across every
    worker in ``core.ratelimit``) gets its claimed messages back in the queue a second later."""
    batch = batch or settings.PKSAI_MESSAGING_BATCH
    counts = {"sent": 0, "retry": 0, "failed": 0, "throttled": 0}
    started = time.monotonic()
    while time.monotonic() - started < budget_seconds:
        ids = _claim(batch)
        if not ids:
            soon = Message.objects.filter(
                status=S.QUEUED, next_attempt_at__lte=timezone.now() + timedelta(seconds=2)
            ).exists()
            if soon and time.monotonic() - started + 1 < budget_seconds:
                time.sleep(1)
                continue
            break
        throttled: set[str] = set()
        for message in Message.objects.filter(pk__in=ids).order_by("next_attempt_at", "id"):
            over = message.channel in throttled or ratelimit.hit(
                f"messaging:{message.channel}", "send", window=timedelta(seconds=1)
            ) > _rate(message.channel)
            if over:
                throttled.add(message.channel)
                Message.objects.filter(pk=message.pk, status=S.SENDING).update(
                    status=S.QUEUED,
                    claimed_at=None,
                    attempts=F("attempts") - 1,
                    next_attempt_at=timezone.now() + timedelta(seconds=1),
                )
                counts["throttled"] += 1
                continue
            counts[_deliver(message)] += 1
    return counts


def messages_due() -> bool:
    return Message.objects.filter(status=S.QUEUED, next_attempt_at__lte=timezone.now()).exists()


def messages_housekeeping(*, now: datetime | None = None) -> dict[str, int]:
    """Claims a crashed worker left behind go back to the queue; bodies older than
    ``PKSAI_MESSAGING_BODY_DAYS`` are blanked (only the record stays)."""
    now = now or timezone.now()
    stale = Message.objects.filter(status=S.SENDING, claimed_at__lt=now - STALE_CLAIM).update(
        status=S.QUEUED, claimed_at=None, next_attempt_at=now
    )
    old = now - timedelta(days=settings.PKSAI_MESSAGING_BODY_DAYS)
    blanked = (
        Message.objects.filter(created_at__lt=old, body_blanked_at__isnull=True)
        .exclude(status__in=[S.QUEUED, S.SENDING])
        .update(body="", subject="", params=None, body_blanked_at=now)
    )
    return {"requeued": stale, "blanked": blanked}


POLL_WINDOW = timedelta(days=2)
POLL_LIMIT = 200


def receipts_poll(*, now: datetime | None = None) -> int:
    """For channels whose provider is asked rather than calling back (a backend with
    ``poll_receipts(provider_ids)``, e.g. RapidPro): ask about the messages sent in the last
    two days still waiting for a final status, at most ``POLL_LIMIT`` a channel a round."""
    from pksai.messaging.channels import channel_names

    now = now or timezone.now()
    changed = 0
    for name in channel_names():
        backend = get_channel(name)
        poll = getattr(backend, "poll_receipts", None)
        if poll is None:
            continue
        ids = list(
            Message.objects.filter(channel=name, status=S.SENT, sent_at__gte=now - POLL_WINDOW)
            .exclude(provider_id="")
            .order_by("sent_at")
            .values_list("provider_id", flat=True)[:POLL_LIMIT]
        )
        if not ids:
            continue
        try:
            receipts = poll(ids)
        except ChannelError as exc:
            log.warning("receipts of %s could not be polled: %s", name, exc)
            continue
        changed += receipts_apply(channel=name, receipts=receipts)
    return changed


def messaging_schedule(*, now: datetime | None = None) -> dict[str, int]:
    """The scheduler's round: housekeeping, receipts polled where the provider sends none,
    then one send task when messages are due (their retry time has come; new messages queue
    their own task when recorded)."""
    counts = messages_housekeeping(now=now)
    counts["polled"] = receipts_poll(now=now)
    if messages_due():
        _enqueue_send()
        counts["queued_task"] = 1
    return counts


# --- receipts -------------------------------------------------------------------------------


def receipts_apply(*, channel: str, receipts: list[Receipt]) -> int:
    """Move messages on from delivery receipts (matched by the provider's id or our
    reference); a receipt never moves a message back (``sent`` after ``read`` is ignored).
    A final status blanks the body."""
    changed = 0
    now = timezone.now()
    for receipt in receipts:
        match = Q()
        if receipt.provider_id:
            match |= Q(provider_id=receipt.provider_id)
        if receipt.reference:
            try:
                match |= Q(reference=uuid.UUID(receipt.reference))
            except ValueError:
                pass
        if not match:
            continue
        rows = Message.objects.filter(match, channel=channel)
        at = receipt.at or now
        if receipt.status == "failed":
            changed += rows.filter(status__in=[S.SENDING, S.SENT]).update(
                status=S.FAILED,
                last_error=(receipt.error or "failed at the provider")[:500],
                body="",
                subject="",
                params=None,
                body_blanked_at=now,
            )
            continue
        status = S(receipt.status)
        lower = [s for s, rank in _RANK.items() if rank < _RANK[status]]
        fields: dict[str, Any] = {"status": status}
        if status == S.SENT:
            fields["sent_at"] = at
        elif status == S.DELIVERED:
            fields.update(delivered_at=at, body="", subject="", params=None, body_blanked_at=now)
        elif status == S.READ:
            fields.update(read_at=at, body="", subject="", params=None, body_blanked_at=now)
        changed += rows.filter(status__in=lower).update(**fields)
        if status == S.READ:
            rows.filter(delivered_at__isnull=True).update(delivered_at=at)
    return changed
