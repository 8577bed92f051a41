"""Exports of personal data: a stated purpose, an audit row, a watermark on the file.

A file with names, NIKs or case details leaves the system's access control the moment it is
downloaded, so the law (UU 27/2022) asks us to know why it left and to make a leaked copy
traceable. Every view or API endpoint that exports personal data therefore:

1. asks for the purpose (``purpose`` parameter, a short free text) and refuses the export with a
   clear message when it is empty (``export_purpose``);
2. records the export with the purpose in the audit trail (``PersonalExport.audit``);
3. stamps the file with "Exported by <user> at <time> — purpose: …": on every page of a PDF
   (``watermark_pdf``), as the first row and the print header of an XLSX sheet
   (``xlsx_with_watermark``). CSV files are read by machines: a comment line would break their
   parsers, and the payer's batch file carries a checksum that must stay exact — there the
   watermark travels in the ``X-PKSAI-Watermark`` response header and the audit row only.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pksai.audit.models import AuditEvent
from pksai.audit.services import audit_record
from pksai.core import exports
from pksai.core.pdf import FAMILY as UNICODE_FAMILY
from pksai.core.pdf import has_unicode_font
from pksai.core.reports import latin1

if TYPE_CHECKING:  # fpdf is imported only where a PDF is made (start-up time)
    from fpdf import FPDF

PURPOSE = "purpose"
PURPOSE_MAX = 200
WATERMARK_HEADER = "X-PKSAI-Watermark"
PURPOSE_LABEL = gettext_lazy("Purpose of this export")
PURPOSE_HELP = gettext_lazy(
    "Personal data: say why you need the file (e.g. 'decree signing, district office'). "
    "It is recorded and printed on the file."
)


def export_purpose(data: Any) -> str:
    """The stated purpose from request data (GET/POST/query dict), stripped; a
    ValidationError with a message for the user when it is missing."""
    purpose = " ".join(str((data or {}).get(PURPOSE, "") or "").split())
    if not purpose:
        raise ValidationError(
            _(
                "State the purpose of this export: files with personal data are only produced "
                "for a stated purpose, which is recorded and printed on the file."
            )
        )
    return purpose[:PURPOSE_MAX]


@dataclass(frozen=True)
class PersonalExport:
    """Who exports personal data, when and why; the watermark and the audit row."""

    user: Any
    purpose: str
    at: datetime = field(default_factory=timezone.now)

    @property
    def watermark(self) -> str:
        return _("Exported by %(user)s at %(time)s — purpose: %(purpose)s") % {
            "user": self.user.get_username() if self.user is not None else "?",
            "time": timezone.localtime(self.at).strftime("%Y-%m-%d %H:%M %Z"),
            "purpose": self.purpose,
        }

    def audit(
        self,
        *,
        obj: models.Model | None = None,
        object_type: str = "",
        object_id: str = "",
        detail: dict[str, Any] | None = None,
    ) -> AuditEvent:
        return audit_record(
            action="export",
            actor=self.user,
            obj=obj,
            object_type=object_type,
            object_id=object_id,
            detail={
                **(detail or {}),
                "personal_data": True,
                "purpose": self.purpose,
                "watermark": self.watermark,
            },
        )

    def stamp_response(self, response: HttpResponse) -> HttpResponse:
        """The watermark as a response header (latin-1 safe), for every format."""
        response[WATERMARK_HEADER] = latin1(self.watermark)
        response["Cache-Control"] = "private, no-store"
        return response


def watermark_pdf(pdf: FPDF, text: str) -> None:
    """Print ``text`` in the top margin of every page already in ``pdf`` (call it last,
    before ``output()``); in the shipped Unicode font when ``pdf`` has it (pksai.core.pdf)."""
    unicode = has_unicode_font(pdf)  # else the core font: Latin-1 only
    last = pdf.page
    for number in range(1, pdf.pages_count + 1):
        pdf.page = number
        pdf.set_xy(pdf.l_margin, 3)
        pdf.set_font(*((UNICODE_FAMILY, "") if unicode else ("Helvetica", "I")), 7)
        # fpdf2 selects a font in a page's content only once it changes; on the pages after
        # the first this font is already "current", so it must be selected again here (a
        # Unicode font's text is glyph numbers: in another font it prints as gibberish)
        pdf.current_font_is_set_on_page = False
        pdf.set_text_color(110, 110, 110)
        pdf.cell(0, 4, text if unicode else latin1(text))
        pdf.set_text_color(0, 0, 0)
    pdf.page = last


def xlsx_with_watermark(frame: pl.DataFrame, *, text: str, worksheet: str = "Sheet1") -> bytes:
    """``frame`` as an XLSX sheet whose first row and print header carry ``text``; the table
    starts on the third row."""
    buffer = io.BytesIO()
    with exports.workbook(buffer) as workbook:  # text as string cells, never formulas
        sheet = workbook.add_worksheet(worksheet[:31])
        sheet.write_string(0, 0, text, workbook.add_format({"italic": True}))
        sheet.set_header("&L&8" + text.replace("&", "&&"))
        frame.write_excel(workbook=workbook, worksheet=sheet.name, position="A3")
    return buffer.getvalue()
