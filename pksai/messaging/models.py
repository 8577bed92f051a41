"""Outbound messages, their templates and the consent to be contacted (issue 20, decision 0033).

A :class:`Message` is one text to one recipient on one channel. The recipient and the body are
sealed (``core.fields``); the recipient is also kept as a keyed hash (``recipient_hash``) so
that receipts, STOP replies and consent checks find rows without opening them. The body is
blanked once the message is final (delivered, read, failed for good) or after
``PKSAI_MESSAGING_BODY_DAYS``: the record (to whom, which template, when, status) stays.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pksai.core.fields import EncryptedCharField, EncryptedJSONField, EncryptedTextField


class Purpose(models.TextChoices):
    """Why a person is contacted; consent is given per purpose and channel."""

    COMPLAINT = "complaint", _("news about their complaint")
    PAYMENT = "payment", _("payment notices")
    REFERRAL = "referral", _("referral follow-up and satisfaction")
    WORK = "work", _("work alerts (staff and focal persons)")
    SERVICE = "service", _("answers to their own messages")


class Message(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent")
        DELIVERED = "delivered", _("delivered")
        READ = "read", _("read")
        FAILED = "failed", _("failed")
        REFUSED_NO_CONSENT = "refused_no_consent", _("not sent: no consent")
        OPTED_OUT = "opted_out", _("not sent: opted out")

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField(_("channel"), max_length=30)
    recipient = EncryptedCharField(_("recipient"), max_length=254, blank=True)
    recipient_hash = models.CharField(max_length=32, blank=True, db_index=True)
    template = models.CharField(_("template"), max_length=60)
    language = models.CharField(_("language"), max_length=5, default="id")
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    subject = EncryptedCharField(_("subject"), max_length=200, blank=True)
    body = EncryptedTextField(_("text"), blank=True)
    params = EncryptedJSONField(null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=128, blank=True, db_index=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    area = models.ForeignKey(
        "areas.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    complaint = models.ForeignKey(
        "grievances.Complaint",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    referral = models.ForeignKey(
        "referrals.Referral",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    beneficiary = models.ForeignKey(
        "programs.Beneficiary",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    body_blanked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="message_due")]
        permissions = [("view_message_report", _("Can see the messaging report"))]

    def __str__(self) -> str:
        return f"{self.template} · {self.channel} · {self.status}"


class MessageTemplate(models.Model):
    """The text of one message kind in one language (optionally for one channel), with
    ``{placeholders}`` from the kind's declared list (``catalogue.KINDS``). The newest version
    valid on a day is used; editing means adding a version, so history keeps what was sent."""

    code = models.CharField(_("message"), max_length=60)
    language = models.CharField(
        _("language"), max_length=5, choices=[("id", "Bahasa Indonesia"), ("en", "English")]
    )
    channel = models.CharField(
        _("channel"), max_length=30, blank=True, help_text=_("Empty: every channel.")
    )
    subject = models.CharField(_("subject (e-mail)"), max_length=200, blank=True)
    text = models.TextField(_("text"))
    provider_template = models.CharField(
        _("provider's template name"),
        max_length=100,
        blank=True,
        help_text=_("WhatsApp: the approved template the provider sends this text with."),
    )
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["code", "language", "channel", "-valid_from", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "language", "channel", "version"], name="template_version_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.language}{' · ' + self.channel if self.channel else ''})"

    def clean(self) -> None:
        from pksai.messaging.catalogue import template_errors

        errors = template_errors(self.code, self.text, self.subject)
        if errors:
            from django.core.exceptions import ValidationError

            raise ValidationError({"text": errors})


class ContactConsent(models.Model):
    """A person's consent to be contacted at one address, on one channel, for one purpose —
    with when and how it was given, and when and how it was withdrawn (a STOP reply, staff)."""

    class Source(models.TextChoices):
        FORM = "form", _("public form")
        STAFF = "staff", _("recorded by staff")
        INBOUND = "inbound", _("their own message")
        SELF = "self", _("their own account settings")

    class Withdrawal(models.TextChoices):
        STOP = "stop", _("replied STOP")
        STAFF = "staff", _("recorded by staff")
        SELF = "self", _("their own account settings")

    recipient = EncryptedCharField(_("phone or e-mail"), max_length=254)
    recipient_hash = models.CharField(max_length=32, db_index=True)
    channel = models.CharField(_("channel"), max_length=30)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    beneficiary = models.ForeignKey(
        "programs.Beneficiary",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="contact_consents",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="contact_consents",
    )
    language = models.CharField(_("language"), max_length=5, default="id")
    given_at = models.DateTimeField(_("given"), default=timezone.now)
    source = models.CharField(_("how"), max_length=10, choices=Source.choices)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_how = models.CharField(
        _("withdrawn how"), max_length=10, choices=Withdrawal.choices, blank=True
    )

    class Meta:
        verbose_name = _("consent to be contacted")
        verbose_name_plural = _("consents to be contacted")
        ordering = ["-given_at"]
        indexes = [
            models.Index(fields=["recipient_hash", "channel", "purpose"], name="consent_lookup")
        ]

    def __str__(self) -> str:
        return f"{self.channel} · {self.purpose}"
