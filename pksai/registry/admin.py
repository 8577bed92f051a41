from django.contrib import admin

from pksai.registry.models import ImportBatch, Source


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    """Imports are read-only here; people and households are shown only through scoped pages."""

    list_display = (
        "created_at",
        "source",
        "edition",
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


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    """Registry sources: their kind and survivorship rank (which source gives a person their
    details when several hold them — the lowest rank wins; decision 0016). Sources are
    created by their first import and never deleted (rows keep their source). A new rank
    applies to the people each later import or linkage decision touches."""

    list_display = ("code", "name", "kind", "rank", "current_edition")
    list_editable = ("kind", "rank")
    readonly_fields = ("code", "current_edition")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
