"""The approval list (decree annex) as PDF (fpdf2) and XLSX (Polars)."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _

from pksai.audit.personal_exports import watermark_pdf, xlsx_with_watermark
from pksai.programs.models import SelectionRound
from pksai.programs.selectors import decree_frame


def _latin1(text: str) -> str:
    return (text or "").encode("latin-1", "replace").decode("latin-1")


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


def decree_pdf(selection: SelectionRound, watermark: str = "") -> bytes:
    frame = decree_frame(selection)
    from fpdf import FPDF  # imported only when a PDF is made (start-up time)

    pdf = FPDF(orientation="L", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 8, _latin1(_title(selection)), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    decree = _("Decree %(n)s of %(d)s. Rules: %(r)s. Seed of the verification sample: %(s)s.") % {
        "n": selection.decree_number or _("(not yet approved)"),
        "d": selection.decree_date.isoformat() if selection.decree_date else "—",
        "r": f"{selection.ruleset.name} v{selection.ruleset.version}",
        "s": selection.seed,
    }
    pdf.multi_cell(0, 5, _latin1(decree), new_x="LMARGIN", new_y="NEXT")
    printed = _("Printed %(when)s. Confidential: personal data (UU 27/2022).") % {
        "when": timezone.localtime().strftime("%Y-%m-%d %H:%M %Z")
    }
    pdf.cell(0, 6, _latin1(printed), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    headers = [_("Rank"), _("Name"), _("NIK"), _("Sex"), _("Birth date"), _("Village")]
    headers += [_("Priority"), _("Sub-program")]
    widths = (12, 54, 34, 20, 22, 60, 32, 34)
    # plain fixed-height cells (text cut to the column): 5,000 rows in about two seconds;
    # fpdf2's table layout measures every line and takes ~2 ms a row
    pdf.set_font("Helvetica", "B", 8)
    for header, width in zip(headers, widths, strict=True):
        pdf.cell(width, 6, _latin1(header), border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 8)
    for rank, name, nik, sex, birth, code, village, priority, sub in frame.iter_rows():
        values = (rank, name, nik, sex, birth, f"{village} ({code})", priority, sub)
        for value, width in zip(values, widths, strict=True):
            text = _latin1(str(value))
            full = pdf.get_string_width(text)
            if full > width - 2:  # cut to the column, in proportion (one measurement)
                text = text[: max(1, int(len(text) * (width - 2) / full))]
            pdf.cell(width, 5, text, border=1)
        pdf.ln()
    if watermark:
        watermark_pdf(pdf, watermark)
    return bytes(pdf.output())
