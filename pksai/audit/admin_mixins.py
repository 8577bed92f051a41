from pksai.audit.services import audit_record


class AuditedAdminMixin:
    """Admin changes go to the audit trail like any other change."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            action="update" if change else "create",
            actor=request.user,
            obj=obj,
            detail={"fields": sorted(form.changed_data), "via": "admin"},
        )

    def delete_model(self, request, obj):
        audit_record(action="delete", actor=request.user, obj=obj, detail={"via": "admin"})
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit_record(action="delete", actor=request.user, obj=obj, detail={"via": "admin"})
        super().delete_queryset(request, queryset)
