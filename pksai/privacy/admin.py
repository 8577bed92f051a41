"""Reference data of data protection kept in the admin (every change audited): the purposes
of sharing and the request deadline rules. Consents, requests and breaches hold personal data
and are read only through the scoped pages and API."""

from django.contrib import admin

from pksai.audit.admin_mixins import AuditedAdminMixin
from pksai.privacy.models import Purpose, RequestRule


@admin.register(Purpose)
class PurposeAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name_id", "name_en", "is_active")

    def has_delete_permission(self, request, obj=None):
        return False  # consents point at it: retire it with "active" instead


@admin.register(RequestRule)
class RequestRuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """A change of a deadline is a new row with a later valid-from date, never an edit:
    requests received before it keep the deadline they were given."""

    list_display = ("kind", "hours", "legal_reference", "valid_from")
    list_filter = ("kind",)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False
