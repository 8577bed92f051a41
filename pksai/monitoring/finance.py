"""Finance: the reports of DOMAIN.md and the World Bank review over the imported budget lines,
always in the reader's area scope (``budget_lines``: a national reader sees every line, a
regional reader the lines of areas in their scope — lines without an area are national).

- ``efficiency`` / ``efficiency_years``: per program and year — unit cost (total spending ÷
  beneficiaries), administrative cost per beneficiary (non-benefit spending ÷ beneficiaries),
  administrative overhead ratio (non-benefits ÷ total), cost of delivering benefits
  (non-benefits ÷ benefits), civil servants per 10,000 beneficiaries, and the non-benefit
  categories ("of which"). Spending is what was realised; money is rounded to whole rupiah
  and ratios to one decimal place, half up, from exact integers (no float).
- ``execution``: realised ÷ final revised budget by program and level, by month (each month's
  and the cumulative share of the year's budget), and by funding source or economic
  classification (``execution_by``).
- ``real_benefits``: a benefit's yearly nominal value deflated to a base year by the imported
  price index; ``projection``: beneficiaries × unit cost per year for a baseline and an
  expansion scenario (growth rates) and, with an eligible-population estimate, for coverage
  targets per year.
The import itself is spending.py (``spending_import``, re-exported here); the multi-year table
is finance_years.py, coverage and incidence population.py. Aggregates are computed in the
database (grouped sums); no Python loop over spending rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import polars as pl
from django.db.models import Count, Q, QuerySet, Sum

from pksai.accounts.models import User
from pksai.accounts.scoping import require_perm, scope_for
from pksai.monitoring.models import (
    BudgetLine,
    EconomicClass,
    EligiblePopulation,
    FundingSource,
    PriceIndex,
    ProgramYear,
    SpendingCategory,
)
from pksai.monitoring.spending import (  # noqa: F401  (re-exported: the import's names)
    COLUMNS,
    IMPORT,
    MONTHS,
    SpendingResult,
    spending_import,
)
from pksai.programs.models import Beneficiary, BenefitRule, Program

VIEW = "monitoring.view_budgetline"
NON_BENEFITS = [c for c in SpendingCategory.values if c != SpendingCategory.BENEFITS]


# --- what a reader may see --------------------------------------------------------------------


def budget_lines(user: User | None) -> QuerySet[BudgetLine]:
    """The budget lines ``user`` may see (``None``: every line — the command line, run by the
    operator). Without the finance permission: PermissionDenied."""
    if user is None:
        return BudgetLine.objects.all()
    require_perm(user, VIEW)
    return BudgetLine.objects.filter(scope_for(user).q("area"))


def in_scope(qs: QuerySet, user: User | None, area_field: str = "area") -> QuerySet:
    """Any finance table (program-year facts, estimates, enrolments) in ``user``'s scope."""
    if user is None:
        return qs
    require_perm(user, VIEW)
    return qs.filter(scope_for(user).q(area_field))


# --- efficiency ---------------------------------------------------------------------------


def half_up(value: Fraction, places: int = 0) -> Decimal:
    """An exact fraction rounded half up to ``places`` decimals."""
    quantum = Decimal(1).scaleb(-places)
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        quantum, rounding=ROUND_HALF_UP
    )


def _round(numerator: int, denominator: int, places: int = 0) -> Decimal | None:
    """numerator ÷ denominator rounded half up to ``places`` decimals, exactly."""
    if not denominator:
        return None
    return half_up(Fraction(numerator, denominator), places)


@dataclass(frozen=True)
class Efficiency:
    program: str
    year: int
    beneficiaries: int
    beneficiaries_source: str  # "imported" or "enrolments"
    civil_servants: int | None
    total_spending: int
    benefits: int
    non_benefits: int
    unit_cost: int | None  # Rp
    admin_cost_per_beneficiary: int | None  # Rp
    admin_overhead_ratio: Decimal | None  # percent
    cost_of_delivering_benefits: Decimal | None  # percent
    civil_servants_per_10000: Decimal | None
    # the non-benefit categories ("of which"), realised Rp, every category present
    categories: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}


