"""Benefit payments: cycles, entitlements, payer batches (immutable once exported), delivery
events from payer return files, and the card ledger read from them. Money is whole rupiah in
integer columns, never float. Written only through services.py."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pksai.core.fields import EncryptedCharField

User = settings.AUTH_USER_MODEL


class Channel(models.TextChoices):
    POST_HOME = "post_home", _("post office: delivered to the address")
    POST_OFFICE = "post_office", _("post office: collected at the post office")
    VILLAGE_OFFICE = "village_office", _("post office: at the village office")
    FACILITATOR = "facilitator", _("post office: through the facilitator")
    ACCOUNT = "account", _("child savings account (through the LKSA)")


class DeliveryPreference(models.Model):
    """How a beneficiary's cash is delivered when it goes through the post office: to the
    address, collected at the post office or the village office, or through the facilitator
    (a bedridden elder, a guardian working away). Without one: to the address. PKSA children
    with an LKSA are paid into their savings account whatever this says."""

    beneficiary = models.OneToOneField(
        "programs.Beneficiary", on_delete=models.PROTECT, related_name="delivery_preference"
    )
    channel = models.CharField(_("delivery"), max_length=15, choices=Channel.choices)
    reason = models.CharField(_("why"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("delivery preference")
        verbose_name_plural = _("delivery preferences")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(channel="account"), name="preference_is_a_post_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.beneficiary_id}: {self.channel}"


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
    # paid_on − the due date (the 15th) of the earliest period the payment covers: a lump sum
    # carrying February into March paid on 20 March is 33 days late (negative: early)
    days_late = models.SmallIntegerField(_("days late"), null=True, blank=True)
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


class InKindItem(models.Model):
    """The in-kind part of a benefit for one period (e.g. a PKS-ABT nutrition package handed
    out by the day-care centre), tracked as an item: due, then delivered (date, by whom) or
    not delivered (why). In-kind items are not carried: a missed package is recorded as
    undelivered, not paid later in cash."""

    class Status(models.TextChoices):
        DUE = "due", _("due")
        DELIVERED = "delivered", _("delivered")
        UNDELIVERED = "undelivered", _("not delivered")

    cycle = models.ForeignKey(PaymentCycle, on_delete=models.PROTECT, related_name="items")
    beneficiary = models.ForeignKey(
        "programs.Beneficiary", on_delete=models.PROTECT, related_name="in_kind_items"
    )
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    description = models.CharField(_("item"), max_length=200)
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    value = models.BigIntegerField(_("value (Rp)"), default=0)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DUE, db_index=True
    )
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True)
    delivered_by = models.CharField(_("delivered by"), max_length=200, blank=True)
    reason = models.CharField(_("why not delivered"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("in-kind item")
        verbose_name_plural = _("in-kind items")
        ordering = ["cycle", "area", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "beneficiary"], name="in_kind_once"),
            models.CheckConstraint(
                condition=~models.Q(status="delivered") | models.Q(delivered_on__isnull=False),
                name="in_kind_delivered_has_date",
            ),
        ]
        indexes = [
            models.Index(
                fields=["area"], name="in_kind_area_prefix", opclasses=["varchar_pattern_ops"]
            )
        ]

    def __str__(self) -> str:
        return f"{self.cycle}: {self.beneficiary_id} {self.description}"


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
    nik = EncryptedCharField(max_length=16, blank=True)  # sealed (decision 0024)
    address = models.CharField(max_length=300, blank=True)
    area_code = models.CharField(max_length=13)
    months = models.CharField(max_length=200)
    amount = models.BigIntegerField()
    channel = models.CharField(max_length=15, choices=Channel.choices)

    class Meta:
        verbose_name = _("payment batch line")
        verbose_name_plural = _("payment batch lines")
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


# --- PKSA child savings accounts --------------------------------------------------------


class SavingsAccount(models.Model):
    """A PKSA child's savings account, held through the partner LKSA. Its balance is never
    stored: it is the sum of the ledger (deposits minus withdrawals), read under a row lock
    on the account whenever money leaves it."""

    beneficiary = models.OneToOneField(
        "programs.Beneficiary",
        verbose_name=_("child"),
        on_delete=models.PROTECT,
        related_name="savings_account",
    )
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    partner = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("held through (LKSA)"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    number = models.CharField(_("account number"), max_length=40, unique=True)
    guardian_name = models.CharField(_("guardian"), max_length=200)
    opened_on = models.DateField(_("opened on"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("savings account")
        verbose_name_plural = _("savings accounts")
        ordering = ["area", "number"]
        indexes = [
            models.Index(
                fields=["area"], name="savings_area_prefix", opclasses=["varchar_pattern_ops"]
            )
        ]

    def __str__(self) -> str:
        return self.number


class FundPlan(models.Model):
    """The fund-utilisation plan of an account: what the savings may be spent on (items and
    amounts), from the child's needs assessment. Money leaves the account only against an
    item of an approved plan; an approved plan no longer changes."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        APPROVED = "approved", _("approved")

    account = models.ForeignKey(SavingsAccount, on_delete=models.PROTECT, related_name="plans")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    needs_assessment = models.TextField(_("needs assessment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("fund-utilisation plan")
        verbose_name_plural = _("fund-utilisation plans")
        ordering = ["account", "-created_at"]
        permissions = [("approve_fundplan", "Can approve a fund-utilisation plan")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="draft")
                | models.Q(approved_at__isnull=False, approved_by__isnull=False),
                name="fundplan_approved_has_approver",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account} #{self.pk}"


class FundPlanItem(models.Model):
    """One line of a plan: what for, and how much at most (whole rupiah)."""

    plan = models.ForeignKey(FundPlan, on_delete=models.PROTECT, related_name="items")
    description = models.CharField(_("item / purpose"), max_length=200)
    amount = models.BigIntegerField(_("amount (Rp)"))

    class Meta:
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")
        ordering = ["plan", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="plan_item_positive")
        ]

    def __str__(self) -> str:
        return self.description


class SavingsEntry(models.Model):
    """The account's ledger: a deposit (a paid PKSA entitlement, once) or a withdrawal
    against an item of the approved plan, with its purpose. Rows are only ever added."""

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("deposit")
        WITHDRAWAL = "withdrawal", _("withdrawal")

    account = models.ForeignKey(SavingsAccount, on_delete=models.PROTECT, related_name="entries")
    on = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    amount = models.BigIntegerField(_("amount (Rp)"))
    purpose = models.CharField(_("purpose"), max_length=300, blank=True)
    plan_item = models.ForeignKey(
        FundPlanItem, null=True, blank=True, on_delete=models.PROTECT, related_name="withdrawals"
    )
    entitlement = models.ForeignKey(
        Entitlement, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("savings entry")
        verbose_name_plural = _("savings entries")
        ordering = ["account", "on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="savings_amount_positive"
            ),
            models.UniqueConstraint(
                fields=["entitlement"],
                condition=models.Q(entitlement__isnull=False),
                name="savings_deposit_once_per_entitlement",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="deposit", plan_item__isnull=True)
                | models.Q(kind="withdrawal", plan_item__isnull=False, entitlement__isnull=True),
                name="savings_withdrawal_against_plan_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.kind} Rp {self.amount:,}"
