"""Forms of the referral pages: a referral from a case plan, a transfer, a lifecycle move,
and the client-satisfaction answer (staff-entered or through the one-time link)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pksai.cases.forms_records import DATE
from pksai.referrals.models import Satisfaction, Service, Urgency
from pksai.referrals.services import DEFAULT_SHARE, SHAREABLE

SCORES = [(str(n), str(n)) for n in range(1, 6)]


class _ShareMixin(forms.Form):
    share = forms.MultipleChoiceField(
        label=_("Information shared with the receiver"),
        choices=list(SHAREABLE.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=list(DEFAULT_SHARE),
        help_text=_("Share only what the receiver needs. They never see the case itself."),
    )


class ReferralForm(_ShareMixin):
    plan_action = forms.TypedChoiceField(
        label=_("Plan action"), coerce=int, required=False, empty_value=None
    )
    provider = forms.TypedChoiceField(label=_("Service provider"), coerce=int)
    service = forms.ModelChoiceField(
        label=_("Service needed"),
        queryset=Service.objects.filter(is_active=True),
        to_field_name="code",
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial="routine")
    reason = forms.CharField(
        label=_("Reason for the referral"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the child needs from this provider. The provider reads this."),
    )
    due_date = forms.DateField(
        label=_("Service due"),
        required=False,
        widget=DATE,
        help_text=_("Empty: the service level for the urgency decides."),
    )
    field_order = ["plan_action", "provider", "service", "urgency", "reason", "due_date"]

    def __init__(self, *args, providers=(), actions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [("", "—")] + [
            (p.pk, f"{p.organisation.name} — {p.get_sector_display()}") for p in providers
        ]
        self.fields["plan_action"].choices = [("", _("— none —"))] + [
            (a.pk, f"{a.description} ({a.due_date:%Y-%m-%d})") for a in actions
        ]
        self.fields["service"].label_from_instance = lambda s: s.name


class TransferForm(_ShareMixin):
    organisation = forms.TypedChoiceField(label=_("Receiving secretariat"), coerce=int)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial="urgent")
    reason = forms.CharField(
        label=_("Reason for the transfer"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, secretariats=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", "—")] + [
            (o.pk, f"{o.name} ({o.area_id})") for o in secretariats
        ]


class MoveForm(forms.Form):
    name = forms.CharField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    delivered_on = forms.DateField(label=_("Date delivered"), required=False, widget=DATE)
    provided = forms.CharField(
        label=_("What was provided"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    outcome = forms.CharField(
        label=_("Outcome"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    owner = forms.CharField(label=_("Social worker who takes the case"), required=False)
    certificate_number = forms.CharField(
        label=_("Birth certificate number"), required=False, max_length=60
    )
    certificate_date = forms.DateField(label=_("Date of issue"), required=False, widget=DATE)


class SatisfactionForm(forms.Form):
    respondent = forms.ChoiceField(
        label=_("Who answers"), choices=Satisfaction.Respondent.choices, widget=forms.RadioSelect
    )
    score = forms.TypedChoiceField(
        label=_("How satisfied are you? (1 = not at all, 5 = very)"),
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
