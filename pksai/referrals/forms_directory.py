"""Forms of the provider directory: one provider, the filters of the list, the import upload."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from pksai.areas.forms import AreaField, scope_area_fields
from pksai.referrals.directory import SUFFIXES, catchment_codes
from pksai.referrals.models import Provider, Sector, Service

MAX_UPLOAD = 20 * 1024 * 1024


class ProviderForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    sector = forms.ChoiceField(label=_("Sector"), choices=[("", "—"), *Sector.choices])
    area = AreaField(label=_("Where the provider is located"))
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    services = forms.MultipleChoiceField(
        label=_("Services offered"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    catchment = forms.CharField(
        label=_("Catchment areas"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Area codes served besides the provider's own regency, separated by ';' "
            "(e.g. 73.06; 73.06.01)."
        ),
    )
    contact_person = forms.CharField(label=_("Contact person"), max_length=200, required=False)
    opening_hours = forms.CharField(
        label=_("Opening hours"),
        max_length=200,
        required=False,
        help_text=_("e.g. Mon–Fri 08:00–16:00"),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        scope_area_fields(self, user)
        self.fields["services"].choices = [
            (s.code, s.name) for s in Service.objects.filter(is_active=True)
        ]

    @classmethod
    def for_provider(cls, provider: Provider, *, user) -> ProviderForm:
        org = provider.organisation
        return cls(
            user=user,
            initial={
                "name": org.name,
                "sector": provider.sector,
                "area": org.area_id,
                "address": org.address,
                "phone": org.phone,
                "email": org.email,
                "services": [s.code for s in provider.services.all()],
                "catchment": "; ".join(a.code for a in provider.catchment.all()),
                "contact_person": provider.contact_person,
                "opening_hours": provider.opening_hours,
                "notes": provider.notes,
                "is_active": org.is_active,
                "version": provider.version,
            },
        )

    def with_inactive_services(self, provider: Provider) -> ProviderForm:
        """Keep services the provider has that were since retired from the catalogue."""
        known = {code for code, _label in self.fields["services"].choices}
        extra = [(s.code, s.name) for s in provider.services.all() if s.code not in known]
        self.fields["services"].choices = [*self.fields["services"].choices, *extra]
        return self

    def clean_catchment(self) -> list[str]:
        return catchment_codes(self.cleaned_data["catchment"])

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data

    def add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for key, messages in error.message_dict.items():
                self.add_error(key if key in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Provider file (CSV or XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(SUFFIXES)}),
        help_text=_("One provider per row, with the columns listed below; at most 20 MB."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(SUFFIXES):
            raise ValidationError(_("Use a .csv or .xlsx file."))
        if upload.size > MAX_UPLOAD:
            raise ValidationError(_("The file is larger than 20 MB."))
        return upload
