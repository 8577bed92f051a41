"""Payment reports over JSON (mounted at /api/v1/payments/reports/): timeliness, held and
undelivered, lump sums (grouped by program, province, regency or cycle month) and the payer's
monthly delivery report of one cycle.

The same figures as the pages (reports.py), counted within the caller's area scope; without the
permission to see entitlements a 403. Aggregates only: nothing here names a person, so the
answers are not audited (the file downloads of the pages are)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from pksai.areas.codes import normalise_area_code
from pksai.payments import reports, selectors
from pksai.payments.forms import parse_period

router = Router()


class ReportFilters(Schema):
    program: str = Field("", description="A program's code, e.g. jslu.")
    period_from: str = Field("", description="First cycle period, YYYY-MM.")
    period_to: str = Field("", description="Last cycle period, YYYY-MM.")
    area: str = Field("", description="An area code prefix inside the caller's scope.")
    group: str = Field("program", description="program, province, regency or month.")


class DeliveryFilters(Schema):
    cycle: int = Field(description="The payment cycle's id.")
    area: str = Field("", description="An area code prefix inside the caller's scope.")


class ColumnOut(Schema):
    key: str
    label: str


class ReportOut(Schema):
    report: str
    group: str
    filters: dict[str, Any]
    columns: list[ColumnOut]
    rows: list[dict[str, Any]] = Field(
        description="One per group: key, label and the measures (amounts in whole rupiah)."
    )
    total: dict[str, Any]


def _area(raw: str) -> str:
    if not raw.strip():
        return ""
    code = normalise_area_code(raw.strip())
    if code is None:
        raise ValidationError({"area": [_("Not an area code (for example 73.71 or 7371).")]})
    return code


def _filters(query: ReportFilters) -> reports.Filters:
    periods = {}
    for name in ("period_from", "period_to"):
        raw = getattr(query, name)
        periods[name] = parse_period(raw) if raw else None
        if raw and periods[name] is None:
            raise ValidationError({name: [_("Enter a month as YYYY-MM.")]})
    if query.group not in reports.GROUPS:
        raise ValidationError({"group": [_("Group by program, province, regency or month.")]})
    return reports.Filters(program=query.program, area=_area(query.area), **periods)


def _out(report: reports.Report, filters: dict[str, Any]) -> dict[str, Any]:
    return {
        "report": report.name,
        "group": report.group,
        "filters": filters,
        "columns": [{"key": k, "label": str(label)} for k, label in report.columns],
        "rows": report.rows,
        "total": report.total,
    }


def _grouped(request, name: str, query: ReportFilters) -> dict[str, Any]:
    filters = _filters(query)
    report = reports.report(user=request.auth, name=name, filters=filters, group=query.group)
    return _out(report, filters.as_dict())


@router.get("/timeliness", response=ReportOut, summary="Payment timeliness")
def timeliness(request, query: Query[ReportFilters]):
    return _grouped(request, "timeliness", query)


@router.get("/held", response=ReportOut, summary="Held and undelivered payments")
def held(request, query: Query[ReportFilters]):
    return _grouped(request, "held", query)


@router.get("/lump-sums", response=ReportOut, summary="Lump sums (several periods)")
def lump_sums(request, query: Query[ReportFilters]):
    return _grouped(request, "lump_sums", query)


@router.get("/delivery", response=ReportOut, summary="The payer's monthly delivery report")
def delivery(request, query: Query[DeliveryFilters]):
    cycle = selectors.cycle_get(user=request.auth, pk=query.cycle)
    area = _area(query.area)
    report = reports.delivery(user=request.auth, cycle=cycle, area=area)
    return _out(report, {"cycle": cycle.pk, "area": area})
