"""Monitoring over JSON (mounted at /api/v1/monitoring/, bearer token or staff session):
indicator definitions, an indicator's values (the dashboard's filters), the period comparison
(suppressed as published); the finance reports are api_finance.py (``/monitoring/finance/``).
Aggregates only, in the caller's area scope: without the role a 403, an area outside the
scope a 404."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from pksai.accounts.scoping import require_perm
from pksai.audit.services import audit_record
from pksai.monitoring import exports, monthly, targets, tiles
from pksai.monitoring.forms import (
    Period,
    area_groups,
    clean_area_code,
    default_group,
    first_of_month,
    fit_group,
    last_year,
    next_month,
    this_year_to_date,
)
from pksai.monitoring.indicators import (
    VIEW,
    active_indicators,
    compare_periods,
    indicator_groups,
    indicator_values,
)
from pksai.monitoring.measures import GROUPS, MEASURES

router = Router()

GroupCode = Literal[GROUPS]
MeasureCode = Literal[tuple(MEASURES)]


class IndicatorOut(Schema):
    code: str
    name: str
    name_id: str
    name_en: str
    numerator: str
    denominator: str
    parameter: int | None
    unit: str
    disaggregations: list
    groups: list[str]
    baseline: Decimal | None
    baseline_year: int | None
    target: Decimal | None
    target_year: int | None
    sdg_target: str
    higher_is_better: bool


class ValueOut(Schema):
    key: str
    label: str
    numerator: int
    denominator: int | None
    value: Decimal | None


class GoalOut(Schema):
    """The baseline and target that apply (targets.py), with their years and source; the
    ``area`` they were set for ("" national)."""

    baseline: Decimal | None
    baseline_year: int | None
    target: Decimal | None
    target_year: int | None
    source: str
    area: str


class IndicatorValuesOut(Schema):
    code: str
    start: date
    end: date
    area: str
    group: str
    total: ValueOut | None
    values: list[ValueOut]
    goal: GoalOut


class TrendPointOut(Schema):
    month: str
    value: Decimal | None


class TileOut(Schema):
    code: str
    name: str
    unit: str
    value: Decimal | None
    numerator: int
    denominator: int | None
    previous: Decimal | None
    change: Decimal | None
    dated: bool
    higher_is_better: bool
    goal: GoalOut
    status: Literal["green", "amber", "red", ""]
    status_label: str
    trend: list[TrendPointOut]


class TilesOut(Schema):
    start: date
    end: date
    previous_start: date
    previous_end: date
    area: str
    tiles: list[TileOut]


class PeriodFilters(Schema):
    start: date | None = None  # any day of the first month
    end: date | None = None  # any day of the last month
    area: str = ""
    group: GroupCode | None = None


class TableOut(Schema):
    key: str
    title: str
    columns: list[str]
    rows: list[list]
    total: list | None
    notes: list[str]
    suppressed: int


def _area(user, raw: str) -> str:
    try:
        return clean_area_code(raw, user)
    except ValidationError as error:
        raise ValidationError(error.messages) from None


def _period(start: date | None, end: date | None, default: Period) -> Period:
    period = Period(
        first_of_month(start) if start else default.start,
        next_month(end) if end else default.end,
    )
    if period.start >= period.end:
        raise ValidationError(_("The period ends before it starts."))
    return period


def _table(table: exports.Table) -> dict:
    def plain(value):
        return str(value) if isinstance(value, Decimal) else value

    return {
        "key": table.key,
        "title": str(table.title),
        "columns": [str(c) for c in table.columns],
        "rows": [[plain(v) for v in row] for row in table.rows],
        "total": [plain(v) for v in table.total] if table.total else None,
        "notes": [str(n) for n in table.notes],
        "suppressed": table.suppressed,
    }


@router.get("/indicators", response=list[IndicatorOut])
def indicators(request):
    """The active indicator definitions, in dashboard order."""
    require_perm(request.auth, VIEW)
    return [
        {
            **{f: getattr(i, f) for f in IndicatorOut.model_fields if hasattr(i, f)},
            "name": i.name,
            "groups": indicator_groups(i),
        }
        for i in active_indicators()
    ]


@router.get("/indicators/{code}/values", response=IndicatorValuesOut)
def indicator_value_list(request, code: str, filters: Query[PeriodFilters]):
    """One indicator for a period (whole months), per group; the total beside. A grouping
    the indicator does not allow answers with the total only (``group`` says which)."""
    user = request.auth
    require_perm(user, VIEW)
    indicator = active_indicators().filter(code=code).first()
    if indicator is None:
        raise Http404("No such indicator.")
    area = _area(user, filters.area)
    period = _period(filters.start, filters.end, this_year_to_date())
    group = fit_group(user, area, filters.group or default_group(user, area))
    used = group if group in indicator_groups(indicator) else "national"
    goal = targets.targets_for(
        [indicator], area=tiles.goal_area(user, area), year=period.last_month.year
    )[indicator.code]
    args = {"user": user, "area": area, "start": period.start, "end": period.end}
    total = next(iter(indicator_values(indicator, group="national", **args)), None)
    values = indicator_values(indicator, group=used, **args) if used != "national" else []
    return {
        "code": indicator.code,
        "start": period.start,
        "end": period.end,
        "area": area,
        "group": used,
        "total": total,
        "values": values,
        "goal": goal,
    }


class TileFilters(Schema):
    start: date | None = None  # any day of the first month
    end: date | None = None  # any day of the last month
    area: str = ""


@router.get("/tiles", response=TilesOut)
def tile_list(request, filters: Query[TileFilters]):
    """The dashboard at a glance: per active indicator the value for the period, the change
    against the previous period of the same length, the baseline and target that apply, the
    red/amber/green status (with its words) and the last twelve months — the same figures,
    scope and rules as the page (aggregates in the caller's scope, as the indicator values)."""
    user = request.auth
    require_perm(user, VIEW)
    area = _area(user, filters.area)
    period = _period(filters.start, filters.end, this_year_to_date())
    earlier = tiles.previous_period(period)
    return {
        "start": period.start,
        "end": period.end,
        "previous_start": earlier.start,
        "previous_end": earlier.end,
        "area": area,
        "tiles": [
            {
                "code": t.code,
                "name": t.indicator.name,
                "unit": t.indicator.unit,
                "value": t.value,
                "numerator": t.numerator,
                "denominator": t.denominator,
                "previous": t.previous,
                "change": t.change,
                "dated": t.dated,
                "higher_is_better": t.indicator.higher_is_better,
                "goal": t.goal,
                "status": t.status,
                "status_label": t.status_label,
                "trend": [{"month": m, "value": v} for m, v in t.trend],
            }
            for t in tiles.dashboard_tiles(user=user, period=period, area=area)
        ],
    }


class CompareFilters(Schema):
    first_start: date | None = None
    first_end: date | None = None
    second_start: date | None = None
    second_end: date | None = None
    area: str = ""
    group: Literal["national", "province", "regency", "district"] | None = None
    measures: list[MeasureCode] = ["cases_reported", "cases_responded"]


@router.get("/compare", response=TableOut)
def compare(request, filters: Query[CompareFilters]):
    """Two periods per area with the change, suppressed as every published table."""
    user = request.auth
    require_perm(user, VIEW)
    area = _area(user, filters.area)
    levels = area_groups(user, area)
    group = fit_group(
        user,
        area,
        filters.group or ("regency" if "regency" in levels else default_group(user, area)),
    )
    first = _period(filters.first_start, filters.first_end, last_year())
    second = _period(filters.second_start, filters.second_end, this_year_to_date())
    rows = compare_periods(
        user=user,
        area=area,
        measures=list(filters.measures),
        first=(first.start, first.end),
        second=(second.start, second.end),
        group=group,
    )
    table = exports.comparison_table(
        rows,
        measures=list(filters.measures),
        first_label=first.label(),
        second_label=second.label(),
        group_label=group,
    )
    audit_record(
        action="view",
        actor=user,
        object_type="monitoring.report.comparison",
        detail={
            "api": True,
            "first": first.as_dict(),
            "second": second.as_dict(),
            "area": area,
            "group": group,
        },
    )
    return _table(table)


# --- the monthly report (monthly.py) ------------------------------------------------------------

# a count (integer), a value (decimal, as text in JSON like every value here), "≤4" / "—"
# where hidden (publication), or none
Figure = int | Decimal | str | None


class MonthlyReportFilters(Schema):
    period: str  # a month "2026-03" or a quarter "2026-Q1"
    area: str = ""  # a code in scope; empty: the caller's one area, or national
    edition: Literal["internal", "publication"] = "internal"


class MonthlyReportMonthOut(Schema):
    month: str
    numerator: Figure
    denominator: Figure
    value: Figure


class MonthlyReportSectionOut(Schema):
    code: str
    name: str
    unit: str
    numerator: Figure
    denominator: Figure
    value: Figure
    change: Figure
    dated: bool
    goal: GoalOut
    status: Literal["green", "amber", "red", ""]
    status_label: str
    formula: str
    source: str
    months: list[MonthlyReportMonthOut]
    table: TableOut


class MonthlyReportOut(Schema):
    period: str
    kind: Literal["month", "quarter"]
    label: str
    area: str
    area_name: str
    edition: Literal["internal", "publication"]
    generated_at: datetime
    notes: list[str]
    hidden: int
    sections: list[MonthlyReportSectionOut]


@router.get("/report", response=MonthlyReportOut)
def monthly_report(request, filters: Query[MonthlyReportFilters]):
    """The monthly (or quarterly) report of an area as data — the figures of the PDF and the
    workbook (``/monitoring/report/``): internal (exact, for the caller's scope) or
    publication (small counts hidden as "≤4" / "—"). Audited as an export."""
    user = request.auth
    require_perm(user, VIEW)
    try:
        period = monthly.report_period(filters.period)
        made = monthly.monthly_report_export(
            reader=user,
            area=filters.area,
            period=period,
            publication=filters.edition == "publication",
            fmt="json",
        )
    except ValueError as error:
        raise ValidationError(str(error)) from None
    return {
        "period": period.code,
        "kind": period.kind,
        "label": period.label(),
        "area": made.area,
        "area_name": made.area_name,
        "edition": filters.edition,
        "generated_at": made.generated_at,
        "notes": made.notes(),
        "hidden": made.hidden,
        "sections": [
            {
                "code": s.indicator.code,
                "name": s.indicator.name,
                "unit": s.indicator.unit,
                "numerator": s.numerator,
                "denominator": s.denominator,
                "value": s.value,
                "change": s.change,
                "dated": s.tile.dated,
                "goal": s.tile.goal,
                "status": s.status,
                "status_label": s.status_label,
                "formula": str(s.definition["formula"]),
                "source": s.source,
                "months": [m.__dict__ for m in s.months],
                "table": _table(s.table),
            }
            for s in made.sections
        ],
    }
