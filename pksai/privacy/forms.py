"""Forms of the data-protection pages. Each parses input for one service call."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pksai.areas.forms import ANY_LEVEL, AreaField, scope_area_fields
from pksai.cases.forms_records import DATE
from pksai.privacy.models import (
    BreachNotice,
    LegalBasis,
    Purpose,
    Relationship,
    RequestKind,
    SubjectRequest,
)

WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
WHEN_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def _now_local() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


class ServiceErrorsMixin:
    def add_service_errors(self, error: ValidationError) -> None:
        """A service's ValidationError on its fields (or at the top)."""
        if hasattr(error, "error_dict"):
            for key, messages in error.message_dict.items():
                self.add_error(key if key in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


class VersionForm(ServiceErrorsMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


def _purposes():
    return [(p.code, p.name) for p in Purpose.objects.filter(is_active=True)]


class ConsentForm(ServiceErrorsMixin, forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose of sharing"))
    given_by_name = forms.CharField(
        label=_("Who gave the consent"),
        max_length=200,
        help_text=_("The child's parent or guardian; the child's own agreement is noted too."),
    )
    relationship = forms.ChoiceField(
        label=_("Relationship to the child"), choices=Relationship.choices
    )
    given_at = forms.DateTimeField(
        label=_("When it was given"), widget=WHEN, input_formats=WHEN_FORMATS
    )
    how = forms.CharField(
        label=_("How it was given"),
        max_length=200,
        required=False,
        help_text=_("E.g. signed form attached to the case, or spoken during a home visit."),
    )
    expires_on = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=DATE,
        help_text=_("Empty: until it is withdrawn."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = _purposes()
        self.fields["given_at"].initial = _now_local()


class WithdrawForm(VersionForm):
    withdrawn_by_name = forms.CharField(label=_("Who withdrew the consent"), max_length=200)
    reason = forms.CharField(
        label=_("Reason given"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class LegalGroundForm(ServiceErrorsMixin, forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose of sharing"))
    basis = forms.ChoiceField(
        label=_("Legal ground"), choices=LegalBasis.choices, widget=forms.RadioSelect
    )
    explanation = forms.CharField(
        label=_("Why it applies to this child"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The receiver sees the ground, not this explanation."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = _purposes()


class RequestForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("What is asked"), choices=RequestKind.choices, widget=forms.RadioSelect
    )
    nik = forms.CharField(
        label=_("NIK of the person concerned"),
        max_length=16,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    case_number = forms.CharField(label=_("Or the case number"), max_length=20, required=False)
    requester_name = forms.CharField(label=_("Requester"), max_length=200)
    requester_relationship = forms.ChoiceField(
        label=_("Requester's relationship to the person"), choices=Relationship.choices
    )
    requester_contact = forms.CharField(
        label=_("How to reach the requester"),
        max_length=200,
        help_text=_("Phone, e-mail or address for the answer."),
    )
    channel = forms.ChoiceField(label=_("Received by"), choices=SubjectRequest.Channel.choices)
    received_at = forms.DateTimeField(
        label=_("Received at"), widget=WHEN, input_formats=WHEN_FORMATS
    )
    details = forms.CharField(label=_("Details"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_at"].initial = _now_local()

    def clean(self):
        data = super().clean()
        if not data.get("nik") and not data.get("case_number"):
            self.add_error("nik", _("Give the NIK or the case number of the person concerned."))
        return data


class DecideForm(VersionForm):
    outcome = forms.ChoiceField(
        label=_("Answer"),
        choices=[
            (SubjectRequest.Status.DONE, _("granted: done")),
            (SubjectRequest.Status.REFUSED, _("refused")),
        ],
        widget=forms.RadioSelect,
    )
    decision = forms.CharField(
        label=_("Answer given to the requester"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "For a correction: what was corrected and where (case record, or sent to the "
            "registry's source)."
        ),
    )
    refusal_ground = forms.CharField(
        label=_("Ground for refusing"),
        max_length=300,
        required=False,
        help_text=_("Required when refused, e.g. an open child-protection case."),
    )


class ExportForm(ServiceErrorsMixin, forms.Form):
    purpose = forms.CharField(
        label=_("Purpose of this export"),
        max_length=200,
        initial=_("Answer to an access request"),
    )


class BreachForm(ServiceErrorsMixin, forms.Form):
    area = AreaField(label=_("Area concerned"), levels=ANY_LEVEL)
    discovered_at = forms.DateTimeField(
        label=_("Discovered at"), widget=WHEN, input_formats=WHEN_FORMATS
    )
    discovered_by = forms.CharField(label=_("Discovered by"), max_length=200)
    what_happened = forms.CharField(
        label=_("What happened"), widget=forms.Textarea(attrs={"rows": 3})
    )
    data_kinds = forms.CharField(
        label=_("Personal data concerned"),
        max_length=500,
        help_text=_("E.g. names, NIK, case notes, guardians' phones."),
    )
    people_affected = forms.IntegerField(
        label=_("Number of people affected"), min_value=0, max_value=100_000_000
    )
    containment = forms.CharField(
        label=_("Containment and recovery so far"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["discovered_at"].initial = _now_local()
        scope_area_fields(self, user)


class BreachUpdateForm(VersionForm):
    containment = forms.CharField(
        label=_("Containment and recovery"), widget=forms.Textarea(attrs={"rows": 3})
    )
    people_affected = forms.IntegerField(
        label=_("Number of people affected"), min_value=0, max_value=100_000_000
    )


class NoticeForm(VersionForm):
    status = forms.ChoiceField(
        label=_("Step"),
        choices=[
            (BreachNotice.Status.DONE, _("done")),
            (BreachNotice.Status.NOT_REQUIRED, _("not required")),
        ],
        widget=forms.RadioSelect,
    )
    done_at = forms.DateTimeField(
        label=_("When"), widget=WHEN, input_formats=WHEN_FORMATS, required=False
    )
    note = forms.CharField(
        label=_("How and to whom (or why not required)"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
