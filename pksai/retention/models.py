"""Retention (UU PDP 27/2022: personal data kept no longer than its purpose needs).

``RetentionRule``: how long each kind of record keeps its identifying fields after its purpose
ended, as data officials change (a change is a new row valid from a date, never an edit).
``LegalHold``: a case, person, complaint or whole area whose records are never anonymised
while the hold stands. ``RetentionRun``: one run of the anonymisation job and what it did.
``AnonymisedRecord``: the ledger of what each run anonymised (which record, when) — how the
job knows what is done without reading the (possibly encrypted) fields it blanked.
Written only through services.py."""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

User = settings.AUTH_USER_MODEL

# What an anonymised required text field holds (names, summaries): the same in both
# languages ("anonim" is Indonesian and reads as "anonymous" in English).
ANONYMISED = "[anonim]"


class Kind(models.TextChoices):
    """The kinds of record the schedule covers; each names the moment its clock starts."""

    CASE_CLOSED = "case_closed", _("cases closed or void (from closure, after the follow-up)")
    INTAKE_NOT_REGISTERED = (
        "intake_not_registered",
        _("intake reports dismissed, not registered (from the dismissal)"),
    )
    COMPLAINT_RESOLVED = "complaint_resolved", _("complaints resolved (from the resolution)")
    REGISTRY_RETIRED = (
        "registry_retired",
        _("registry rows not in the current registry (from leaving it)"),
    )
    BENEFICIARY_EXITED = "beneficiary_exited", _("beneficiaries exited (from the exit date)")
    PAYMENT_LINES = "payment_lines", _("payer batch lines (from the batch)")


class RetentionRule(models.Model):
    """How many months a kind of record keeps its identifying fields once its purpose ended,
    and what then happens, valid from a date. The rule in force for a kind is the one with
    the latest ``valid_from`` not after today."""

    class Action(models.TextChoices):
        ANONYMISE = "anonymise", _("anonymise (blank identifying fields, keep the counts)")
        KEEP = "keep", _("keep (no automatic action)")

    kind = models.CharField(_("record kind"), max_length=30, choices=Kind.choices)
    months = models.PositiveSmallIntegerField(_("kept for (months)"))
    action = models.CharField(
        _("then"), max_length=10, choices=Action.choices, default=Action.ANONYMISE
    )
    legal_basis_id = models.TextField(_("legal basis and reason (Bahasa Indonesia)"))
    legal_basis_en = models.TextField(_("legal basis and reason (English)"), blank=True)
    valid_from = models.DateField(_("valid from"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")
        ordering = ["kind", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "valid_from"], name="retention_rule_once"),
            models.CheckConstraint(
                condition=models.Q(months__gt=0), name="retention_rule_months_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.months}"

    @property
    def legal_basis(self) -> str:
        if (get_language() or "id").startswith("en") and self.legal_basis_en:
            return self.legal_basis_en
        return self.legal_basis_id


class LegalHold(models.Model):
    """Records that must not be anonymised (court proceedings, an investigation, an audit):
    one case, one person (every registry row of the same human), one complaint, or every
    record of an area. ``area`` is the area the hold is filed under (the case's, the person's
    village, the complaint's, or the held area itself): holds are scoped by it."""

    class Target(models.TextChoices):
        CASE = "case", _("case")
        PERSON = "person", _("person")
        COMPLAINT = "complaint", _("complaint")
        AREA = "area", _("area")

    target = models.CharField(_("held"), max_length=10, choices=Target.choices)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    complaint = models.ForeignKey(
        "grievances.Complaint", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(_("placed"), auto_now_add=True)
    created_by = models.ForeignKey(
        User, verbose_name=_("placed by"), on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    released_by = models.ForeignKey(
        User,
        verbose_name=_("released by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    release_reason = models.TextField(_("why released"), blank=True)

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["-created_at", "-id"]
        default_permissions = ("view", "add", "change")
        indexes = [
            models.Index(
                fields=["area"], name="legalhold_area_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(
                fields=["released_at"],
                name="legalhold_active",
                condition=models.Q(released_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        target="case",
                        case__isnull=False,
                        person__isnull=True,
                        complaint__isnull=True,
                    )
                    | models.Q(
                        target="person",
                        person__isnull=False,
                        case__isnull=True,
                        complaint__isnull=True,
                    )
                    | models.Q(
                        target="complaint",
                        complaint__isnull=False,
                        case__isnull=True,
                        person__isnull=True,
                    )
                    | models.Q(
                        target="area",
                        case__isnull=True,
                        person__isnull=True,
                        complaint__isnull=True,
                    )
                ),
                name="legalhold_one_target",
            ),
            models.CheckConstraint(
                condition=models.Q(released_at__isnull=True) | models.Q(released_by__isnull=False),
                name="legalhold_released_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()} {self.target_label}"

    @property
    def target_label(self) -> str:
        """What is held, without personal data: a case or complaint number, a person's
        record number, an area's code."""
        match self.target:
            case self.Target.CASE:
                return self.case.number
            case self.Target.COMPLAINT:
                return self.complaint.code
            case self.Target.PERSON:
                return f"#{self.person_id}"
        return self.area_id

    @property
    def active(self) -> bool:
        return self.released_at is None


class RetentionRun(models.Model):
    """One run of the anonymisation job: who or what started it, and per kind how many records
    were anonymised and how many due ones a legal hold kept."""

    class Trigger(models.TextChoices):
        SCHEDULER = "scheduler", _("scheduler")
        COMMAND = "command", _("command line")
        REQUEST = "request", _("deletion request")

    trigger = models.CharField(_("started by"), max_length=10, choices=Trigger.choices)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    counts = models.JSONField(_("anonymised"), default=dict, blank=True)  # {kind: n}
    held = models.JSONField(_("kept by a legal hold"), default=dict, blank=True)  # {kind: n}
    rules = models.JSONField(default=dict, blank=True)  # {kind: [rule id, months, cutoff]}

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        ordering = ["-started_at", "-id"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.trigger}"

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def held_total(self) -> int:
        return sum(self.held.values())

    @property
    def by_kind(self) -> list[tuple[str, int, int]]:
        """(label, anonymised, held) per kind of the schedule, in its order."""
        return [
            (str(kind.label), self.counts.get(kind, 0), self.held.get(kind, 0))
            for kind in Kind
            if kind in self.counts or kind in self.held
        ]


class AnonymisedRecord(models.Model):
    """A record a run anonymised (``kind``: the table's label, ``object_id``: its id). A
    registry row that comes back into the registry is written again by the import (its
    ``updated_at`` moves past ``at``) and is anonymised again if it leaves it again."""

    kind = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    run = models.ForeignKey(RetentionRun, on_delete=models.PROTECT, related_name="records")
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("anonymised record")
        verbose_name_plural = _("anonymised records")
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="anonymised_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"


class RetentionClock(models.Model):
    """One row: when the scheduler next starts a run. Claimed with one conditional UPDATE
    (``next_at <= now``), so of several schedulers exactly one starts each day's run."""

    next_at = models.DateTimeField()

    class Meta:
        verbose_name = _("retention clock")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.next_at:%Y-%m-%d %H:%M}"
