"""Programs as data officials keep: programs, benefit rules, quotas, conditionalities and the
consequence ladder (every change audited)."""

from django.contrib import admin

from pksai.audit.admin_mixins import AuditedAdminMixin
from pksai.programs.models import BenefitRule, Conditionality, ConsequenceStep, Program, Quota


@admin.register(Program)
class ProgramAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "code",
        "name_id",
        "parent",
        "target",
        "caseload_min",
        "caseload_target",
        "caseload_max",
    )
    list_filter = ("target", "is_active")
    search_fields = ("code", "name_id", "name_en")


@admin.register(BenefitRule)
class BenefitRuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """A change of benefit is a new rule with a later valid-from date, never an edit."""

    list_display = ("program", "valid_from", "amount", "frequency", "payments_per_year")
    list_filter = ("program",)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)


@admin.register(Quota)
class QuotaAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("program", "year", "area", "places")
    list_filter = ("program", "year")
    list_editable = ("places",)
    raw_id_fields = ("area",)


@admin.register(Conditionality)
class ConditionalityAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("program", "code", "label_id", "is_active")


@admin.register(ConsequenceStep)
class ConsequenceStepAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("program", "misses", "action", "reduction_percent")
