"""Outbound webhooks: subscribers, the outbox and deliveries (decision 0035, docs/webhooks.md).

Domain services call ``event_emit`` (one record) or ``events_emit_bulk`` (a queryset) inside
their own transaction: the event rows and their deliveries — one per active subscriber that
asked for the kind and whose area filter covers the record — are written by INSERT … SELECT
statements (one for the events, one per matching subscriber), so a return file of thousands of
payments costs the same few statements as one case. The worker sends them after commit
(``deliveries_run``, tasks.py); the scheduler picks up what is due for a retry.
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models import Exists, F, OuterRef, Value
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.translation import gettext as _

from pksai.accounts.scoping import require_perm
from pksai.audit.services import audit_record
from pksai.core.purge import delete_in_chunks
from pksai.webhooks.models import Delivery, Event, Kind, Subscriber
from pksai.webhooks.payloads import SPECS, personal

logger = logging.getLogger(__name__)

MANAGE = "webhooks.change_subscriber"
ADD = "webhooks.add_subscriber"
APPROVE = "webhooks.approve_subscriber"
USER_AGENT = "PKSAI-Webhooks/1"


# --- subscribers ---------------------------------------------------------------------------


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def url_check(url: str) -> str:
    """https only; plain http only to the hosts of ``PKSAI_WEBHOOK_ALLOW_HTTP_HOSTS`` (tests
    and a receiver on the same machine)."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname in settings.PKSAI_WEBHOOK_ALLOW_HTTP_HOSTS:
        return url
    raise ValidationError({"url": [_("The address must start with https://.")]})


def _events_check(events: list[str]) -> list[str]:
    chosen = sorted(set(events))
    if not chosen or any(e not in Kind.values for e in chosen):
        raise ValidationError({"events": [_("Choose at least one event.")]})
    return chosen


@transaction.atomic
def subscriber_create(
    *, by, name: str, url: str, events: list[str], area=None, active: bool = True
) -> tuple[Subscriber, str]:
    """A new subscriber and its signing secret (returned once, to be shown once)."""
    require_perm(by, ADD)
    if not name.strip():
        raise ValidationError({"name": [_("Give the subscriber a name.")]})
    secret = new_secret()
    subscriber = Subscriber.objects.create(
        name=name.strip(),
        url=url_check(url),
        secret=secret,
        events=_events_check(events),
        area=area,
        active=active,
        created_by=by,
    )
    audit_record(
        action="create",
        actor=by,
        obj=subscriber,
        detail={"url": subscriber.url, "events": subscriber.events, "area": area and area.pk},
    )
    return subscriber, secret


def _conflict(subscriber: Subscriber):
    from pksai.cases.services import ConflictError

    return ConflictError(
        _(
            "Someone else changed subscriber %(name)s since you opened it; nothing was saved. "
            "Reload the page to see their change."
        )
        % {"name": subscriber.name}
    )


@transaction.atomic
def subscriber_update(
    *,
    by,
    subscriber: Subscriber,
    expected_version: int,
    name: str,
    url: str,
    events: list[str],
    area=None,
    active: bool = True,
) -> Subscriber:
    require_perm(by, MANAGE)
    if not name.strip():
        raise ValidationError({"name": [_("Give the subscriber a name.")]})
    values = {
        "name": name.strip(),
        "url": url_check(url),
        "events": _events_check(events),
        "area": area,
        "active": active,
    }
    updated = Subscriber.objects.filter(pk=subscriber.pk, version=expected_version).update(
        **values, version=expected_version + 1
    )
    if updated != 1:
        raise _conflict(subscriber)
    subscriber.refresh_from_db()
    audit_record(
        action="update",
        actor=by,
        obj=subscriber,
        detail={k: (v.pk if isinstance(v, models.Model) else v) for k, v in values.items()},
    )
    return subscriber


@transaction.atomic
def subscriber_rotate_secret(*, by, subscriber: Subscriber) -> str:
    """A new signing secret (the old one stops at once); returned once."""
    require_perm(by, MANAGE)
    secret = new_secret()
    Subscriber.objects.filter(pk=subscriber.pk).update(
        secret=secret, secret_rotated_at=timezone.now(), version=F("version") + 1
    )
    subscriber.refresh_from_db()
    audit_record(action="update", actor=by, obj=subscriber, detail={"secret": "rotated"})
    return secret


