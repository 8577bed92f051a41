"""The printable case summary for case conferences and transfers.

Who reads it matters: the child's identity numbers, the reporter and the case notes are
restricted fields, printed only for readers who may see them (the owner, the supervisor and
users with cases.view_restricted_case); everyone else who may open the case gets the summary
without them, and the PDF says so.

Set on the shared document (pksai.core.pdf): names and notes print as written (dashes and
every accented letter), long notes wrap in their column, a table's headings repeat on the
next page, the pages are numbered. Every coded value (sex, stage, triage, channel, concern,
emergency action, assessment, rating, plan status) is printed as its label in the reader's
language; dates as "3 Des 2026".
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from pksai.audit.personal_exports import watermark_pdf
from pksai.cases.custom_fields import display_extra
from pksai.cases.models import Case, CasePlan, CustomField
from pksai.cases.selectors import sees_restricted_fields
from pksai.core.pdf import document, printed_at


def _date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "j M Y, H.i T")
    return formats.date_format(value, "j M Y")


def _label(value: object) -> str:
    """A choice's label as a cell or value: its first letter a capital."""
    return capfirst(str(value)) if value else "—"


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


def _area(area) -> str:
    """The area and its parents up to the regency: "Bontorannu, Mariso, Kota Makassar"."""
    names = [area.name]
    parent = area.parent
    while parent is not None and parent.level >= 2:
        names.append(parent.name)
        parent = parent.parent
    return ", ".join(names)


def case_summary_pdf(*, case: Case, user, watermark: str = "") -> bytes:
    full = sees_restricted_fields(case, user)
    pdf = document()
    pdf.heading(_("Case summary %(n)s") % {"n": case.number}, size=14)
    printed = _("Printed %(when)s by %(who)s. Confidential: a child's personal data.") % {
        "when": printed_at(),
        "who": user.get_username(),
    }
    pdf.paragraph(printed, size=8, grey=True)
    if not full:
        left_out = _(
            "Restricted fields (identity numbers, reporter, notes) are left out for this reader."
        )
        pdf.paragraph(left_out, size=8, grey=True)

    child = case.child
    pdf.section(_("Child"))
    facts = [(_("Name"), child.name)]
    if full:
        facts.append((_("NIK"), child.nik or "—"))
    facts += [
        (_("Sex"), _label(child.get_sex_display())),
        (_("Birth date"), _date(child.birth_date)),
        (_("Area"), _area(case.area)),
    ]
    for g in case.guardians.all():
        contact = f", {g.phone}" if full and g.phone else ""
        facts.append((_("Family or guardian"), f"{g.name} ({g.relation}){contact}"))
    pdf.pairs(facts)

    pdf.section(_("Case"))
    facts = [
        (_("Stage"), _label(case.get_stage_display())),
        (_("Stage due"), _date(case.stage_due_at)),
        (_("Triage"), _label(case.get_response_display())),
        (_("Registered"), _date(case.created_at)),
        (_("Reported through"), _label(case.get_channel_display())),
        (_("Owner"), _person(case.owner)),
    ]
    if case.supervisor:
        facts.append((_("Supervisor"), _person(case.supervisor)))
    concerns = [capfirst(c.get_category_display()) for c in case.concerns.all()]
    facts.append((_("Concerns"), ", ".join(concerns)))
    facts.append((_("Consent recorded"), capfirst(_("yes") if case.consent_given else _("no"))))
    if full:
        reporter = (
            capfirst(_("anonymous"))
            if case.reporter_anonymous
            else ", ".join(
                v for v in (case.reporter_name, case.reporter_relation, case.reporter_phone) if v
            )
        )
        facts.append((_("Reporter"), reporter))
    facts += display_extra(CustomField.Form.INTAKE, case.extra)
    pdf.pairs(facts)
    pdf.section(_("What was reported"))
    pdf.paragraph(case.summary)

    pdf.section(_("Emergency actions"))
    _table(
        pdf,
        [_("Action"), _("Started"), _("Notes")],
        [
            [_label(a.get_kind_display()), _date(a.started_at), a.notes]
            for a in case.emergency_actions.all()
        ],
        (40, 40, 110),
    )

    for assessment in case.assessments.filter(completed_at__isnull=False):
        pdf.section(
            _("%(kind)s, %(date)s: overall risk %(risk)s")
            % {
                "kind": capfirst(assessment.get_kind_display()),
                "date": _date(assessment.completed_at),
                "risk": assessment.get_risk_display(),
            }
        )
        _table(
            pdf,
            [_("Domain"), _("Rating"), _("Notes")],
            [
                [capfirst(str(label)), _label(rating), notes]
                for _k, label, rating, notes in assessment.domain_rows()
            ],
            (45, 25, 120),
        )
        pdf.pairs(display_extra(CustomField.Form.ASSESSMENT, assessment.extra))
        if assessment.summary:
            pdf.paragraph(assessment.summary)

    pdf.section(_("Case plan"))
    plan = CasePlan.objects.filter(case=case).first()
    if plan:
        for number, goal in enumerate(plan.goal_list, start=1):
            pdf.paragraph(f"{number}. {goal}")
        pdf.ln(1)
    _table(
        pdf,
        [_("Action"), _("Responsible"), _("Due"), _("Status")],
        [
            [a.description, a.responsible, _date(a.due_date), _label(a.get_status_display())]
            for a in case.plan_actions.all()
        ],
        (75, 55, 25, 35),
    )

    conferences = list(case.conferences.prefetch_related("participants"))
    if conferences:
        pdf.section(_("Case conferences"))
        for c in conferences:
            who = "; ".join(
                ", ".join(v for v in (p.name, p.organisation, p.role) if v)
                for p in c.participants.all()
            )
            pdf.pairs(
                [
                    (_("Date"), _date(c.held_on)),
                    (_("Participants"), who),
                    (_("Agenda"), c.agenda),
                    (_("Decisions"), c.decisions),
                ]
            )

    pdf.section(_("Visits"))
    _table(
        pdf,
        [_("Date"), _("Place"), _("Who was seen"), _("Observations")],
        [[_date(v.visited_on), v.place, v.seen, v.observations] for v in case.visits.all()],
        (24, 38, 34, 94),
    )
    pdf.section(_("Follow-ups"))
    _table(
        pdf,
        [_("Due"), _("Done"), _("Observations")],
        [[_date(f.due_date), _date(f.done_at), f.notes] for f in case.follow_ups.all()],
        (30, 36, 124),
    )
    if full:
        notes = list(case.notes.select_related("by"))
        if notes:
            pdf.section(_("Notes"))
            _table(
                pdf,
                [_("Date"), _("By"), _("Note")],
                [[_date(n.at), _person(n.by), n.text] for n in notes],
                (36, 30, 124),
            )
    if watermark:  # a personal-data export: who, when and why on every page
        watermark_pdf(pdf, watermark)
    return bytes(pdf.output())


def _table(pdf, headings: list[str], rows: list[list[str]], widths: tuple[int, ...]) -> None:
    if rows:
        pdf.data_table(headings, rows, widths=widths, aligns=["L"] * len(headings))
    else:
        pdf.paragraph(_("None recorded."))
