"""Reading and validating registry extracts — pure Polars, no database, one pass per column.

`read_extract` → `apply_mapping` → `validate` gives the typed good rows, the rejected cells
(row, column, value, reason) and data-quality flags. Row numbers are the file's line numbers
(the header is line 1, so the first person is row 2); for Parquet, the record number + 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import yaml

from pksai.registry.codes import (
    COLUMNS,
    FALSE_WORDS,
    HOUSEHOLD_COLUMNS,
    REQUIRED,
    TRUE_WORDS,
    Column,
)

ROW = "__row"
ERROR_SCHEMA = {"row": pl.Int64, "column": pl.String, "value": pl.String, "reason": pl.String}


class ExtractError(Exception):
    """The file cannot be read as an extract at all (nothing is imported)."""


@dataclass(frozen=True)
class Mapping:
    """An office's own headers and codes → ours. YAML:

    columns: {NIK: nik, JNS_KEL: sex, IDBDT: household_id}
    values: {sex: {"1": M, "2": F}}
    date_format: "%d-%m-%Y"
    """

    columns: dict[str, str]
    values: dict[str, dict[str, str]]
    date_format: str = "%Y-%m-%d"

    @classmethod
    def load(cls, path: str | Path | None) -> Mapping:
        if not path:
            return cls(columns={}, values={})
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ExtractError(f"{path}: a mapping file is a YAML dictionary")
        unknown = set(data) - {"columns", "values", "date_format"}
        if unknown:
            raise ExtractError(f"{path}: unknown keys {sorted(unknown)}")
        ours = {c.name for c in COLUMNS}
        columns = {str(k): str(v) for k, v in (data.get("columns") or {}).items()}
        bad = sorted(set(columns.values()) - ours) + sorted(set(data.get("values") or {}) - ours)
        if bad:
            raise ExtractError(f"{path}: maps onto unknown columns {bad}")
        values = {
            str(col): {str(k): str(v) for k, v in codes.items()}
            for col, codes in (data.get("values") or {}).items()
        }
        return cls(columns, values, str(data.get("date_format") or "%Y-%m-%d"))

    def as_dict(self) -> dict[str, Any]:
        return {"columns": self.columns, "values": self.values, "date_format": self.date_format}


def read_extract(path: str | Path) -> pl.DataFrame:
    """Every column as text, plus the row number."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in {".csv", ".txt"}:
            frame = pl.read_csv(path, infer_schema=False, encoding="utf8")
        elif suffix == ".parquet":
            frame = pl.read_parquet(path)
            frame = frame.select(pl.all().cast(pl.String))
        elif suffix in {".xlsx", ".xlsm"}:
            frame = pl.read_excel(path, infer_schema_length=0)
            frame = frame.select(pl.all().cast(pl.String))
        else:
            raise ExtractError(f"{path.name}: unsupported file type (use .csv, .xlsx or .parquet)")
    except ExtractError:
        raise
    except Exception as exc:  # a corrupt or non-UTF-8 file: say so, import nothing
        raise ExtractError(f"{path.name}: cannot be read ({exc})") from exc
    return frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))


def apply_mapping(frame: pl.DataFrame, mapping: Mapping) -> pl.DataFrame:
    renamed = frame.rename({k: v for k, v in mapping.columns.items() if k in frame.columns})
    ours = [c.name for c in COLUMNS]
    missing_required = [c for c in REQUIRED if c not in renamed.columns]
    if missing_required:
        raise ExtractError(f"required columns missing from the file: {', '.join(missing_required)}")
    present = [c for c in ours if c in renamed.columns]
    frame = renamed.select(
        ROW,
        *[pl.col(c).str.strip_chars() for c in present],
        *[pl.lit(None, dtype=pl.String).alias(c) for c in ours if c not in present],
    )
    frame = frame.with_columns(
        [pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in ours]
    )
    if mapping.values:
        frame = frame.with_columns(
            pl.col(col).replace(codes) for col, codes in mapping.values.items()
        )
    return frame


