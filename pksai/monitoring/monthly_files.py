"""The monthly (or quarterly) report as files: one PDF on the house's document builder
(core/pdf.py) and one XLSX workbook through the house's writer (core/exports.py: text as
string cells, decision 0018). Both are drawn from one ``monthly.MonthlyReport``.

PDF: a cover (area, period, edition, when and by whom), the summary (value, change, target
and the status in words), per indicator a bar chart of the last twelve months drawn with
fpdf2's own lines and rectangles (vector, no image library; a hidden month is a dash at the
axis, never a bar) and the table by the level below, the definitions, and the notes — the
suppression note on a publication copy.

XLSX: a summary sheet, one sheet per indicator (the trend and the table by area) and a
definitions sheet. Figures are number cells with number formats — percentages as 0.0 % (the
cell holds 0.571 for 57.1 %), counts as #,##0, averages as #,##0.0; a hidden figure is the
text "≤4" or "—".
"""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from pksai.core import exports as core_exports
from pksai.core.pdf import document, printed_at
from pksai.core.reports import pdf_cell
from pksai.monitoring.forms import GROUP_LABELS
from pksai.monitoring.models import Indicator
from pksai.monitoring.monthly import Month, MonthlyReport, Published, Section

BAR = (31, 111, 235)
AXIS = (120, 120, 120)
XLSX_FORMATS = {
    Indicator.Unit.COUNT: "#,##0",
    Indicator.Unit.PERCENT: "0.0%",
    Indicator.Unit.AVERAGE: "#,##0.0",
}
COUNT_FORMAT = "#,##0"
_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\']")


def _unit_suffix(indicator: Indicator) -> str:
    return " %" if indicator.unit == Indicator.Unit.PERCENT else ""