def enrolled_beneficiaries(year: int, user: User | None = None) -> dict[int, int]:
    """People enrolled at any time in ``year`` per program (in ``user``'s scope), sub-programs
    counted in their top-level program too (one grouped query)."""
    active = (
        in_scope(Beneficiary.objects.all(), user)
        .filter(start_date__lte=date(year, 12, 31))
        .filter(Q(exit_date__isnull=True) | Q(exit_date__gte=date(year, 1, 1)))
    )
    counts: dict[int, int] = {}
    for program_id, parent_id, n in (
        active.values_list("program_id", "program__parent_id")
        .annotate(n=Count("person_id", distinct=True))
        .order_by()
    ):
        counts[program_id] = counts.get(program_id, 0) + n
        if parent_id:
            counts[parent_id] = counts.get(parent_id, 0) + n
    return counts


def efficiency_years(
    *, user: User | None, years: Sequence[int], program: Program | None = None
) -> list[Efficiency]:
    """The efficiency indicators of every program (or ``program``) with spending in each of
    ``years``, in ``user``'s scope — ordered by program and year. One grouped query for the
    money, one for the imported facts, one per year without imported beneficiaries."""
    lines = budget_lines(user).filter(year__in=list(years))
    if program is not None:
        lines = lines.filter(program=program)
    sums = (
        lines.values_list("program_id", "program__code", "year", "category")
        .annotate(realised=Sum("realised"))
        .order_by()
    )
    money: dict[tuple[int, str, int], dict[str, int]] = {}
    for program_id, code, year, category, realised in sums:  # programs × years × 8 categories
        money.setdefault((program_id, code, year), {})[category] = realised or 0
    facts = {
        (p, y): (b, c, n)
        for p, y, b, c, n in in_scope(ProgramYear.objects.filter(year__in=list(years)), user)
        .values_list("program_id", "year")
        .annotate(
            b=Sum("beneficiaries"),
            c=Sum("civil_servants"),
            n=Count("beneficiaries"),
        )
        .order_by()
    }
    enrolled: dict[int, dict[int, int]] = {}
    out = []
    for (program_id, code, year), by_category in sorted(money.items(), key=lambda i: i[0][1:]):
        given, servants, counted = facts.get((program_id, year), (None, None, 0))
        if counted:
            people, source = int(given or 0), "imported"
        else:
            if year not in enrolled:
                enrolled[year] = enrolled_beneficiaries(year, user)
            people, source = enrolled[year].get(program_id, 0), "enrolments"
        total = sum(by_category.values())
        benefits = by_category.get(SpendingCategory.BENEFITS, 0)
        non_benefits = total - benefits
        unit = _round(total, people)
        admin = _round(non_benefits, people)
        out.append(
            Efficiency(
                program=code,
                year=year,
                beneficiaries=people,
                beneficiaries_source=source,
                civil_servants=servants,
                total_spending=total,
                benefits=benefits,
                non_benefits=non_benefits,
                unit_cost=int(unit) if unit is not None else None,
                admin_cost_per_beneficiary=int(admin) if admin is not None else None,
                admin_overhead_ratio=_round(100 * non_benefits, total, 1),
                cost_of_delivering_benefits=_round(100 * non_benefits, benefits, 1),
                civil_servants_per_10000=(
                    _round(10_000 * servants, people, 1) if servants is not None else None
                ),
                categories={c: by_category.get(c, 0) for c in NON_BENEFITS},
            )
        )
    return out


def efficiency(
    *, year: int, program: Program | None = None, user: User | None = None
) -> list[Efficiency]:
    """The efficiency indicators of every program with spending in ``year``."""
    return efficiency_years(user=user, years=[year], program=program)


# --- budget execution ---------------------------------------------------------------------


@dataclass(frozen=True)
class Execution:
    program: str
    level: str  # "" for the program's total
    budget: int
    realised: int
    ratio: Decimal | None  # percent


