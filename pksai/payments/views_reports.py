"""The payment reports pages — timeliness, held/undelivered and lump sums (one page, grouped by
program, province, regency or cycle month) and the payer's monthly delivery report of one
cycle — with their CSV/XLSX downloads.

Thin: the figures come from reports.py, counted in the database within the user's scope. Only
aggregates are shown or downloaded; each download is written to the audit trail with its
filters. Without the permission to see entitlements: 403, like the rest of payments."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from pksai.accounts.scoping import require_perm
from pksai.areas.forms import AreaField, scope_area_fields
from pksai.core.reports import FORMATS, display, download
from pksai.payments import reports, selectors
from pksai.payments.forms import parse_period

MONTH = forms.TextInput(attrs={"placeholder": "2026-01", "inputmode": "numeric"})


def _month(form: forms.Form, name: str):
    raw = form.cleaned_data.get(name, "").strip()
    if not raw:
        return None
    period = parse_period(raw)
    if period is None:
        raise forms.ValidationError(_("Enter a month as YYYY-MM."))
    return period


class ReportFilterForm(forms.Form):
    program = forms.ChoiceField(label=_("Program"), required=False)
    period_from = forms.CharField(
        label=_("From (YYYY-MM)"), required=False, max_length=7, widget=MONTH
    )
    period_to = forms.CharField(
        label=_("Until (YYYY-MM)"), required=False, max_length=7, widget=MONTH
    )
    area = AreaField(label=_("Area"), required=False)
    group = forms.ChoiceField(label=_("Grouped by"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        scope_area_fields(self, user)
        self.fields["program"].choices = [
            ("", _("All programs")),
            *((p.code, p.name) for p in selectors.payment_programs()),
        ]
        self.fields["group"].choices = reports.group_choices()

    def clean_period_from(self):
        return _month(self, "period_from")

    def clean_period_to(self):
        return _month(self, "period_to")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("period_from"), data.get("period_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data

    def filters(self) -> reports.Filters:
        data = self.cleaned_data
        return reports.Filters(
            program=data.get("program", ""),
            period_from=data.get("period_from"),
            period_to=data.get("period_to"),
            area=data.get("area", ""),
        )

    @property
    def grouping(self) -> str:
        return self.cleaned_data.get("group") or "program"


class DeliveryForm(forms.Form):
    cycle = forms.ModelChoiceField(label=_("Cycle"), queryset=None, required=False)
    area = AreaField(label=_("Area"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        scope_area_fields(self, user)
        self.fields["cycle"].queryset = selectors.cycle_list(user=user)


# the PDF's title: the report's name as its page heads it (``Report.heading`` heads the
# grouping column)
TITLES = {
    "timeliness": _("Payment timeliness"),
    "held": _("Held and undelivered"),
    "lump_sums": _("Lump sums"),
    "delivery": _("The payer's monthly delivery report"),
}


def _download(request, report: reports.Report, fmt: str, detail: dict, name: str):
    return download(
        request,
        report.table(),
        fmt=fmt,
        filename=name,
        object_type=f"payments.report.{report.name}",
        title=str(TITLES[report.name]),
        detail=detail,
    )


@login_required
@require_GET
def index(request):
    require_perm(request.user, reports.VIEW_ENTITLEMENT)
    form = ReportFilterForm(request.GET, user=request.user)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        filters, group = form.filters(), form.grouping
        context.update(
            filters=filters,
            timeliness=display(
                reports.timeliness(user=request.user, filters=filters, group=group).table()
            ),
            held=display(reports.held(user=request.user, filters=filters, group=group).table()),
            lump_sums=display(
                reports.lump_sums(user=request.user, filters=filters, group=group).table()
            ),
        )
    return render(request, "payments/reports.html", context, status=200 if form.is_valid() else 400)


@login_required
@require_GET
def export(request):
    require_perm(request.user, reports.VIEW_ENTITLEMENT)
    name, fmt = request.GET.get("report", ""), request.GET.get("format", "")
    if name not in reports.REPORTS or name == "delivery" or fmt not in FORMATS:
        raise Http404("No such report.")
    form = ReportFilterForm(request.GET, user=request.user)
    if not form.is_valid():
        return render(request, "payments/reports.html", {"form": form}, status=400)
    filters, group = form.filters(), form.grouping
    report = reports.report(user=request.user, name=name, filters=filters, group=group)
    return _download(
        request,
        report,
        fmt,
        {**filters.as_dict(), "group": group},
        f"payments-{name}-{group}",
    )


@login_required
@require_GET
def delivery(request):
    """The payer's monthly delivery report of one cycle (the newest by default); with
    ``format=csv|xlsx|pdf`` the download."""
    require_perm(request.user, reports.VIEW_ENTITLEMENT)
    form = DeliveryForm(request.GET, user=request.user)
    context: dict[str, Any] = {"form": form}
    if not form.is_valid():
        return render(request, "payments/reports_delivery.html", context, status=400)
    cycle = form.cleaned_data.get("cycle") or form.fields["cycle"].queryset.first()
    area = form.cleaned_data["area"]
    fmt = request.GET.get("format", "")
    if cycle is None:
        if fmt:
            raise Http404("No cycle.")
        return render(request, "payments/reports_delivery.html", context)
    report = reports.delivery(user=request.user, cycle=cycle, area=area)
    if fmt:
        if fmt not in FORMATS:
            raise Http404("Unknown format.")
        return _download(
            request,
            report,
            fmt,
            {"cycle": cycle.pk, "area": area},
            f"payments-delivery-{cycle.program.code}-{cycle.period:%Y-%m}",
        )
    context.update(cycle=cycle, area=area, delivery=display(report.table()))
    return render(request, "payments/reports_delivery.html", context)
