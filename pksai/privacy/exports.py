"""The answer to an access request: a readable PDF of what PKSAI holds on the person, made for
a stated purpose, audited as a personal-data export and watermarked (audit.personal_exports)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from pksai.accounts.scoping import require_perm
from pksai.audit.personal_exports import PersonalExport, watermark_pdf
from pksai.core.pdf import document, printed_at
from pksai.privacy.models import RequestKind, SubjectRequest
from pksai.privacy.selectors import person_holdings
from pksai.privacy.services import EXPORT_REQUEST


def access_export(*, request: SubjectRequest, export: PersonalExport) -> bytes:
    """The PDF for ``request`` (an access request opened through the officer's scope)."""
    require_perm(export.user, EXPORT_REQUEST)
    if request.kind != RequestKind.ACCESS:
        from django.core.exceptions import ValidationError

        raise ValidationError(_("Only an access request is answered with an export."))
    pdf = document()
    pdf.heading(_("Personal data held by PKSAI — request %(n)s") % {"n": request.number}, size=14)
    pdf.paragraph(
        _(
            "Answer to the request of %(who)s received %(when)s (UU 27/2022 on Personal Data "
            "Protection, Articles 7 and 32). Printed %(printed)s."
        )
        % {
            "who": request.requester_name,
            "when": printed_at(request.received_at),
            "printed": printed_at(),
        },
        grey=True,
    )
    for part in person_holdings(person=request.person):
        pdf.section(part.title)
        if part.rows:
            pdf.data_table(part.headings, part.rows)
        else:
            pdf.paragraph(_("Nothing held."))
    export.audit(
        obj=request,
        detail={"person": request.person_id, "access_request": request.number},
    )
    watermark_pdf(pdf, export.watermark)
    return bytes(pdf.output())
