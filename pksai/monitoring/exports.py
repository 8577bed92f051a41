"""The monitoring reports as tables, and every table as CSV, XLSX and PDF.

A ``Table`` is what a page shows beside a chart and what a download contains, so the two can
never disagree. Count tables meant for publication (the period comparison, the indicator
tables) go through ``suppression.suppress`` first (``suppressed_columns``): a count below the
threshold shows as "≤4", a complementary hidden cell as "—", and a note says so. Money tables
(finance) are not counts of people and are published as they are.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import polars as pl
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pksai.core import exports
from pksai.core.reports import grid_pdf
from pksai.monitoring.suppression import suppress, threshold

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
COMPLEMENT = "—"


def small() -> str:
    """How a primary-suppressed count is published: "≤4" for the default threshold 5."""
    return f"≤{threshold() - 1}"


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    total: list[Any] | None = None
    notes: list[str] = field(default_factory=list)
    suppressed: int = 0  # how many cells were hidden

    def body(self) -> list[list[Any]]:
        return [*self.rows, *([self.total] if self.total else [])]

    def frame(self) -> pl.DataFrame:
        """The table as a frame: a column of numbers stays numeric — whole numbers as
        integers, a column with decimals (ratios, percentages) as floats — unless a cell in it
        was suppressed or is text (then the column is text)."""
        body = self.body()
        data = {}
        names = _unique(self.columns)
        for index, name in enumerate(names):
            raw = [row[index] for row in body]
            values = [_plain(v) for v in raw]
            numeric = all(
                v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in values
            )
            decimal = all(
                v is None or (isinstance(v, int | Decimal) and not isinstance(v, bool)) for v in raw
            )
            if numeric:
                data[name] = pl.Series(name, values, dtype=pl.Int64)
            elif decimal:
                data[name] = pl.Series(
                    name, [None if v is None else float(v) for v in raw], dtype=pl.Float64
                )
            else:
                data[name] = pl.Series(
                    name, [None if v is None else str(v) for v in values], dtype=pl.String
                )
        return pl.DataFrame(data)


def _unique(columns: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for column in columns:
        seen[column] = seen.get(column, 0) + 1
        out.append(column if seen[column] == 1 else f"{column} ({seen[column]})")
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return value


def suppressed_columns(
    row_labels: Sequence[str], columns: Sequence[Sequence[int]], *, below: int | None = None
) -> tuple[list[list[int | str]], list[int | str], int]:
    """Suppress each count column on its own (its cells add up to its published total).
    Returns the published cells per row, the published totals, and how many were hidden."""
    if not row_labels:
        return [], [sum(c) for c in columns], 0
    published_rows: list[list[int | str]] = [[] for _row in row_labels]
    totals: list[int | str] = []
    hidden = 0
    for counts in columns:
        table = suppress(list(row_labels), ["n"], [[n] for n in counts], below=below)
        for i in range(len(row_labels) + 1):
            cell: int | str = table.values[i][0]
            if (i, 0) in table.hidden:
                cell = small() if (i, 0) in table.primary else COMPLEMENT
                hidden += 1
            (published_rows[i] if i < len(row_labels) else totals).append(cell)
    return published_rows, totals, hidden


def suppression_note() -> str:
    return _(
        "Counts below %(n)s are shown as %(small)s; other cells marked %(dash)s are hidden so "
        "that no total gives a small count away."
    ) % {"n": threshold(), "small": small(), "dash": COMPLEMENT}


# --- formats ----------------------------------------------------------------------------------


def to_csv(table: Table) -> bytes:
    # numbers stay numbers (a negative change is -5, not text); text is neutralised
    return exports.csv_rows(table.columns, table.body()).encode("utf-8")


def to_xlsx(table: Table, *, subtitle: str = "") -> bytes:
    """The table on one sheet: title and filters first, the notes under the table."""
    buffer = io.BytesIO()
    with exports.workbook(buffer) as workbook:  # text as string cells, never formulas
        sheet = workbook.add_worksheet(table.key[:31])
        sheet.write(0, 0, table.title, workbook.add_format({"bold": True}))
        sheet.write(1, 0, subtitle)
        frame = table.frame()
        frame.write_excel(workbook=workbook, worksheet=sheet.name, position="A4", float_precision=1)
        below = 4 + frame.height + 2
        for offset, note in enumerate(table.notes):
            sheet.write(below + offset, 0, note)
    return buffer.getvalue()


def to_pdf(table: Table, *, subtitle: str = "", user: Any = None) -> bytes:
    """A landscape A4 with the title, the filters, who printed it and when, the table and its
    notes."""
    return grid_pdf(
        title=table.title,
        headings=[str(c) for c in table.columns],
        rows=table.rows,
        total=table.total,
        subtitle=subtitle,
        notes=table.notes,
        user=user,
    )


def render(table: Table, fmt: str, *, subtitle: str = "", user: Any = None) -> bytes:
    if fmt == "csv":
        return to_csv(table)
    if fmt == "xlsx":
        return to_xlsx(table, subtitle=subtitle)
    return to_pdf(table, subtitle=subtitle, user=user)


# --- the report tables ------------------------------------------------------------------------


def indicator_table(
    indicator: Any, values: Sequence[Any], overall: Any, *, group_label: str, publish: bool
) -> Table:
    """An indicator per group: numerator, denominator (if any) and value, with the total.
    ``publish``: numerator and denominator counts suppressed, a value hidden with them."""
    from pksai.monitoring.measures import MEASURES

    has_denominator = bool(indicator.denominator)
    columns = [str(group_label), str(MEASURES[indicator.numerator].label)]
    if has_denominator:
        columns.append(str(MEASURES[indicator.denominator].label))
    columns.append(str(indicator.get_unit_display()))
    labels = [v.label or _("(none)") for v in values]
    total_value = overall.value if overall is not None else None
    total_counts = [
        overall.numerator if overall is not None else 0,
        *([overall.denominator or 0 if overall is not None else 0] if has_denominator else []),
    ]
    if not publish:
        rows = [
            [label, v.numerator, *([v.denominator] if has_denominator else []), v.value]
            for label, v in zip(labels, values, strict=True)
        ]
        return Table(
            key=indicator.code,
            title=indicator.name,
            columns=columns,
            rows=rows,
            total=[_("Total"), *total_counts, total_value],
        )
    counts = [[v.numerator for v in values]]
    if has_denominator:
        counts.append([v.denominator or 0 for v in values])
    cells, totals, hidden = suppressed_columns(labels, counts)
    rows = []
    for label, v, published in zip(labels, values, cells, strict=True):
        shown = v.value if all(isinstance(c, int) for c in published) else COMPLEMENT
        rows.append([label, *published, shown])
    total_shown = total_value if all(isinstance(c, int) for c in totals) else COMPLEMENT
    if len(values) <= 1:  # the national figure alone: its own cell is the total
        totals = [
            (small() if 0 < c < threshold() else c) if isinstance(c, int) else c
            for c in total_counts
        ]
        total_shown = total_value if all(isinstance(c, int) for c in totals) else COMPLEMENT
        hidden += sum(not isinstance(c, int) for c in totals)
    return Table(
        key=indicator.code,
        title=indicator.name,
        columns=columns,
        rows=rows,
        total=[_("Total"), *totals, total_shown],
        notes=[suppression_note()] if hidden else [],
        suppressed=hidden,
    )


def comparison_table(
    comparisons: Sequence[Any],
    *,
    measures: Sequence[str],
    first_label: str,
    second_label: str,
    group_label: str,
) -> Table:
    """Both periods and the change per area and measure, suppressed for publication: each
    count column on its own, a change hidden when either of its counts is."""
    from pksai.monitoring.measures import MEASURES

    labels = [c.label or _("(none)") for c in comparisons]
    columns = [str(group_label)]
    counts = []
    for code in measures:
        name = str(MEASURES[code].label)
        columns += [f"{name}: {first_label}", f"{name}: {second_label}", f"{name}: " + _("change")]
        counts.append([c.first[code] for c in comparisons])
        counts.append([c.second[code] for c in comparisons])
    cells, totals, hidden = suppressed_columns(labels, counts)

    def with_change(published: list[Any]) -> list[Any]:
        out = []
        for index in range(0, len(published), 2):
            first, second = published[index], published[index + 1]
            change = (
                second - first if isinstance(first, int) and isinstance(second, int) else COMPLEMENT
            )
            out += [first, second, change]
        return out

    return Table(
        key="comparison",
        title=_("Period comparison"),
        columns=columns,
        rows=[[label, *with_change(row)] for label, row in zip(labels, cells, strict=True)],
        total=[_("Total"), *with_change(totals)] if comparisons else None,
        notes=[suppression_note()] if hidden else [],
        suppressed=hidden,
    )


# where a program's beneficiary count comes from (finance.Efficiency.beneficiaries_source)
BENEFICIARY_SOURCES = {
    "imported": gettext_lazy("spending import"),
    "enrolments": gettext_lazy("enrolments"),
}


def efficiency_table(rows: Sequence[Any], year: int) -> Table:
    """Per program: the indicators, then the non-benefit categories ("of which")."""
    from pksai.monitoring.finance import NON_BENEFITS
    from pksai.monitoring.models import SpendingCategory

    names = dict(SpendingCategory.choices)
    return Table(
        key="efficiency",
        title=_("Efficiency indicators %(year)s") % {"year": year},
        columns=[
            _("Program"),
            _("Beneficiaries"),
            _("Source"),
            _("Civil servants"),
            _("Total spending (Rp)"),
            _("Benefits (Rp)"),
            _("Non-benefits (Rp)"),
            _("Unit cost (Rp)"),
            _("Administrative cost per beneficiary (Rp)"),
            _("Administrative overhead (%)"),
            _("Cost of delivering benefits (%)"),
            _("Civil servants per 10,000 beneficiaries"),
            *[_("of which %(category)s (Rp)") % {"category": names[code]} for code in NON_BENEFITS],
        ],
        rows=[
            [
                r.program.upper(),
                r.beneficiaries,
                str(BENEFICIARY_SOURCES.get(r.beneficiaries_source, r.beneficiaries_source)),
                r.civil_servants,
                r.total_spending,
                r.benefits,
                r.non_benefits,
                r.unit_cost,
                r.admin_cost_per_beneficiary,
                r.admin_overhead_ratio,
                r.cost_of_delivering_benefits,
                r.civil_servants_per_10000,
                *[r.categories.get(code, 0) for code in NON_BENEFITS],
            ]
            for r in rows
        ],
    )


def execution_table(rows: Sequence[Any], year: int) -> Table:
    from pksai.monitoring.models import Level

    levels = dict(Level.choices)
    return Table(
        key="execution",
        title=_("Budget execution %(year)s") % {"year": year},
        columns=[
            _("Program"),
            _("Executing level"),
            _("Final revised budget (Rp)"),
            _("Realised (Rp)"),
            _("Execution (%)"),
        ],
        rows=[
            [
                r.program.upper(),
                str(levels.get(r.level, r.level)) if r.level else _("all levels"),
                r.budget,
                r.realised,
                r.ratio,
            ]
            for r in rows
        ],
    )


def by_month_table(rows: Sequence[dict], year: int, program: str) -> Table:
    return Table(
        key="by_month",
        title=_("Budget execution by month %(year)s — %(program)s")
        % {"year": year, "program": program.upper()},
        columns=[
            _("Month"),
            _("Realised (Rp)"),
            _("Cumulative (Rp)"),
            _("Share of the budget (%)"),
            _("Cumulative share (%)"),
        ],
        rows=[
            [
                f"{year}-{r['month']:02d}",
                r["realised"],
                r["cumulative"],
                r["share"],
                r["cumulative_share"],
            ]
            for r in rows
        ],
    )


def real_benefits_table(rows: Sequence[dict], program: str, base_year: int | None) -> Table:
    return Table(
        key="real_benefits",
        title=_("Real value of the benefit — %(program)s, prices of %(base)s")
        % {"program": program.upper(), "base": base_year or "—"},
        columns=[_("Year"), _("Nominal (Rp a year)"), _("Real (Rp a year, base-year prices)")],
        rows=[[r["year"], r["nominal"], r["real"]] for r in rows],
    )


def projection_table(rows: Sequence[dict], program: str) -> Table:
    return Table(
        key="projection",
        title=_("Projection — %(program)s") % {"program": program.upper()},
        columns=[
            _("Year"),
            _("Unit cost (Rp)"),
            _("Baseline: beneficiaries"),
            _("Baseline: cost (Rp)"),
            _("Expansion: beneficiaries"),
            _("Expansion: cost (Rp)"),
        ],
        rows=[
            [
                r["year"],
                r["unit_cost"],
                r["baseline_beneficiaries"],
                r["baseline_cost"],
                r["expansion_beneficiaries"],
                r["expansion_cost"],
            ]
            for r in rows
        ],
    )
