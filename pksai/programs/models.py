"""PKSA, JSLU, JSPACA (and others) as data: programs and sub-programs, benefit rules, quotas,
nominations, selection rounds and beneficiaries. Written only through services.py.

Eligibility and priority are rule sets (`vulnerability.RuleSet` with purpose
``program:<code>``), written in the same rule language as the vulnerability scoring
(programs/rules.py extends it with eligibility, exclusions, sub-program matches and priority).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

User = settings.AUTH_USER_MODEL


class Program(models.Model):
    """A program (PKSA, JSLU, JSPACA, PKH…) or a sub-program (PKS-ABT… under PKSA)."""

    class Target(models.TextChoices):
        CHILDREN = "children", _("children")
        ELDERLY = "elderly", _("elderly people")
        DISABLED = "disabled", _("people with severe disabilities")
        FAMILIES = "families", _("families")

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name_id = models.CharField(_("name (Bahasa Indonesia)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("program"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subprograms",
    )
    target = models.CharField(_("target group"), max_length=10, choices=Target.choices)
    permanent_assistance = models.BooleanField(
        _("permanent government assistance"),
        default=True,
        help_text=_("Receiving it is flagged when someone is nominated for another program."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    caseload_min = models.PositiveSmallIntegerField(
        _("fewest beneficiaries per facilitator (target range)"),
        default=10,
        help_text=_("With the target: the caseload range a facilitator should be within."),
    )
    caseload_target = models.PositiveSmallIntegerField(
        _("target beneficiaries per facilitator"), default=15
    )
    caseload_max = models.PositiveSmallIntegerField(
        _("most beneficiaries per facilitator"),
        default=40,
        help_text=_("Facilitators above this are flagged on the supervisor's home page."),
    )

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if get_language() == "en" and self.name_en:
            return self.name_en
        return self.name_id

    @property
    def rules_purpose(self) -> str:
        return f"program:{self.code}"


class BenefitRule(models.Model):
    """What a beneficiary receives, valid from a date (a change is a new row, never an edit).
    Money is whole rupiah."""

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", _("monthly")
        QUARTERLY = "quarterly", _("quarterly")
        YEARLY = "yearly", _("yearly")

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="benefit_rules")
    valid_from = models.DateField(_("valid from"))
    amount = models.PositiveBigIntegerField(_("cash amount per payment (Rp)"))
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    payments_per_year = models.PositiveSmallIntegerField(_("payments per year"))
    in_kind = models.CharField(_("in-kind part"), max_length=200, blank=True)
    in_kind_value = models.PositiveBigIntegerField(_("in-kind value per payment (Rp)"), default=0)
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("benefit rule")
        verbose_name_plural = _("benefit rules")
        ordering = ["program", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["program", "valid_from"], name="benefit_rule_unique")
        ]

    def __str__(self) -> str:
        return f"{self.program}: Rp {self.amount:,} {self.get_frequency_display()}"

    @property
    def yearly_total(self) -> int:
        return (self.amount + self.in_kind_value) * self.payments_per_year


class Quota(models.Model):
    """Places per program, year and area (a regency, usually)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="quotas")
    year = models.PositiveSmallIntegerField(_("year"))
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    places = models.PositiveIntegerField(_("places"))

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        ordering = ["program", "-year", "area"]
        constraints = [
            models.UniqueConstraint(fields=["program", "year", "area"], name="quota_unique")
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.year} {self.area_id}: {self.places}"