def _figure(value: Published, indicator: Indicator, *, signed: bool = False) -> str:
    """A published figure as text in the reader's format: "57,1 %", "+3", "≤4", "—"."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    text = pdf_cell(abs(value) if signed else value)
    if signed:
        text = ("+" if value > 0 else "−" if value < 0 else "±") + text
    return text + _unit_suffix(indicator)


def _goal(section: Section) -> str:
    goal = section.tile.goal
    if goal.target is None:
        return _("no target set")
    text = _figure(goal.target, section.indicator)
    return f"{text} ({goal.target_year})" if goal.target_year else text


def _change(section: Section) -> str:
    if not section.tile.dated:
        return _("figure for today")
    if section.change is None:
        return _("no earlier figure")
    return _figure(section.change, section.indicator, signed=True)


# --- PDF --------------------------------------------------------------------------------------


def _chart(pdf: Any, section: Section) -> None:
    """Bars for the trend months (height 38 mm), the value above each bar, the month
    below; a hidden month is its mark at the axis; the highest value on the axis."""
    months = section.months
    height, label_room = 38.0, 9.0
    if pdf.will_page_break(height + label_room + 8):
        pdf.add_page()
    indicator = section.indicator
    pdf.set_font(pdf.family, "", 8)
    pdf.set_text_color(60, 60, 60)
    pdf.multi_cell(
        0,
        4,
        _("%(name)s each month, %(first)s to %(last)s")
        % {"name": indicator.name, "first": months[0].month, "last": months[-1].month},
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_text_color(0, 0, 0)
    numbers = [float(m.value) for m in months if isinstance(m.value, int | Decimal)]
    top = max(numbers, default=0.0) or 1.0
    left, width = pdf.l_margin + 12, pdf.epw - 12
    base = pdf.y + height
    slot = width / len(months)
    pdf.set_draw_color(*AXIS)
    pdf.line(left, base, left + width, base)
    pdf.line(left, base - height, left, base)
    pdf.set_font(pdf.family, "", 6.5)
    pdf.text(pdf.l_margin, base - height + 2, _figure(Decimal(str(round(top, 1))), indicator))
    pdf.text(pdf.l_margin, base, "0")
    for index, month in enumerate(months):
        x = left + index * slot + slot * 0.15
        bar = slot * 0.7
        if isinstance(month.value, int | Decimal):
            tall = float(month.value) / top * (height - 5)
            if tall > 0:
                pdf.set_fill_color(*BAR)
                pdf.rect(x, base - tall, bar, tall, style="F")
            y = base - tall - 1
        else:  # hidden or no figure: no bar, its mark at the axis
            y = base - 1
        text = _figure(month.value, indicator)
        text_width = pdf.get_string_width(text)
        pdf.text(x + (bar - text_width) / 2, y, text)
        name = _month_label(index, month.month)
        pdf.text(x + (bar - pdf.get_string_width(name)) / 2, base + 3.5, name)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_y(base + label_room - 3)


def _summary_rows(report: MonthlyReport) -> list[list[str]]:
    return [
        [
            s.indicator.name,
            _figure(s.value, s.indicator),
            _change(s),
            _goal(s),
            s.status_label,
        ]
        for s in report.sections
    ]


def _month_label(index: int, month: str) -> str:
    """ "Mar" under a bar or over a column; "Jan 26" for January and the first month."""
    day = date(int(month[:4]), int(month[5:7]), 1)
    return formats.date_format(day, "M y" if index == 0 or day.month == 1 else "M")


def _trend_rows(section: Section) -> tuple[list[str], list[list[str]]]:
    """The months as columns (a row each for the numerator, the denominator and the value;
    a count's value is its numerator): three short rows instead of twelve long ones."""
    indicator = section.indicator
    months = section.months
    headings = ["", *(_month_label(i, m.month) for i, m in enumerate(months))]
    rows = []
    if indicator.denominator:
        rows.append([str(capfirst(section.definition["numerator"]))])
        rows[-1] += [pdf_cell(m.numerator) for m in months]
        rows.append([str(capfirst(section.definition["denominator"]))])
        rows[-1] += [pdf_cell(m.denominator) for m in months]
        rows.append([str(capfirst(indicator.get_unit_display()))])
    else:
        rows.append([str(capfirst(section.definition["numerator"]))])
    rows[-1] += [_figure(m.value, indicator) for m in months]
    return headings, rows


def report_pdf(report: MonthlyReport) -> bytes:
    pdf = document()
    # the cover
    pdf.ln(30)
    pdf.heading(report.period.title(), size=20)
    pdf.heading(report.area_name + (f" ({report.area})" if report.area else ""), size=15)
    pdf.heading(report.period.label(), size=13)
    pdf.ln(6)
    pdf.pairs(
        [
            (_("Area"), report.area_name),
            (_("Period"), f"{report.period.label()} ({report.period.code})"),
            (_("Edition"), report.edition()),
            (_("Generated at"), printed_at(report.generated_at)),
            (_("Generated by"), report.generated_by),
            (_("Indicators"), str(len(report.sections))),
        ]
    )
    for note in report.notes():
        pdf.paragraph(note, size=9, bold=report.publication)
    pdf.add_page()
    # the summary
    pdf.section(_("Summary"))
    pdf.data_table(
        [_("Indicator"), _("Value"), _("Change on the previous period"), _("Target"), _("Status")],
        _summary_rows(report),
        widths=[40, 14, 18, 16, 16],
        aligns=["L", "R", "R", "R", "L"],
        stripes=True,
    )
    pdf.paragraph(
        _(
            "Status in words: on target, close to target (within 10 %), off target. The "
            "change is against the period of the same length just before."
        ),
        size=8,
        grey=True,
    )
    # one section per indicator
    for section in report.sections:
        indicator = section.indicator
        pdf.section(indicator.name)
        pdf.pairs(
            [
                (_("Value"), _figure(section.value, indicator)),
                (_("Change on the previous period"), _change(section)),
                (_("Target"), _goal(section)),
                (_("Status"), section.status_label),
            ]
        )
        if section.months:
            _chart(pdf, section)
            headings, rows = _trend_rows(section)
            pdf.data_table(headings, rows, stripes=True)
        else:
            pdf.paragraph(
                _("A figure for today: this indicator has no monthly history."), size=8, grey=True
            )
        table = section.table
        pdf.paragraph(
            _("By %(group)s, %(period)s")
            % {"group": GROUP_LABELS[section.group], "period": report.period.label()},
            size=9,
            bold=True,
        )
        pdf.data_table(
            [str(capfirst(c)) for c in table.columns],
            [[pdf_cell(v) for v in row] for row in table.rows],
            total=[pdf_cell(v) for v in table.total] if table.total else None,
            stripes=True,
        )
    # definitions
    pdf.section(_("Definitions"))
    for section in report.sections:
        indicator = section.indicator
        pdf.paragraph(indicator.name, size=9, bold=True)
        pdf.pairs(_definition_pairs(section))
    pdf.section(_("Notes"))
    for note in report.notes():
        pdf.paragraph(note, size=9)
    return bytes(pdf.output())


def _period_words(section: Section) -> str:
    if section.definition["dated"]:
        return _("counted by the date of each record")
    if section.months:
        return _(
            "a figure for today; each month's figure as it stood at the month's end, rebuilt "
            "from enrolment and exit dates with today's facilitator assignments"
        )
    return _("a figure for today (no date)")


def _definition_pairs(section: Section) -> list[tuple[str, str]]:
    indicator, words = section.indicator, section.definition
    goal = section.tile.goal
    pairs = [
        (_("Formula"), str(words["formula"])),
        (_("Numerator"), str(words["numerator"])),
        (_("Denominator"), str(words["denominator"] or "—")),
        (_("Unit"), str(indicator.get_unit_display())),
        (_("Source"), section.source),
        (_("Period"), _period_words(section)),
    ]
    if indicator.sdg_target:
        pairs.append((_("SDG target"), indicator.sdg_target))
    if goal.source:
        pairs.append((_("Source of the target"), goal.source))
    return pairs


# --- XLSX -------------------------------------------------------------------------------------


def _sheet_name(name: str, taken: set[str]) -> str:
    base = _SHEET_UNSAFE.sub(" ", name).strip()[:28] or "Sheet"
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{base[:27]}~{n}"
    taken.add(candidate.lower())
    return candidate


class _Book:
    """The workbook and its number formats."""

    def __init__(self, buffer: io.BytesIO) -> None:
        self.book = core_exports.workbook(buffer)
        self.bold = self.book.add_format({"bold": True})
        self.title = self.book.add_format({"bold": True, "font_size": 13})
        self.heading = self.book.add_format(
            {"bold": True, "bg_color": "#E6E6E6", "text_wrap": True}
        )
        self.wrap = self.book.add_format({"text_wrap": True, "valign": "top"})
        self.count = self.book.add_format({"num_format": COUNT_FORMAT})
        self.count_bold = self.book.add_format({"num_format": COUNT_FORMAT, "bold": True})
        self.units = {
            unit: (
                self.book.add_format({"num_format": fmt}),
                self.book.add_format({"num_format": fmt, "bold": True}),
            )
            for unit, fmt in XLSX_FORMATS.items()
        }
        self.text_right = self.book.add_format({"align": "right"})

    def value(self, sheet, row: int, col: int, value: Published, unit: str, *, bold=False):
        """An indicator's figure: a number cell in the unit's format (a percentage as its
        fraction), a hidden one as text."""
        if value is None:
            sheet.write_blank(row, col, None)
        elif isinstance(value, str):
            sheet.write_string(row, col, value, self.text_right)
        else:
            number = float(value) / 100 if unit == Indicator.Unit.PERCENT else float(value)
            sheet.write_number(row, col, number, self.units[unit][int(bold)])

    def count_cell(self, sheet, row: int, col: int, value: Published, *, bold=False):
        if value is None:
            sheet.write_blank(row, col, None)
        elif isinstance(value, str):
            sheet.write_string(row, col, value, self.text_right)
        else:
            sheet.write_number(row, col, int(value), self.count_bold if bold else self.count)

    def headings(self, sheet, row: int, headings: list[str]) -> None:
        for col, text in enumerate(headings):
            sheet.write_string(row, col, str(text), self.heading)


def _head(book: _Book, sheet, report: MonthlyReport, title: str) -> int:
    sheet.write_string(0, 0, title, book.title)
    sheet.write_string(1, 0, f"{report.area_name} · {report.period.label()} ({report.period.code})")
    sheet.write_string(2, 0, report.edition(), book.bold)
    sheet.write_string(
        3,
        0,
        _("Generated at %(when)s by %(who)s")
        % {"when": printed_at(report.generated_at), "who": report.generated_by},
    )
    return 5


def report_xlsx(report: MonthlyReport) -> bytes:
    buffer = io.BytesIO()
    book = _Book(buffer)
    taken: set[str] = set()
    with book.book:
        summary = book.book.add_worksheet(_sheet_name(_("Summary"), taken))
        row = _head(book, summary, report, report.period.title())
        book.headings(
            summary,
            row,
            [
                _("Indicator"),
                _("Unit"),
                _("Value"),
                _("Change on the previous period"),
                _("Target"),
                _("Status"),
                _("Numerator"),
                _("Denominator"),
                _("Sheet"),
            ],
        )
        names = {s.indicator.code: _sheet_name(s.indicator.name, taken) for s in report.sections}
        for section in report.sections:
            row += 1
            indicator, unit = section.indicator, section.indicator.unit
            summary.write_string(row, 0, indicator.name)
            summary.write_string(row, 1, str(indicator.get_unit_display()))
            book.value(summary, row, 2, section.value, unit)
            if section.tile.dated:
                book.value(summary, row, 3, section.change, unit)
            else:
                summary.write_string(row, 3, _("figure for today"))
            book.value(summary, row, 4, section.tile.goal.target, unit)
            summary.write_string(row, 5, section.status_label)
            book.count_cell(summary, row, 6, section.numerator)
            book.count_cell(summary, row, 7, section.denominator)
            summary.write_string(row, 8, names[indicator.code])
        row += 2
        for note in report.notes():
            summary.write_string(row, 0, note)
            row += 1
        summary.set_column(0, 0, 48)
        summary.set_column(1, 8, 14)
        for section in report.sections:
            _indicator_sheet(book, report, section, names[section.indicator.code])
        _definitions_sheet(book, report, _sheet_name(_("Definitions"), taken))
    return buffer.getvalue()


def _indicator_sheet(book: _Book, report: MonthlyReport, section: Section, name: str) -> None:
    indicator, unit = section.indicator, section.indicator.unit
    sheet = book.book.add_worksheet(name)
    row = _head(book, sheet, report, indicator.name)
    for label, value in (
        (_("Value"), section.value),
        (_("Change on the previous period"), section.change),
        (_("Target"), section.tile.goal.target),
    ):
        sheet.write_string(row, 0, label, book.bold)
        book.value(sheet, row, 1, value, unit)
        row += 1
    sheet.write_string(row, 0, _("Status"), book.bold)
    sheet.write_string(row, 1, section.status_label)
    row += 2
    has_den = bool(indicator.denominator)
    if section.months:
        sheet.write_string(row, 0, _("Each month"), book.bold)
        row += 1
        headings = [_("Month"), str(capfirst(section.definition["numerator"]))]
        if has_den:
            headings.append(str(capfirst(section.definition["denominator"])))
        headings.append(str(capfirst(indicator.get_unit_display())))
        book.headings(sheet, row, headings)
        for month in section.months:
            row += 1
            _month_row(book, sheet, row, month, unit, has_den)
        row += 2
    else:
        sheet.write_string(row, 0, _("A figure for today: this indicator has no monthly history."))
        row += 2
    table = section.table
    sheet.write_string(
        row,
        0,
        _("By %(group)s, %(period)s")
        % {"group": GROUP_LABELS[section.group], "period": report.period.label()},
        book.bold,
    )
    row += 1
    book.headings(sheet, row, [str(capfirst(c)) for c in table.columns])
    for cells, bold in [
        *((r, False) for r in table.rows),
        *([(table.total, True)] if table.total else []),
    ]:
        row += 1
        sheet.write_string(row, 0, str(cells[0]), book.bold if bold else None)
        counts = cells[1:-1]
        for col, count in enumerate(counts, start=1):
            book.count_cell(sheet, row, col, count, bold=bold)
        book.value(sheet, row, len(cells) - 1, cells[-1], unit, bold=bold)
    row += 2
    for note in [*table.notes, *(report.notes() if report.publication else [])]:
        sheet.write_string(row, 0, note)
        row += 1
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, len(table.columns), 16)