def typed_expr(column: Column, date_format: str) -> pl.Expr:
    """The text column converted to the type the column holds (invalid → null)."""
    raw = pl.col(column.name)
    match column.kind:
        case "bool":
            low = raw.str.to_lowercase()
            return (
                pl.when(low.is_in(TRUE_WORDS))
                .then(True)
                .when(low.is_in(FALSE_WORDS))
                .then(False)
                .otherwise(None)
            )
        case "int":
            return raw.cast(pl.Int64, strict=False)
        case "date":
            return raw.str.to_date(date_format, strict=False)
        case "village":
            digits = raw.str.replace_all(".", "", literal=True)
            return pl.concat_str(
                digits.str.slice(0, 2),
                digits.str.slice(2, 2),
                digits.str.slice(4, 2),
                digits.str.slice(6, 4),
                separator=".",
            )
        case "codes":
            return raw.str.to_lowercase().str.replace_all(" ", "", literal=True)
        case "code" if column.name != "sex":
            return raw.str.to_lowercase()
        case "code":
            return raw.str.to_uppercase()
        case _:
            return raw


def _reason(column: Column, typed: pl.Expr, today: date, villages: pl.Series) -> pl.Expr:
    """Null where the value is fine, else why not."""
    raw = pl.col(column.name)
    present = raw.is_not_null()
    checks: list[tuple[pl.Expr, pl.Expr]] = []
    if column.required:
        checks.append((~present, pl.lit("required value is empty")))
    match column.kind:
        case "bool":
            checks.append((present & typed.is_null(), pl.lit("expected yes or no")))
        case "int":
            checks.append((present & typed.is_null(), pl.lit("expected a whole number")))
            if column.min_value is not None:
                checks.append(
                    (
                        typed.is_not_null() & ~typed.is_between(column.min_value, column.max_value),
                        pl.lit(f"out of range {column.min_value}–{column.max_value}"),
                    )
                )
        case "date":
            checks.append((present & typed.is_null(), pl.lit("not a valid date")))
            checks.append((typed > pl.lit(today), pl.lit("date is in the future")))
        case "nik" | "kk":
            checks.append(
                (present & ~raw.str.contains(r"^\d{16}$"), pl.lit("must be exactly 16 digits"))
            )
        case "village":
            digits_ok = raw.str.replace_all(".", "", literal=True).str.contains(r"^\d{10}$")
            checks.append((present & ~digits_ok, pl.lit("village code must have 10 digits")))
            checks.append(
                (
                    present & digits_ok & ~typed.is_in(villages.implode()),
                    pl.lit("unknown village code"),
                )
            )
        case "code":
            allowed = ", ".join(column.codes)
            checks.append(
                (present & ~typed.is_in(column.codes), pl.lit(f"unknown code (allowed: {allowed})"))
            )
        case "codes":
            parts = typed.str.split(";").list.eval(pl.element().filter(pl.element() != ""))
            bad = parts.list.eval(~pl.element().is_in(column.codes)).list.any()
            allowed = ", ".join(column.codes)
            checks.append((present & bad, pl.lit(f"unknown code (allowed: {allowed})")))
    expr = pl.lit(None, dtype=pl.String)
    for failed, why in reversed(checks):
        expr = pl.when(failed).then(why).otherwise(expr)
    return expr


@dataclass
class Validated:
    good: pl.DataFrame  # typed, one row per accepted person, with ROW and dq_flags
    errors: pl.DataFrame  # row, column, value, reason (one row per bad cell)
    rows_read: int

    @property
    def rejected_rows(self) -> int:
        return self.errors["row"].n_unique() if self.errors.height else 0


