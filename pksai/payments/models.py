"""Benefit payments: cycles, entitlements, payer batches (immutable once exported), delivery
events from payer return files, and the card ledger read from them. Money is whole rupiah in
integer columns, never float. Written only through services.py."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

User = settings.AUTH_USER_MODEL


class Channel(models.TextChoices):
    POST_HOME = "post_home", _("post office: delivered to the address")
    POST_OFFICE = "post_office", _("post office: collected at the post office")
    VILLAGE_OFFICE = "village_office", _("post office: at the village office")
    FACILITATOR = "facilitator", _("post office: through the facilitator")
    ACCOUNT = "account", _("child savings account (through the LKSA)")


class PaymentCycle(models.Model):
    """One payment period of a program (a month for JSLU/JSPACA, a year for PKSA)."""

    program = models.ForeignKey(
        "programs.Program", verbose_name=_("program"), on_delete=models.PROTECT, related_name="+"
    )
    period = models.DateField(_("period"))  # first day of the month (or year)
    due_date = models.DateField(_("due"))  # the 15th
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("payment cycle")
        verbose_name_plural = _("payment cycles")
        ordering = ["program", "-period"]
        constraints = [
            models.UniqueConstraint(fields=["program", "period"], name="cycle_once_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.period:%Y-%m}"


class Entitlement(models.Model):
    """What a beneficiary is owed for a cycle: this period's (prorated) amount plus arrears of
    earlier periods that were never sent. Its status follows the delivery events."""

    class Status(models.TextChoices):
        DUE = "due", _("due, not yet sent")
        SENT = "sent", _("sent to the payer")
        FAILED = "failed", _("delivery failed")
        HELD = "held", _("held at the post office")
        PAID = "paid", _("paid")
        CARRIED = "carried", _("carried into a later payment")

    cycle = models.ForeignKey(PaymentCycle, on_delete=models.PROTECT, related_name="entitlements")
    beneficiary = models.ForeignKey(
        "programs.Beneficiary", on_delete=models.PROTECT, related_name="entitlements"
    )
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    own_amount = models.BigIntegerField(_("this period (Rp)"))
    arrears = models.BigIntegerField(_("arrears (Rp)"), default=0)
    amount = models.BigIntegerField(_("to pay (Rp)"))
    months = models.JSONField(_("periods covered"), default=list)  # ["2026-01", "2026-02"]
    periods = models.PositiveSmallIntegerField(_("number of periods covered"), default=1)
    in_kind = models.CharField(_("in kind"), max_length=200, blank=True)
    channel = models.CharField(_("channel"), max_length=15, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DUE, db_index=True
    )
    failed_attempts = models.PositiveSmallIntegerField(_("failed delivery attempts"), default=0)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    late = models.BooleanField(_("paid after the due date"), default=False)
    carried_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="carried"
    )

    class Meta:
        verbose_name = _("entitlement")
        verbose_name_plural = _("entitlements")
        ordering = ["cycle", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "beneficiary"], name="entitlement_once"),
            models.CheckConstraint(
                condition=models.Q(amount=models.F("own_amount") + models.F("arrears")),
                name="entitlement_amount_adds_up",
            ),
        ]
        indexes = [
            models.Index(
                fields=["area"], name="entitlement_area_prefix", opclasses=["varchar_pattern_ops"]
            )
        ]

    def __str__(self) -> str:
        return f"{self.cycle}: {self.beneficiary_id} Rp {self.amount:,}"

    @property
    def bundled(self) -> bool:
        """A payment covering several periods (a lump sum): flagged in the reports."""
        return self.periods > 1


class PayerBatch(models.Model):
    """The file sent to the payer for a cycle. Once exported its lines never change: a
    correction is a new version, and the difference between versions is shown."""

    cycle = models.ForeignKey(PaymentCycle, on_delete=models.PROTECT, related_name="batches")
    version = models.PositiveSmallIntegerField(_("version"))
    reference = models.CharField(_("batch id"), max_length=40, unique=True)
    checksum = models.CharField(_("SHA-256 of the lines"), max_length=64)
    rows = models.PositiveIntegerField(_("lines"))
    total = models.BigIntegerField(_("total (Rp)"))
    note = models.CharField(_("why this version"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("payer batch")
        verbose_name_plural = _("payer batches")
        ordering = ["cycle", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "version"], name="batch_version_once")
        ]

    def __str__(self) -> str:
        return self.reference


class BatchLine(models.Model):
    """A line of an exported batch, frozen as it was sent."""

    batch = models.ForeignKey(PayerBatch, on_delete=models.PROTECT, related_name="lines")
    line = models.PositiveIntegerField()
    entitlement = models.ForeignKey(Entitlement, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    nik = models.CharField(max_length=16, blank=True)
    address = models.CharField(max_length=300, blank=True)
    area_code = models.CharField(max_length=13)
    months = models.CharField(max_length=200)
    amount = models.BigIntegerField()
    channel = models.CharField(max_length=15, choices=Channel.choices)

    class Meta:
        ordering = ["batch", "line"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "line"], name="batch_line_once"),
            models.UniqueConstraint(fields=["batch", "entitlement"], name="batch_entitlement_once"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.line}"


class DeliveryEvent(models.Model):
    """One row of a payer return file: paid (date, channel, by whom, countersigned) or a
    failed attempt (reason). The same row imported twice is one event (``row_key``)."""

    class Result(models.TextChoices):
        PAID = "paid", _("paid")
        FAILED = "failed", _("failed attempt")

    entitlement = models.ForeignKey(Entitlement, on_delete=models.PROTECT, related_name="events")
    batch = models.ForeignKey(PayerBatch, on_delete=models.PROTECT, related_name="events")
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    on = models.DateField(_("date"))
    channel = models.CharField(_("channel"), max_length=15, choices=Channel.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    paid_by = models.CharField(_("paid by"), max_length=200, blank=True)
    countersigned = models.BooleanField(_("countersigned by the beneficiary"), default=False)
    row_key = models.CharField(max_length=64, unique=True)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("delivery event")
        verbose_name_plural = _("delivery events")
        ordering = ["on", "id"]

    def __str__(self) -> str:
        return f"{self.entitlement_id} {self.result} {self.on}"
