"""Finance for monitoring and evaluation: budget lines per program, year, executing level and
category (final revised budget, realised, and realised by month), the program-year facts the
efficiency indicators divide by (beneficiaries, civil servants), and a price-index series to
deflate benefits. Money is whole rupiah. Written only through finance.py (the importer)."""

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


class BudgetLine(models.Model):
    program = models.ForeignKey(
        "programs.Program", verbose_name=_("program"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    level = models.CharField(_("executing level"), max_length=12, choices=Level.choices)
    category = models.CharField(_("category"), max_length=15, choices=SpendingCategory.choices)
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
                fields=["program", "year", "level", "category"], name="budget_line_once"
            ),
            models.CheckConstraint(
                condition=models.Q(budget__gte=0, realised__gte=0), name="budget_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.year} {self.level}/{self.category}"


class ProgramYear(models.Model):
    """What the efficiency indicators divide by. ``beneficiaries`` empty: counted from the
    program's enrolments active in the year."""

    program = models.ForeignKey(
        "programs.Program", verbose_name=_("program"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    beneficiaries = models.PositiveIntegerField(_("beneficiaries"), null=True, blank=True)
    civil_servants = models.PositiveIntegerField(_("civil servants"), null=True, blank=True)

    class Meta:
        verbose_name = _("program year")
        verbose_name_plural = _("program years")
        ordering = ["year", "program"]
        constraints = [
            models.UniqueConstraint(fields=["program", "year"], name="program_year_once")
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.year}"


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
