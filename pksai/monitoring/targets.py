"""Baselines and targets per indicator, area and year (``monitoring.IndicatorTarget``).

- ``targets_import``: a CSV/XLSX file (columns ``indicator, area, year, baseline, target,
  source``; docs/monitoring.md) checked cell by cell with Polars, each rejected cell reported
  (row, column, value, reason) like every other import; the good rows written in two bulk
  statements. An area outside the importer's scope is refused, and a national row (empty area)
  needs a national scope. Re-importing the same file changes nothing.
- ``targets_for``: the baseline and target that fit an area and a year for a set of
  indicators (one query): the area's own rows first, else — for rates and averages, never for
  counts, which do not carry over between areas — the national rows, else the indicator's own
  baseline and target fields. The baseline is the latest at or before the year; the target
  the first at or after it (else the latest).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import polars as pl
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from pksai.accounts.models import User
from pksai.accounts.scoping import require_perm, scope_for
from pksai.areas.codes import area_q
from pksai.areas.models import Area
from pksai.audit.services import audit_record
from pksai.monitoring.models import Indicator, IndicatorTarget
from pksai.registry.importer import ROW, ExtractError
from pksai.registry.tabular import ImportCounts, cell_errors, read_table

IMPORT = "monitoring.add_indicatortarget"
CHANGE = "monitoring.change_indicatortarget"
REQUIRED = ["indicator", "year"]
COLUMNS = ["indicator", "area", "year", "baseline", "target", "source"]


@dataclass(frozen=True)
class Goal:
    """What a value is read against: a baseline and a target, each with its year, and where
    they come from ("" when no row applies)."""

    baseline: Decimal | None = None
    baseline_year: int | None = None
    target: Decimal | None = None
    target_year: int | None = None
    source: str = ""
    area: str = ""  # the area code the row is for ("" national)


def plain(value: Decimal | None) -> Decimal | None:
    """60.00 → 60, 90.50 → 90.5 (as entered, without the column's trailing zeros)."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _pick(rows: list[IndicatorTarget], year: int, area: str) -> Goal:
    baselines = sorted((r for r in rows if r.baseline is not None), key=lambda r: r.year)
    targets = sorted((r for r in rows if r.target is not None), key=lambda r: r.year)
    base = next((r for r in reversed(baselines) if r.year <= year), None) or next(
        iter(baselines), None
    )
    goal = next((r for r in targets if r.year >= year), None) or (targets[-1] if targets else None)
    sources = [r.source for r in (base, goal) if r is not None and r.source]
    return Goal(
        baseline=plain(base.baseline) if base else None,
        baseline_year=base.year if base else None,
        target=plain(goal.target) if goal else None,
        target_year=goal.year if goal else None,
        source="; ".join(dict.fromkeys(sources)),
        area=area,
    )


def targets_for(indicators: Iterable[Indicator], *, area: str, year: int) -> dict[str, Goal]:
    """Indicator code → the baseline and target for ``area`` ("" = national) and ``year``."""
    indicators = list(indicators)
    rows = IndicatorTarget.objects.filter(
        Q(area__isnull=True) | Q(area_id=area) if area else Q(area__isnull=True),
        indicator__in=indicators,
    ).select_related("indicator")
    by_indicator: dict[tuple[int, str], list[IndicatorTarget]] = {}
    for row in rows:  # a handful per indicator
        by_indicator.setdefault((row.indicator_id, row.area_id or ""), []).append(row)
    out: dict[str, Goal] = {}
    for indicator in indicators:
        own = by_indicator.get((indicator.pk, area), [])
        national = by_indicator.get((indicator.pk, ""), [])
        carries = not area or indicator.unit != Indicator.Unit.COUNT
        if own:
            out[indicator.code] = _pick(own, year, area)
        elif national and carries:
            out[indicator.code] = _pick(national, year, "")
        elif carries and (indicator.baseline is not None or indicator.target is not None):
            out[indicator.code] = Goal(
                baseline=plain(indicator.baseline),
                baseline_year=indicator.baseline_year,
                target=plain(indicator.target),
                target_year=indicator.target_year,
            )
        else:
            out[indicator.code] = Goal()
    return out


def area_targets(
    indicator: Indicator, *, user, level_digits: int, area: str, year: int
) -> dict[str, tuple[str, Goal]]:
    """Area code → (name, baseline and target) of one indicator for every area of one level
    (a code of ``level_digits`` characters) in the user's scope and under ``area`` that has a
    row — for the before/after table by area, which lists a site with a baseline even when
    it has no record in the period (one query)."""
    rows = (
        IndicatorTarget.objects.filter(scope_for(user).q("area"), area_q("area", area))
        .filter(indicator=indicator, area__isnull=False)
        .annotate(code_length=Length("area_id"))
        .filter(code_length=level_digits)
        .select_related("area")
    )
    by_area: dict[str, list[IndicatorTarget]] = {}
    names: dict[str, str] = {}
    for row in rows:  # a few per area
        by_area.setdefault(row.area_id, []).append(row)
        names[row.area_id] = row.area.name
    return {code: (names[code], _pick(found, year, code)) for code, found in by_area.items()}


# --- the import -------------------------------------------------------------------------------


class TargetsResult(ImportCounts):
    """Counts of a targets file; the rejected cells (row, column, value, reason)."""


def _figure(column: str) -> pl.Expr:
    """A number as typed: 90, 90.5, 90,5 (decimal comma), 1.811 / 1,811 (thousands); null
    when empty or not a number."""
    text = pl.col(column).str.replace_all(r"[\s\u00a0%]", "")
    grouped = text.str.contains(r"^\d{1,3}([.,]\d{3})+$")
    plain = (
        pl.when(grouped)
        .then(text.str.replace_all(r"[.,]", ""))
        .otherwise(text.str.replace(",", ".", literal=True))
    )
    return (
        pl.when(plain.str.contains(r"^-?\d{1,12}(\.\d{1,2})?$"))
        .then(plain)
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def _code(column: str) -> pl.Expr:
    """An area code with or without dots, in its dotted form (null when malformed)."""
    digits = pl.col(column).str.replace_all(".", "", literal=True)
    ok = digits.str.contains(r"^\d+$") & digits.str.len_chars().is_in([2, 4, 6, 10])
    dotted = pl.concat_str(
        [
            digits.str.slice(0, 2),
            pl.when(digits.str.len_chars() >= 4).then("." + digits.str.slice(2, 2)),
            pl.when(digits.str.len_chars() >= 6).then("." + digits.str.slice(4, 2)),
            pl.when(digits.str.len_chars() >= 10).then("." + digits.str.slice(6, 4)),
        ],
        ignore_nulls=True,
    )
    return pl.when(ok).then(dotted).otherwise(pl.lit(None, dtype=pl.String))


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


def targets_import(*, by: User, path: str | Path) -> TargetsResult:
    """Import baselines and targets (see the module's docstring)."""
    require_perm(by, IMPORT)
    require_perm(by, CHANGE)
    frame = _read(path)
    scope = scope_for(by)
    indicators = pl.DataFrame(
        list(Indicator.objects.values_list("code", "pk")),
        schema={"indicator": pl.String, "indicator_id": pl.Int64},
        orient="row",
    )
    typed = frame.with_columns(
        pl.col("indicator").str.to_lowercase(),
        _code("area").alias("area_code"),
        pl.col("year").cast(pl.Int64, strict=False).alias("year_n"),
        _figure("baseline").alias("baseline_n"),
        _figure("target").alias("target_n"),
    ).join(indicators, on="indicator", how="left")
    codes = typed["area_code"].drop_nulls().unique().to_list()
    known = set(Area.objects.filter(code__in=codes).values_list("code", flat=True))
    covered = {c for c in known if scope.covers(c)}  # a few areas per file
    typed = typed.with_columns(
        pl.col("area_code").is_in(list(known)).alias("known"),
        pl.col("area_code").is_in(list(covered)).alias("covered"),
    )
    key = [pl.col("indicator"), pl.col("area_code").fill_null(""), pl.col("year_n")]
    first_of_key = pl.col(ROW).min().over(key) == pl.col(ROW)
    checks: dict[str, list[tuple[pl.Expr, str]]] = {
        "indicator": [
            (pl.col("indicator").is_null(), _("required")),
            (pl.col("indicator_id").is_null(), _("unknown indicator code")),
        ],
        "area": [
            (
                pl.col("area").is_null() & pl.lit(not scope.national),
                _("a national row (empty area) needs a national scope"),
            ),
            (
                pl.col("area").is_not_null() & pl.col("area_code").is_null(),
                _("not an area code (for example 73.71 or 7371)"),
            ),
            (pl.col("area").is_not_null() & ~pl.col("known"), _("unknown area code")),
            (pl.col("area").is_not_null() & ~pl.col("covered"), _("outside your area")),
        ],
        "year": [
            (pl.col("year").is_null(), _("required")),
            (
                pl.col("year_n").is_null() | ~pl.col("year_n").is_between(1990, 2100),
                _("a year such as 2026"),
            ),
            (~first_of_key, _("the same indicator, area and year is on an earlier row")),
        ],
        "baseline": [
            (
                pl.col("baseline").is_not_null() & pl.col("baseline_n").is_null(),
                _("a number (at most two decimals)"),
            ),
            (
                pl.col("baseline").is_null() & pl.col("target").is_null(),
                _("a baseline or a target is needed"),
            ),
        ],
        "target": [
            (
                pl.col("target").is_not_null() & pl.col("target_n").is_null(),
                _("a number (at most two decimals)"),
            )
        ],
        "source": [
            (pl.col("source").str.len_chars() > 300, _("at most 300 characters")),
        ],
    }
    errors = cell_errors(typed, checks)
    good = typed.join(errors.select(pl.col("row").alias(ROW)).unique(), on=ROW, how="anti")
    existing = {
        (t.indicator_id, t.area_id or "", t.year): t
        for t in IndicatorTarget.objects.filter(
            indicator_id__in=good["indicator_id"].unique().to_list()
        )
    }
    new, changed, unchanged = [], [], 0
    for row in good.iter_rows(named=True):  # builds objects; the writes are two bulk queries
        baseline = Decimal(row["baseline_n"]) if row["baseline_n"] is not None else None
        target = Decimal(row["target_n"]) if row["target_n"] is not None else None
        source = row["source"] or ""
        old = existing.get((row["indicator_id"], row["area_code"] or "", row["year_n"]))
        if old is None:
            new.append(
                IndicatorTarget(
                    indicator_id=row["indicator_id"],
                    area_id=row["area_code"],
                    year=row["year_n"],
                    baseline=baseline,
                    target=target,
                    source=source,
                )
            )
        elif (old.baseline, old.target, old.source) == (baseline, target, source):
            unchanged += 1
        else:
            old.baseline, old.target, old.source = baseline, target, source
            changed.append(old)
    with transaction.atomic():
        IndicatorTarget.objects.bulk_create(new)
        IndicatorTarget.objects.bulk_update(changed, ["baseline", "target", "source"])
        audit_record(
            action="create",
            actor=by,
            object_type="monitoring.indicatortarget",
            detail={
                "file": Path(path).name,
                "rows": frame.height,
                "accepted": good.height,
                "created": len(new),
                "updated": len(changed),
                "rejected_rows": errors["row"].n_unique() if errors.height else 0,
            },
        )
    return TargetsResult(
        rows_read=frame.height,
        accepted=good.height,
        created=len(new),
        updated=len(changed),
        unchanged=unchanged,
        errors=errors,
    )
