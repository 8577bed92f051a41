"""Finance for monitoring and evaluation: budget lines per program, year, executing level,
category, funding source, economic classification and area (final revised budget, realised,
and realised by month), the program-year facts the efficiency indicators divide by
(beneficiaries, civil servants — national or per area), an estimate of the eligible
population per program, year and area (coverage and incidence), and a price-index series
(constant prices). Money is whole rupiah. Written only through the importers (finance.py,
population.py)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    CENTRAL = "central", _("centrally executed")
    INSTITUTIONS = "institutions", _("institutions and rehabilitation centres")
    COMMUNITY = "community", _("community based (deconcentration)")


class SpendingCategory(models.TextChoices):
    BENEFITS = "benefits", _("benefits")
    SALARIES = "salaries", _("civil-servant salaries")
    ADMINISTRATION = "administration", _("administration")
    TARGETING = "targeting", _("targeting")
    FOLLOW_UP = "follow_up", _("follow-up (complaints)")
    SOCIALISATION = "socialisation", _("socialisation")
    TRAINING = "training", _("training")
    MONITORING = "monitoring", _("monitoring and evaluation")


class FundingSource(models.TextChoices):
    """Whose budget the money comes from (the review: APBN; APBD of provinces and regencies)."""

    APBN = "apbn", _("APBN (central government)")
    APBD_PROVINCE = "apbd_province", _("APBD province")
    APBD_REGENCY = "apbd_regency", _("APBD regency / city")
    OTHER = "other", _("other sources")


class EconomicClass(models.TextChoices):
    """Economic classification of spending (the review's Figure 12)."""

    SOCIAL_ASSISTANCE = "social_assistance", _("social assistance")
    GOODS_SERVICES = "goods_services", _("goods and services")
    PERSONNEL = "personnel", _("salaries (personnel)")
    CAPITAL = "capital", _("capital")


# the economic class of a line when the file does not say
DEFAULT_ECONOMIC = {
    "benefits": EconomicClass.SOCIAL_ASSISTANCE,
    "salaries": EconomicClass.PERSONNEL,
}


class BudgetLine(models.Model):
    program = models.ForeignKey(
        "programs.Program", verbose_name=_("program"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    level = models.CharField(_("executing level"), max_length=12, choices=Level.choices)
    category = models.CharField(_("category"), max_length=15, choices=SpendingCategory.choices)
    source = models.CharField(
        _("funding source"),
        max_length=15,
        choices=FundingSource.choices,
        default=FundingSource.APBN,
    )
    economic = models.CharField(
        _("economic classification"),
        max_length=20,
        choices=EconomicClass.choices,
        default=EconomicClass.GOODS_SERVICES,
    )
    # the area the money is spent for; empty: not attributed to an area (central spending),
    # seen by national users only
    area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    budget = models.BigIntegerField(_("final revised budget (Rp)"))
    realised = models.BigIntegerField(_("realised (Rp)"))
    # realised per month, January first (whole rupiah); empty when only the year is known
    monthly = models.JSONField(_("realised by month"), default=list, blank=True)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["year", "program", "level", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "year", "level", "category", "source", "area"],
                name="budget_line_once",
            ),
            models.UniqueConstraint(
                fields=["program", "year", "level", "category", "source"],
                condition=models.Q(area__isnull=True),
                name="budget_line_once_unattributed",
            ),
            models.CheckConstraint(
                condition=models.Q(budget__gte=0, realised__gte=0), name="budget_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.year} {self.level}/{self.category}"


class ProgramYear(models.Model):
    """What the efficiency indicators divide by, for the program's lines of one area (or of
    no area). Rows of several areas add up. ``beneficiaries`` empty: counted from the
    program's enrolments active in the year."""

    program = models.ForeignKey(
        "programs.Program", verbose_name=_("program"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    beneficiaries = models.PositiveIntegerField(_("beneficiaries"), null=True, blank=True)
    civil_servants = models.PositiveIntegerField(_("civil servants"), null=True, blank=True)

    class Meta:
        verbose_name = _("program year")
        verbose_name_plural = _("program years")
        ordering = ["year", "program"]
        constraints = [
            models.UniqueConstraint(fields=["program", "year", "area"], name="program_year_once"),
            models.UniqueConstraint(
                fields=["program", "year"],
                condition=models.Q(area__isnull=True),
                name="program_year_once_unattributed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.year}"


class EligiblePopulation(models.Model):
    """An estimate of the people eligible for a program in an area and year (``pksai
    import-population``): what coverage (beneficiaries ÷ eligible) and incidence (the area's
    share of beneficiaries beside its share of the eligible) divide by."""

    program = models.ForeignKey(
        "programs.Program", verbose_name=_("program"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    eligible = models.PositiveIntegerField(_("eligible population (estimate)"))
    source_note = models.CharField(_("source of the estimate"), max_length=200, blank=True)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("eligible population")
        verbose_name_plural = _("eligible population")
        ordering = ["year", "program", "area"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "year", "area"], name="eligible_population_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.year} {self.area_id}: {self.eligible}"


class PriceIndex(models.Model):
    """A yearly consumer price index (any base); benefits are deflated to a chosen base year."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    value = models.DecimalField(_("index"), max_digits=10, decimal_places=3)

    class Meta:
        verbose_name = _("price index")
        verbose_name_plural = _("price index")
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year}: {self.value}"


class Indicator(models.Model):
    """An indicator as data: a numerator and an optional denominator, each a *measure* (a
    count over our records, defined once in measures.py), the disaggregations that make sense
    for it, a baseline, a target and the SDG target it serves. Officials add or retune
    indicators in the admin without code; a value is numerator ÷ denominator (× 100 for a
    percentage)."""

    class Unit(models.TextChoices):
        COUNT = "count", _("count")
        PERCENT = "percent", _("percent")
        AVERAGE = "average", _("average")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_id = models.CharField(_("name (Bahasa Indonesia)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    numerator = models.CharField(_("numerator (measure)"), max_length=60)
    denominator = models.CharField(_("denominator (measure)"), max_length=60, blank=True)
    parameter = models.PositiveSmallIntegerField(
        _("parameter"), null=True, blank=True, help_text=_("e.g. hours or days allowed")
    )
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    disaggregations = models.JSONField(
        _("disaggregations"), default=list, help_text=_("area, sex, age_group, program, month")
    )
    baseline = models.DecimalField(
        _("baseline"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    baseline_year = models.PositiveSmallIntegerField(_("baseline year"), null=True, blank=True)
    target = models.DecimalField(
        _("target"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    target_year = models.PositiveSmallIntegerField(_("target year"), null=True, blank=True)
    sdg_target = models.CharField(_("SDG target"), max_length=40, blank=True)
    higher_is_better = models.BooleanField(
        _("higher is better"),
        default=True,
        help_text=_("Off when the value should stay at or below its target."),
    )
    position = models.PositiveSmallIntegerField(_("order on the dashboard"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["position", "code"]
        permissions = [("view_dashboard", "Can see indicator dashboards (aggregates in scope)")]

    def __str__(self) -> str:
        return self.code

    @property
    def name(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "id").startswith("en") else self.name_id


class IndicatorTarget(models.Model):
    """A baseline and a target of an indicator for one area (empty: the whole country) and one
    year, with where the figures come from. A baseline may be for a year before the system
    existed (PKSA 2016, entered by hand). Kept in the admin and by ``pksai import-targets``
    (targets.py); the dashboard, an indicator's page and the API show the row that fits the
    area and period (targets.py ``targets_for``)."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="targets"
    )
    area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the whole country."),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    baseline = models.DecimalField(
        _("baseline"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    target = models.DecimalField(
        _("target"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    source = models.CharField(_("source or note"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("indicator target")
        verbose_name_plural = _("indicator targets and baselines")
        ordering = ["indicator", "area", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "area", "year"],
                condition=models.Q(area__isnull=False),
                name="indicator_target_once_per_area",
            ),
            models.UniqueConstraint(
                fields=["indicator", "year"],
                condition=models.Q(area__isnull=True),
                name="indicator_target_once_national",
            ),
            models.CheckConstraint(
                condition=models.Q(baseline__isnull=False) | models.Q(target__isnull=False),
                name="indicator_target_has_a_figure",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.area_id or '-'} {self.year}"


# --- DHIS2 aggregate export (decision 0036, docs/dhis2.md) -------------------------------------

UID_PATTERN = r"^[A-Za-z][A-Za-z0-9]{10}$"  # DHIS2 CodeGenerator.UID_REGEXP


def _uid_validator():
    from django.core.validators import RegexValidator

    return RegexValidator(
        UID_PATTERN,
        _("A DHIS2 identifier: 11 letters or digits, the first a letter."),
    )


class Dhis2OrgUnit(models.Model):
    """Our area (Kemendagri code) → the receiving DHIS2's organisation unit."""

    area = models.OneToOneField(
        "areas.Area", on_delete=models.CASCADE, verbose_name=_("area"), related_name="dhis2"
    )
    org_unit = models.CharField(
        _("DHIS2 organisation unit"), max_length=11, validators=[_uid_validator()]
    )

    class Meta:
        verbose_name = _("DHIS2 organisation unit")
        verbose_name_plural = _("DHIS2 organisation units")
        ordering = ["area"]

    def __str__(self) -> str:
        return f"{self.area_id} → {self.org_unit}"


class Dhis2Mapping(models.Model):
    """An indicator's figure → a DHIS2 data element (and category/attribute option combos).
    ``part``: the numerator count, the denominator count, or the indicator's value."""

    class Part(models.TextChoices):
        NUMERATOR = "numerator", _("numerator (count)")
        DENOMINATOR = "denominator", _("denominator (count)")
        VALUE = "value", _("value")

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, verbose_name=_("indicator"), related_name="dhis2"
    )
    part = models.CharField(
        _("figure"), max_length=12, choices=Part.choices, default=Part.NUMERATOR
    )
    data_element = models.CharField(
        _("DHIS2 data element"), max_length=11, validators=[_uid_validator()]
    )
    category_option_combo = models.CharField(
        _("category option combo"), max_length=11, blank=True, validators=[_uid_validator()]
    )
    attribute_option_combo = models.CharField(
        _("attribute option combo"), max_length=11, blank=True, validators=[_uid_validator()]
    )

    class Meta:
        verbose_name = _("DHIS2 data element mapping")
        verbose_name_plural = _("DHIS2 data element mappings")
        ordering = ["indicator", "part"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "part"], name="dhis2_mapping_once"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}/{self.part} → {self.data_element}"


class Dhis2Push(models.Model):
    """One POST of a data value set to the configured DHIS2, with what DHIS2 answered."""

    created_at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    area = models.CharField(_("area"), max_length=20)
    period = models.CharField(_("period"), max_length=10)
    url = models.CharField(_("address"), max_length=300)
    values_sent = models.PositiveIntegerField(default=0)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, blank=True)
    imported = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    ignored = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    conflicts = models.JSONField(default=list, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    payload_sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("DHIS2 push")
        verbose_name_plural = _("DHIS2 pushes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.area} {self.period} {self.status or self.http_status}"
