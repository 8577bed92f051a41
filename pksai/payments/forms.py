"""Forms of the payments pages: generate a cycle, export a batch, upload a return file; open a
PKSA savings account, draft a fund-utilisation plan, withdraw against it; record in-kind
items."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from pksai.payments import savings, selectors
from pksai.payments.models import Channel, FundPlan, FundPlanItem

PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


def parse_period(value: str) -> date | None:
    """'YYYY-MM' → the first day of that month, else None."""
    match = PERIOD.match((value or "").strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return date(year, month, 1)


class CycleForm(forms.Form):
    program = forms.ModelChoiceField(
        label=_("Program"), queryset=selectors.payment_programs(), to_field_name="code"
    )
    period = forms.CharField(
        label=_("Period (YYYY-MM)"),
        max_length=7,
        widget=forms.TextInput(attrs={"placeholder": "2026-01", "inputmode": "numeric"}),
    )

    def clean_period(self) -> date:
        period = parse_period(self.cleaned_data["period"])
        if period is None:
            raise forms.ValidationError(_("Enter a month as YYYY-MM."))
        return period


class ExportForm(forms.Form):
    note = forms.CharField(
        label=_("Why this version"),
        max_length=300,
        required=False,
        help_text=_("Required for a correction (a new version of an exported batch)."),
    )


class ReturnForm(forms.Form):
    file = forms.FileField(
        label=_("Return file (CSV or XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )


# --- PKSA savings accounts and in-kind items -----------------------------------------------


class RupiahField(forms.IntegerField):
    """Whole rupiah: accepts '1.500.000', '1,500,000' or 'Rp 1500000'; never a fraction."""

    def to_python(self, value):
        if isinstance(value, str):
            value = re.sub(r"^\s*rp\.?\s*|[.,\s]", "", value, flags=re.IGNORECASE)
        return super().to_python(value)


class AccountOpenForm(forms.Form):
    beneficiary = forms.IntegerField(
        label=_("Beneficiary number (PKSA child)"), min_value=1, widget=forms.NumberInput()
    )
    number = forms.CharField(label=_("Account number"), max_length=40)
    guardian_name = forms.CharField(label=_("Guardian"), max_length=200)
    opened_on = forms.DateField(
        label=_("Opened on"), widget=forms.DateInput(attrs={"type": "date"})
    )


PLAN_ROWS = 6


class PlanForm(forms.Form):
    """A draft fund-utilisation plan: the needs assessment and up to ``PLAN_ROWS`` item
    rows (what for, how much); empty rows are ignored."""

    needs_assessment = forms.CharField(
        label=_("Needs assessment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(PLAN_ROWS):
            self.fields[f"description_{i}"] = forms.CharField(
                label=_("Item / purpose"),
                max_length=200,
                required=False,
                widget=forms.TextInput(attrs={"aria-label": _("Item / purpose")}),
            )
            self.fields[f"amount_{i}"] = RupiahField(
                label=_("Amount (Rp)"),
                min_value=1,
                required=False,
                widget=forms.TextInput(
                    attrs={"aria-label": _("Amount (Rp)"), "inputmode": "numeric"}
                ),
            )

    @property
    def rows(self) -> list[tuple]:
        return [(self[f"description_{i}"], self[f"amount_{i}"]) for i in range(PLAN_ROWS)]

    def clean(self):
        data = super().clean()
        items = []
        for i in range(PLAN_ROWS):
            description = (data.get(f"description_{i}") or "").strip()
            amount = data.get(f"amount_{i}")
            if not description and amount is None:
                continue
            if not description or amount is None:
                raise forms.ValidationError(_("Every item row needs what it is for and an amount."))
            items.append((description, amount))
        if not items and not self.errors:
            raise forms.ValidationError(_("A plan needs at least one item."))
        data["items"] = items
        return data


class PlanItemChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: FundPlanItem) -> str:
        label = f"{obj.description} ({savings.rupiah(obj.amount)})"
        if obj.plan.status == FundPlan.Status.DRAFT:
            label += " · " + str(_("draft plan, not approved"))
        return label


class WithdrawForm(forms.Form):
    """A withdrawal against an item of the account's plans. Every item of the account is a
    choice (not only approved ones) so that the service, not the form, refuses an item of a
    draft plan — with its own clear message."""

    item = PlanItemChoice(label=_("Item of the approved plan"), queryset=None, required=False)
    amount = RupiahField(
        label=_("Amount (Rp)"), min_value=1, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    purpose = forms.CharField(label=_("Purpose"), max_length=300)
    on = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = (
            FundPlanItem.objects.filter(plan__account=account)
            .select_related("plan")
            .order_by("plan__status", "plan_id", "id")  # approved plans first
        )


class ItemsRecordForm(forms.Form):
    """Record the selected in-kind items as delivered (date, by whom) or not (why)."""

    OUTCOMES = [("delivered", _("delivered")), ("undelivered", _("not delivered"))]
    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOMES)
    on = forms.DateField(
        label=_("Delivered on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    delivered_by = forms.CharField(label=_("Delivered by"), max_length=200, required=False)
    reason = forms.CharField(label=_("Why not delivered"), max_length=200, required=False)


class DeliveryForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Delivery by the post office"),
        choices=[(c, label) for c, label in Channel.choices if c != Channel.ACCOUNT],
    )
    reason = forms.CharField(label=_("Why (optional)"), max_length=200, required=False)
