"""Monitoring data officials keep: indicators (definitions as data: measures, baseline,
target, SDG target — every change audited) and the price index; budget lines, program-year
facts and eligible-population estimates are read only here (they come from the imports, which
check every cell)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from pksai.audit.admin_mixins import AuditedAdminMixin
from pksai.monitoring.measures import MEASURES
from pksai.monitoring.models import (
    BudgetLine,
    Dhis2Mapping,
    Dhis2OrgUnit,
    Dhis2Push,
    EligiblePopulation,
    Indicator,
    IndicatorTarget,
    PriceIndex,
    ProgramYear,
)


class IndicatorForm(forms.ModelForm):
    """Numerator and denominator chosen from the defined measures."""

    class Meta:
        model = Indicator
        fields = [
            "code",
            "name_id",
            "name_en",
            "numerator",
            "denominator",
            "parameter",
            "unit",
            "disaggregations",
            "baseline",
            "baseline_year",
            "target",
            "target_year",
            "sdg_target",
            "higher_is_better",
            "position",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(code, f"{code} — {m.label}") for code, m in MEASURES.items()]
        self.fields["numerator"] = forms.ChoiceField(
            label=_("numerator (measure)"), choices=choices
        )
        self.fields["denominator"] = forms.ChoiceField(
            label=_("denominator (measure)"), choices=[("", "—"), *choices], required=False
        )


@admin.register(Indicator)
class IndicatorAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = IndicatorForm
    list_display = (
        "code",
        "name_en",
        "numerator",
        "denominator",
        "unit",
        "baseline",
        "target",
        "sdg_target",
        "position",
        "is_active",
    )
    list_filter = ("unit", "is_active", "sdg_target")
    search_fields = ("code", "name_id", "name_en")
    list_editable = ("position", "is_active")


@admin.register(IndicatorTarget)
class IndicatorTargetAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Baselines and targets per indicator, area and year (also ``pksai import-targets``)."""

    list_display = ("indicator", "area", "year", "baseline", "target", "source")
    list_filter = ("year", "indicator")
    search_fields = ("indicator__code", "area__name", "area__code", "source")
    raw_id_fields = ("area",)


@admin.register(PriceIndex)
class PriceIndexAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("year", "value")


@admin.register(BudgetLine)
class BudgetLineAdmin(admin.ModelAdmin):
    """Read only: lines change through ``pksai import-spending`` (every cell checked)."""

    list_display = (
        "program",
        "year",
        "level",
        "category",
        "source",
        "economic",
        "area",
        "budget",
        "realised",
        "imported_at",
    )
    list_filter = ("year", "program", "level", "category", "source", "economic")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProgramYear)
class ProgramYearAdmin(admin.ModelAdmin):
    list_display = ("program", "year", "area", "beneficiaries", "civil_servants")
    list_filter = ("year", "program")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EligiblePopulation)
class EligiblePopulationAdmin(admin.ModelAdmin):
    """Read only: estimates change through ``pksai import-population`` (every cell checked)."""

    list_display = ("program", "year", "area", "eligible", "source_note", "imported_at")
    list_filter = ("year", "program")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Dhis2Mapping)
class Dhis2MappingAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Indicator figure → DHIS2 data element (also ``pksai import-dhis2-mapping``)."""

    list_display = (
        "indicator",
        "part",
        "data_element",
        "category_option_combo",
        "attribute_option_combo",
    )
    list_filter = ("part",)
    search_fields = ("indicator__code", "data_element")


@admin.register(Dhis2OrgUnit)
class Dhis2OrgUnitAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Area → DHIS2 organisation unit (also ``pksai import-dhis2-mapping``)."""

    list_display = ("area", "org_unit")
    search_fields = ("area__code", "area__name", "org_unit")
    raw_id_fields = ("area",)


@admin.register(Dhis2Push)
class Dhis2PushAdmin(admin.ModelAdmin):
    """Read only: what each push sent and what DHIS2 answered."""

    list_display = ("created_at", "area", "period", "values_sent", "http_status", "status")
    list_filter = ("status",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
