"""Reading back what a spreadsheet program would see in our CSV and XLSX exports.

``xlsx_cells`` reads the sheet XML itself (no spreadsheet library needed): for every cell its
type as stored (``s`` shared string, ``inlineStr``, ``n`` number, ``b``, ``e``, ``str``
formula result) and whether it holds a formula (an ``<f>`` element) — the thing an export must
never write from data."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "@SUM(A1)", "-2+3"]
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Cell:
    ref: str
    type: str  # "s" / "inlineStr" text, "n" number, "str" a formula's text result, …
    formula: str | None
    value: str | None

    @property
    def is_text(self) -> bool:
        return self.type in {"s", "inlineStr"} and self.formula is None


def xlsx_cells(content: bytes, sheet: int = 1) -> list[Cell]:
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        shared: list[str] = []
        if "xl/sharedStrings.xml" in book.namelist():
            root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))  # noqa: S314 (our own file)
            for item in root.findall("m:si", NS):
                shared.append("".join(t.text or "" for t in item.iter(f"{{{NS['m']}}}t")))
        root = ElementTree.fromstring(book.read(f"xl/worksheets/sheet{sheet}.xml"))  # noqa: S314
    cells = []
    for c in root.iter(f"{{{NS['m']}}}c"):
        kind = c.get("t", "n")
        formula = c.find("m:f", NS)
        v = c.find("m:v", NS)
        value = v.text if v is not None else None
        if kind == "s" and value is not None:
            value = shared[int(value)]
        elif kind == "inlineStr":
            value = "".join(t.text or "" for t in c.iter(f"{{{NS['m']}}}t"))
        cells.append(Cell(c.get("r"), kind, None if formula is None else formula.text, value))
    return cells


def assert_xlsx_safe(content: bytes, expected: list[str] = HOSTILE, sheet: int = 1) -> list[Cell]:
    """No cell of the sheet is a formula, and each of ``expected`` is a text cell holding exactly
    that text."""
    cells = xlsx_cells(content, sheet)
    formulas = [c for c in cells if c.formula is not None]
    assert not formulas, f"formula cells in the export: {formulas}"
    by_value = {c.value: c for c in cells}
    for text in expected:
        assert text in by_value, f"{text!r} not in the sheet"
        assert by_value[text].is_text, by_value[text]
    return cells


def csv_cells(content: bytes | str) -> list[list[str]]:
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def assert_csv_safe(content: bytes | str, expected: list[str] = HOSTILE) -> list[list[str]]:
    """No cell but a number starts with a formula character; each of ``expected`` is there
    quoted."""
    rows = csv_cells(content)
    cells = [cell for row in rows for cell in row]
    live = [
        cell
        for cell in cells
        if cell.startswith(FORMULA_LEADS) and not _number(cell) and cell not in ("-", "+")
    ]
    assert not live, f"formula-leading cells in the CSV: {live}"
    for text in expected:
        assert "'" + text in cells, f"{text!r} not quoted in the CSV"
    return rows


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
