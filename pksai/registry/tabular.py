"""What every spreadsheet import shares: reading a CSV/XLSX upload into text columns with
normalised headers and spreadsheet row numbers, and the counts an import reports (the
rejected cells as a frame: row, column, value, reason). Registry extracts have their own,
larger reader (pksai/registry/importer.py), which this builds on."""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from django.utils.translation import gettext as _

from pksai.core.exports import csv_text
from pksai.registry.importer import (
    ERROR_SCHEMA,
    LINE_ERROR,
    LINE_PARAMS,
    ROW,
    ExtractError,
    read_extract,
)
from pksai.registry.reasons import render_reason

SPREADSHEETS = (".csv", ".xlsx")


def normalised_headers(frame: pl.DataFrame) -> pl.DataFrame:
    """Header names as our column names: lower case, '_' for spaces and dashes, no BOM."""
    renames = {
        c: c.replace("\ufeff", "").strip().lower().replace(" ", "_").replace("-", "_")
        for c in frame.columns
        if not c.startswith("__")
    }
    if len(set(renames.values())) != len(renames):
        raise ExtractError(_("the file has two columns of the same name"))
    return frame.rename(renames)


def read_table(
    path: str | Path | None = None, *, upload: Any = None, file_name: str = ""
) -> tuple[pl.DataFrame, str]:
    """A CSV or XLSX file (a path, or an uploaded file object) as text columns with
    normalised headers and the spreadsheet row number; the file's name. ExtractError when the
    file cannot be used at all (nothing is imported)."""
    name = Path(path).name if path is not None else (file_name or getattr(upload, "name", ""))
    suffix = Path(name or "upload.csv").suffix.lower()
    if suffix not in SPREADSHEETS:
        raise ExtractError(
            _("%(name)s: unsupported file type (use .csv or .xlsx)") % {"name": name}
        )
    if path is not None:
        return _text_only(read_extract(path), name), name
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        if hasattr(upload, "chunks"):
            for chunk in upload.chunks():
                tmp.write(chunk)
        else:
            shutil.copyfileobj(upload, tmp)
        tmp.flush()
        return _text_only(read_extract(tmp.name), name), name


def _text_only(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """The text columns and row number of a read file, headers normalised. These imports keep
    a file whole: a CSV line that cannot be read fails the file, naming the lines."""
    if LINE_ERROR in frame.columns:
        bad = frame.filter(pl.col(LINE_ERROR).is_not_null())
        if bad.height:
            first = bad.row(0, named=True)
            lines = ", ".join(str(r) for r in bad[ROW].head(10).to_list())
            raise ExtractError(
                code="bad_lines",
                params={
                    "name": name,
                    "lines": lines + (" …" if bad.height > 10 else ""),
                    "reason": render_reason(
                        first[LINE_ERROR], json.loads(first[LINE_PARAMS] or "{}")
                    ),
                },
            )
    frame = frame.select(c for c in frame.columns if c == ROW or not c.startswith("__"))
    return normalised_headers(frame)


@dataclass
class ImportCounts:
    rows_read: int
    accepted: int
    created: int
    updated: int
    unchanged: int
    errors: pl.DataFrame  # row, column, value, reason — one row per rejected cell

    @property
    def rejected(self) -> int:
        return self.errors["row"].n_unique() if self.errors.height else 0

    def summary(self) -> dict[str, int]:
        return {
            "rows_read": self.rows_read,
            "accepted": self.accepted,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


def cell_errors(frame: pl.DataFrame, checks: dict[str, list[tuple[pl.Expr, str]]]) -> pl.DataFrame:
    """The rejected cells of ``frame``: for each column, the reason of its first failing
    check (row, column, value as typed, reason)."""
    parts = []
    for column, column_checks in checks.items():
        reason = pl.lit(None, dtype=pl.String)
        for failed, why in reversed(column_checks):
            reason = pl.when(failed.fill_null(False)).then(pl.lit(why)).otherwise(reason)
        parts.append(
            frame.select(
                pl.col(ROW).alias("row"),
                pl.lit(column).alias("column"),
                pl.col(column).alias("value"),
                reason.alias("reason"),
            ).filter(pl.col("reason").is_not_null())
        )
    if not parts:
        return pl.DataFrame(schema=ERROR_SCHEMA)
    return pl.concat([p.cast(ERROR_SCHEMA) for p in parts]).sort("row", "column")


def write_import_report(
    command: Any, file: str, result: ImportCounts, errors_path: str | None, rejected_csv=None
) -> None:
    """What an import command prints: the counts, then the rejected cells (row, column, value,
    reason) — on the console, or to ``errors_path`` as CSV (``rejected_csv()`` when the
    import writes whole rejected rows instead of cells)."""
    summary = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in result.summary().items())
    command.stdout.write(command.style.SUCCESS(f"{Path(file).name}: {summary}."))
    if not result.rejected:
        return
    if errors_path:
        text = rejected_csv() if rejected_csv else csv_text(result.errors)
        Path(errors_path).write_text(text, encoding="utf-8")
        command.stdout.write(f"Rejected cells (with their reasons): {errors_path}")
        return
    command.stdout.write("Rejected cells (row, column, value, reason):")
    for e in result.errors.iter_rows(named=True):
        command.stdout.write(f"  {e['row']}\t{e['column']}\t{e['value'] or ''}\t{e['reason']}")
