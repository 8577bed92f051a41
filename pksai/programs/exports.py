"""The approval list (decree annex) as PDF (fpdf2) and XLSX (Polars).

The PDF is set in the shipped Unicode font (pksai.core.pdf): dashes and every accented
letter print as themselves. Long names, villages and sub-programs wrap inside their column
(the row grows); the column headings are repeated at the top of every page and every page
is numbered "Page n of N" in the reader's language.
"""

from __future__ import annotations

import functools
import io
from datetime import date

from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from pksai.audit.personal_exports import watermark_pdf, xlsx_with_watermark
from pksai.core.pdf import add_unicode_font
from pksai.programs.models import SelectionRound
from pksai.programs.selectors import decree_frame, program_names
from pksai.registry.models import Person

# landscape A4 less 10 mm margins: 277 mm. Rank, name, NIK, sex, birth date, village,
# priority and, for a program with sub-programs (PKSA), the sub-program chosen.
WIDTHS = (16, 60, 30, 18, 18, 62, 22, 51)
WIDTHS_WITHOUT_SUBPROGRAM = (16, 86, 30, 18, 18, 87, 22)
LINE = 4.2  # mm per line of 8 pt text
PAD = 0.8  # mm above and below a cell's text


def _title(selection: SelectionRound) -> str:
    return _("Beneficiaries of %(p)s %(y)s — %(a)s") % {
        "p": selection.program,
        "y": selection.year,
        "a": selection.area.name,
    }


def decree_xlsx(selection: SelectionRound, watermark: str = "") -> bytes:
    """The list as XLSX; with ``watermark`` (a personal-data export) on the first row."""
    if watermark:
        return xlsx_with_watermark(
            decree_frame(selection), text=watermark, worksheet=str(selection.year)
        )
    buffer = io.BytesIO()
    decree_frame(selection).write_excel(buffer, worksheet=str(selection.year))
    return buffer.getvalue()


@functools.cache
def _document_class():
    from fpdf import FPDF  # imported only when a PDF is made (start-up time)

    class DecreeDocument(FPDF):
        """Headings repeated on every page once the table has started; "Page n of N" below.

        Rows are drawn with ``rect`` and ``text`` and wrapped by measuring with the font's
        widths: fpdf2's ``cell`` and ``multi_cell`` cost ten times more a call (thousands of
        rows), and a dry-run ``multi_cell`` near the foot of a page lays out a page break."""

        headings: list[str] | None = None
        widths: tuple[int, ...] = WIDTHS
        page_label = "%(n)s / %(total)s"
        text_family = "helvetica"

        def header(self) -> None:
            if self.headings is not None:
                self.table_row(self.headings, heading=True)

        def footer(self) -> None:
            self.set_y(-11)
            self.set_font(self.text_family, "", 7)
            self.set_text_color(90, 90, 90)
            label = self.page_label % {"n": self.page_no(), "total": self.str_alias_nb_pages}
            self.cell(0, 5, label, align="C")
            self.set_text_color(0, 0, 0)

        def measure(self, text: str) -> float:
            """Width of ``text`` in the current font, in mm."""
            return self.current_font.get_text_width(text, self.font_size_pt, None)[1] / self.k

        def lines(self, text: str, width: float) -> list[str]:
            """``text`` wrapped at spaces to the column (a word wider than it is cut)."""
            room = width - 2 * self.c_margin
            if self.measure(text) <= room:
                return [text]
            out, line = [], ""
            for word in text.split():
                joined = f"{line} {word}" if line else word
                if self.measure(joined) <= room:
                    line = joined
                    continue
                if line:
                    out.append(line)
                while self.measure(word) > room:
                    cut = max(1, int(len(word) * room / self.measure(word)))
                    while cut > 1 and self.measure(word[:cut]) > room:
                        cut -= 1
                    out.append(word[:cut])
                    word = word[cut:]
                line = word
            return [*out, line] if line else out or [""]

        def table_row(self, values: list[str], *, heading: bool = False) -> None:
            self.set_font(self.text_family, "B" if heading else "", 8)
            wrapped = [self.lines(v, w) for v, w in zip(values, self.widths, strict=True)]
            height = max(len(lines) for lines in wrapped) * LINE + 2 * PAD
            if not heading and self.will_page_break(height):
                self.add_page()  # header() repeats the headings
                self.set_font(self.text_family, "", 8)
            x, y = self.l_margin, self.y
            baseline = PAD + LINE / 2 + 0.35 * self.font_size  # of the first line, from the top
            if heading:
                self.set_fill_color(230, 230, 230)
            for lines, width in zip(wrapped, self.widths, strict=True):
                self.rect(x, y, width, height, style="DF" if heading else "D")
                for number, line in enumerate(lines):
                    self.text(x + self.c_margin, y + baseline + number * LINE, line)
                x += width
            self.set_xy(self.l_margin, y + height)

    return DecreeDocument


def _birth(value: str) -> str:
    return formats.date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT") if value else ""


def decree_pdf(selection: SelectionRound, watermark: str = "") -> bytes:
    frame = decree_frame(selection)
    pdf = _document_class()(orientation="L", format="A4")
    pdf.text_family = add_unicode_font(pdf)
    pdf.page_label = _("Page %(n)s of %(total)s")
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.add_page()
    pdf.set_font(pdf.text_family, "B", 13)
    pdf.multi_cell(0, 6.5, _title(selection), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.text_family, "", 9)
    decree = _("Decree %(n)s of %(d)s. Rules: %(r)s. Seed of the verification sample: %(s)s.") % {
        "n": selection.decree_number or _("(not yet approved)"),
        "d": formats.date_format(selection.decree_date, "SHORT_DATE_FORMAT")
        if selection.decree_date
        else "—",
        "r": f"{selection.ruleset.name} v{selection.ruleset.version}",
        "s": selection.seed,
    }
    pdf.multi_cell(0, 5, decree, new_x="LMARGIN", new_y="NEXT")
    printed = _("Printed %(when)s. Confidential: personal data (UU 27/2022).") % {
        "when": timezone.localtime().strftime("%Y-%m-%d %H:%M %Z")
    }
    pdf.multi_cell(0, 5, printed, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.headings = [_("Rank"), _("Name"), _("NIK"), _("Sex"), _("Birth date"), _("Village")]
    pdf.headings += [_("Priority")]
    subprograms = frame.height > 0 and (frame["subprogram"] != "").any()
    if subprograms:
        pdf.headings += [_("Sub-program")]
    else:
        pdf.widths = WIDTHS_WITHOUT_SUBPROGRAM
    pdf.header()  # on this page below the title; header() repeats it on the next ones
    sexes = {code: capfirst(label) for code, label in Person._meta.get_field("sex").flatchoices}
    names = program_names()
    for rank, name, nik, sex, birth, code, village, priority, sub in frame.iter_rows():
        values = [str(rank), name or "", nik or "", sexes.get(sex, sex or ""), _birth(birth)]
        values += [f"{village} ({code})", priority]
        if subprograms:
            values.append(names.get(sub, sub) if sub else "")
        pdf.table_row(values)
    if watermark:
        watermark_pdf(pdf, watermark)
    return bytes(pdf.output())
