from django.contrib import admin

from pksai.registry.models import ImportBatch


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    """Imports are read-only here; people and households are shown only through scoped pages."""

    list_display = (
        "created_at",
        "source",
        "file_name",
        "status",
        "rows_read",
        "rows_accepted",
        "rows_rejected",
    )
    list_filter = ("status", "source")
    readonly_fields = [f.name for f in ImportBatch._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