def validate(
    frame: pl.DataFrame, *, villages: pl.Series, today: date, date_format: str = "%Y-%m-%d"
) -> Validated:
    typed = frame.with_columns([typed_expr(c, date_format).alias(f"__t_{c.name}") for c in COLUMNS])
    reasons = typed.with_columns(
        [
            _reason(c, pl.col(f"__t_{c.name}"), today, villages).alias(f"__r_{c.name}")
            for c in COLUMNS
        ]
    )
    cell_errors = [
        reasons.filter(pl.col(f"__r_{c.name}").is_not_null()).select(
            pl.col(ROW).alias("row"),
            pl.lit(c.name).alias("column"),
            pl.col(c.name).alias("value"),
            pl.col(f"__r_{c.name}").alias("reason"),
        )
        for c in COLUMNS
    ]
    # Duplicate person keys in the file: the first occurrence stays, later ones are rejected.
    key = ["household_id", "person_id"]
    duplicates = (
        frame.with_columns(pl.col(ROW).min().over(key).alias("__first"))
        .filter(pl.col(ROW) != pl.col("__first"))
        .select(
            pl.col(ROW).alias("row"),
            pl.lit("person_id").alias("column"),
            pl.concat_str(pl.col("household_id"), pl.col("person_id"), separator="/").alias(
                "value"
            ),
            pl.concat_str(pl.lit("duplicate of row "), pl.col("__first").cast(pl.String)).alias(
                "reason"
            ),
        )
    )
    errors = (
        pl.concat([*cell_errors, duplicates], how="vertical")
        .cast(ERROR_SCHEMA)
        .sort("row", "column")
    )

    good = (
        typed.join(errors.select(pl.col("row").alias(ROW)).unique(), on=ROW, how="anti")
        .select(ROW, *[pl.col(f"__t_{c.name}").alias(c.name) for c in COLUMNS])
        .pipe(_with_quality_flags)
    )
    return Validated(good=good, errors=errors, rows_read=frame.height)


def _with_quality_flags(frame: pl.DataFrame) -> pl.DataFrame:
    """NIK problems are flagged, not rejected: people move, and registries are imperfect."""
    nik = pl.col("nik")
    day = nik.str.slice(6, 2).cast(pl.Int32, strict=False)
    is_female_code = day > 40
    nik_birth = pl.concat_str(
        (pl.when(is_female_code).then(day - 40).otherwise(day)).cast(pl.String).str.zfill(2),
        nik.str.slice(8, 2),
        nik.str.slice(10, 2),
    )
    flags = {
        "nik_missing": nik.is_null(),
        "nik_region_mismatch": nik.is_not_null()
        & (
            nik.str.slice(0, 6)
            != pl.col("village_code").str.replace_all(".", "", literal=True).str.slice(0, 6)
        ),
        "nik_birthdate_mismatch": nik.is_not_null()
        & (nik_birth != pl.col("birth_date").dt.strftime("%d%m%y")),
        "nik_sex_mismatch": nik.is_not_null() & (is_female_code != (pl.col("sex") == "F")),
        "nik_duplicate": nik.is_not_null() & (pl.len().over("nik") > 1),
    }
    return frame.with_columns(
        pl.concat_str(
            [pl.when(cond).then(pl.lit(name)) for name, cond in flags.items()],
            separator=";",
            ignore_nulls=True,
        ).alias("dq_flags")
    )


def stable_hash(frame: pl.DataFrame, columns: list[str], *, key: bool = False) -> pl.Series:
    """A content hash that does not change between library versions, computed in DuckDB:
    16 hex digits of md5 (change detection), or with ``key`` the full SHA-256 (a unique key,
    e.g. of a payer's return row)."""
    text = frame.select(
        pl.concat_str(
            [pl.col(c).cast(pl.String).fill_null("\u2400") for c in columns], separator="\u241f"
        ).alias("payload")
    )
    digest = "sha256(payload)" if key else "substr(md5(payload), 1, 16)"
    with duckdb.connect() as con:
        con.register("rows", text)
        return con.sql(f"SELECT {digest} AS h FROM rows").pl()["h"]  # noqa: S608 (ours)


HOUSEHOLD_FIELDS = [c for c in HOUSEHOLD_COLUMNS if c not in {"household_id", "village_code"}]