@transaction.atomic
def subscriber_approve_personal(*, by, subscriber: Subscriber, purpose: str) -> Subscriber:
    """Allow names and NIKs in this subscriber's payloads, for a stated purpose (audited; every
    delivery that carries them is audited as an export too)."""
    require_perm(by, APPROVE)
    purpose = purpose.strip()
    if not purpose:
        raise ValidationError({"purpose": [_("Say what the personal data is needed for.")]})
    Subscriber.objects.filter(pk=subscriber.pk).update(
        personal_data=True,
        personal_purpose=purpose,
        personal_approved_by=by,
        personal_approved_at=timezone.now(),
        version=F("version") + 1,
    )
    subscriber.refresh_from_db()
    audit_record(
        action="update",
        actor=by,
        obj=subscriber,
        detail={"personal_data": "approved", "purpose": purpose},
    )
    return subscriber


@transaction.atomic
def subscriber_revoke_personal(*, by, subscriber: Subscriber) -> Subscriber:
    require_perm(by, APPROVE)
    Subscriber.objects.filter(pk=subscriber.pk).update(
        personal_data=False, version=F("version") + 1
    )
    subscriber.refresh_from_db()
    audit_record(action="update", actor=by, obj=subscriber, detail={"personal_data": "revoked"})
    return subscriber


# --- the outbox ----------------------------------------------------------------------------


def event_emit(*, kind: str, obj: models.Model, area: str | None = None) -> int:
    """Record that ``kind`` happened to ``obj`` (call it inside the change's transaction)."""
    return events_emit_bulk(
        kind=kind, queryset=type(obj)._default_manager.filter(pk=obj.pk), area=area
    )


def _uuid_sql() -> str:
    return (
        "gen_random_uuid()" if connection.vendor == "postgresql" else "lower(hex(randomblob(16)))"
    )


def events_emit_bulk(
    *, kind: str, queryset: models.QuerySet, once: bool = False, area: str | None = None
) -> int:
    """One event per record of ``queryset``, written by one INSERT … SELECT (the payload built
    by the database from ``payloads.SPECS``), then their deliveries: one INSERT … SELECT per
    subscriber of ``kind``. ``once``: skip records that already have an event of this kind
    (a return file imported twice). Returns the number of deliveries queued."""
    if kind not in Kind.values:
        raise ValueError(f"unknown webhook event {kind!r}")
    label = queryset.model._meta.label_lower
    spec = SPECS[label]
    key = uuid.uuid4()
    now = timezone.now()
    rows = queryset.order_by()
    if once:
        rows = rows.exclude(
            Exists(Event.objects.filter(kind=kind, model=label, object_id=OuterRef("pk")))
        )
    rows = rows.annotate(
        _wh_kind=Value(kind, output_field=models.CharField()),
        _wh_model=Value(label, output_field=models.CharField()),
        _wh_area=Value(area, output_field=models.CharField()) if area else F(spec.area),
        _wh_at=Value(now, output_field=models.DateTimeField()),
        _wh_data=JSONObject(**spec.fields),
        _wh_key=Value(key, output_field=models.UUIDField()),
    ).values_list("_wh_kind", "_wh_model", "pk", "_wh_area", "_wh_at", "_wh_data", "_wh_key")
    select, params = rows.query.get_compiler(connection=connection).as_sql()
    table = Event._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (kind, model, object_id, area_code, occurred_at, data, "  # noqa: S608
            f"emit_key) {select}",
            params,
        )
        if not cursor.rowcount:
            return 0
    return _fan_out(kind=kind, key=key, now=now)


def _fan_out(*, kind: str, key: uuid.UUID, now: datetime) -> int:
    subscribers = [
        s
        for s in Subscriber.objects.filter(active=True).values("pk", "events", "area_id")
        if kind in s["events"]
    ]
    queued = 0
    db_key = models.UUIDField().get_db_prep_value(key, connection)
    with connection.cursor() as cursor:
        for s in subscribers:
            where, params = "", []
            if s["area_id"]:
                where = " AND (e.area_code = %s OR e.area_code LIKE %s)"
                params = [s["area_id"], s["area_id"] + ".%"]
            cursor.execute(
                f"INSERT INTO {Delivery._meta.db_table} (uid, event_id, subscriber_id, status, "  # noqa: S608
                "attempts, tries, next_attempt_at, last_error, replays, created_at) "
                f"SELECT {_uuid_sql()}, e.id, %s, %s, 0, 0, %s, '', 0, %s "
                f"FROM {Event._meta.db_table} e WHERE e.emit_key = %s{where}",
                [s["pk"], Delivery.Status.PENDING.value, now, now, db_key, *params],
            )
            queued += cursor.rowcount
    if queued:
        _kick()
    return queued


