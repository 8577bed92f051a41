from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pksai.areas.forms import AreaField
from pksai.retention import selectors
from pksai.retention.models import LegalHold


class PlaceHoldForm(forms.Form):
    """What to hold — a case by its number, a person by their record number, a complaint by
    its tracking code, or an area — and why. The record is looked up in the user's scope."""

    target = forms.ChoiceField(
        label=_("Hold"), choices=LegalHold.Target.choices, widget=forms.RadioSelect
    )
    case_number = forms.CharField(label=_("Case number"), max_length=20, required=False)
    person_id = forms.IntegerField(
        label=_("Person record number"),
        help_text=_("The number in the address of the person's page in the registry."),
        min_value=1,
        max_value=2**62,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    complaint_code = forms.CharField(
        label=_("Complaint tracking code"), max_length=14, required=False
    )
    reason = forms.CharField(
        label=_("Why the records must be kept"),
        help_text=_("For example: court proceedings, a police investigation, an audit."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["area"] = AreaField(label=_("Area"), scope_user=user, required=False)
        self.order_fields(["target", "case_number", "person_id", "complaint_code", "area"])
        self.record = None

    def clean(self):
        data = super().clean()
        target = data.get("target")
        missing = _("Fill this in for the chosen hold.")
        if target == LegalHold.Target.CASE:
            number = data.get("case_number") or ""
            if not number:
                self.add_error("case_number", missing)
            elif (found := selectors.hold_case(user=self.user, number=number)) is None:
                self.add_error("case_number", _("No case with this number in your area."))
            else:
                self.record = found
        elif target == LegalHold.Target.PERSON:
            pk = data.get("person_id")
            if not pk:
                self.add_error("person_id", missing)
            elif (found := selectors.hold_person(user=self.user, pk=pk)) is None:
                self.add_error("person_id", _("No person with this number in your area."))
            else:
                self.record = found
        elif target == LegalHold.Target.COMPLAINT:
            code = data.get("complaint_code") or ""
            if not code:
                self.add_error("complaint_code", missing)
            elif (found := selectors.hold_complaint(user=self.user, code=code)) is None:
                self.add_error("complaint_code", _("No complaint with this code in your area."))
            else:
                self.record = found
        elif target == LegalHold.Target.AREA and not data.get("area"):
            self.add_error("area", missing)
        return data


class ReleaseHoldForm(forms.Form):
    reason = forms.CharField(label=_("Why the hold ends"), max_length=2000)
