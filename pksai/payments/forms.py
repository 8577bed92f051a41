"""Forms of the payments pages: generate a cycle, export a batch, upload a return file."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from pksai.payments import selectors

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