def _kick() -> None:
    """Have the worker send what is due once this transaction commits."""
    from pksai.webhooks.tasks import deliver_webhooks

    transaction.on_commit(partial(deliver_webhooks.enqueue))


def webhooks_schedule(*, now: datetime | None = None) -> bool:
    """The scheduler's part: when deliveries are due (retries), hand them to the worker."""
    now = now or timezone.now()
    if not Delivery.objects.filter(
        status=Delivery.Status.PENDING, next_attempt_at__lte=now
    ).exists():
        return False
    from pksai.webhooks.tasks import deliver_webhooks

    deliver_webhooks.enqueue()
    return True


# --- the delivery log's retention ------------------------------------------------------------

PRUNE_CHUNK = 5000  # rows deleted per statement (and transaction)


def webhook_log_prune(
    *, now: datetime | None = None, days: int | None = None, chunk: int = PRUNE_CHUNK
) -> dict[str, int]:
    """Delete the delivery log older than ``days`` (PKSAI_WEBHOOK_LOG_DAYS, 90; 0 keeps it for
    ever): deliveries that were delivered or given up on whose last activity (delivered, last
    attempt, else created) is before the cutoff, then the events left without a delivery that
    occurred before it. Waiting deliveries (retries, replays) and their events are kept.
    Set-based, in chunks of ids, each one DELETE in its own transaction, so a large log never
    holds one long lock and a second run at the same time finds nothing twice. Events and
    deliveries carry ids, codes and dates only (decision 0035): nothing personal is lost that
    the cases and the audit trail do not keep."""
    days = settings.PKSAI_WEBHOOK_LOG_DAYS if days is None else days
    if days <= 0:
        return {"deliveries": 0, "events": 0}
    cutoff = (now or timezone.now()) - timedelta(days=days)
    last_activity = models.functions.Coalesce("delivered_at", "last_attempt_at", "created_at")
    finished = (
        Delivery.objects.filter(status__in=[Delivery.Status.DELIVERED, Delivery.Status.FAILED])
        .alias(last_activity=last_activity)
        .filter(last_activity__lt=cutoff)
    )
    orphans = Event.objects.filter(occurred_at__lt=cutoff).filter(
        ~Exists(Delivery.objects.filter(event=OuterRef("pk")))
    )
    counts = {
        "deliveries": delete_in_chunks(finished, chunk=chunk),
        "events": delete_in_chunks(orphans, chunk=chunk),
    }
    if any(counts.values()):
        logger.info("webhook log pruned: %s", counts)
    return counts


# --- sending -------------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256 of ``timestamp + "." + body`` with the secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def payload(delivery: Delivery) -> dict[str, Any]:
    """The JSON body: personal data only for an approved subscriber (and then audited)."""
    event, subscriber = delivery.event, delivery.subscriber
    data = dict(event.data)
    if subscriber.personal_data:
        extra = personal(event.model, event.object_id)
        if extra:
            data["personal"] = extra
            audit_record(
                action="export",
                object_type=event.model,
                object_id=str(event.object_id),
                object_repr=f"{event.kind} → {subscriber.name}",
                detail={
                    "webhook": subscriber.pk,
                    "delivery": str(delivery.uid),
                    "purpose": subscriber.personal_purpose,
                    "fields": sorted(extra),
                },
            )
    return {
        "id": str(delivery.uid),
        "event": event.kind,
        "occurred_at": event.occurred_at.isoformat(),
        "data": data,
    }


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no answer (refused, timeout, bad TLS)
    error: str = ""
    retry_after: float | None = None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect is an answer like any non-2xx: retried later


