"""Eligible-population estimates and what they give: coverage and incidence per area.

- ``population_import`` (``pksai import-population``, docs/finance-format.md): a CSV/XLSX file
  of estimates — program, year, area, eligible (and where the estimate comes from) — every
  cell checked at once, each rejected cell reported (row, column, value, reason), the good
  rows written; re-importing the same file changes nothing. A regional officer imports
  estimates of areas in their scope only. A program-year's estimates are at one area level
  (provinces, or regencies, …) so that they add up.
- ``coverage``: per area of the estimates (in the reader's scope), beneficiaries ÷ eligible
  (coverage) and the area's share of the program's beneficiaries beside its share of the
  eligible population (incidence — the review's Figures 8 and 9). Beneficiaries are the
  imported count of the program, year and area when the spending file gives one, else the
  program's enrolments active in the year in the area (sub-programs included).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from pksai.accounts.models import User
from pksai.accounts.scoping import require_perm
from pksai.areas.models import Area
from pksai.audit.services import audit_record
from pksai.monitoring.finance import _round, in_scope
from pksai.monitoring.models import EligiblePopulation, ProgramYear
from pksai.monitoring.spending import (
    IMPORT,
    amount,
    area_code,
    known_areas,
    outside_scope,
    sync_rows,
)
from pksai.programs.models import Beneficiary, Program
from pksai.registry.importer import ROW, ExtractError
from pksai.registry.tabular import ImportCounts, cell_errors, read_table

REQUIRED = ["program", "year", "area", "eligible"]
COLUMNS = [*REQUIRED, "source"]


class PopulationResult(ImportCounts):
    """Counts of a population file; the rejected cells (row, column, value, reason)."""


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


def population_import(*, by: User, path: str | Path) -> PopulationResult:
    """Import eligible-population estimates (see the module's docstring)."""
    require_perm(by, IMPORT)
    frame = _read(path)
    programs = pl.DataFrame(
        list(Program.objects.values_list("code", "pk")),
        schema={"program": pl.String, "program_id": pl.Int64},
        orient="row",
    )
    typed = frame.with_columns(
        pl.col("program").str.to_lowercase(),
        pl.col("year").cast(pl.Int64, strict=False).alias("year_n"),
        area_code("area").alias("area_code"),
        amount("eligible").alias("eligible_n"),
    )
    typed = (
        typed.join(programs, on="program", how="left")
        .join(known_areas(typed["area_code"]), on="area_code", how="left")
        .with_columns(pl.col("area_code").str.len_chars().alias("digits"))
    )
    first = pl.col(ROW).min().over("program", "year", "area_code") == pl.col(ROW)
    first_level = pl.col("digits").sort_by(ROW).drop_nulls().first().over("program", "year")
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
        "area": [
            (pl.col("area").is_null(), _("required")),
            (pl.col("area_code").is_null(), _("not an area code (for example 73.71 or 7371)")),
            (pl.col("area_known").is_null(), _("no such area")),
            (outside_scope(by, pl.col("area_code")), _("outside your area")),
            (~first, _("the same program, year and area is on an earlier row")),
            (
                pl.col("digits") != first_level,
                _("a program-year's estimates must all be of one area level"),
            ),
        ],
        "eligible": [
            (pl.col("eligible").is_null(), _("required")),
            (pl.col("eligible_n").is_null(), _("a whole number, not negative")),
        ],
        "source": [
            (
                pl.col("source").str.len_chars() > 200,
                _("at most 200 characters"),
            )
        ],
    }
    errors = cell_errors(typed, checks)
    good = typed.join(errors.select(pl.col("row").alias(ROW)).unique(), on=ROW, how="anti")
    rows = good.select(
        pl.col("program_id"),
        pl.col("year_n").alias("year"),
        pl.col("area_code").alias("area_id"),
        pl.col("eligible_n").alias("eligible"),
        pl.col("source").fill_null("").alias("source_note"),
    )
    key = ["program_id", "year", "area_id"]
    with transaction.atomic():
        match = Q(pk__in=[])
        for program_id, year in rows.select("program_id", "year").unique().rows():
            match |= Q(program_id=program_id, year=year)
        existing = pl.DataFrame(
            list(
                EligiblePopulation.objects.filter(match).values_list(
                    "id", *key, "eligible", "source_note"
                )
            ),
            schema={
                "id": pl.Int64,
                "program_id": pl.Int64,
                "year": pl.Int64,
                "area_id": pl.String,
                "old_eligible": pl.Int64,
                "old_source_note": pl.String,
            },
            orient="row",
        )
        created, updated, unchanged = sync_rows(
            model=EligiblePopulation,
            frame=rows,
            key=key,
            values=["eligible", "source_note"],
            existing=existing,
        )
        audit_record(
            action="create",
            actor=by,
            object_type="monitoring.eligiblepopulation",
            detail={
                "file": Path(path).name,
                "rows": frame.height,
                "accepted": good.height,
                "rejected_rows": errors["row"].n_unique() if errors.height else 0,
            },
        )
    return PopulationResult(
        rows_read=frame.height,
        accepted=good.height,
        created=created,
        updated=updated,
        unchanged=unchanged,
        errors=errors,
    )


