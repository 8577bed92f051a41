"""Reads of the data-protection records, always through accounts.scoping: a record out of the
user's area (or of a kind the role may not see) is a 404, audited, like a missing one."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from pksai.accounts.scoping import get_scoped_or_404, get_visible_or_404, scoped
from pksai.cases.models import Case
from pksai.privacy.models import (
    Breach,
    BreachNotice,
    Consent,
    Disclosure,
    LegalGround,
    SubjectRequest,
)
from pksai.registry.models import Person
from pksai.registry.selectors import nik_q

VIEW_CONSENT = "privacy.view_consent"
VIEW_GROUND = "privacy.view_legalground"
VIEW_REQUEST = "privacy.view_subjectrequest"
VIEW_BREACH = "privacy.view_breach"

REQUEST_QUEUES = ("open", "overdue", "done", "all")


def case_consents(*, user, case: Case) -> QuerySet[Consent]:
    """Consents about ``case``'s child (the caller opened the case through its scope): those
    recorded on any of the child's cases in the user's area."""
    return scoped(
        Consent.objects.filter(person=case.child).select_related(
            "purpose", "organisation", "recorded_by", "case"
        ),
        user,
        perm=VIEW_CONSENT,
    )


def case_legal_grounds(*, user, case: Case) -> QuerySet[LegalGround]:
    return scoped(
        LegalGround.objects.filter(case=case).select_related("purpose", "recorded_by"),
        user,
        perm=VIEW_GROUND,
    )


def consent_get(*, user, case: Case, pk: int) -> Consent:
    return get_visible_or_404(
        lambda: case_consents(user=user, case=case), base=Consent.objects.all(), pk=pk
    )


def legal_ground_get(*, user, case: Case, pk: int) -> LegalGround:
    return get_visible_or_404(
        lambda: case_legal_grounds(user=user, case=case), base=LegalGround.objects.all(), pk=pk
    )


def referral_disclosure(referral) -> Disclosure | None:
    """On which basis a referral (already opened through the user's scope) shared data."""
    return (
        Disclosure.objects.filter(referral=referral)
        .select_related("consent__purpose", "legal_ground__purpose")
        .first()
    )


def person_in_scope(*, user, nik: str = "", case_number: str = "") -> Person | None:
    """The person a request is about, found by NIK or case number inside the user's area
    (None when nobody there matches: the same answer for out of area and unknown)."""
    people = scoped(
        Person.objects.all(), user, perm="privacy.add_subjectrequest", area_field="village"
    )
    if nik:
        return people.filter(nik_q(nik.strip())).order_by("-in_registry", "pk").first()
    if case_number:
        case = Case.objects.filter(number=case_number.strip()).only("child_id").first()
        return people.filter(pk=case.child_id).first() if case else None
    return None


def request_queue(*, user, queue: str = "open") -> QuerySet[SubjectRequest]:
    rows = scoped(
        SubjectRequest.objects.select_related("person", "area", "handled_by"),
        user,
        perm=VIEW_REQUEST,
    )
    now = timezone.now()
    match queue:
        case "open":
            rows = rows.filter(status__in=SubjectRequest.OPEN)
        case "overdue":
            rows = rows.filter(status__in=SubjectRequest.OPEN, due_at__lt=now)
        case "done":
            rows = rows.exclude(status__in=SubjectRequest.OPEN).order_by("-decided_at")
    return rows


def request_get(*, user, pk: int) -> SubjectRequest:
    return get_scoped_or_404(
        SubjectRequest.objects.select_related("person", "area", "handled_by", "rule"),
        user,
        perm=VIEW_REQUEST,
        pk=pk,
    )


def breach_list(*, user, status: str = "") -> QuerySet[Breach]:
    overdue = BreachNotice.objects.filter(
        breach=OuterRef("pk"), status=BreachNotice.Status.PENDING, due_at__lt=timezone.now()
    )
    rows = scoped(
        Breach.objects.select_related("area").annotate(has_overdue=Exists(overdue)),
        user,
        perm=VIEW_BREACH,
    )
    return rows.filter(status=status) if status else rows


def breach_get(*, user, pk: int) -> Breach:
    return get_scoped_or_404(
        Breach.objects.select_related("area", "recorded_by"), user, perm=VIEW_BREACH, pk=pk
    )


def notice_get(*, user, breach: Breach, pk: int) -> BreachNotice:
    return get_visible_or_404(
        breach.notices.select_related("breach"), base=BreachNotice.objects.all(), pk=pk
    )


# --- what PKSAI holds on a person (an access request) ---------------------------------------


@dataclass
class Holding:
    """One part of what PKSAI holds on a person: a title and label–value rows."""

    title: str
    headings: list[str]
    rows: list[list[str]] = field(default_factory=list)


def person_holdings(*, person: Person) -> list[Holding]:
    """Everything PKSAI holds on ``person`` (every registry row of the same human, cases,
    referrals and what they shared, consents, programs, complaints), for the answer to an
    access request (UU PDP Art. 7 and 32). The request was opened through the officer's
    scope; the person is the request's. Reporter identities and other people's data are
    left out (Art. 33)."""
    from django.utils.translation import gettext as _

    from pksai.grievances.models import Complaint
    from pksai.programs.models import Beneficiary, Nomination
    from pksai.referrals.models import Referral

    rows_of = (
        Person.objects.filter(identity_id=person.identity_id)
        if person.identity_id
        else Person.objects.filter(pk=person.pk)
    )
    people = list(rows_of.select_related("household", "village").order_by("pk"))
    ids = [p.pk for p in people]
    parts = [
        Holding(
            _("Registry data (social welfare data)"),
            [_("Source"), _("NIK"), _("Name"), _("Sex"), _("Birth date"), _("Address")],
            [
                [
                    f"{p.source} {p.edition}".strip(),
                    p.nik or "—",
                    p.name,
                    str(p.get_sex_display()),
                    p.birth_date.isoformat(),
                    ", ".join(x for x in (p.household.address, p.village.name) if x),
                ]
                for p in people
            ],
        )
    ]
    cases = list(Case.objects.filter(child_id__in=ids).prefetch_related("concerns", "guardians"))
    parts.append(
        Holding(
            _("Child-protection cases"),
            [_("Case"), _("Stage"), _("Opened"), _("Concerns"), _("Family and guardians")],
            [
                [
                    c.number,
                    str(c.get_stage_display()),
                    timezone.localdate(c.created_at).isoformat(),
                    ", ".join(str(x.get_category_display()) for x in c.concerns.all()),
                    "; ".join(f"{g.name} ({g.relation})" for g in c.guardians.all()),
                ]
                for c in cases
            ],
        )
    )
    referrals = Referral.objects.filter(case__child_id__in=ids).select_related("to_organisation")
    parts.append(
        Holding(
            _("Referrals and transfers: who received what"),
            [_("Number"), _("Receiver"), _("Sent"), _("Status"), _("Shared")],
            [
                [
                    r.number,
                    str(r.to_organisation),
                    timezone.localdate(r.sent_at).isoformat(),
                    str(r.get_status_display()),
                    ", ".join(sorted(r.shared)),
                ]
                for r in referrals.order_by("sent_at")
            ],
        )
    )
    consents = Consent.objects.filter(person_id__in=ids).select_related("purpose")
    parts.append(
        Holding(
            _("Consents"),
            [_("Purpose"), _("Given by"), _("Given"), _("Withdrawn")],
            [
                [
                    str(c.purpose),
                    f"{c.given_by_name} ({c.get_relationship_display()})",
                    timezone.localdate(c.given_at).isoformat(),
                    timezone.localdate(c.withdrawn_at).isoformat() if c.withdrawn_at else "—",
                ]
                for c in consents
            ],
        )
    )
    nominations = Nomination.objects.filter(person_id__in=ids).select_related("program")
    beneficiaries = Beneficiary.objects.filter(person_id__in=ids).select_related("program")
    parts.append(
        Holding(
            _("Social assistance programs"),
            [_("Program"), _("Year or status")],
            [[str(n.program), str(n.year)] for n in nominations]
            + [[str(b.program), str(b.get_status_display())] for b in beneficiaries],
        )
    )
    complaints = Complaint.objects.filter(person_id__in=ids)
    parts.append(
        Holding(
            _("Complaints"),
            [_("Tracking code"), _("Category"), _("Status")],
            [
                [c.code, str(c.get_category_display()), str(c.get_status_display())]
                for c in complaints
            ],
        )
    )
    return parts
