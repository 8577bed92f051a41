"""Spending: the budget-line import and the finance reports of DOMAIN.md.

- ``spending_import``: a CSV/XLSX file of budget lines (docs/finance-format.md): every cell
  checked at once with Polars, each rejected cell reported (row, column, value, reason), the
  good rows upserted in bulk — re-importing the same file changes nothing.
- ``efficiency``: per program and year — unit cost (total spending ÷ beneficiaries),
  administrative cost per beneficiary (non-benefit spending ÷ beneficiaries), administrative
  overhead ratio (non-benefits ÷ total), cost of delivering benefits (non-benefits ÷ benefits),
  civil servants per 10,000 beneficiaries. Spending is what was realised; money is rounded to
  whole rupiah and ratios to one decimal place, half up, from exact integers (no float).
- ``execution``: realised ÷ final revised budget by program and level, and by month (each
  month's and the cumulative share of the year's budget).
- ``real_benefits``: a benefit's yearly nominal value deflated to a base year by the imported
  price index; ``projection``: beneficiaries × unit cost per year for a baseline and an
  expansion scenario.
Aggregates are computed in the database (grouped sums); no Python loop over spending rows.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import polars as pl
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pksai.accounts.models import User
from pksai.accounts.scoping import require_perm
from pksai.audit.services import audit_record
from pksai.core.bulk import bulk_upsert
from pksai.monitoring.models import BudgetLine, Level, PriceIndex, ProgramYear, SpendingCategory
from pksai.programs.models import Beneficiary, BenefitRule, Program
from pksai.registry.importer import ROW, ExtractError
from pksai.registry.tabular import ImportCounts, cell_errors, read_table

IMPORT = "monitoring.add_budgetline"
VIEW = "monitoring.view_budgetline"
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
REQUIRED = ["program", "year", "level", "category", "budget", "realised"]
COUNTS = ["beneficiaries", "civil_servants"]
COLUMNS = [*REQUIRED, *MONTHS, *COUNTS]
KEY = ["program", "year", "level", "category"]


class SpendingResult(ImportCounts):
    """Counts of a spending file; the rejected cells (row, column, value, reason)."""


# --- the import ---------------------------------------------------------------------------


def _amount(column: str) -> pl.Expr:
    """Whole rupiah as typed: '1250000', '1.250.000' or '1,250,000' (thousands separators);
    null when it is not a whole non-negative number."""
    text = pl.col(column).str.replace_all(r"[\s\u00a0]", "")
    grouped = text.str.contains(r"^\d{1,3}([.,]\d{3})+$")
    plain = pl.when(grouped).then(text.str.replace_all(r"[.,]", "")).otherwise(text)
    return (
        pl.when(plain.str.contains(r"^\d{1,15}$"))
        .then(plain.cast(pl.Int64, strict=False))
        .otherwise(None)
    )


def _read(path: str | Path) -> pl.DataFrame:
    frame, _name = read_table(path)
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ExtractError(
            _("required columns missing from the file: %(columns)s")
            % {"columns": ", ".join(missing)}
        )
    present = [c for c in COLUMNS if c in frame.columns]
    frame = frame.select(
        ROW,
        *[pl.col(c).cast(pl.String).str.strip_chars() for c in present],
        *[pl.lit(None, dtype=pl.String).alias(c) for c in COLUMNS if c not in present],
    ).with_columns(pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in COLUMNS)
    return frame.filter(~pl.all_horizontal(pl.col(c).is_null() for c in COLUMNS))


def spending_import(*, by: User, path: str | Path) -> SpendingResult:
    """Import budget lines (see the module's docstring)."""
    require_perm(by, IMPORT)
    frame = _read(path)
    programs = pl.DataFrame(
        list(Program.objects.values_list("code", "pk")),
        schema={"program": pl.String, "program_id": pl.Int64},
        orient="row",
    )
    typed = frame.with_columns(
        pl.col("program").str.to_lowercase(),
        pl.col("level").str.to_lowercase(),
        pl.col("category").str.to_lowercase(),
    ).with_columns(
        pl.col("year").cast(pl.Int64, strict=False).alias("year_n"),
        _amount("budget").alias("budget_n"),
        _amount("realised").alias("realised_n"),
        *[_amount(m).alias(f"{m}_n") for m in MONTHS],
        *[_amount(c).alias(f"{c}_n") for c in COUNTS],
    )
    typed = typed.join(programs, on="program", how="left")
    any_month = pl.any_horizontal(pl.col(m).is_not_null() for m in MONTHS)
    month_sum = pl.sum_horizontal(pl.col(f"{m}_n").fill_null(0) for m in MONTHS)
    typed = typed.with_columns(any_month.alias("has_months"), month_sum.alias("month_sum"))
    first_of_key = pl.col(ROW).min().over(KEY) == pl.col(ROW)
    facts = [
        (
            pl.col(f"{c}_n").is_not_null()
            & (pl.col(f"{c}_n").drop_nulls().n_unique().over("program", "year") > 1),
            _("differs from another row of the same program and year"),
        )
        for c in COUNTS
    ]
    checks: dict[str, list[tuple[pl.Expr, str]]] = {
        "program": [
            (pl.col("program").is_null(), _("required")),
            (pl.col("program_id").is_null(), _("unknown program code")),
        ],
        "year": [
            (pl.col("year").is_null(), _("required")),
            (
                pl.col("year_n").is_null() | ~pl.col("year_n").is_between(2000, 2100),
                _("a year such as 2026"),
            ),
        ],
        "level": [
            (pl.col("level").is_null(), _("required")),
            (~pl.col("level").is_in(Level.values), _("central, institutions or community")),
        ],
        "category": [
            (pl.col("category").is_null(), _("required")),
            (
                ~pl.col("category").is_in(SpendingCategory.values),
                _("one of: %(codes)s") % {"codes": ", ".join(SpendingCategory.values)},
            ),
            (~first_of_key, _("the same program, year, level and category is on an earlier row")),
        ],
        "budget": [
            (pl.col("budget").is_null(), _("required")),
            (pl.col("budget_n").is_null(), _("whole rupiah, not negative")),
        ],
        "realised": [
            (pl.col("realised").is_null(), _("required")),
            (pl.col("realised_n").is_null(), _("whole rupiah, not negative")),
            (
                pl.col("has_months") & (pl.col("month_sum") != pl.col("realised_n")),
                _("the months (jan … dec) do not add up to the realised amount"),
            ),
        ],
        **{
            m: [(pl.col(m).is_not_null() & pl.col(f"{m}_n").is_null(), _("whole rupiah"))]
            for m in MONTHS
        },
        **{
            c: [
                (pl.col(c).is_not_null() & pl.col(f"{c}_n").is_null(), _("a whole number")),
                fact,
            ]
            for c, fact in zip(COUNTS, facts, strict=True)
        },
    }
    errors = cell_errors(typed, checks)
    good = typed.join(errors.select(pl.col("row").alias(ROW)).unique(), on=ROW, how="anti")
    lines = good.select(
        pl.col("program_id"),
        pl.col("year_n").alias("year"),
        pl.col("level"),
        pl.col("category"),
        pl.col("budget_n").alias("budget"),
        pl.col("realised_n").alias("realised"),
        # the JSON list Django stores: [120, 80, …] or []
        pl.when(pl.col("has_months"))
        .then(
            pl.lit("[")
            + pl.concat_str([pl.col(f"{m}_n").fill_null(0) for m in MONTHS], separator=", ")
            + pl.lit("]")
        )
        .otherwise(pl.lit("[]"))
        .alias("monthly"),
    )
    existing = _existing(lines)
    compared = lines.join(existing, on=["program_id", "year", "level", "category"], how="left")
    created = compared.filter(pl.col("old_budget").is_null()).height
    unchanged = compared.filter(
        (pl.col("old_budget") == pl.col("budget"))
        & (pl.col("old_realised") == pl.col("realised"))
        & (
            pl.col("old_monthly").str.replace_all(" ", "")
            == pl.col("monthly").str.replace_all(" ", "")
        )
    ).height
    facts_frame = (
        good.group_by("program_id", "year_n")
        .agg(
            pl.col("beneficiaries_n").drop_nulls().first().alias("beneficiaries"),
            pl.col("civil_servants_n").drop_nulls().first().alias("civil_servants"),
        )
        .rename({"year_n": "year"})
        .filter(pl.col("beneficiaries").is_not_null() | pl.col("civil_servants").is_not_null())
    )
    with transaction.atomic():
        bulk_upsert(
            table=BudgetLine._meta.db_table,
            frame=lines.with_columns(pl.lit(timezone.now()).alias("imported_at")),
            key=["program_id", "year", "level", "category"],
            update=["budget", "realised", "monthly", "imported_at"],
        )
        for column in ("beneficiaries", "civil_servants"):
            part = facts_frame.filter(pl.col(column).is_not_null()).select(
                "program_id", "year", column
            )
            # insert the program-year if new (the other fact empty), then set this fact
            bulk_upsert(
                table=ProgramYear._meta.db_table,
                frame=part,
                key=["program_id", "year"],
                update=[column],
            )
        audit_record(
            action="create",
            actor=by,
            object_type="monitoring.budgetline",
            detail={
                "file": Path(path).name,
                "rows": frame.height,
                "accepted": good.height,
                "rejected_rows": errors["row"].n_unique() if errors.height else 0,
            },
        )
    return SpendingResult(
        rows_read=frame.height,
        accepted=good.height,
        created=created,
        updated=good.height - created - unchanged,
        unchanged=unchanged,
        errors=errors,
    )


def _compact(column: str) -> pl.Expr:
    return pl.col(column).str.replace_all(" ", "")


def _existing(lines: pl.DataFrame) -> pl.DataFrame:
    """The stored lines of the program-years in the file (one query)."""
    pairs = lines.select("program_id", "year").unique().rows()
    match = Q(pk__in=[])
    for program_id, year in pairs:
        match |= Q(program_id=program_id, year=year)
    rows = [
        (p, y, lv, c, b, r, json.dumps(m))
        for p, y, lv, c, b, r, m in BudgetLine.objects.filter(match).values_list(
            "program_id", "year", "level", "category", "budget", "realised", "monthly"
        )
    ]
    return pl.DataFrame(
        rows,
        schema={
            "program_id": pl.Int64,
            "year": pl.Int64,
            "level": pl.String,
            "category": pl.String,
            "old_budget": pl.Int64,
            "old_realised": pl.Int64,
            "old_monthly": pl.String,
        },
        orient="row",
    )


# --- efficiency ---------------------------------------------------------------------------


def _round(numerator: int, denominator: int, places: int = 0) -> Decimal | None:
    """numerator ÷ denominator rounded half up to ``places`` decimals, exactly."""
    if not denominator:
        return None
    quantum = Decimal(1).scaleb(-places)
    return (Decimal(numerator) / Decimal(denominator)).quantize(quantum, rounding=ROUND_HALF_UP)


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

    def as_dict(self) -> dict:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}


