"""The approval list (decree annex) as PDF (fpdf2) and XLSX (Polars)."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

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


def decree_xlsx(selection: SelectionRound) -> bytes:
    buffer = io.BytesIO()
    decree_frame(selection).write_excel(buffer, worksheet=str(selection.year))
    return buffer.getvalue()


def decree_pdf(selection: SelectionRound) -> bytes:
    frame = decree_frame(selection)
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
    with pdf.table(col_widths=(12, 55, 35, 10, 22, 60, 30, 30), text_align="LEFT") as table:
        row = table.row()
        for header in headers:
            row.cell(_latin1(header))
        for rank, name, nik, sex, birth, code, village, priority, sub in frame.iter_rows():
            row = table.row()
            for value in (rank, name, nik, sex, birth, f"{village} ({code})", priority, sub):
                row.cell(_latin1(str(value)))
    return bytes(pdf.output())
