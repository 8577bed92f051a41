from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from pksai.audit.admin_mixins import AuditedAdminMixin
from pksai.cases.models import CustomField, FollowUpInterval, SlaRule


@admin.register(SlaRule)
class SlaRuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Officials set how long each stage may take; every change is audited."""

    list_display = ("stage", "violence_only", "hours")
    list_editable = ("hours",)


@admin.register(FollowUpInterval)
class FollowUpIntervalAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("months",)


class CustomFieldForm(forms.ModelForm):
    class Meta:
        model = CustomField
        fields = (
            "form",
            "key",
            "label_id",
            "label_en",
            "kind",
            "choices",
            "required",
            "active",
            "order",
        )

    def clean(self):
        data = super().clean()
        kind = data.get("kind") or getattr(self.instance, "kind", "")
        if kind == CustomField.Kind.CHOICE and not (data.get("choices") or "").strip():
            self.add_error("choices", _("A choice field needs its options, one per line."))
        return data


@admin.register(CustomField)
class CustomFieldAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Administrators add fields to the intake, assessment and visit forms for local needs.
    A field is deactivated rather than deleted, so stored values stay readable."""

    form = CustomFieldForm
    list_display = ("form", "order", "key", "label_id", "label_en", "kind", "required", "active")
    list_editable = ("order", "active")
    list_filter = ("form", "active")

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # The key and kind name stored values: fixed once the field exists.
        return ("form", "key", "kind") if obj else ()