# --- coverage and incidence -------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    area: str  # code
    name: str
    eligible: int
    beneficiaries: int
    beneficiaries_source: str  # "imported" or "enrolments"
    coverage: Decimal | None  # beneficiaries ÷ eligible, percent
    beneficiary_share: Decimal | None  # of the table's beneficiaries, percent
    eligible_share: Decimal | None  # of the table's eligible population, percent


@dataclass(frozen=True)
class CoverageTable:
    program: str
    year: int
    estimate_year: int | None  # the estimates used (the year's, else the latest before)
    rows: list[Coverage]
    total: Coverage | None


def _enrolled_by_area(program: Program, year: int, user: User | None, digits: int) -> pl.DataFrame:
    """People enrolled in ``program`` (or its sub-programs) at any time in ``year``, in
    ``user``'s scope, per area code cut to ``digits`` characters (one grouped query)."""
    active = (
        in_scope(Beneficiary.objects.all(), user)
        .filter(Q(program=program) | Q(program__parent=program))
        .filter(start_date__lte=date(year, 12, 31))
        .filter(Q(exit_date__isnull=True) | Q(exit_date__gte=date(year, 1, 1)))
    )
    counts = pl.DataFrame(
        list(
            active.values_list("area_id").annotate(n=Count("person_id", distinct=True)).order_by()
        ),
        schema={"area_id": pl.String, "n": pl.Int64},
        orient="row",
    )
    return counts.group_by(pl.col("area_id").str.slice(0, digits).alias("area")).agg(
        pl.col("n").sum().alias("enrolled")
    )


def coverage(*, program: Program, year: int, user: User | None = None) -> CoverageTable:
    """Coverage and incidence of ``program`` in ``year`` per area of the estimates, in
    ``user``'s scope (see the module's docstring)."""
    estimates = in_scope(EligiblePopulation.objects.filter(program=program), user)
    estimate_year = (
        estimates.filter(year__lte=year).order_by("-year").values_list("year", flat=True).first()
    )
    if estimate_year is None:
        return CoverageTable(program.code, year, None, [], None)
    frame = pl.DataFrame(
        list(estimates.filter(year=estimate_year).values_list("area_id", "eligible")),
        schema={"area": pl.String, "eligible": pl.Int64},
        orient="row",
    )
    digits = int(frame["area"].str.len_chars().max() or 2)  # one level per program-year
    imported = pl.DataFrame(
        list(
            in_scope(ProgramYear.objects.filter(program=program, year=year), user)
            .exclude(area__isnull=True)
            .exclude(beneficiaries__isnull=True)
            .values_list("area_id", "beneficiaries")
        ),
        schema={"area": pl.String, "imported": pl.Int64},
        orient="row",
    )
    frame = (
        frame.join(imported, on="area", how="left")
        .join(_enrolled_by_area(program, year, user, digits), on="area", how="left")
        .with_columns(
            pl.coalesce("imported", pl.col("enrolled").fill_null(0)).alias("beneficiaries"),
            pl.when(pl.col("imported").is_not_null())
            .then(pl.lit("imported"))
            .otherwise(pl.lit("enrolments"))
            .alias("source"),
        )
        .sort("area")
    )
    names = dict(Area.objects.filter(code__in=frame["area"].to_list()).values_list("code", "name"))
    total_eligible = int(frame["eligible"].sum())
    total_people = int(frame["beneficiaries"].sum())
    rows = [
        Coverage(
            area=r["area"],
            name=names.get(r["area"], r["area"]),
            eligible=r["eligible"],
            beneficiaries=r["beneficiaries"],
            beneficiaries_source=r["source"],
            coverage=_round(100 * r["beneficiaries"], r["eligible"], 1),
            beneficiary_share=_round(100 * r["beneficiaries"], total_people, 1),
            eligible_share=_round(100 * r["eligible"], total_eligible, 1),
        )
        for r in frame.iter_rows(named=True)  # one row per area of the estimates
    ]
    total = Coverage(
        area="",
        name=_("Total"),
        eligible=total_eligible,
        beneficiaries=total_people,
        beneficiaries_source="",
        coverage=_round(100 * total_people, total_eligible, 1),
        beneficiary_share=Decimal("100.0") if total_people else None,
        eligible_share=Decimal("100.0") if total_eligible else None,
    )
    return CoverageTable(program.code, year, estimate_year, rows, total)
