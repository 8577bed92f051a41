from django.contrib import admin

from pksai.areas.models import Area, Boundary


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "timezone", "is_active")
    list_filter = ("level", "timezone", "is_active")
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)
    list_per_page = 100
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None):
        # Areas are referenced by everything; retire them (is_active) instead.
        return False


@admin.register(Boundary)
class BoundaryAdmin(admin.ModelAdmin):
    """Outlines are loaded by `pksai load-boundaries` (checked and simplified there); the admin
    shows where each came from and may delete one, not edit coordinates."""

    list_display = ("area", "level", "points", "source", "licence", "loaded_at")
    list_filter = ("level", "licence", "source")
    search_fields = ("area__code", "area__name")
    readonly_fields = [f.name for f in Boundary._meta.fields if f.name != "geometry"]
    exclude = ("geometry",)
    list_per_page = 100

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
