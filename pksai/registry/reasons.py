"""Why a registry cell was rejected or flagged, in the reader's language.

The importer stores a stable *code* and its *params* (JSON) for every reported cell, never a
sentence: the error report file (row, column, value, kind, code, params) is written once, in
no language, and rendered with gettext whenever someone reads it — the Indonesian officer and
the English-speaking adviser see the same report in their own language. Rendering is done once
per distinct (code, params) and joined back (a report may hold a million cells).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from django.utils.translation import gettext_lazy as _

REJECTED = "rejected"  # the row is not imported
FLAGGED = "flagged"  # the row is imported; the cell is worth a look

REPORT_SCHEMA = {
    "row": pl.Int64,
    "column": pl.String,
    "value": pl.String,
    "kind": pl.String,
    "code": pl.String,
    "params": pl.String,
}
RENDERED_SCHEMA = {
    "row": pl.Int64,
    "column": pl.String,
    "value": pl.String,
    "kind": pl.String,
    "reason": pl.String,
}

# code → message with %(name)s params. Codes are stored in report files: never rename one.
REASONS: dict[str, Any] = {
    # --- cells ---
    "required": _("required value is empty"),
    "not_bool": _("expected yes or no"),
    "not_int": _("expected a whole number"),
    "out_of_range": _("out of range %(min)s–%(max)s"),
    "not_date": _("not a valid date (expected %(format)s)"),
    "date_future": _("date is in the future"),
    "date_too_early": _("implausible date: before %(min)s"),
    "age_too_high": _("implausible date: older than %(max)s years at the import date"),
    "digits_16": _("must be exactly 16 digits"),
    "number_cell": _(
        "stored as a number in the spreadsheet, which loses digits of a %(digits)s-digit "
        "number: format the column as text and export the file again"
    ),
    "village_digits": _("village code must have 10 digits"),
    "village_unknown": _("unknown village code"),
    "unknown_code": _("unknown code (allowed: %(allowed)s)"),
    "too_long": _("too long: %(length)s characters, at most %(max)s"),
    "duplicate": _("duplicate of row %(first)s"),
    "household_conflict": _(
        "differs from row %(first)s of the same household (%(kept)s); the household keeps "
        "that row's value"
    ),
    # --- whole lines (CSV) ---
    "line_too_many_fields": _(
        "the line has more fields than the header (an unquoted comma?); the line is skipped"
    ),
    "line_too_few_fields": _("the line has fewer fields than the header; the line is skipped"),
    "line_encoding": _(
        "the line has bytes that are not valid %(encoding)s text; the line is skipped (declare "
        "the file's encoding in the mapping, e.g. encoding: latin-1)"
    ),
    "line_quote": _("the line has an unclosed or misplaced quote; the line is skipped"),
    "line_unreadable": _("the line cannot be read; the line is skipped"),
    # --- header ---
    "unknown_column": _("column not in the exchange format: ignored"),
    "missing_column": _("optional column not in the file: empty for everyone"),
    # --- warnings on the whole import (Validated.warnings) ---
    "unknown_columns": _("columns not in the exchange format, ignored: %(columns)s"),
    "missing_columns": _("optional columns not in the file, empty for everyone: %(columns)s"),
    "household_conflicts": _(
        "%(cells)s household cells on %(rows)s rows differ from the household's first row "
        "(flagged household_conflict; the first row's values are kept)"
    ),
    "bad_lines": _("%(name)s: lines %(lines)s cannot be read (%(reason)s)"),
    "layout_used": _(
        "read as the national registry layout %(layout)s: its columns and codes were "
        "translated (docs/registry-editions.md)"
    ),
    # --- whole file (ExtractError) ---
    "file_unreadable": _("%(name)s: cannot be read (%(detail)s)"),
    "file_type": _("%(name)s: unsupported file type (use .csv, .xlsx or .parquet)"),
    "file_empty": _("%(name)s: no rows"),
    "file_encoding": _("unknown encoding %(encoding)s (use utf-8, latin-1 or utf-16)"),
    "missing_required": _("required columns missing from the file: %(columns)s"),
    "duplicate_headers": _("the file has two columns that mean the same (%(columns)s)"),
    "mapping_not_dict": _("%(name)s: a mapping file is a YAML dictionary"),
    "mapping_unknown_keys": _("%(name)s: unknown keys %(keys)s"),
    "mapping_unknown_columns": _("%(name)s: maps onto unknown columns %(columns)s"),
    "layout_unknown": _("unknown registry layout %(name)s (choose one of: %(allowed)s)"),
    "layout_and_mapping": _("choose either the layout %(layout)s or a mapping file, not both"),
    "not_resident": _("recorded as no longer living in the household (%(meaning)s): not imported"),
}
KIND_LABELS = {REJECTED: _("rejected"), FLAGGED: _("flagged")}


def render_reason(code: str, params: dict[str, Any] | None = None) -> str:
    """One reason in the active language (an unknown code is shown as it is)."""
    template = REASONS.get(code)
    if template is None:
        return code
    try:
        return str(template) % (params or {})
    except (KeyError, TypeError, ValueError):  # a translation dropped a param: still readable
        return str(template)


def params_json(**params: pl.Expr) -> pl.Expr:
    """The params of a reason as a JSON object, built column-wise (values as text)."""
    if not params:
        return pl.lit("{}")
    return pl.struct(**{k: v.cast(pl.String) for k, v in params.items()}).struct.json_encode()


def empty_report() -> pl.DataFrame:
    return pl.DataFrame(schema=REPORT_SCHEMA)


def write_error_report(report: pl.DataFrame, path: str | Path) -> None:
    """Write the report (row, column, value, kind, code, params) in no language. A frame of
    ready-made reasons (row, column, value, reason) is written as it is."""
    if "code" not in report.columns:
        report.write_csv(path)
        return
    report.select(list(REPORT_SCHEMA)).cast(REPORT_SCHEMA).write_csv(path)


def render_report(report: pl.DataFrame) -> pl.DataFrame:
    """(row, column, value, kind, code, params) → (row, column, value, kind, reason), the
    reason rendered in the active language once per distinct (code, params)."""
    if report.is_empty():
        return pl.DataFrame(schema=RENDERED_SCHEMA)
    distinct = report.select("code", "params").unique()
    reasons = [
        render_reason(code, json.loads(params) if params else {})
        for code, params in distinct.iter_rows()
    ]
    distinct = distinct.with_columns(pl.Series("reason", reasons, dtype=pl.String))
    return (
        report.join(distinct, on=["code", "params"], how="left", nulls_equal=True)
        .select(list(RENDERED_SCHEMA))
        .cast(RENDERED_SCHEMA)
        .sort("row", "column", maintain_order=True)
    )


def read_error_report(path: str | Path) -> pl.DataFrame:
    """A stored error report as (row, column, value, kind, reason) in the active language.
    Reports written before reasons were stored as codes (row, column, value, reason) are
    returned as they are, every cell rejected. ``path``: a local path, or the report's name in
    the shared ``imports`` storage (``ImportBatch.error_report``)."""
    if not Path(path).is_absolute() and not Path(path).is_file():
        from pksai.core import files

        with files.local_copy("imports", str(path)) as local:
            return read_error_report(local)
    frame = pl.read_csv(path, infer_schema=False)
    if "code" not in frame.columns:
        return (
            frame.with_columns(kind=pl.lit(REJECTED))
            .select(list(RENDERED_SCHEMA))
            .cast(RENDERED_SCHEMA)
        )
    return render_report(frame.cast(REPORT_SCHEMA))


def report_csv(rendered: pl.DataFrame) -> str:
    """The rendered report as the CSV people download: the kind in their language too."""
    kinds = {k: str(v) for k, v in KIND_LABELS.items()}
    from pksai.core.exports import csv_text

    return csv_text(rendered.with_columns(pl.col("kind").replace(kinds)))
