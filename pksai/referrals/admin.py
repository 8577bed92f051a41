from django.contrib import admin

from pksai.audit.admin_mixins import AuditedAdminMixin
from pksai.referrals.models import ReferralSla, Service


@admin.register(Service)
class ServiceAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """The service catalogue: what providers offer and referrals ask for."""

    list_display = ("code", "name_id", "name_en", "sector", "is_active")
    list_filter = ("sector", "is_active")
    search_fields = ("code", "name_id", "name_en")


@admin.register(ReferralSla)
class ReferralSlaAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """How fast providers must answer and deliver, per urgency; changes are audited."""

    list_display = ("urgency", "respond_hours", "deliver_days")
    list_editable = ("respond_hours", "deliver_days")
