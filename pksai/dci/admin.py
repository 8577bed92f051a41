from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from pksai.dci.models import Caller
from pksai.dci.signing import load_public_keys


class CallerForm(forms.ModelForm):
    class Meta:
        model = Caller
        fields = [
            "name",
            "sender_id",
            "public_key",
            "national",
            "areas",
            "may_search_people",
            "may_search_beneficiaries",
            "callback_url",
            "active",
        ]

    def clean_public_key(self):
        value = self.cleaned_data["public_key"].strip()
        try:
            load_public_keys(value)
        except ValueError as exc:
            raise forms.ValidationError(
                _("Give an Ed25519 public key as PEM or as a JWK (OKP, Ed25519).")
            ) from exc
        return value


@admin.register(Caller)
class CallerAdmin(admin.ModelAdmin):
    form = CallerForm
    list_display = (
        "name",
        "sender_id",
        "national",
        "may_search_people",
        "may_search_beneficiaries",
        "active",
    )
    list_filter = ("active", "national")
    search_fields = ("name", "sender_id")
    filter_horizontal = ("areas",)
