"""The printable case summary (fpdf2) for case conferences and transfers.

Who reads it matters: the child's identity numbers, the reporter and the case notes are
restricted fields, printed only for readers who may see them (the owner, the supervisor and
users with cases.view_restricted_case); everyone else who may open the case gets the summary
without them, and the PDF says so.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

from pksai.audit.personal_exports import watermark_pdf
from pksai.cases.custom_fields import display_extra
from pksai.cases.models import Case, CasePlan, CustomField
from pksai.cases.selectors import sees_restricted_fields
from pksai.vulnerability.pdf import _latin1


class _Summary(FPDF):
    def heading(self, text: str) -> None:
        self.ln(2)
        self.set_font("Helvetica", "B", 11)
        self.cell(0, 7, _latin1(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 9)

    def pair(self, label: str, value: object) -> None:
        self.set_font("Helvetica", "B", 9)
        self.cell(50, 5, _latin1(label))
        self.set_font("Helvetica", "", 9)
        self.multi_cell(
            0,
            5,
            _latin1(str(value) if value not in (None, "") else "-"),
            new_x="LMARGIN",
            new_y="NEXT",
        )

    def text(self, value: str) -> None:
        self.multi_cell(0, 5, _latin1(value or "-"), new_x="LMARGIN", new_y="NEXT")

    def table_rows(self, widths: tuple[int, ...], header: list[str], rows: list[list]) -> None:
        if not rows:
            self.text(_("None recorded."))
            return
        with self.table(col_widths=widths, text_align="LEFT") as table:
            row = table.row()
            for h in header:
                row.cell(_latin1(h))
            for values in rows:
                row = table.row()
                for v in values:
                    row.cell(_latin1("" if v is None else str(v)))


def _date(value) -> str:
    if value is None:
        return "-"
    if hasattr(value, "hour"):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def case_summary_pdf(*, case: Case, user, compress: bool = True, watermark: str = "") -> bytes:
    full = sees_restricted_fields(case, user)
    pdf = _Summary(format="A4")
    pdf.set_compression(compress)
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(
        0, 8, _latin1(_("Case summary %(n)s") % {"n": case.number}), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("Helvetica", "", 8)
    printed = _("Printed %(when)s by %(who)s. Confidential: a child's personal data.") % {
        "when": timezone.localtime().strftime("%Y-%m-%d %H:%M %Z"),
        "who": user.get_username(),
    }
    pdf.text(printed)
    if not full:
        pdf.text(
            _("Restricted fields (identity numbers, reporter, notes) are left out for this reader.")
        )

    child = case.child
    pdf.heading(_("Child"))
    pdf.pair(_("Name"), child.name)
    if full:
        pdf.pair(_("NIK"), child.nik or "-")
    pdf.pair(_("Sex"), child.get_sex_display())
    pdf.pair(_("Birth date"), _date(child.birth_date))
    pdf.pair(_("Area"), f"{case.area_id} {case.area.name}")
    for g in case.guardians.all():
        contact = f", {g.phone}" if full and g.phone else ""
        pdf.pair(_("Family or guardian"), f"{g.name} ({g.relation}){contact}")

    pdf.heading(_("Case"))
    pdf.pair(_("Stage"), case.get_stage_display())
    pdf.pair(_("Stage due"), _date(case.stage_due_at))
    pdf.pair(_("Triage"), case.get_response_display() or "-")
    pdf.pair(_("Registered"), _date(case.created_at))
    pdf.pair(_("Reported through"), case.get_channel_display())
    pdf.pair(_("Owner"), case.owner.get_full_name() or case.owner.get_username())
    if case.supervisor:
        pdf.pair(_("Supervisor"), case.supervisor.get_full_name() or case.supervisor.get_username())
    pdf.pair(_("Concerns"), ", ".join(c.get_category_display() for c in case.concerns.all()))
    pdf.pair(_("Consent recorded"), _("yes") if case.consent_given else _("no"))
    if full:
        reporter = (
            _("anonymous")
            if case.reporter_anonymous
            else ", ".join(
                v for v in (case.reporter_name, case.reporter_relation, case.reporter_phone) if v
            )
        )
        pdf.pair(_("Reporter"), reporter)
    for label, value in display_extra(CustomField.Form.INTAKE, case.extra):
        pdf.pair(label, value)
    pdf.heading(_("What was reported"))
    pdf.text(case.summary)

    pdf.heading(_("Emergency actions"))
    pdf.table_rows(
        (40, 40, 110),
        [_("Action"), _("Started"), _("Notes")],
        [
            [a.get_kind_display(), _date(a.started_at), a.notes]
            for a in case.emergency_actions.all()
        ],
    )

    for assessment in case.assessments.filter(completed_at__isnull=False):
        pdf.heading(
            _("%(kind)s, %(date)s: overall risk %(risk)s")
            % {
                "kind": assessment.get_kind_display(),
                "date": _date(assessment.completed_at),
                "risk": assessment.get_risk_display(),
            }
        )
        pdf.table_rows(
            (45, 25, 120),
            [_("Domain"), _("Rating"), _("Notes")],
            [[label, rating, notes] for _k, label, rating, notes in assessment.domain_rows()],
        )
        for label, value in display_extra(CustomField.Form.ASSESSMENT, assessment.extra):
            pdf.pair(label, value)
        if assessment.summary:
            pdf.text(assessment.summary)

    pdf.heading(_("Case plan"))
    plan = CasePlan.objects.filter(case=case).first()
    if plan:
        for goal in plan.goal_list:
            pdf.text(f"- {goal}")
    pdf.table_rows(
        (65, 50, 25, 50),
        [_("Action"), _("Responsible"), _("Due"), _("Status")],
        [
            [a.description, a.responsible, _date(a.due_date), a.get_status_display()]
            for a in case.plan_actions.all()
        ],
    )

    conferences = list(case.conferences.prefetch_related("participants"))
    if conferences:
        pdf.heading(_("Case conferences"))
        for c in conferences:
            who = "; ".join(
                ", ".join(v for v in (p.name, p.organisation, p.role) if v)
                for p in c.participants.all()
            )
            pdf.pair(_("Date"), _date(c.held_on))
            pdf.pair(_("Participants"), who)
            pdf.pair(_("Decisions"), c.decisions)

    pdf.heading(_("Visits"))
    pdf.table_rows(
        (25, 45, 45, 75),
        [_("Date"), _("Place"), _("Who was seen"), _("Observations")],
        [[_date(v.visited_on), v.place, v.seen, v.observations] for v in case.visits.all()],
    )
    pdf.heading(_("Follow-ups"))
    pdf.table_rows(
        (30, 30, 130),
        [_("Due"), _("Done"), _("Observations")],
        [[_date(f.due_date), _date(f.done_at), f.notes] for f in case.follow_ups.all()],
    )
    if full:
        notes = list(case.notes.select_related("by"))
        if notes:
            pdf.heading(_("Notes"))
            for n in notes:
                pdf.text(f"{_date(n.at)} {n.by.get_username()}: {n.text}")
    if watermark:  # a personal-data export: who, when and why on every page
        watermark_pdf(pdf, watermark)
    return bytes(pdf.output())