def _month_row(book: _Book, sheet, row: int, month: Month, unit: str, has_den: bool) -> None:
    sheet.write_string(row, 0, month.month)
    book.count_cell(sheet, row, 1, month.numerator)
    col = 2
    if has_den:
        book.count_cell(sheet, row, 2, month.denominator)
        col = 3
    book.value(sheet, row, col, month.value, unit)


def _definitions_sheet(book: _Book, report: MonthlyReport, name: str) -> None:
    sheet = book.book.add_worksheet(name)
    row = _head(book, sheet, report, _("Definitions"))
    headings = [_("Indicator"), _("Code"), _("Formula"), _("Numerator"), _("Denominator")]
    headings += [_("Unit"), _("Source"), _("Period"), _("SDG target"), _("Source of the target")]
    book.headings(sheet, row, headings)
    for section in report.sections:
        row += 1
        pairs = dict(_definition_pairs(section))
        cells = [
            section.indicator.name,
            section.indicator.code,
            pairs[_("Formula")],
            pairs[_("Numerator")],
            pairs[_("Denominator")],
            pairs[_("Unit")],
            pairs[_("Source")],
            pairs[_("Period")],
            section.indicator.sdg_target,
            section.tile.goal.source,
        ]
        for col, text in enumerate(cells):
            sheet.write_string(row, col, str(text or ""), book.wrap)
    row += 2
    for note in report.notes():
        sheet.write_string(row, 0, note)
        row += 1
    sheet.set_column(0, 0, 40)
    sheet.set_column(1, 9, 24)
