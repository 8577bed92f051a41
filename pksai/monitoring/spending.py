"""The spending import (``pksai import-spending``, docs/finance-format.md): a CSV/XLSX file of
budget lines — program, year, executing level, category, funding source, economic
classification and area — checked cell by cell at once with Polars; each rejected cell is
reported (row, column, value, reason) and the good rows are written in bulk. Rows are compared
with the stored lines first: new lines are inserted, changed lines updated, and a re-import of
the same file writes nothing.

What every finance import shares lives here too: reading an area-code column (``area_code``),
the importer's own scope (``outside_scope``: a regional officer imports only lines of areas in
their scope, and lines without an area only from a national account), and the diff-then-write
of keyed rows whose key may hold an empty area (``sync_rows``)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pksai.accounts.models import User
from pksai.accounts.scoping import require_perm, scope_for
from pksai.areas.models import Area
from pksai.audit.services import audit_record
from pksai.core.bulk import bulk_insert, bulk_update
from pksai.monitoring.models import (
    DEFAULT_ECONOMIC,
    BudgetLine,
    EconomicClass,
    FundingSource,
    Level,
    ProgramYear,
    SpendingCategory,
)
from pksai.programs.models import Program
from pksai.registry.importer import ROW, ExtractError
from pksai.registry.tabular import ImportCounts, cell_errors, read_table

IMPORT = "monitoring.add_budgetline"
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
REQUIRED = ["program", "year", "level", "category", "budget", "realised"]
OPTIONAL = ["source", "economic", "area"]
COUNTS = ["beneficiaries", "civil_servants"]
COLUMNS = [*REQUIRED, *OPTIONAL, *MONTHS, *COUNTS]
KEY = ["program", "year", "level", "category", "source", "area_code"]
LINE_KEY = ["program_id", "year", "level", "category", "source", "area_id"]


class SpendingResult(ImportCounts):
    """Counts of a spending file; the rejected cells (row, column, value, reason)."""


# --- what the finance imports share ---------------------------------------------------------


def amount(column: str) -> pl.Expr:
    """Whole rupiah (or a whole count) as typed: '1250000', '1.250.000' or '1,250,000'
    (thousands separators); null when it is not a whole non-negative number."""
    text = pl.col(column).str.replace_all(r"[\s\u00a0]", "")
    grouped = text.str.contains(r"^\d{1,3}([.,]\d{3})+$")
    plain = pl.when(grouped).then(text.str.replace_all(r"[.,]", "")).otherwise(text)
    return (
        pl.when(plain.str.contains(r"^\d{1,15}$"))
        .then(plain.cast(pl.Int64, strict=False))
        .otherwise(None)
    )


def code_of(column: str) -> pl.Expr:
    """A code as typed, compared loosely: lower case, '_' for spaces and dashes."""
    return pl.col(column).str.to_lowercase().str.replace_all(r"[\s\-]+", "_")


def area_code(column: str) -> pl.Expr:
    """A Kemendagri code written with or without dots ('7371', '73.71') in its dotted form;
    null when malformed (the vectorised ``areas.codes.normalise_area_code``)."""
    digits = pl.col(column).str.replace_all(r"[\s.]", "")
    length = digits.str.len_chars()
    ok = digits.str.contains(r"^\d+$") & length.is_in([2, 4, 6, 10])
    dotted = pl.concat_str(
        [
            digits.str.slice(0, 2),
            pl.when(length >= 4).then(pl.lit(".") + digits.str.slice(2, 2)).otherwise(pl.lit("")),
            pl.when(length >= 6).then(pl.lit(".") + digits.str.slice(4, 2)).otherwise(pl.lit("")),
            pl.when(length >= 10).then(pl.lit(".") + digits.str.slice(6, 4)).otherwise(pl.lit("")),
        ]
    )
    return pl.when(ok).then(dotted).otherwise(None)


def known_areas(codes: pl.Series) -> pl.DataFrame:
    """The codes of ``codes`` that are areas (one query)."""
    wanted = codes.drop_nulls().unique().to_list()
    found = list(Area.objects.filter(code__in=wanted).values_list("code", flat=True))
    return pl.DataFrame({"area_code": found, "area_known": [True] * len(found)}).cast(
        {"area_code": pl.String, "area_known": pl.Boolean}
    )


def outside_scope(user: User, code: pl.Expr) -> pl.Expr:
    """True where ``code`` (an area code, or null for "no area") lies outside the user's
    scope: a regional user may not name an area outside it, nor leave the area empty."""
    scope = scope_for(user)
    if scope.national:
        return pl.lit(False)
    inside = pl.lit(False)
    for prefix in scope.area_codes:
        inside = inside | (code == prefix) | code.str.starts_with(prefix + ".")
    return code.is_null() | ~inside.fill_null(False)


def sync_rows(
    *,
    model: type[Model],
    frame: pl.DataFrame,
    key: list[str],
    values: list[str],
    existing: pl.DataFrame,
    compare: dict[str, pl.Expr] | None = None,
) -> tuple[int, int, int]:
    """Write ``frame`` (``key`` + ``values`` columns) into ``model``'s table: rows whose key
    is not stored are inserted, stored rows whose values differ are updated (by id), equal
    rows are left alone. ``existing``: the stored rows that may match (``id``, the key and
    ``old_<value>`` columns). An empty area in the key matches an empty area. Returns
    (created, updated, unchanged)."""
    compare = compare or {}
    joined = frame.join(existing, on=key, how="left", nulls_equal=True)
    new = joined.filter(pl.col("id").is_null())
    stored = joined.filter(pl.col("id").is_not_null())
    same = pl.all_horizontal(
        compare.get(v, pl.col(v).eq_missing(pl.col(f"old_{v}"))) for v in values
    )
    changed = stored.filter(~same)
    stamp = [f.attname for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
    now = pl.lit(timezone.now())
    table = model._meta.db_table
    bulk_insert(
        table=table,
        frame=new.select(*key, *values, *[now.alias(s) for s in stamp]),
    )
    bulk_update(
        table=table,
        frame=changed.select("id", *values, *[now.alias(s) for s in stamp]),
        key="id",
    )
    return new.height, changed.height, stored.height - changed.height


# --- the spending file ------------------------------------------------------------------------


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


def _choice(column: str, default: pl.Expr) -> pl.Expr:
    return pl.when(pl.col(column).is_null()).then(default).otherwise(code_of(column))


def spending_import(*, by: User, path: str | Path) -> SpendingResult:
    """Import budget lines (see the module's docstring)."""
    require_perm(by, IMPORT)
    frame = _read(path)
    programs = pl.DataFrame(
        list(Program.objects.values_list("code", "pk")),
        schema={"program": pl.String, "program_id": pl.Int64},
        orient="row",
    )
    default_economic = pl.col("category").replace_strict(
        {k: str(v) for k, v in DEFAULT_ECONOMIC.items()},
        default=str(EconomicClass.GOODS_SERVICES),
        return_dtype=pl.String,
    )
    typed = frame.with_columns(
        pl.col("program").str.to_lowercase(),
        pl.col("level").str.to_lowercase(),
        pl.col("category").str.to_lowercase(),
    ).with_columns(
        pl.col("year").cast(pl.Int64, strict=False).alias("year_n"),
        _choice("source", pl.lit(str(FundingSource.APBN))).alias("source_c"),
        _choice("economic", default_economic).alias("economic_c"),
        area_code("area").alias("area_code"),
        amount("budget").alias("budget_n"),
        amount("realised").alias("realised_n"),
        *[amount(m).alias(f"{m}_n") for m in MONTHS],
        *[amount(c).alias(f"{c}_n") for c in COUNTS],
    )
    typed = typed.join(programs, on="program", how="left").join(
        known_areas(typed["area_code"]), on="area_code", how="left"
    )
    any_month = pl.any_horizontal(pl.col(m).is_not_null() for m in MONTHS)
    month_sum = pl.sum_horizontal(pl.col(f"{m}_n").fill_null(0) for m in MONTHS)
    typed = typed.with_columns(
        any_month.alias("has_months"),
        month_sum.alias("month_sum"),
        pl.col("source_c").alias("source_key"),
    )
    key = ["program", "year", "level", "category", "source_key", "area_code"]
    first_of_key = pl.col(ROW).min().over(key) == pl.col(ROW)
    facts = [
        (
            pl.col(f"{c}_n").is_not_null()
            & (pl.col(f"{c}_n").drop_nulls().n_unique().over("program", "year", "area_code") > 1),
            _("differs from another row of the same program, year and area"),
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
            (
                ~first_of_key,
                _(
                    "the same program, year, level, category, funding source and area is on "
                    "an earlier row"
                ),
            ),
        ],
        "source": [
            (
                ~pl.col("source_c").is_in(FundingSource.values),
                _("one of: %(codes)s") % {"codes": ", ".join(FundingSource.values)},
            ),
        ],
        "economic": [
            (
                ~pl.col("economic_c").is_in(EconomicClass.values),
                _("one of: %(codes)s") % {"codes": ", ".join(EconomicClass.values)},
            ),
        ],
        "area": [
            (
                pl.col("area").is_not_null() & pl.col("area_code").is_null(),
                _("not an area code (for example 73.71 or 7371)"),
            ),
            (
                pl.col("area_code").is_not_null() & pl.col("area_known").is_null(),
                _("no such area"),
            ),
            (
                outside_scope(by, pl.col("area_code")),
                _("outside your area (lines without an area need a national account)"),
            ),
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
        pl.col("source_c").alias("source"),
        pl.col("area_code").alias("area_id"),
        pl.col("economic_c").alias("economic"),
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
    facts_frame = (
        good.group_by("program_id", "year_n", "area_code")
        .agg(
            pl.col("beneficiaries_n").drop_nulls().first().alias("beneficiaries"),
            pl.col("civil_servants_n").drop_nulls().first().alias("civil_servants"),
        )
        .rename({"year_n": "year", "area_code": "area_id"})
        .filter(pl.col("beneficiaries").is_not_null() | pl.col("civil_servants").is_not_null())
    )
    line_values = ["economic", "budget", "realised", "monthly"]
    with transaction.atomic():
        old_lines = _stored_lines(lines)
        created, updated, unchanged = sync_rows(
            model=BudgetLine,
            frame=lines,
            key=LINE_KEY,
            values=line_values,
            existing=old_lines,
            compare={
                "monthly": pl.col("monthly").str.replace_all(" ", "")
                == pl.col("old_monthly").str.replace_all(" ", "")
            },
        )
        _write_facts(facts_frame)
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
        updated=updated,
        unchanged=unchanged,
        errors=errors,
    )


def _stored_lines(lines: pl.DataFrame) -> pl.DataFrame:
    """The stored lines of the program-years in the file (one query)."""
    match = Q(pk__in=[])
    for program_id, year in lines.select("program_id", "year").unique().rows():
        match |= Q(program_id=program_id, year=year)
    rows = [
        (i, p, y, lv, c, s, a, e, b, r, json.dumps(m))
        for i, p, y, lv, c, s, a, e, b, r, m in BudgetLine.objects.filter(match).values_list(
            "id", *LINE_KEY, "economic", "budget", "realised", "monthly"
        )
    ]
    return pl.DataFrame(
        rows,
        schema={
            "id": pl.Int64,
            "program_id": pl.Int64,
            "year": pl.Int64,
            "level": pl.String,
            "category": pl.String,
            "source": pl.String,
            "area_id": pl.String,
            "old_economic": pl.String,
            "old_budget": pl.Int64,
            "old_realised": pl.Int64,
            "old_monthly": pl.String,
        },
        orient="row",
    )


def _write_facts(facts: pl.DataFrame) -> None:
    """Beneficiaries and civil servants per program, year and area: a fact the file gives
    replaces the stored one; a fact it leaves empty keeps the stored one."""
    if facts.is_empty():
        return
    match = Q(pk__in=[])
    for program_id, year in facts.select("program_id", "year").unique().rows():
        match |= Q(program_id=program_id, year=year)
    existing = pl.DataFrame(
        list(
            ProgramYear.objects.filter(match).values_list(
                "id", "program_id", "year", "area_id", "beneficiaries", "civil_servants"
            )
        ),
        schema={
            "id": pl.Int64,
            "program_id": pl.Int64,
            "year": pl.Int64,
            "area_id": pl.String,
            "old_beneficiaries": pl.Int64,
            "old_civil_servants": pl.Int64,
        },
        orient="row",
    )
    key = ["program_id", "year", "area_id"]
    kept = facts.join(existing, on=key, how="left", nulls_equal=True).select(
        *key,
        pl.coalesce("beneficiaries", "old_beneficiaries").alias("beneficiaries"),
        pl.coalesce("civil_servants", "old_civil_servants").alias("civil_servants"),
    )
    sync_rows(
        model=ProgramYear,
        frame=kept,
        key=key,
        values=["beneficiaries", "civil_servants"],
        existing=existing,
    )
