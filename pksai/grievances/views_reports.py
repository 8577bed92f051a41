"""The complaint reports page (volume, time to resolution, levels, satisfaction) and its
CSV/XLSX downloads. Thin: the figures come from reports.py, counted in the database within
the user's scope. Only aggregates are shown or downloaded; each download is written to the
audit trail with its filters. Without ``view_complaint_report``: 403."""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from pksai.accounts.scoping import require_perm
from pksai.areas.codes import normalise_area_code
from pksai.audit.services import audit_record
from pksai.grievances import reports
from pksai.grievances.models import Category, Channel

# the page rendering of a report table (headings and formatted cells) is shared with the
# referral and payment reports
from pksai.referrals.views_reports import _display as display

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ReportFilterForm(forms.Form):
    date_from = forms.DateField(label=_("Received from"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("Received until"), required=False, widget=DATE)
    area = forms.CharField(
        label=_("Area (code)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "73.71"}),
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    group = forms.ChoiceField(label=_("Grouped by"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories")), *Category.choices]
        self.fields["channel"].choices = [("", _("All channels")), *Channel.choices]
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
            category=data.get("category", ""),
            channel=data.get("channel", ""),
        )

    @property
    def grouping(self) -> str:
        return self.cleaned_data.get("group") or "category"


def _form(request) -> ReportFilterForm:
    data = request.GET.copy()
    default = reports.Filters.this_year()
    data.setdefault("date_from", default.date_from.isoformat())
    data.setdefault("date_to", default.date_to.isoformat())
    return ReportFilterForm(data)


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
    audit_record(
        action="export",
        actor=request.user,
        object_type=f"grievances.report.{name}",
        detail={
            "format": fmt,
            **filters.as_dict(),
            "group": group if name != "levels" else "",
            "rows": len(table.rows),
        },
    )
    frame = table.frame()
    if fmt == "csv":
        body = frame.write_csv().encode()
    else:
        buffer = io.BytesIO()
        frame.write_excel(buffer, worksheet=name)
        body = buffer.getvalue()
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True,
        filename=f"complaints-{name}-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}.{fmt}",
    )
    response["Cache-Control"] = "no-store"
    return response
