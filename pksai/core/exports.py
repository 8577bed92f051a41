"""Files people open in a spreadsheet: the one way every CSV and XLSX export is written.

A cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is
read by Excel, LibreOffice and Google Sheets as a formula when the file is opened: a child's
name typed as ``=HYPERLINK("http://…","click")`` in an intake form would become a live link
(or worse, a DDE command) in the office that downloads the list. So, following the OWASP
guidance on CSV injection:

- **CSV**: a text cell starting with one of those characters gets a single quote in front
  (``'=HYPERLINK(…)``); the spreadsheet shows it as text. Numbers and dates are written as
  they are — a negative amount stays ``-5000``, not text. ``restore()`` undoes the quote for
  files that come back in (the provider directory re-imports its own export).
- **XLSX**: text is written as a string cell, never as a formula or a hyperlink
  (``workbook()`` turns xlsxwriter's ``strings_to_formulas`` / ``strings_to_urls`` off), so
  the text keeps its exact value; numbers and dates stay number and date cells.

Every export in PKSAI goes through ``csv_text`` / ``csv_bytes`` / ``csv_rows`` /
``workbook`` / ``xlsx_bytes`` (decision 0018); ``pksai/core/tests/test_exports.py`` walks
them all with such names.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

import polars as pl
import xlsxwriter

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
_LEAD_PATTERN = r"^([=+\-@\t\r])"
_QUOTED_PATTERN = r"^'([=+\-@\t\r])"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WORKBOOK_OPTIONS = {
    "in_memory": True,
    "strings_to_formulas": False,  # text is text: "=SUM(A1)" stays a string cell
    "strings_to_urls": False,  # no live links from data either
    "strings_to_numbers": False,  # a NIK or a phone stays text
    "nan_inf_to_errors": True,
}
_TEXT_TYPES = (pl.String, pl.Categorical, pl.Enum)


SIGNS_ALONE = ("-", "+")  # a lone dash ("no address") is no formula: kept as it is


def safe_text(value: str) -> str:
    """``value`` with a single quote in front when a spreadsheet would read it as a formula."""
    if value.startswith(FORMULA_LEADS) and value not in SIGNS_ALONE:
        return "'" + value
    return value


def safe_cell(value: Any) -> Any:
    """A cell for a CSV row: text neutralised, everything else (numbers, dates) unchanged."""
    return safe_text(value) if isinstance(value, str) else value


def safe_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every text column neutralised; number and date columns untouched."""
    text = [name for name, dtype in frame.schema.items() if isinstance(dtype, _TEXT_TYPES)]
    if not text:
        return frame
    return frame.with_columns(
        pl.when(pl.col(name).is_in(SIGNS_ALONE))
        .then(pl.col(name).cast(pl.String))
        .otherwise(pl.col(name).cast(pl.String).str.replace(_LEAD_PATTERN, "'${1}"))
        .alias(name)
        for name in text
    )


def restore(expr: pl.Expr) -> pl.Expr:
    """The text of a cell as it was before ``safe_text`` (for files that come back in)."""
    return expr.str.replace(_QUOTED_PATTERN, "${1}")


def csv_text(frame: pl.DataFrame, **options: Any) -> str:
    """``frame`` as CSV text (one header row), text cells neutralised."""
    return safe_frame(frame).write_csv(**options)


def csv_bytes(frame: pl.DataFrame, **options: Any) -> bytes:
    """``frame`` as UTF-8 CSV, text cells neutralised."""
    return csv_text(frame, **options).encode("utf-8")


def csv_rows(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    """A header and rows (as Python values) as CSV text, text cells neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(v) for v in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()


def workbook(target: Any) -> xlsxwriter.Workbook:
    """An xlsxwriter workbook (use it in ``with``) that writes text as string cells only."""
    return xlsxwriter.Workbook(target, WORKBOOK_OPTIONS)


def xlsx_bytes(frame: pl.DataFrame, *, worksheet: str = "Sheet1", **options: Any) -> bytes:
    """``frame`` as a one-sheet XLSX: text as string cells, numbers and dates as such."""
    buffer = io.BytesIO()
    with workbook(buffer) as book:
        sheet = book.add_worksheet(worksheet[:31] or "Sheet1")
        frame.write_excel(workbook=book, worksheet=sheet.name, **options)
    return buffer.getvalue()
