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
