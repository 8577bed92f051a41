"""The multi-year efficiency table (the World Bank review's Table 4): for one program and a run
of years, each year's unit cost, administrative cost per beneficiary, both ratios, civil
servants per 10,000 beneficiaries, the memo items (beneficiaries, civil servants, total,
benefits, non-benefits) and the non-benefit categories ("of which"); the change from the
first to the last year in percent; and, with a price index covering the years, every money
row at the prices of a base year (value × index[base] ÷ index[year]) with the real change.

Every figure is computed from the exact integer sums (``fractions.Fraction``) and rounded
once, half up: money to whole rupiah, percentages to one decimal place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext as _

from pksai.accounts.models import User
from pksai.monitoring.finance import (
    NON_BENEFITS,
    Efficiency,
    efficiency_years,
    half_up,
    price_index,
)
from pksai.monitoring.models import SpendingCategory
from pksai.programs.models import Program

MONEY, COUNT, RATIO = "money", "count", "ratio"


@dataclass(frozen=True)
class TrendRow:
    key: str
    label: str
    kind: str  # money (Rp), count (people), ratio (percent or per 10,000)
    values: list[int | Decimal | None]  # per year
    change: Decimal | None  # first → last year, percent (money and counts)
    constant: list[int | None] = field(default_factory=list)  # per year, Rp of the base year
    real_change: Decimal | None = None  # first → last at constant prices, percent


@dataclass(frozen=True)
class Trend:
    program: str
    years: list[int]
    base_year: int | None  # None: no price index for the base year
    rows: list[TrendRow]

    @property
    def has_data(self) -> bool:
        return any(v is not None for row in self.rows for v in row.values)


def _exact(row: Efficiency | None, key: str) -> Fraction | None:
    """The exact (unrounded) value of a money or count row for one year."""
    if row is None:
        return None
    if key == "unit_cost":
        return Fraction(row.total_spending, row.beneficiaries) if row.beneficiaries else None
    if key == "admin_cost_per_beneficiary":
        return Fraction(row.non_benefits, row.beneficiaries) if row.beneficiaries else None
    if key.startswith("of_which:"):
        return Fraction(row.categories.get(key.split(":", 1)[1], 0))
    value = getattr(row, key)
    return None if value is None else Fraction(value)


def _change(first: Fraction | None, last: Fraction | None) -> Decimal | None:
    if first is None or last is None or first == 0:
        return None
    return half_up((last - first) / first * 100, 1)


def _rows() -> list[tuple[str, str, str]]:
    """(key, label, kind) in the review's order."""
    categories = dict(SpendingCategory.choices)
    return [
        ("unit_cost", _("Unit cost (total spending ÷ beneficiaries, Rp)"), MONEY),
        (
            "admin_cost_per_beneficiary",
            _("Administrative cost per beneficiary (non-benefits ÷ beneficiaries, Rp)"),
            MONEY,
        ),
        ("admin_overhead_ratio", _("Administrative overhead (non-benefits ÷ total, %)"), RATIO),
        (
            "cost_of_delivering_benefits",
            _("Cost of delivering benefits (non-benefits ÷ benefits, %)"),
            RATIO,
        ),
        ("civil_servants_per_10000", _("Civil servants per 10,000 beneficiaries"), RATIO),
        ("beneficiaries", _("Beneficiaries"), COUNT),
        ("civil_servants", _("Civil servants"), COUNT),
        ("total_spending", _("Total spending (Rp)"), MONEY),
        ("benefits", _("of which benefits (Rp)"), MONEY),
        ("non_benefits", _("of which non-benefits (Rp)"), MONEY),
        *[
            (
                f"of_which:{code}",
                _("— of which %(category)s (Rp)") % {"category": categories[code]},
                MONEY,
            )
            for code in NON_BENEFITS
        ],
    ]


def efficiency_trend(
    *,
    program: Program,
    first_year: int,
    last_year: int,
    base_year: int | None = None,
    user: User | None = None,
) -> Trend:
    """The multi-year efficiency table of ``program`` from ``first_year`` to ``last_year`` in
    ``user``'s scope (see the module's docstring). A year without spending has empty cells."""
    years = list(range(first_year, last_year + 1))
    by_year = {
        r.year: r for r in efficiency_years(user=user, years=years, program=program)
    }  # one program: a row per year at most
    index = price_index() if base_year is not None else {}
    base = index.get(base_year) if base_year is not None else None

    def deflate(year: int) -> Callable[[Fraction], Fraction] | None:
        if base is None or year not in index:
            return None
        factor = Fraction(base) / Fraction(index[year])
        return lambda value: value * factor

    rows = []
    for key, label, kind in _rows():
        efficiencies = [by_year.get(y) for y in years]
        if kind == RATIO:
            values: list[int | Decimal | None] = [
                getattr(e, key) if e is not None else None for e in efficiencies
            ]
            rows.append(TrendRow(key, label, kind, values, None))
            continue
        exact = [_exact(e, key) for e in efficiencies]
        values = [None if x is None else int(half_up(x)) for x in exact]
        present = [x for x in exact if x is not None]
        change = _change(exact[0], exact[-1]) if present else None
        constant: list[int | None] = []
        real_change = None
        if kind == MONEY and base is not None:
            real = []
            for year, value in zip(years, exact, strict=True):
                to_base = deflate(year)
                real.append(None if value is None or to_base is None else to_base(value))
            constant = [None if x is None else int(half_up(x)) for x in real]
            real_change = _change(real[0], real[-1])
        rows.append(TrendRow(key, label, kind, values, change, constant, real_change))
    return Trend(
        program=program.code, years=years, base_year=base_year if base else None, rows=rows
    )
