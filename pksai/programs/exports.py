"""The approval list (decree annex) as PDF (fpdf2) and XLSX (Polars).

The PDF is set in the shipped Unicode font (pksai.core.pdf): dashes and every accented
letter print as themselves. Long names, villages and sub-programs wrap inside their column
(the row grows); the column headings are repeated at the top of every page and every page
is numbered "Page n of N" in the reader's language (pksai.core.pdf.document).
"""

from __future__ import annotations

from datetime import date

from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from pksai.audit.personal_exports import watermark_pdf, xlsx_with_watermark
from pksai.core import exports
from pksai.core.pdf import document, printed_at
from pksai.programs.models import SelectionRound
from pksai.programs.selectors import decree_frame, program_names
from pksai.registry.models import Person

# landscape A4 less 10 mm margins: 277 mm. Rank, name, NIK, sex, birth date, village,
# priority and, for a program with sub-programs (PKSA), the sub-program chosen.
WIDTHS = (16, 60, 30, 18, 18, 62, 22, 51)
WIDTHS_WITHOUT_SUBPROGRAM = (16, 86, 30, 18, 18, 87, 22)


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
    return exports.xlsx_bytes(decree_frame(selection), worksheet=str(selection.year))


def _birth(value: str) -> str:
    return formats.date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT") if value else ""


def decree_pdf(selection: SelectionRound, watermark: str = "") -> bytes:
    frame = decree_frame(selection)
    pdf = document(landscape=True)
    pdf.heading(_title(selection))
    decree = _("Decree %(n)s of %(d)s. Rules: %(r)s. Seed of the verification sample: %(s)s.") % {
        "n": selection.decree_number or _("(not yet approved)"),
        "d": formats.date_format(selection.decree_date, "SHORT_DATE_FORMAT")
        if selection.decree_date
        else "—",
        "r": f"{selection.ruleset.name} v{selection.ruleset.version}",
        "s": selection.seed,
    }
    pdf.paragraph(decree)
    printed = _("Printed %(when)s. Confidential: personal data (UU 27/2022).") % {
        "when": printed_at()
    }
    pdf.paragraph(printed)
    pdf.ln(2)
    headings = [_("Rank"), _("Name"), _("NIK"), _("Sex"), _("Birth date"), _("Village")]
    headings += [_("Priority")]
    widths = WIDTHS_WITHOUT_SUBPROGRAM
    subprograms = frame.height > 0 and (frame["subprogram"] != "").any()
    if subprograms:
        headings += [_("Sub-program")]
        widths = WIDTHS
    sexes = {code: capfirst(label) for code, label in Person._meta.get_field("sex").flatchoices}
    names = program_names()
    rows = []
    for rank, name, nik, sex, birth, code, village, priority, sub in frame.iter_rows():
        values = [str(rank), name or "", nik or "", sexes.get(sex, sex or ""), _birth(birth)]
        values += [f"{village} ({code})", priority]
        if subprograms:
            values.append(names.get(sub, sub) if sub else "")
        rows.append(values)
    pdf.data_table(headings, rows, widths=widths, aligns=["L"] * len(headings))
    if watermark:
        watermark_pdf(pdf, watermark)
    return bytes(pdf.output())
