from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pksai.areas.forms import AreaField
from pksai.webhooks.models import Kind


class SubscriberForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    url = forms.CharField(
        label=_("Address (URL)"),
        max_length=500,
        help_text=_("Where events are sent, starting with https://."),
        widget=forms.URLInput(attrs={"autocomplete": "url", "inputmode": "url"}),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=Kind.choices, widget=forms.CheckboxSelectMultiple
    )
    area = AreaField(
        label=_("Area"),
        required=False,
        help_text=_("Only events of this area and the areas below it; empty for every area."),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].scope_user = user


class ApproveForm(forms.Form):
    purpose = forms.CharField(
        label=_("Purpose of the personal data"),
        max_length=300,
        help_text=_("Why this subscriber needs names and NIKs; recorded with your approval."),
    )
