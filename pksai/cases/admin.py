from django.contrib import admin

from pksai.audit.admin_mixins import AuditedAdminMixin
from pksai.cases.models import FollowUpInterval, SlaRule


@admin.register(SlaRule)
class SlaRuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Officials set how long each stage may take; every change is audited."""

    list_display = ("stage", "violence_only", "hours")
    list_editable = ("hours",)


@admin.register(FollowUpInterval)
class FollowUpIntervalAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("months",)