def enrolled_beneficiaries(year: int) -> dict[int, int]:
    """People enrolled at any time in ``year`` per program, sub-programs counted in their
    top-level program too (one grouped query)."""
    active = Beneficiary.objects.filter(start_date__lte=date(year, 12, 31)).filter(
        Q(exit_date__isnull=True) | Q(exit_date__gte=date(year, 1, 1))
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


def efficiency(*, year: int, program: Program | None = None) -> list[Efficiency]:
    """The efficiency indicators of every program with spending in ``year``."""
    lines = BudgetLine.objects.filter(year=year)
    if program is not None:
        lines = lines.filter(program=program)
    sums = (
        lines.values("program_id", "program__code")
        .annotate(
            total=Sum("realised"),
            benefits=Sum("realised", filter=Q(category=SpendingCategory.BENEFITS)),
        )
        .order_by("program__code")
    )
    facts = {f.program_id: f for f in ProgramYear.objects.filter(year=year)}
    enrolled = enrolled_beneficiaries(year)
    out = []
    for row in sums:  # one row per program: a handful
        fact = facts.get(row["program_id"])
        if fact is not None and fact.beneficiaries is not None:
            people, source = fact.beneficiaries, "imported"
        else:
            people, source = enrolled.get(row["program_id"], 0), "enrolments"
        servants = fact.civil_servants if fact is not None else None
        total, benefits = row["total"] or 0, row["benefits"] or 0
        non_benefits = total - benefits
        unit = _round(total, people)
        admin = _round(non_benefits, people)
        out.append(
            Efficiency(
                program=row["program__code"],
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
            )
        )
    return out


# --- budget execution ---------------------------------------------------------------------


@dataclass(frozen=True)
class Execution:
    program: str
    level: str  # "" for the program's total
    budget: int
    realised: int
    ratio: Decimal | None  # percent


def execution(*, year: int) -> list[Execution]:
    """Realised ÷ final revised budget per program and level, and per program."""
    lines = BudgetLine.objects.filter(year=year)
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


def execution_by_month(*, year: int, program: Program | None = None) -> list[dict]:
    """Each month's realised spending and the cumulative total, as shares of the year's final
    revised budget (percent) — from the lines that carry months."""
    lines = BudgetLine.objects.filter(year=year).exclude(monthly=[])
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


def real_benefits(*, program: Program, base_year: int) -> list[dict]:
    """The program's yearly benefit (cash + in kind, by the rule valid on 1 January) in
    nominal rupiah and in rupiah of ``base_year`` (nominal × index[base] ÷ index[year]), for
    every year the price index covers."""
    index = dict(PriceIndex.objects.values_list("year", "value"))
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


def projection(
    *,
    program: Program,
    from_year: int,
    years: int,
    baseline_growth: Decimal = Decimal("0"),
    expansion_growth: Decimal = Decimal("20"),
    cost_growth: Decimal = Decimal("5"),
) -> list[dict]:
    """Beneficiaries × unit cost for each coming year, from ``from_year``'s figures: a
    baseline (beneficiaries grow by ``baseline_growth`` % a year) and an expansion scenario
    (``expansion_growth`` %); the unit cost grows by ``cost_growth`` % a year (prices)."""
    base = efficiency(year=from_year, program=program)
    if not base or base[0].unit_cost is None:
        return []
    people, cost = Decimal(base[0].beneficiaries), Decimal(base[0].unit_cost)
    out = []
    for step in range(1, years + 1):
        unit = cost * (1 + cost_growth / 100) ** step
        baseline = (people * (1 + baseline_growth / 100) ** step).quantize(Decimal(1))
        expansion = (people * (1 + expansion_growth / 100) ** step).quantize(Decimal(1))
        out.append(
            {
                "year": from_year + step,
                "unit_cost": int(unit.quantize(Decimal(1), rounding=ROUND_HALF_UP)),
                "baseline_beneficiaries": int(baseline),
                "baseline_cost": int((baseline * unit).quantize(Decimal(1), ROUND_HALF_UP)),
                "expansion_beneficiaries": int(expansion),
                "expansion_cost": int((expansion * unit).quantize(Decimal(1), ROUND_HALF_UP)),
            }
        )
    return out
