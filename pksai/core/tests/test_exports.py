"""The one export helper (pksai.core.exports): text that a spreadsheet would run as a formula
is quoted in CSV and written as a string cell in XLSX; numbers and dates stay what they are.
Each export using it has its own test in its app (search for ``assert_csv_safe``)."""

from datetime import date

import polars as pl

from pksai.core import exports, reports
from pksai.core.tests.spreadsheet import (
    HOSTILE,
    assert_csv_safe,
    assert_xlsx_safe,
    csv_cells,
    xlsx_cells,
)


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "name": [*HOSTILE, "\tTab", "\rReturn", "Siti", "http://example.org", None],
            "amount": [-5000, 1, 2, 3, 4, 5, 6, 7, 8],
            "ratio": [-0.5, 1.5, 0.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
            "day": [date(2026, 2, 1)] * 9,
        }
    )


def test_safe_text_quotes_every_formula_lead_and_nothing_else():
    for lead in ("=", "+", "-", "@", "\t", "\r"):
        assert exports.safe_text(lead + "1") == "'" + lead + "1"
    assert exports.safe_text("Siti Aminah") == "Siti Aminah"
    assert exports.safe_text("'=quoted already") == "'=quoted already"
    assert exports.safe_cell(-5) == -5
    assert exports.safe_cell(None) is None


def test_csv_quotes_text_and_keeps_numbers_and_dates():
    rows = assert_csv_safe(exports.csv_bytes(_frame()))
    assert rows[0] == ["name", "amount", "ratio", "day"]
    assert rows[1] == ["'" + HOSTILE[0], "-5000", "-0.5", "2026-02-01"]
    assert rows[5][0] == "'\tTab"
    assert rows[7][0] == "Siti"


def test_csv_rows_quotes_text_and_keeps_numbers():
    text = exports.csv_rows(["name", "n"], [["=1+1", -3], ["Budi", None]])
    assert csv_cells(text) == [["name", "n"], ["'=1+1", "-3"], ["Budi", ""]]


def test_restore_reads_a_quoted_cell_back():
    frame = pl.DataFrame({"t": ["'+62 811", "'=x", "'plain", "x"]})
    assert frame.select(exports.restore(pl.col("t")))["t"].to_list() == [
        "+62 811",
        "=x",
        "'plain",
        "x",
    ]


def test_xlsx_writes_text_as_strings_numbers_as_numbers():
    cells = assert_xlsx_safe(exports.xlsx_bytes(_frame(), worksheet="w"))
    by_ref = {c.ref: c for c in cells}
    assert by_ref["B2"].type == "n" and by_ref["B2"].value == "-5000"
    assert by_ref["C2"].type == "n" and float(by_ref["C2"].value) == -0.5
    assert by_ref["D2"].type == "n"  # a date is a number with a date format
    assert by_ref["A9"].is_text and by_ref["A9"].value == "http://example.org"


def test_an_xlsxwriter_sheet_from_the_helper_never_makes_formulas():
    import io

    buffer = io.BytesIO()
    with exports.workbook(buffer) as book:
        sheet = book.add_worksheet("x")
        for row, text in enumerate(HOSTILE):
            sheet.write(row, 0, text)  # plain write(): would be a formula with the defaults
    assert_xlsx_safe(buffer.getvalue())


def test_report_table_downloads_are_safe():
    table = reports.Table(
        columns=[("label", "Label"), ("n", "Count")],
        rows=[[text, -i] for i, text in enumerate(HOSTILE)],
        total=["Total", 6],
    )
    rows = assert_csv_safe(reports.table_file(table, "csv", sheet="t"))
    assert rows[2] == ["'+1+1", "-1"]
    cells = assert_xlsx_safe(reports.table_file(table, "xlsx", sheet="t"))
    assert {c.ref: c for c in cells}["B3"].type == "n"
    assert len(xlsx_cells(reports.table_file(table, "xlsx", sheet="t"))) == 12


def test_a_lone_dash_stays_a_dash():
    assert exports.safe_text("-") == "-" and exports.safe_text("-x") == "'-x"
    rows = csv_cells(exports.csv_text(pl.DataFrame({"address": ["-", "+", "-1 Jl"]})))
    assert [r[0] for r in rows[1:]] == ["-", "+", "'-1 Jl"]
