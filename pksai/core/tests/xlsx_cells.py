"""What tests need to read the cells of an XLSX workbook without a spreadsheet library: per
sheet (by name), each cell's value — a float for a number cell, a str for a text cell — and
its number format ("#,##0", "0.0%", "General"). Reads the Office Open XML parts xlsxwriter
writes (shared strings, inline strings, the styles' cellXfs and numFmts)."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree as ET  # noqa: S405  (our own test files)

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "p": "http://schemas.openxmlformats.org/package/2006/relationships",
}
BUILT_IN = {0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%"}


@dataclass(frozen=True)
class Cell:
    value: float | str | None
    number_format: str

    @property
    def is_number(self) -> bool:
        return isinstance(self.value, float)


def _text(node) -> str:
    return "".join(t.text or "" for t in node.iter(f"{{{NS['m']}}}t"))


def column_row(ref: str) -> tuple[str, int]:
    match = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    assert match, ref
    return match.group(1), int(match.group(2))


def read_cells(data: bytes) -> dict[str, dict[str, Cell]]:
    """Sheet name → cell reference ("B7") → Cell."""
    book = zipfile.ZipFile(io.BytesIO(data))
    parse = lambda name: ET.fromstring(book.read(name))  # noqa: E731, S314
    shared = []
    if "xl/sharedStrings.xml" in book.namelist():
        shared = [_text(si) for si in parse("xl/sharedStrings.xml").findall("m:si", NS)]
    styles = parse("xl/styles.xml")
    custom = {
        int(f.get("numFmtId")): f.get("formatCode")
        for f in styles.findall("m:numFmts/m:numFmt", NS)
    }
    formats = [
        custom.get(int(xf.get("numFmtId", 0)), BUILT_IN.get(int(xf.get("numFmtId", 0)), "?"))
        for xf in styles.findall("m:cellXfs/m:xf", NS)
    ]
    rels = {
        rel.get("Id"): rel.get("Target")
        for rel in parse("xl/_rels/workbook.xml.rels").findall("p:Relationship", NS)
    }
    out: dict[str, dict[str, Cell]] = {}
    for sheet in parse("xl/workbook.xml").findall("m:sheets/m:sheet", NS):
        target = rels[sheet.get(f"{{{NS['r']}}}id")].lstrip("/")
        path = target if target.startswith("xl/") else f"xl/{target}"
        cells: dict[str, Cell] = {}
        for c in parse(path).iter(f"{{{NS['m']}}}c"):
            kind, v = c.get("t", "n"), c.find("m:v", NS)
            if kind == "s":
                value: float | str | None = shared[int(v.text)]
            elif kind == "inlineStr":
                value = _text(c)
            elif kind == "str":
                value = v.text if v is not None else ""
            else:
                value = float(v.text) if v is not None else None
            cells[c.get("r")] = Cell(value, formats[int(c.get("s", 0))])
        out[sheet.get("name")] = cells
    return out


def find(cells: dict[str, Cell], text: str) -> str:
    """The reference of the first cell whose text is ``text``."""
    for ref, cell in cells.items():
        if cell.value == text:
            return ref
    raise AssertionError(f"no cell {text!r}")


def beside(cells: dict[str, Cell], ref: str, columns: int = 1, rows: int = 0) -> Cell:
    column, row = column_row(ref)
    index = 0
    for char in column:
        index = index * 26 + ord(char) - 64
    index += columns
    name = ""
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return cells.get(f"{name}{row + rows}", Cell(None, "General"))
