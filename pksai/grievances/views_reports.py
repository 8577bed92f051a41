"""The complaint reports page (volume, time to resolution, levels, satisfaction) and its
CSV/XLSX/PDF downloads. Thin: the figures come from reports.py, counted in the database within
the user's scope. Only aggregates are shown or downloaded; each download is written to the
audit trail with its filters. Without ``view_complaint_report``: 403."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from pksai.accounts.scoping import require_perm
from pksai.core.reports import FORMATS, PeriodAreaForm, display, download, with_period_defaults
from pksai.grievances import reports
from pksai.grievances.models import Category, Channel

TITLES = {
    "volume": _("Complaints received"),
    "resolution": _("Time to resolution"),
    "levels": _("Open, overdue and escalated complaints"),
    "satisfaction": _("Complainants' satisfaction"),
}


class ReportFilterForm(PeriodAreaForm):
    category = forms.ChoiceField(label=_("Category"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    group = forms.ChoiceField(label=_("Grouped by"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories")), *Category.choices]
        self.fields["channel"].choices = [("", _("All channels")), *Channel.choices]
        self.fields["group"].choices = reports.group_choices()

    def filters(self) -> reports.Filters:
        """The filters (call after is_valid); an empty period is the current year."""
        default = reports.Filters.this_year()
        data = self.cleaned_data
        return reports.Filters(
            date_from=data.get("date_from") or default.date_from,
            date_to=data.get("date_to") or default.date_to,
            area=data.get("area", ""),
            category=data.get("category", ""),
            channel=data.get("channel", ""),
        )

    @property
    def grouping(self) -> str:
        return self.cleaned_data.get("group") or "category"


def _form(request) -> ReportFilterForm:
    return ReportFilterForm(with_period_defaults(request), user=request.user)


@login_required
@require_GET
def index(request):
    require_perm(request.user, reports.VIEW_REPORT)
    form = _form(request)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        filters, group = form.filters(), form.grouping
        user = request.user
        context.update(
            filters=filters,
            volume=display(reports.volume(user=user, filters=filters, group=group).table()),
            resolution=display(
                reports.resolution_time(user=user, filters=filters, group=group).table()
            ),
            levels=display(reports.levels(user=user, filters=filters).table()),
            satisfaction=display(
                reports.satisfaction(user=user, filters=filters, group=group).table()
            ),
            sees_restricted=user.has_perm(reports.VIEW_RESTRICTED),
        )
    return render(
        request, "grievances/reports.html", context, status=200 if form.is_valid() else 400
    )


@login_required
@require_GET
def export(request):
    require_perm(request.user, reports.VIEW_REPORT)
    name, fmt = request.GET.get("report", ""), request.GET.get("format", "")
    if name not in reports.REPORTS or fmt not in FORMATS:
        raise Http404("No such report.")
    form = _form(request)
    if not form.is_valid():
        return render(request, "grievances/reports.html", {"form": form}, status=400)
    filters, group = form.filters(), form.grouping
    table = reports.report(user=request.user, name=name, filters=filters, group=group).table()
    return download(
        request,
        table,
        fmt=fmt,
        filename=f"complaints-{name}-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}",
        object_type=f"grievances.report.{name}",
        title=str(TITLES[name]),
        detail={**filters.as_dict(), "group": group if name != "levels" else ""},
    )
