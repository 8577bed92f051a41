"""The reports page (services provided, referral performance, satisfaction) and its CSV/XLSX
downloads. Thin: the figures come from reports.py, counted in the database within the user's
scope. Only aggregates are shown or downloaded; each download is written to the audit trail."""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from pksai.accounts.scoping import require_perm
from pksai.areas.codes import normalise_area_code
from pksai.audit.services import audit_record
from pksai.referrals import reports
from pksai.referrals.models import Sector

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ReportFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("Until"), required=False, widget=DATE)
    area = forms.CharField(
        label=_("Area (code)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "73.71"}),
    )
    sector = forms.ChoiceField(label=_("Sector"), required=False)
    group = forms.ChoiceField(label=_("Services grouped by"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].choices = [("", _("All sectors")), *Sector.choices]
        self.fields["group"].choices = reports.group_choices()

    def clean_area(self) -> str:
        raw = self.cleaned_data.get("area", "").strip()
        if not raw:
            return ""
        code = normalise_area_code(raw)
        if code is None:
            raise forms.ValidationError(_("Not an area code (for example 73.71 or 7371)."))
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data

    def filters(self) -> reports.Filters:
        """The filters (call after is_valid); an empty period is the current year."""
        default = reports.Filters.this_year()
        data = self.cleaned_data
        return reports.Filters(
            date_from=data.get("date_from") or default.date_from,
            date_to=data.get("date_to") or default.date_to,
            area=data.get("area", ""),
            sector=data.get("sector", ""),
        )

    @property
    def grouping(self) -> str:
        return self.cleaned_data.get("group") or "service"


def _form(request) -> ReportFilterForm:
    data = request.GET.copy()
    default = reports.Filters.this_year()
    data.setdefault("date_from", default.date_from.isoformat())
    data.setdefault("date_to", default.date_to.isoformat())
    return ReportFilterForm(data)


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        return formats.number_format(value, 1)
    if isinstance(value, int):
        return formats.number_format(value, force_grouping=True)
    return str(value)


def _display(table: reports.Table) -> dict:
    """The table for the page: headings and cells as text, without the codes that only the
    downloads carry."""
    keep = [i for i, (key, _label) in enumerate(table.columns) if key not in {"group", "key"}]
    return {
        "columns": [table.columns[i][1] for i in keep],
        "rows": [[_shown(row[i]) for i in keep] for row in table.rows],
        "total": [_shown(table.total[i]) for i in keep] if table.total else None,
    }


@login_required
@require_GET
def index(request):
    require_perm(request.user, reports.VIEW_REPORT)
    form = _form(request)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        filters = form.filters()
        services = reports.services_provided(
            user=request.user, filters=filters, group=form.grouping
        )
        performance = reports.referral_performance(user=request.user, filters=filters)
        satisfaction = reports.satisfaction(user=request.user, filters=filters)
        context.update(
            filters=filters,
            services=_display(services.table()),
            performance=_display(performance.table()),
            satisfaction_by_moment=_display(satisfaction.table("moment")),
            satisfaction_by_provider=_display(satisfaction.table("provider")),
        )
    return render(
        request, "referrals/reports/index.html", context, status=200 if form.is_valid() else 400
    )


@login_required
@require_GET
def export(request):
    require_perm(request.user, reports.VIEW_REPORT)
    report, fmt = request.GET.get("report", ""), request.GET.get("format", "")
    if report not in reports.REPORTS or fmt not in FORMATS:
        raise Http404("No such report.")
    form = _form(request)
    if not form.is_valid():
        return render(request, "referrals/reports/index.html", {"form": form}, status=400)
    filters = form.filters()
    table = reports.report_table(
        user=request.user, report=report, filters=filters, group=form.grouping
    )
    audit_record(
        action="export",
        actor=request.user,
        object_type=f"referrals.report.{report}",
        detail={
            "format": fmt,
            "from": filters.date_from.isoformat(),
            "to": filters.date_to.isoformat(),
            "area": filters.area,
            "sector": filters.sector,
            "group": form.grouping if report == "services" else "",
            "rows": len(table.rows),
        },
    )
    frame = table.frame()
    if fmt == "csv":
        body = frame.write_csv().encode()
    else:
        buffer = io.BytesIO()
        frame.write_excel(buffer, worksheet=report)
        body = buffer.getvalue()
    response = HttpResponse(body, content_type=FORMATS[fmt])
    name = f"{report}-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
