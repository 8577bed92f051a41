"""Facilitation: who facilitates whom, weekly visit logs, caseloads against the program's
maximum, and the monthly facilitator report built from the visit logs (never typed twice).

Facilitators are users with a case-work role (social worker / facilitator) whose scope covers
the beneficiary's area. Reads are scoped by the beneficiary's area like everything else.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pksai.accounts.models import User
from pksai.accounts.scoping import get_visible_or_404, require_perm, scope_for, scoped
from pksai.audit.services import audit_record
from pksai.payments.models import Entitlement
from pksai.programs.models import Beneficiary, FacilitationVisit, Topic

ASSIGN = "programs.change_beneficiary"
LOG_VISIT = "cases.change_case"  # facilitators are frontline case workers


@transaction.atomic
def facilitator_assign(*, by: User, beneficiary: Beneficiary, facilitator: User) -> Beneficiary:
    require_perm(by, ASSIGN)
    if not scope_for(by).covers(beneficiary.area_id):
        raise PermissionDenied("beneficiary outside the user's scope")
    if not facilitator.has_perm(LOG_VISIT) or not scope_for(facilitator).covers(
        beneficiary.area_id
    ):
        raise ValidationError(_("The facilitator must be a frontline worker of this area."))
    beneficiary.facilitator = facilitator
    beneficiary.version += 1
    beneficiary.save(update_fields=["facilitator", "version"])
    audit_record(
        action="update",
        actor=by,
        obj=beneficiary,
        detail={"facilitator": facilitator.get_username()},
    )
    return beneficiary


@transaction.atomic
def visit_log(
    *, by: User, beneficiary: Beneficiary, visited_on: date, topics: list[str], notes: str = ""
) -> FacilitationVisit:
    """The facilitator records a visit (topics from DOMAIN.md)."""
    require_perm(by, LOG_VISIT)
    if beneficiary.facilitator_id != by.pk:
        raise PermissionDenied("only the beneficiary's facilitator logs visits")
    if beneficiary.status != Beneficiary.Status.ACTIVE:
        raise ValidationError(_("Visits are logged for active beneficiaries."))
    unknown = set(topics) - set(Topic.values)
    if unknown or not topics:
        raise ValidationError(_("Choose at least one topic of the visit."))
    if visited_on > date.today() or visited_on < beneficiary.start_date:  # noqa: DTZ011
        raise ValidationError(_("The visit date must lie between the start date and today."))
    visit = FacilitationVisit.objects.create(
        beneficiary=beneficiary,
        area_id=beneficiary.area_id,
        facilitator=by,
        visited_on=visited_on,
        topics=sorted(set(topics), key=Topic.values.index),
        notes=notes.strip(),
    )
    audit_record(action="create", actor=by, obj=visit, detail={"topics": visit.topics})
    return visit


@transaction.atomic
def visit_log_update(
    *,
    by: User,
    visit: FacilitationVisit,
    visited_on: date,
    topics: list[str],
    notes: str,
    expected_version: int,
) -> FacilitationVisit:
    """The facilitator who logged a visit corrects it, refused (ConflictError) if it was saved
    since ``expected_version``. The same rules as logging it."""
    from pksai.cases.services import ConflictError, compare_and_set

    require_perm(by, LOG_VISIT)
    if visit.facilitator_id != by.pk:
        raise PermissionDenied("only the facilitator who logged the visit corrects it")
    beneficiary = visit.beneficiary
    unknown = set(topics) - set(Topic.values)
    if unknown or not topics:
        raise ValidationError(_("Choose at least one topic of the visit."))
    if visited_on > date.today() or visited_on < beneficiary.start_date:  # noqa: DTZ011
        raise ValidationError(_("The visit date must lie between the start date and today."))
    visit.visited_on = visited_on
    visit.topics = sorted(set(topics), key=Topic.values.index)
    visit.notes = notes.strip()
    visit.updated_at = timezone.now()
    fields = ["visited_on", "topics", "notes", "updated_at"]
    if not compare_and_set(visit, fields, expected_version):
        raise ConflictError(
            _(
                "The visit was changed by someone else since you opened it. Reload it: your "
                "input was not saved and nothing was overwritten."
            )
        )
    audit_record(action="update", actor=by, obj=visit, detail={"topics": visit.topics})
    return visit


@dataclass(frozen=True)
class Caseload:
    username: str
    name: str
    active: int
    limit: int
    target: int

    @property
    def over(self) -> bool:
        return self.active > self.limit


def caseloads(*, user, over_only: bool = False) -> list[Caseload]:
    """Active beneficiaries per facilitator in the user's scope, against the smallest
    maximum of the programs they facilitate (one grouped query)."""
    require_perm(user, "programs.view_beneficiary")
    rows = (
        scoped(Beneficiary.objects.all(), user, perm="programs.view_beneficiary")
        .filter(status=Beneficiary.Status.ACTIVE, facilitator__isnull=False)
        .values("facilitator__username", "facilitator__first_name", "facilitator__last_name")
        .annotate(
            active=Count("id"),
            limit=Min("program__caseload_max"),
            target=Min("program__caseload_target"),
        )
        .order_by("-active", "facilitator__username")
    )
    loads = [
        Caseload(
            username=r["facilitator__username"],
            name=f"{r['facilitator__first_name']} {r['facilitator__last_name']}".strip(),
            active=r["active"],
            limit=r["limit"],
            target=r["target"],
        )
        for r in rows
    ]
    return [c for c in loads if c.over] if over_only else loads


@dataclass
class MonthReport:
    facilitator: User
    year: int
    month: int
    visits: list[FacilitationVisit]
    by_topic: dict[str, int] = field(default_factory=dict)
    not_visited: list[Beneficiary] = field(default_factory=list)
    caseload: int = 0
    payments: dict[str, int] = field(default_factory=dict)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)


REPORT_READERS = ("cases.approve_case", "programs.view_beneficiary")


def facilitator_get(*, user, username: str) -> User:
    """A facilitator whose monthly report the user may read: themselves, or (supervisors and
    program officers) a user whose area of work lies in the user's scope. Anyone else is a
    404 — the same for a real username as for a missing one (a real one is audited)."""

    def readable():
        own = Q(pk=user.pk)
        if not any(user.has_perm(p) for p in REPORT_READERS):
            return User.objects.filter(own)
        scope = scope_for(user)
        if scope.national:
            return User.objects.all()
        inside = User.objects.filter(scope.q("scope_areas")).values("pk")
        return User.objects.filter(own | Q(pk__in=inside))

    return get_visible_or_404(readable(), base=User.objects.all(), username=username)


def month_report(*, user, facilitator: User, year: int, month: int) -> MonthReport:
    """The monthly facilitator report: the month's visits and their topics, how many visits
    covered each topic, and the beneficiaries not visited in the month — all read from the
    visit logs. A facilitator sees their own; supervisors and program officers see the
    facilitators of their area."""
    if user.pk != facilitator.pk:
        if not (user.has_perm("cases.approve_case") or user.has_perm("programs.view_beneficiary")):
            raise PermissionDenied("not this facilitator's report")
        if not any(scope_for(user).covers(c) for c in scope_for(facilitator).area_codes or ["-"]):
            raise PermissionDenied("facilitator outside the user's scope")
    if not 1 <= month <= 12:
        raise ValidationError(_("Not a month."))
    start = date(year, month, 1)
    end = date(year, month, calendar.monthrange(year, month)[1])
    visits = list(
        FacilitationVisit.objects.filter(facilitator=facilitator, visited_on__range=(start, end))
        .select_related("beneficiary__person", "beneficiary__program")
        .order_by("visited_on", "id")
    )
    by_topic = {t: 0 for t in Topic.values}
    for visit in visits:  # a month's visits of one facilitator: a few dozen rows
        for topic in visit.topics:
            by_topic[topic] = by_topic.get(topic, 0) + 1
    caseload = Beneficiary.objects.filter(
        facilitator=facilitator, status=Beneficiary.Status.ACTIVE, start_date__lte=end
    )
    not_visited = list(
        caseload.exclude(Q(visits__visited_on__range=(start, end)))
        .select_related("person", "program")
        .order_by("person__name")
    )
    audit_record(
        action="view",
        actor=user,
        object_type="programs.facilitationvisit",
        detail={"facilitator": facilitator.get_username(), "month": f"{year}-{month:02d}"},
    )
    return MonthReport(
        payments=month_payments(user=user, facilitator=facilitator, period=start),
        facilitator=facilitator,
        year=year,
        month=month,
        visits=visits,
        by_topic=by_topic,
        not_visited=not_visited,
        caseload=caseload.count(),
    )


def month_payments(*, user, facilitator: User, period: date) -> dict[str, int]:
    """Disbursement to the facilitator's beneficiaries in the month (the payment cycles of that
    period), for the monthly report: paid, failed delivery attempts, held and still outstanding,
    with amounts in whole rupiah. One aggregate query; carried entitlements (moved into a later
    payment) are not payments. Counts only — no names — within the reader's area scope, so a
    facilitator without access to the payment pages still reports on disbursement."""
    status = Entitlement.Status
    outstanding = Q(status__in=[status.DUE, status.SENT, status.FAILED])
    totals = (
        Entitlement.objects.filter(beneficiary__facilitator=facilitator, cycle__period=period)
        .exclude(status=status.CARRIED)
        .filter(scope_for(user).q("area"))
        .aggregate(
            entitlements=Count("id"),
            paid=Count("id", filter=Q(status=status.PAID)),
            paid_amount=Sum("amount", filter=Q(status=status.PAID)),
            failed_attempts=Sum("failed_attempts"),
            held=Count("id", filter=Q(status=status.HELD)),
            held_amount=Sum("amount", filter=Q(status=status.HELD)),
            outstanding=Count("id", filter=outstanding),
            outstanding_amount=Sum("amount", filter=outstanding),
        )
    )
    return {key: value or 0 for key, value in totals.items()}
