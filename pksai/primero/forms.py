from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class ImportForm(forms.Form):
    primero_id = forms.CharField(
        label=_("Primero case id"),
        required=False,
        max_length=64,
        help_text=_("The case's id in Primero (the long one in its web address)."),
    )
    since = forms.DateField(
        label=_("Or every case changed since"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self):
        data = super().clean()
        if bool(data.get("primero_id")) == bool(data.get("since")):
            raise ValidationError(_("Give a Primero case id or a date, not both."))
        return data
