"""The retention schedule as data officials keep it (every change audited).

A change of a rule is a new row with a later valid-from date, never an edit or a deletion:
the runs made under the old rule keep pointing at it (``RetentionRun.rules``). Legal holds
are placed and released on the retention page (scoped, with the reason), not here."""

from django.contrib import admin

from pksai.audit.admin_mixins import AuditedAdminMixin
from pksai.retention.models import RetentionRule


@admin.register(RetentionRule)
class RetentionRuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("kind", "months", "action", "valid_from")
    list_filter = ("kind", "action")
    date_hierarchy = "valid_from"
    exclude = ("created_by",)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False