def execution(*, year: int, user: User | None = None) -> list[Execution]:
    """Realised ÷ final revised budget per program and level, and per program."""
    lines = budget_lines(user).filter(year=year)
    by_level = (
        lines.values_list("program__code", "level")
        .annotate(budget=Sum("budget"), realised=Sum("realised"))
        .order_by("program__code", "level")
    )
    by_program = (
        lines.values_list("program__code")
        .annotate(budget=Sum("budget"), realised=Sum("realised"))
        .order_by("program__code")
    )
    rows = [
        Execution(code, "", budget, realised, _round(100 * realised, budget, 1))
        for code, budget, realised in by_program
    ]
    rows += [
        Execution(code, level, budget, realised, _round(100 * realised, budget, 1))
        for code, level, budget, realised in by_level
    ]
    return sorted(rows, key=lambda r: (r.program, r.level))


# what ``execution_by`` may break the budget down by, in display order
BREAKDOWNS: dict[str, list[str]] = {
    "source": list(FundingSource.values),
    "economic": list(EconomicClass.values),
}


@dataclass(frozen=True)
class Share:
    program: str
    key: str  # a funding source or economic class; "" for the program's total
    budget: int
    realised: int
    ratio: Decimal | None  # execution: realised ÷ budget, percent
    share: Decimal | None  # of the program's realised spending, percent


def execution_by(
    *, year: int, by: str, user: User | None = None, program: Program | None = None
) -> list[Share]:
    """Budget, realised, execution ratio and share of the program's realised spending per
    funding source (``by="source"``) or economic classification (``by="economic"``)."""
    order = BREAKDOWNS[by]
    lines = budget_lines(user).filter(year=year)
    if program is not None:
        lines = lines.filter(program=program)
    grouped = (
        lines.values_list("program__code", by)
        .annotate(budget=Sum("budget"), realised=Sum("realised"))
        .order_by()
    )
    totals: dict[str, tuple[int, int]] = {}
    parts = []
    for code, key, budget, realised in grouped:  # programs × 4
        b, r = totals.get(code, (0, 0))
        totals[code] = (b + budget, r + realised)
        parts.append((code, key, budget, realised))
    rows = [
        Share(code, "", b, r, _round(100 * r, b, 1), Decimal("100.0") if r else None)
        for code, (b, r) in totals.items()
    ]
    rows += [
        Share(
            code,
            key,
            budget,
            realised,
            _round(100 * realised, budget, 1),
            _round(100 * realised, totals[code][1], 1),
        )
        for code, key, budget, realised in parts
    ]
    position = {key: i for i, key in enumerate(["", *order])}
    return sorted(rows, key=lambda r: (r.program, position.get(r.key, 99)))


def execution_by_month(
    *, year: int, program: Program | None = None, user: User | None = None
) -> list[dict]:
    """Each month's realised spending and the cumulative total, as shares of the year's final
    revised budget (percent) — from the lines that carry months."""
    lines = budget_lines(user).filter(year=year).exclude(monthly=[])
    if program is not None:
        lines = lines.filter(program=program)
    frame = pl.DataFrame(
        list(lines.values_list("budget", "monthly")),
        schema={"budget": pl.Int64, "monthly": pl.List(pl.Int64)},
        orient="row",
    )
    if frame.is_empty():
        return []
    budget = int(frame["budget"].sum())
    months = frame.select(pl.col("monthly").list.to_struct(fields=MONTHS)).unnest("monthly").sum()
    out, running = [], 0
    for index, month in enumerate(MONTHS, start=1):
        amount = int(months[month][0] or 0)
        running += amount
        out.append(
            {
                "month": index,
                "realised": amount,
                "cumulative": running,
                "share": _round(100 * amount, budget, 1),
                "cumulative_share": _round(100 * running, budget, 1),
            }
        )
    return out


# --- real value and projections -----------------------------------------------------------


def price_index() -> dict[int, Decimal]:
    return dict(PriceIndex.objects.values_list("year", "value"))