_OPENER = urllib.request.build_opener(_NoRedirect)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _OPENER.open(request, timeout=settings.PKSAI_WEBHOOK_TIMEOUT_SECONDS) as response:
            response.read(1024)
            return Answer(response.status)
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, f"HTTP {exc.code}", _retry_after(exc.headers.get("Retry-After")))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Answer(None, str(reason)[:300])


def backoff(tries: int) -> float:
    """Seconds before the next try after ``tries`` failed ones: base × 2^(tries−1), capped."""
    base = settings.PKSAI_WEBHOOK_BACKOFF_SECONDS
    return min(base * 2 ** max(0, tries - 1), settings.PKSAI_WEBHOOK_BACKOFF_MAX_SECONDS)


def _claim(now: datetime, limit: int) -> list[int]:
    """Take up to ``limit`` due deliveries: rows locked with SKIP LOCKED, then pushed past a
    lease (so another worker does not take them while this one sends; a worker that dies
    leaves them due again when the lease ends). Committed before anything is sent."""
    lease = timedelta(seconds=settings.PKSAI_WEBHOOK_TIMEOUT_SECONDS * 2 + 30)
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status=Delivery.Status.PENDING,
                next_attempt_at__lte=now,
                subscriber__active=True,
            )
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Delivery.objects.filter(pk__in=ids).update(
                next_attempt_at=now + lease,
                attempts=F("attempts") + 1,
                tries=F("tries") + 1,
                last_attempt_at=now,
            )
    return ids


def delivery_send(delivery: Delivery, *, now: datetime | None = None) -> bool:
    """One attempt of a claimed delivery; records the answer. True when delivered."""
    now = now or timezone.now()
    subscriber = delivery.subscriber
    with transaction.atomic():
        body = json.dumps(
            payload(delivery), cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False
        ).encode()
    timestamp = str(int(time.time()))
    answer = post(
        subscriber.url,
        body,
        {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-PKSAI-Delivery": str(delivery.uid),
            "X-PKSAI-Event": delivery.event.kind,
            "X-PKSAI-Timestamp": timestamp,
            "X-PKSAI-Signature": sign(subscriber.secret, timestamp, body),
        },
    )
    ok = answer.status is not None and 200 <= answer.status < 300
    done = timezone.now()
    values: dict[str, Any] = {"last_status_code": answer.status, "last_error": answer.error}
    if ok:
        values |= {
            "status": Delivery.Status.DELIVERED,
            "delivered_at": done,
            "next_attempt_at": None,
        }
    elif delivery.tries >= settings.PKSAI_WEBHOOK_MAX_ATTEMPTS:
        values |= {"status": Delivery.Status.FAILED, "next_attempt_at": None}
    else:
        wait = backoff(delivery.tries)
        if answer.retry_after is not None:
            wait = min(max(answer.retry_after, 1.0), settings.PKSAI_WEBHOOK_BACKOFF_MAX_SECONDS)
        values["next_attempt_at"] = max(now, done) + timedelta(seconds=wait)
    # only this claim's attempt is recorded (not one a later claim has taken over)
    Delivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(**values)
    if not ok:
        logger.info("webhook %s to %s: %s", delivery.uid, subscriber.name, answer.error)
    return ok


def deliveries_run(*, now: datetime | None = None, limit: int = 100) -> dict[str, int]:
    """Send what is due (what the worker's task and the scheduler's retries run)."""
    now = now or timezone.now()
    counts = {"delivered": 0, "failed": 0}
    while True:
        ids = _claim(now, limit)
        if not ids:
            return counts
        batch = Delivery.objects.select_related("event", "subscriber").filter(pk__in=ids)
        for delivery in batch.order_by("id"):
            counts["delivered" if delivery_send(delivery, now=now) else "failed"] += 1
        if len(ids) < limit:
            return counts


@transaction.atomic
def delivery_replay(*, by, delivery: Delivery) -> Delivery:
    """Send a delivery again, with the same id (the receiver may have lost it): a new round
    of attempts, audited."""
    require_perm(by, MANAGE)
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.PENDING,
        tries=0,
        next_attempt_at=now,
        replays=F("replays") + 1,
    )
    delivery.refresh_from_db()
    audit_record(
        action="update",
        actor=by,
        obj=delivery,
        detail={"replay": delivery.replays, "subscriber": delivery.subscriber_id},
    )
    _kick()
    return delivery
