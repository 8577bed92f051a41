"""Complaint service levels as data officials keep them (every change audited).

Complaints themselves are not in the admin: they hold personal data and are read only through
the scoped pages and API (restricted queue, audit of every view)."""

from django.contrib import admin

from pksai.audit.admin_mixins import AuditedAdminMixin
from pksai.grievances.models import ComplaintSla


@admin.register(ComplaintSla)
class ComplaintSlaAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """A change of a service level is a new row with a later valid-from date, never an edit:
    complaints received before it keep the due date they were given."""

    list_display = ("category", "priority", "days", "valid_from")
    list_filter = ("category", "priority")
    date_hierarchy = "valid_from"

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False
