"""The finance reports of the review as ``exports.Table``s (the page, CSV, XLSX, PDF and the API
show the same table): the multi-year efficiency table with its "of which" rows, change and
constant prices; budget execution by funding source and by economic classification (labels,
never codes); coverage and incidence; the projection with its coverage scenario. Money is
whole rupiah, percentages Decimals with one decimal place — numbers stay numbers in XLSX."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pksai.monitoring.exports import Table
from pksai.monitoring.finance import Share
from pksai.monitoring.finance_years import Trend
from pksai.monitoring.models import EconomicClass, FundingSource
from pksai.monitoring.population import CoverageTable


def trend_table(trend: Trend) -> Table:
    """Rows as in the review's Table 4; a column per year, the change first → last (%), and
    with a price index every year at the base year's prices with the real change."""
    first, last = trend.years[0], trend.years[-1]
    span = {"first": first, "last": last}
    columns = [
        _("Indicator"),
        *[str(y) for y in trend.years],
        _("Change %(first)s–%(last)s (%%)") % span,
    ]
    if trend.base_year is not None:
        columns += [
            _("%(year)s at %(base)s prices (Rp)") % {"year": y, "base": trend.base_year}
            for y in trend.years
        ]
        columns.append(
            _("Real change %(first)s–%(last)s at %(base)s prices (%%)")
            % {**span, "base": trend.base_year}
        )
    rows = []
    for row in trend.rows:
        cells = [row.label, *row.values, row.change]
        if trend.base_year is not None:
            constant = row.constant or [None] * len(trend.years)
            cells += [*constant, row.real_change]
        rows.append(cells)
    title = _("Efficiency %(program)s, %(first)s–%(last)s") % {
        "program": trend.program.upper(),
        **span,
    }
    notes = [
        _(
            "Spending is realised spending. Changes are computed from the exact figures and "
            "rounded half up; ratios show no change column."
        )
    ]
    if trend.base_year is not None:
        notes.append(
            _("Constant prices: value × price index of %(base)s ÷ price index of the year.")
            % {"base": trend.base_year}
        )
    else:
        notes.append(_("No price index for the base year: no constant-price columns."))
    return Table(key="efficiency_years", title=title, columns=columns, rows=rows, notes=notes)


def shares_table(rows: Sequence[Share], year: int, by: str) -> Table:
    """Budget execution by funding source (``by="source"``) or economic classification."""
    labels = dict(FundingSource.choices if by == "source" else EconomicClass.choices)
    if by == "source":
        title = _("Budget by funding source %(year)s") % {"year": year}
        heading = _("Funding source")
    else:
        title = _("Budget execution by economic classification %(year)s") % {"year": year}
        heading = _("Economic classification")
    return Table(
        key=f"by_{by}",
        title=title,
        columns=[
            _("Program"),
            heading,
            _("Final revised budget (Rp)"),
            _("Realised (Rp)"),
            _("Execution (%)"),
            _("Share of the program's realised spending (%)"),
        ],
        rows=[
            [
                r.program.upper(),
                str(labels.get(r.key, r.key)) if r.key else _("all"),
                r.budget,
                r.realised,
                r.ratio,
                r.share,
            ]
            for r in rows
        ],
    )


BENEFICIARY_SOURCES = {
    "imported": gettext_lazy("spending import"),
    "enrolments": gettext_lazy("enrolments"),
}


def coverage_table(table: CoverageTable) -> Table:
    def cells(c) -> list:
        return [
            c.name,
            c.eligible,
            c.beneficiaries,
            str(BENEFICIARY_SOURCES.get(c.beneficiaries_source, c.beneficiaries_source)),
            c.coverage,
            c.beneficiary_share,
            c.eligible_share,
        ]

    notes = []
    if table.estimate_year is not None and table.estimate_year != table.year:
        notes.append(
            _("Eligible population: the estimates of %(year)s (the latest before).")
            % {"year": table.estimate_year}
        )
    return Table(
        key="coverage",
        title=_("Coverage and incidence — %(program)s %(year)s")
        % {"program": table.program.upper(), "year": table.year},
        columns=[
            _("Area"),
            _("Eligible population (estimate)"),
            _("Beneficiaries"),
            _("Beneficiaries from"),
            _("Coverage (%)"),
            _("Share of beneficiaries (%)"),
            _("Share of the eligible population (%)"),
        ],
        rows=[cells(c) for c in table.rows],
        total=cells(table.total) if table.total else None,
        notes=notes,
    )


def projection_table(rows: Sequence[dict], program: str) -> Table:
    """The baseline and expansion scenarios, and the coverage scenario when targets and an
    eligible-population estimate are given."""
    coverage = any(r["coverage_target"] is not None for r in rows)
    columns = [
        _("Year"),
        _("Unit cost (Rp)"),
        _("Baseline: beneficiaries"),
        _("Baseline: cost (Rp)"),
        _("Expansion: beneficiaries"),
        _("Expansion: cost (Rp)"),
    ]
    if coverage:
        columns += [
            _("Coverage target (%)"),
            _("Eligible population"),
            _("Coverage: beneficiaries"),
            _("Coverage: cost (Rp)"),
        ]
    out = []
    for r in rows:
        cells = [
            r["year"],
            r["unit_cost"],
            r["baseline_beneficiaries"],
            r["baseline_cost"],
            r["expansion_beneficiaries"],
            r["expansion_cost"],
        ]
        if coverage:
            cells += [
                r["coverage_target"],
                r["eligible"],
                r["coverage_beneficiaries"],
                r["coverage_cost"],
            ]
        out.append(cells)
    return Table(
        key="projection",
        title=_("Projection — %(program)s") % {"program": program.upper()},
        columns=columns,
        rows=out,
    )
