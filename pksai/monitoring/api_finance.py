"""The finance reports over JSON (mounted at /api/v1/monitoring/finance/): the same tables as
the finance page — efficiency for a year and over several years (with the "of which" rows,
change and constant prices), budget execution by level, by month, by funding source and by
economic classification, coverage and incidence, the projection. Aggregates only, in the
caller's area scope (a regional caller sees the lines of areas in their scope); without the
finance role a 403, an unknown program a 404."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from pksai.accounts.scoping import require_perm
from pksai.monitoring import exports, finance, finance_tables, finance_years, population
from pksai.monitoring.api import TableOut, _table
from pksai.monitoring.forms import coverage_targets
from pksai.programs.models import Program

router = Router()

# a calendar year the finance tables can have (year=0 or 2**64 is a 422, not a server error)
YEAR = Query(..., ge=1900, le=2100, description="A calendar year (1900–2100).")


def _reader(request):
    """The caller, who must hold the finance permission (else a 403, before anything else)."""
    require_perm(request.auth, finance.VIEW)
    return request.auth


def _program(request, code: str) -> Program | None:
    """The program named (None for ""), once the caller's permission is checked."""
    _reader(request)
    if not code:
        return None
    program = Program.objects.filter(code=code).first()
    if program is None:
        raise Http404("No such program.")
    return program


@router.get("/efficiency", response=TableOut)
def efficiency(request, year: int = YEAR, program: str = ""):
    rows = finance.efficiency(year=year, program=_program(request, program), user=_reader(request))
    return _table(exports.efficiency_table(rows, year))


@router.get("/efficiency-years", response=TableOut)
def efficiency_years(
    request,
    program: str = Query(...),
    from_year: int = YEAR,
    to_year: int = YEAR,
    base_year: int | None = Query(None, ge=1900, le=2100),
):
    """The multi-year efficiency table (rows as the review's Table 4, a column per year, the
    change, and with ``base_year`` every amount at that year's prices). At most 15 years."""
    chosen = _program(request, program)
    if chosen is None:
        raise Http404("No such program.")
    if not 0 <= to_year - from_year < 15:
        raise ValidationError(_("From 1 to 15 years, the first not after the last."))
    trend = finance_years.efficiency_trend(
        program=chosen,
        first_year=from_year,
        last_year=to_year,
        base_year=base_year,
        user=_reader(request),
    )
    return _table(finance_tables.trend_table(trend))


@router.get("/execution", response=TableOut)
def execution(request, year: int = YEAR):
    return _table(
        exports.execution_table(finance.execution(year=year, user=_reader(request)), year)
    )


@router.get("/by-month", response=TableOut)
def by_month(request, year: int = YEAR, program: str = Query(...)):
    chosen = _program(request, program)
    rows = finance.execution_by_month(year=year, program=chosen, user=_reader(request))
    return _table(exports.by_month_table(rows, year, program))


def _shares(request, year: int, dimension: str) -> dict:
    rows = finance.execution_by(year=year, by=dimension, user=_reader(request))
    return _table(finance_tables.shares_table(rows, year, dimension))


@router.get("/by-source", response=TableOut)
def by_source(request, year: int = YEAR):
    """Budget and realised spending by funding source (APBN, APBD province, …)."""
    return _shares(request, year, "source")


@router.get("/by-economic", response=TableOut)
def by_economic(request, year: int = YEAR):
    """Budget and realised spending by economic classification."""
    return _shares(request, year, "economic")


@router.get("/coverage", response=TableOut)
def coverage(request, program: str = Query(...), year: int = YEAR):
    """Coverage and incidence per area of the imported eligible-population estimates."""
    chosen = _program(request, program)
    if chosen is None:
        raise Http404("No such program.")
    table = population.coverage(program=chosen, year=year, user=_reader(request))
    return _table(finance_tables.coverage_table(table))


class ProjectionFilters(Schema):
    program: str
    year: int = Field(..., ge=1900, le=2100)
    years_ahead: int = Field(5, ge=1, le=15)
    baseline_growth: Decimal = Field(Decimal("0"), ge=-50, le=100)
    expansion_growth: Decimal = Field(Decimal("20"), ge=-50, le=200)
    cost_growth: Decimal = Field(Decimal("5"), ge=-50, le=100)
    coverage: str = Field("", max_length=120, description="Targets in %, e.g. 25,75,100")


@router.get("/projection", response=TableOut)
def projection(request, filters: Query[ProjectionFilters]):
    """Baseline, expansion and (with ``coverage`` targets and an estimate) coverage costs."""
    chosen = _program(request, filters.program)
    if chosen is None:
        raise Http404("No such program.")
    try:
        targets = coverage_targets(filters.coverage)
    except ValidationError as error:
        raise ValidationError(error.messages) from None
    rows = finance.projection(
        program=chosen,
        from_year=filters.year,
        years=filters.years_ahead,
        baseline_growth=filters.baseline_growth,
        expansion_growth=filters.expansion_growth,
        cost_growth=filters.cost_growth,
        coverage_targets=targets,
        user=_reader(request),
    )
    return _table(finance_tables.projection_table(rows, filters.program))
