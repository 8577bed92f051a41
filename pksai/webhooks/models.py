"""Outbound webhooks (decision 0035, docs/webhooks.md).

``Subscriber``: where events go (URL, sealed secret, kinds, area filter, personal-data
approval). ``Event``: the transactional outbox — one row per domain change, written in the
same transaction as the change by ``services.event_emit`` / ``events_emit_bulk``, carrying only
ids, codes, area codes, statuses and dates. ``Delivery``: one event for one subscriber, with a
stable id (sent as ``X-PKSAI-Delivery`` on every attempt and every replay), attempts, the last
answer and when to try next.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pksai.core.fields import EncryptedCharField


class Kind(models.TextChoices):
    CASE_REGISTERED = "case.registered", _("case registered")
    CASE_MOVED = "case.moved", _("case moved to another stage")
    CASE_CLOSED = "case.closed", _("case closed")
    REFERRAL_SENT = "referral.sent", _("referral sent")
    REFERRAL_ANSWERED = "referral.answered", _("referral accepted or declined")
    REFERRAL_DELIVERED = "referral.delivered", _("referral service delivered")
    BENEFICIARY_ENROLLED = "beneficiary.enrolled", _("beneficiary enrolled")
    BENEFICIARY_EXITED = "beneficiary.exited", _("beneficiary left the program")
    PAYMENT_DELIVERED = "payment.delivered", _("payment delivered")
    PAYMENT_HELD = "payment.held", _("payment held")
    COMPLAINT_FILED = "complaint.filed", _("complaint filed")
    COMPLAINT_RESOLVED = "complaint.resolved", _("complaint resolved")


class Subscriber(models.Model):
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("address (URL)"), max_length=500)
    # HMAC key: sealed at rest (decision 0024), shown once when made or rotated
    secret = EncryptedCharField(_("signing secret"), max_length=100)
    events = models.JSONField(_("events"), default=list)
    area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Only events of this area and the areas below it; empty: every area."),
    )
    active = models.BooleanField(_("active"), default=True)
    personal_data = models.BooleanField(_("personal data approved"), default=False)
    personal_purpose = models.CharField(
        _("purpose of the personal data"), max_length=300, blank=True
    )
    personal_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    personal_approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    secret_rotated_at = models.DateTimeField(_("secret changed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("webhook subscriber")
        verbose_name_plural = _("webhook subscribers")
        ordering = ["name", "id"]
        permissions = [("approve_subscriber", "Approve personal data for a webhook subscriber")]

    def __str__(self) -> str:
        return self.name


class Event(models.Model):
    """The outbox: written with the change it reports, never changed afterwards."""

    kind = models.CharField(_("event"), max_length=30, choices=Kind.choices)
    model = models.CharField(max_length=60)  # app_label.model of the record
    object_id = models.BigIntegerField()
    area_code = models.CharField(max_length=30, blank=True)
    occurred_at = models.DateTimeField(_("occurred"))
    data = models.JSONField(default=dict)  # ids, codes, area codes, statuses, dates only
    emit_key = models.UUIDField(db_index=True)  # the emit call that wrote it (fan-out)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        indexes = [models.Index(fields=["kind", "object_id"], name="webhook_event_object")]

    def __str__(self) -> str:
        return f"{self.kind} {self.model}:{self.object_id}"


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed, given up")

    uid = models.UUIDField(_("delivery id"), unique=True, default=uuid.uuid4)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)  # all, replays included
    tries = models.PositiveIntegerField(default=0)  # in this round (since created or replayed)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last answer"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    replays = models.PositiveIntegerField(_("replays"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["subscriber", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return str(self.uid)
