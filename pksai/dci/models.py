"""DCI (Digital Convergence Initiative) exchange: who may search our social registry, which
messages they sent, and what a civil registry (CRVS) told us about a child's birth
registration — decision 0039, docs/dci.md."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pksai.core.fields import EncryptedCharField


class Caller(models.Model):
    """A system registered to search PKSAI through the DCI social-registry API: it signs its
    messages with the private key of ``public_key`` and sees only people (and, when allowed,
    beneficiaries) living in its areas."""

    name = models.CharField(_("name"), max_length=200)
    sender_id = models.CharField(
        _("sender id"),
        max_length=200,
        unique=True,
        help_text=_("The header.sender_id the caller puts in its DCI messages."),
    )
    public_key = models.TextField(
        _("public key"),
        help_text=_("The caller's Ed25519 signing key: PEM, or a JWK (OKP, Ed25519) as JSON."),
    )
    national = models.BooleanField(_("national scope"), default=False)
    areas = models.ManyToManyField(
        "areas.Area", verbose_name=_("areas"), blank=True, related_name="+"
    )
    may_search_people = models.BooleanField(_("may search people"), default=True)
    may_search_beneficiaries = models.BooleanField(_("may search beneficiaries"), default=False)
    callback_url = models.URLField(
        _("callback URL"),
        blank=True,
        help_text=_("Where asynchronous search results go (its /registry/on-search)."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("registered"), default=timezone.now)

    class Meta:
        verbose_name = _("DCI caller")
        verbose_name_plural = _("DCI callers")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.sender_id})"


class ReceivedMessage(models.Model):
    """A message id a caller used once: the same id again is refused
    (``rjct.message_id.duplicate``), so a captured message cannot be replayed."""

    caller = models.ForeignKey(Caller, on_delete=models.CASCADE, related_name="messages")
    message_id = models.CharField(max_length=200)
    transaction_id = models.CharField(max_length=99, blank=True)
    action = models.CharField(max_length=30)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    records = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["caller", "message_id"], name="dci_message_once")
        ]

    def __str__(self) -> str:
        return f"{self.caller_id}:{self.message_id}"


class BirthRegistration(models.Model):
    """What is known about a registry person's birth registration: an answer of the DCI CRVS
    registry, or a birth-certificate referral that came back delivered."""

    class Source(models.TextChoices):
        CRVS = "crvs", _("civil registry (DCI CRVS search)")
        REFERRAL = "referral", _("birth-certificate referral delivered")

    class Outcome(models.TextChoices):
        FOUND = "found", _("birth registration found")
        NOT_FOUND = "not_found", _("no birth registration found")
        ERROR = "error", _("the civil registry could not answer")

    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="birth_registrations",
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    nik_verified = models.BooleanField(_("NIK verified"), null=True)
    certificate_number = EncryptedCharField(
        _("birth certificate number"), max_length=60, blank=True
    )
    registered_on = models.DateField(_("birth registered on"), null=True, blank=True)
    referral = models.ForeignKey(
        "referrals.Referral",
        verbose_name=_("referral"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    transaction_id = models.CharField(max_length=99, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("birth registration")
        verbose_name_plural = _("birth registrations")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["person", "-at"], name="dci_birth_latest")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.outcome} {self.at:%Y-%m-%d}"
