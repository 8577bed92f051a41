"""The reports page (services provided, referral performance, satisfaction) and its CSV/XLSX/PDF
downloads. Thin: the figures come from reports.py, counted in the database within the user's
scope. Only aggregates are shown or downloaded; each download is written to the audit trail."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from pksai.accounts.scoping import require_perm
from pksai.core.reports import (
    FORMATS,
    PeriodAreaForm,
    display,
    download,
    with_period_defaults,
)
from pksai.referrals import reports
from pksai.referrals.models import Sector

TITLES = {
    "services": _("Services provided"),
    "performance": _("Referral performance"),
    "satisfaction": _("Client satisfaction"),
}


class ReportFilterForm(PeriodAreaForm):
    sector = forms.ChoiceField(label=_("Sector"), required=False)
    group = forms.ChoiceField(label=_("Services grouped by"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].choices = [("", _("All sectors")), *Sector.choices]
        self.fields["group"].choices = reports.group_choices()

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
    return ReportFilterForm(with_period_defaults(request), user=request.user)


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
            services=display(services.table()),
            performance=display(performance.table()),
            satisfaction_by_moment=display(satisfaction.table("moment")),
            satisfaction_by_provider=display(satisfaction.table("provider")),
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
    return download(
        request,
        table,
        fmt=fmt,
        filename=f"{report}-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}",
        object_type=f"referrals.report.{report}",
        title=str(TITLES[report]),
        detail={
            "from": filters.date_from.isoformat(),
            "to": filters.date_to.isoformat(),
            "area": filters.area,
            "sector": filters.sector,
            "group": form.grouping if report == "services" else "",
        },
    )
