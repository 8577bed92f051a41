import json

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from pksai.primero.mapping import MappingError, parse_mapping
from pksai.primero.models import Mapping, Transfer


class MappingForm(forms.ModelForm):
    class Meta:
        model = Mapping
        fields = ["content", "note", "active"]

    def clean_content(self):
        content = self.cleaned_data["content"]
        try:
            parse_mapping(content)
        except MappingError as exc:
            raise ValidationError(str(exc)) from exc
        return content


@admin.register(Mapping)
class MappingAdmin(admin.ModelAdmin):
    form = MappingForm
    list_display = ["__str__", "note", "active", "created_at", "created_by"]
    readonly_fields = ["created_at", "created_by"]

    def get_changeform_initial_data(self, request):
        from pksai.primero.mapping import shipped_content

        return {"content": json.dumps(shipped_content(), ensure_ascii=False, indent=2)}

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Transfer)
class TransferAdmin(admin.ModelAdmin):
    list_display = ["at", "direction", "case", "primero_id", "mapping_version", "by"]
    list_filter = ["direction"]
    readonly_fields = [f.name for f in Transfer._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