def real_benefits(*, program: Program, base_year: int) -> list[dict]:
    """The program's yearly benefit (cash + in kind, by the rule valid on 1 January) in
    nominal rupiah and in rupiah of ``base_year`` (nominal × index[base] ÷ index[year]), for
    every year the price index covers."""
    index = price_index()
    if base_year not in index:
        return []
    rules = list(BenefitRule.objects.filter(program=program).order_by("valid_from"))
    out = []
    for year in sorted(index):  # one row per year of the index
        valid = [r for r in rules if r.valid_from <= date(year, 1, 1)]
        if not valid:
            continue
        nominal = valid[-1].yearly_total
        real = (Decimal(nominal) * index[base_year] / index[year]).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
        out.append({"year": year, "nominal": nominal, "real": int(real)})
    return out


def eligible_by_year(*, program: Program, user: User | None = None) -> dict[int, int]:
    """The eligible population of ``program`` per estimate year, summed over the areas in
    ``user``'s scope (one grouped query)."""
    return dict(
        in_scope(EligiblePopulation.objects.filter(program=program), user)
        .values_list("year")
        .annotate(n=Sum("eligible"))
        .order_by()
    )


def _at(series: dict[int, int], year: int) -> int | None:
    """The value of ``year``, else of the latest earlier year, else None."""
    known = [y for y in series if y <= year]
    return series[max(known)] if known else None


def projection(
    *,
    program: Program,
    from_year: int,
    years: int,
    baseline_growth: Decimal = Decimal("0"),
    expansion_growth: Decimal = Decimal("20"),
    cost_growth: Decimal = Decimal("5"),
    coverage_targets: Sequence[Decimal] = (),
    user: User | None = None,
) -> list[dict]:
    """Beneficiaries × unit cost for each coming year, from ``from_year``'s figures: a
    baseline (beneficiaries grow by ``baseline_growth`` % a year), an expansion scenario
    (``expansion_growth`` %) and, given ``coverage_targets`` (percent of the eligible
    population for the first, second, … coming year; the last holds after) and an imported
    eligible-population estimate, a coverage scenario: the estimate of the year (or the latest
    earlier one) × the target. The unit cost grows by ``cost_growth`` % a year (prices)."""
    base = efficiency(year=from_year, program=program, user=user)
    if not base or base[0].unit_cost is None:
        return []
    people, cost = Decimal(base[0].beneficiaries), Decimal(base[0].unit_cost)
    eligible = eligible_by_year(program=program, user=user) if coverage_targets else {}
    out = []
    for step in range(1, years + 1):
        year = from_year + step
        unit = cost * (1 + cost_growth / 100) ** step
        baseline = (people * (1 + baseline_growth / 100) ** step).quantize(Decimal(1))
        expansion = (people * (1 + expansion_growth / 100) ** step).quantize(Decimal(1))
        row: dict[str, Any] = {
            "year": year,
            "unit_cost": int(unit.quantize(Decimal(1), rounding=ROUND_HALF_UP)),
            "baseline_beneficiaries": int(baseline),
            "baseline_cost": int((baseline * unit).quantize(Decimal(1), ROUND_HALF_UP)),
            "expansion_beneficiaries": int(expansion),
            "expansion_cost": int((expansion * unit).quantize(Decimal(1), ROUND_HALF_UP)),
            "coverage_target": None,
            "eligible": None,
            "coverage_beneficiaries": None,
            "coverage_cost": None,
        }
        population = _at(eligible, year)
        if coverage_targets and population is not None:
            target = Decimal(coverage_targets[min(step, len(coverage_targets)) - 1])
            covered = (Decimal(population) * target / 100).quantize(Decimal(1), ROUND_HALF_UP)
            row.update(
                coverage_target=target,
                eligible=population,
                coverage_beneficiaries=int(covered),
                coverage_cost=int((covered * unit).quantize(Decimal(1), ROUND_HALF_UP)),
            )
        out.append(row)
    return out
