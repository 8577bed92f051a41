"""The monthly (or quarterly) report's page: choose the period, the area and the copy, then
download it as PDF or XLSX (monthly.py assembles, monthly_files.py writes, the download is
on the audit log). Thin: the form, then one service call."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from pksai.accounts.scoping import require_perm
from pksai.areas.codes import normalise_area_code
from pksai.core.exports import XLSX_TYPE
from pksai.monitoring import monthly
from pksai.monitoring.forms import MonthlyReportForm
from pksai.monitoring.indicators import VIEW

CONTENT_TYPES = {"pdf": "application/pdf", "xlsx": XLSX_TYPE}


@login_required
@require_GET
def monthly_report(request):
    """GET without ``format``: the form. With ``format=pdf|xlsx``: the file."""
    require_perm(request.user, VIEW)
    raw_area = (request.GET.get("area") or "").strip()
    if raw_area and normalise_area_code(raw_area) is not None:
        monthly.report_area(request.user, raw_area)  # out of scope: 404, audited
    fmt = request.GET.get("format", "")
    form = MonthlyReportForm(
        request.GET if fmt else None, initial={"area": raw_area}, user=request.user
    )
    if not fmt or not form.is_valid() or fmt not in monthly.FORMATS:
        if fmt and fmt not in monthly.FORMATS:
            form.add_error(None, monthly.format_error())
        status = 400 if fmt else 200
        return render(request, "monitoring/monthly_report.html", {"form": form}, status=status)
    data = form.cleaned_data
    try:
        _report, filename, body = monthly.monthly_report_file(
            reader=request.user,
            area=data["area"],
            period=monthly.report_period(data["period"]),
            publication=data["edition"] == "publication",
            fmt=fmt,
        )
    except ValueError as error:  # several areas in scope and none chosen
        form.add_error("area", str(error))
        return render(request, "monitoring/monthly_report.html", {"form": form}, status=400)
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename
    )
    return response
