"""Forms of the programs pages: nominating from the vulnerability database, the enumerator's
profile, the sub-program choice, enrolment, a selection round and its verification,
exclusion, approval and enrolment."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pksai.accounts.scoping import scope_for
from pksai.areas.forms import AreaField, scope_area_fields
from pksai.areas.models import Area
from pksai.cases.forms_records import DATE
from pksai.programs.models import Nomination, RoundEntry

RISK_LEVELS = [("high", _("high")), ("medium", _("medium"))]


def _this_year() -> int:
    return timezone.localdate().year


class _AreaInScope(forms.Form):
    """An ``area`` field: an existing area inside the user's scope, chosen by name or code."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        scope_area_fields(self, user)

    def clean_area(self) -> str:
        code = self.cleaned_data["area"].strip().rstrip(".")
        if not Area.objects.filter(code=code).exists():
            raise forms.ValidationError(_("Unknown area code."))
        if not scope_for(self.user).covers(code):
            raise forms.ValidationError(_("This area is outside your area of work."))
        return code


class FromVulnerabilityForm(_AreaInScope):
    year = forms.IntegerField(min_value=2000, max_value=2100, widget=forms.HiddenInput)
    area = AreaField(label=_("Area"))
    risk_levels = forms.MultipleChoiceField(
        label=_("Risk levels"),
        choices=RISK_LEVELS,
        initial=["high", "medium"],
        widget=forms.CheckboxSelectMultiple,
    )


def _null_bool(label):
    return forms.NullBooleanField(
        label=label,
        required=False,
        widget=forms.NullBooleanSelect,
    )


class ProfileForm(forms.Form):
    """The enumerator's profile (facts the registry does not hold)."""

    dependency = forms.ChoiceField(
        label=_("Dependency in daily activities"),
        choices=[("", _("unknown"))] + list(Nomination.Dependency.choices),
        required=False,
    )
    assistive_device_needed = _null_bool(_("Needs an assistive device"))
    bedridden = _null_bool(_("Bedridden"))
    fixed_income = _null_bool(_("Has a fixed income"))
    in_institution = _null_bool(_("Lives in a care institution"))
    notes = forms.CharField(
        label=_("Profile notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    @classmethod
    def for_nomination(cls, nomination: Nomination) -> ProfileForm:
        return cls(initial={f: getattr(nomination, f) for f in cls.base_fields})


class ChooseForm(forms.Form):
    subprogram = forms.ChoiceField(label=_("Sub-program"))
    reason = forms.CharField(
        label=_("Reason for the choice"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, options=(), reason_required=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subprogram"].choices = [("", "—"), *options]
        self.fields["reason"].required = reason_required
        if reason_required:
            self.fields["reason"].help_text = _(
                "The nominee matches several sub-programs: say why this one."
            )


class StartDateForm(forms.Form):
    start_date = forms.DateField(label=_("Start date"), widget=DATE)


class RoundForm(_AreaInScope):
    program = forms.ChoiceField(label=_("Program"))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    area = AreaField(label=_("Area"), help_text=_("Usually a regency or city: its quota applies."))
    places = forms.IntegerField(
        label=_("Places"),
        min_value=1,
        required=False,
        help_text=_("Empty: the area's quota for the year."),
    )
    sample_share = forms.DecimalField(
        label=_("Verification sample (share of the selected)"),
        min_value=Decimal("0"),
        max_value=Decimal("1"),
        max_digits=4,
        decimal_places=3,
        initial=Decimal("0.10"),
    )
    seed = forms.IntegerField(
        label=_("Sample seed"),
        min_value=0,
        max_value=2**62,
        required=False,
        help_text=_("Empty: drawn at random and recorded, so the sample can be reproduced."),
    )

    def __init__(self, *args, programs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [("", "—")] + [(p.code, p.name) for p in programs]
        self.fields["year"].initial = _this_year()


class VerifyForm(forms.Form):
    result = forms.ChoiceField(label=_("Result"), choices=RoundEntry.Verification.choices)
    notes = forms.CharField(label=_("Verification notes"), max_length=300, required=False)


class ExcludeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class ApproveForm(forms.Form):
    decree_number = forms.CharField(label=_("Decree number"), max_length=100)
    decree_date = forms.DateField(label=_("Decree date"), widget=DATE)


class ComplianceReviewForm(_AreaInScope):
    area = AreaField(label=_("Area"))


class NominateCaseForm(forms.Form):
    program = forms.SlugField(max_length=30)
    year = forms.IntegerField(min_value=2000, max_value=2100, required=False)
