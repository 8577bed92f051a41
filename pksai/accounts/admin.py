from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from pksai.accounts.models import ApiToken, Organisation, User
from pksai.accounts.second_factor import second_factor_reset
from pksai.accounts.services import api_token_issue, api_token_revoke
from pksai.audit.admin_mixins import AuditedAdminMixin


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "area", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "area__code", "area__name")
    autocomplete_fields = ("area",)


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    list_display = (
        "username",
        "first_name",
        "last_name",
        "organisation",
        "is_national",
        "is_active",
    )
    list_filter = ("groups", "is_national", "is_active", "is_staff")
    autocomplete_fields = ("organisation", "scope_areas")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email", "timezone")}),
        (
            _("Roles and scope"),
            {"fields": ("groups", "organisation", "is_national", "scope_areas")},
        ),
        (_("Status"), {"fields": ("is_active", "is_staff", "last_login", "date_joined")}),
    )
    superuser_fieldsets = ((_("Superuser"), {"fields": ("is_superuser", "user_permissions")}),)
    readonly_fields = ("last_login", "date_joined")
    actions = ["reset_second_factor"]

    @admin.action(
        description=_("Reset the second factor (lost phone or key)"), permissions=["change"]
    )
    def reset_second_factor(self, request, queryset):
        removed = 0
        for user in queryset:
            removed += second_factor_reset(
                user=user, by=request.user, reason="administration: reset action"
            )
        self.message_user(
            request,
            _("Second factor reset for %(users)d users (%(devices)d devices removed).")
            % {"users": queryset.count(), "devices": removed},
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        # Only a superuser may hand out superuser status or per-user permissions.
        if obj is not None and request.user.is_superuser:
            return fieldsets + self.superuser_fieldsets
        return fieldsets


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "user",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "prefix")
    autocomplete_fields = ("user",)
    fields = ("user", "name", "expires_at", "prefix", "created_by", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "created_by", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        # Tokens are issued and revoked, never edited.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        token, raw = api_token_issue(
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            expires_at=form.cleaned_data.get("expires_at"),
            by=request.user,
        )
        for field in ("pk", "prefix", "digest", "created_at", "created_by_id"):
            setattr(obj, field, getattr(token, field))
        obj._state.adding = False
        messages.warning(
            request,
            _("Token issued. Copy it now, it is not shown again: %(token)s") % {"token": raw},
        )

    @admin.action(description=_("Revoke selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        for token in queryset:
            api_token_revoke(token=token, by=request.user)
        self.message_user(request, _("Revoked %(n)d tokens.") % {"n": queryset.count()})
