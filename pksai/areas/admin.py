from django.contrib import admin

from pksai.areas.models import Area


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