class Nomination(models.Model):
    """A person proposed for a program in a year, with the enumerator's profile. One per
    person, program and year: nominating again updates it, never duplicates."""

    class Source(models.TextChoices):
        VULNERABILITY = "vulnerability", _("vulnerability database")
        CASE = "case", _("case plan")
        PARTNER = "partner", _("partner institution (LKSA) proposal")
        OFFICE = "office", _("district office")

    class Dependency(models.TextChoices):
        NONE = "none", _("independent")
        PARTIAL = "partial", _("needs help with some daily activities")
        TOTAL = "total", _("depends on others for all daily activities")

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="nominations")
    year = models.PositiveSmallIntegerField(_("year"))
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    # the person's village, for join-free scoping
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("nominated from"), max_length=15, choices=Source.choices)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    partner = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("proposing partner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # the enumerator's profile (facts the registry does not hold)
    dependency = models.CharField(
        _("dependency in daily activities"), max_length=10, choices=Dependency.choices, blank=True
    )
    assistive_device_needed = models.BooleanField(_("needs an assistive device"), null=True)
    bedridden = models.BooleanField(_("bedridden"), null=True)
    fixed_income = models.BooleanField(_("has a fixed income"), null=True)
    in_institution = models.BooleanField(_("lives in a care institution"), null=True)
    notes = models.TextField(_("profile notes"), blank=True)
    photo = models.CharField(max_length=100, blank=True)  # stored name under PHOTO_ROOT
    # flags, set by services.nominations_flag (vectorised)
    flag_duplicate = models.BooleanField(_("possible duplicate"), default=False)
    flag_other_assistance = models.BooleanField(_("receives other assistance"), default=False)
    matches = models.JSONField(_("matching sub-programs"), default=list, blank=True)
    chosen = models.ForeignKey(
        Program,
        verbose_name=_("sub-program chosen"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    choice_reason = models.TextField(_("reason for the choice"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("nomination")
        verbose_name_plural = _("nominations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "year", "person"], name="nomination_one_per_year"
            )
        ]
        indexes = [
            models.Index(
                fields=["area"], name="nomination_area_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.year}: {self.person_id}"


class SelectionRound(models.Model):
    """Scoring, ranking and the quota for one program, year and area; then the random
    verification sample, and the approval list under a decree."""

    class Status(models.TextChoices):
        RANKED = "ranked", _("ranked")
        APPROVED = "approved", _("approved")

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="rounds")
    year = models.PositiveSmallIntegerField(_("year"))
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    ruleset = models.ForeignKey(
        "vulnerability.RuleSet", verbose_name=_("rules"), on_delete=models.PROTECT, related_name="+"
    )
    places = models.PositiveIntegerField(_("places (quota)"))
    seed = models.BigIntegerField(_("sample seed"))
    sample_share = models.DecimalField(
        _("verification sample (share)"), max_digits=4, decimal_places=3
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RANKED
    )
    nominees = models.PositiveIntegerField(_("nominees"), default=0)
    eligible = models.PositiveIntegerField(_("eligible"), default=0)
    selected = models.PositiveIntegerField(_("selected"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decree_number = models.CharField(_("decree number"), max_length=100, blank=True)
    decree_date = models.DateField(_("decree date"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("selection round")
        verbose_name_plural = _("selection rounds")
        ordering = ["-created_at", "-id"]
        permissions = [("approve_selectionround", "Can approve a selection round (decree)")]

    def __str__(self) -> str:
        return f"{self.program} {self.year} {self.area_id}"


class RoundEntry(models.Model):
    """A nominee's result in a round: eligibility (which conditions held), priority tiers,
    rank, whether within the quota, the verification sample and its field result."""

    class Verification(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmed")
        NOT_CONFIRMED = "not_confirmed", _("not confirmed")

    round = models.ForeignKey(SelectionRound, on_delete=models.CASCADE, related_name="entries")
    nomination = models.ForeignKey(Nomination, on_delete=models.PROTECT, related_name="entries")
    eligible = models.BooleanField(_("eligible"))
    failed = models.CharField(_("conditions not met"), max_length=300, blank=True)
    tiers = models.JSONField(_("priority"), default=list)
    rank = models.PositiveIntegerField(_("rank"), null=True)
    selected = models.BooleanField(_("within the quota"), default=False)
    in_sample = models.BooleanField(_("in the verification sample"), default=False)
    verification = models.CharField(
        _("verification"), max_length=15, choices=Verification.choices, blank=True
    )
    verification_notes = models.CharField(_("verification notes"), max_length=300, blank=True)
    override = models.CharField(_("officer's decision"), max_length=10, blank=True)
    override_reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("selection round entry")
        verbose_name_plural = _("selection round entries")
        ordering = ["rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "nomination"], name="round_entry_unique")
        ]

    def __str__(self) -> str:
        return f"{self.round_id}#{self.rank}"


class Beneficiary(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        EXITED = "exited", _("exited")

    class ExitReason(models.TextChoices):
        DIED = "died", _("died")
        MOVED = "moved", _("moved away")
        NOT_ELIGIBLE = "not_eligible", _("no longer eligible")
        AGED_OUT = "aged_out", _("aged out")
        GRADUATED = "graduated", _("graduated")

    program = models.ForeignKey(
        Program, verbose_name=_("program"), on_delete=models.PROTECT, related_name="beneficiaries"
    )
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    nomination = models.ForeignKey(
        Nomination, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    round = models.ForeignKey(
        SelectionRound, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    start_date = models.DateField(_("start date"))
    benefit_rule = models.ForeignKey(BenefitRule, on_delete=models.PROTECT, related_name="+")
    facilitator = models.ForeignKey(
        User,
        verbose_name=_("facilitator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="facilitated",
    )
    partner = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("partner institution (LKSA)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    exit_reason = models.CharField(
        _("exit reason"), max_length=15, choices=ExitReason.choices, blank=True
    )
    exit_date = models.DateField(_("exit date"), null=True, blank=True)
    exit_notes = models.CharField(_("exit notes"), max_length=300, blank=True)
    reconfirmed_on = models.DateField(_("eligibility last re-confirmed"), null=True, blank=True)
    reduction_percent = models.PositiveSmallIntegerField(
        _("benefit reduction (%)"), default=0, help_text=_("Set by a confirmed consequence.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("beneficiary")
        verbose_name_plural = _("beneficiaries")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "person"],
                condition=models.Q(status="active"),
                name="beneficiary_one_active",
            )
        ]
        indexes = [
            models.Index(
                fields=["area"], name="beneficiary_area_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program}: {self.person_id}"


class Suspension(models.Model):
    """A time during which a beneficiary's benefit is not paid (an investigation, a
    sanction, a stay in an institution that already provides for them): the suspended days
    are left out of the cycle's proration and are not paid later. Open-ended until ended."""

    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.PROTECT, related_name="suspensions"
    )
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    start = models.DateField(_("suspended from"))
    end = models.DateField(_("suspended until (last day)"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    ended_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("suspension")
        verbose_name_plural = _("suspensions")
        ordering = ["beneficiary", "-start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gte=models.F("start")),
                name="suspension_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.beneficiary_id}: {self.start}–{self.end or '…'}"


class Topic(models.TextChoices):
    """What a facilitator's weekly visit covered (DOMAIN.md)."""

    COMPLAINTS = "complaints", _("complaints")
    FUND_PLAN = "fund_plan", _("fund-utilisation plan")
    FAMILY_HEALTH = "family_health", _("family health")
    JOBS = "jobs", _("jobs")
    DAILY_LIFE = "daily_life", _("daily life")
    SCHOOL = "school", _("school problems")


class FacilitationVisit(models.Model):
    """A facilitator's visit to a beneficiary: the monthly facilitator report is made from
    these rows, never typed twice."""

    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.PROTECT, related_name="visits")
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    facilitator = models.ForeignKey(
        User, verbose_name=_("facilitator"), on_delete=models.PROTECT, related_name="+"
    )
    visited_on = models.DateField(_("visited on"), db_index=True)
    topics = models.JSONField(_("topics"), default=list)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("facilitation visit")
        verbose_name_plural = _("facilitation visits")
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["facilitator", "visited_on"], name="visit_month")]

    def __str__(self) -> str:
        return f"{self.beneficiary_id} {self.visited_on}"


class Conditionality(models.Model):
    """A condition of a program (PKSA: school enrolment and attendance, use of basic
    services), kept as data."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="conditions")
    code = models.SlugField(_("code"), max_length=30)
    label_id = models.CharField(_("label (Bahasa Indonesia)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("conditionality")
        verbose_name_plural = _("conditionalities")
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="conditionality_unique")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if get_language() == "en" and self.label_en:
            return self.label_en
        return self.label_id


class ComplianceRecord(models.Model):
    """Whether a beneficiary met a condition in a month (one record per month)."""

    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.PROTECT, related_name="compliance"
    )
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    condition = models.ForeignKey(Conditionality, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))  # the first day of the month
    met = models.BooleanField(_("met"))
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True, db_index=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("compliance record")
        verbose_name_plural = _("compliance records")
        ordering = ["-month", "condition"]
        constraints = [
            models.UniqueConstraint(
                fields=["beneficiary", "condition", "month"], name="compliance_one_per_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.beneficiary_id} {self.condition_id} {self.month:%Y-%m}"


class ConsequenceStep(models.Model):
    """The configurable ladder: after this many unmet months (in the last 12), this
    consequence is proposed — applied only when an officer confirms."""

    class Action(models.TextChoices):
        WARNING = "warning", _("warning")
        REDUCTION = "reduction", _("benefit reduction")
        EXIT = "exit", _("exit from the program")

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="consequences")
    misses = models.PositiveSmallIntegerField(_("unmet months (in 12) that trigger it"))
    action = models.CharField(_("consequence"), max_length=10, choices=Action.choices)
    reduction_percent = models.PositiveSmallIntegerField(_("reduction (%)"), default=0)

    class Meta:
        verbose_name = _("consequence step")
        verbose_name_plural = _("consequence steps")
        ordering = ["program", "misses"]
        constraints = [
            models.UniqueConstraint(fields=["program", "misses"], name="consequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.program}: {self.misses} → {self.get_action_display()}"


class Sanction(models.Model):
    """A consequence proposed by the compliance review; it takes effect only when an officer
    confirms it (or is dismissed, with a reason)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        CONFIRMED = "confirmed", _("confirmed")
        DISMISSED = "dismissed", _("dismissed")

    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.PROTECT, related_name="sanctions")
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    step = models.ForeignKey(ConsequenceStep, on_delete=models.PROTECT, related_name="+")
    misses = models.PositiveSmallIntegerField(_("unmet months"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("consequence")
        verbose_name_plural = _("consequences")
        ordering = ["-proposed_at"]
        constraints = [
            models.UniqueConstraint(fields=["beneficiary", "step"], name="sanction_once_per_step")
        ]

    def __str__(self) -> str:
        return f"{self.beneficiary_id}: {self.step}"
