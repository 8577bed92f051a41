"""Reading cases: area scope + role + confidentiality, in one place for lists, pages and API.

A restricted case (conflict with the law, sexual violence, or flagged sensitive) opens only for
its owner, its supervisor and users with cases.view_restricted_case (the coordinator). Others in
the area who may list cases see the row with the child's name masked; social workers who are
not assigned do not see it at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from difflib import SequenceMatcher

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone

from pksai.accounts.models import User
from pksai.accounts.scoping import require_perm, scoped
from pksai.areas.codes import area_q, normalise_area_code
from pksai.cases.models import Case, FollowUp, IntakeReport
from pksai.cases.workflow import OPEN_STAGES, OWN_APPROVALS, Transition, available_transitions
from pksai.registry.models import Person

VIEW_CASE = "cases.view_case"
VIEW_RESTRICTED = "cases.view_restricted_case"
LIST_MASKED = "cases.approve_case"  # supervisors and coordinators see masked rows in lists
MASK = "•••"


def openable_q(user, prefix: str = "") -> Q:
    """Cases (at ``prefix``, e.g. "case__") the user may open besides the area scope: every
    unrestricted case; a restricted one only as its owner or supervisor or with
    cases.view_restricted_case."""
    if user.has_perm(VIEW_RESTRICTED):
        return Q()
    return (
        Q(**{f"{prefix}restricted": False})
        | Q(**{f"{prefix}owner": user})
        | Q(**{f"{prefix}supervisor": user})
    )


_openable = openable_q


def case_list(
    *,
    user,
    stage: str = "",
    q: str = "",
    overdue: bool = False,
    owner: str = "",
    area: str = "",
    concern: str = "",
    response: str = "",
) -> QuerySet[Case]:
    """Cases in scope the user may list, newest first. Restricted rows the user cannot open
    are left out for workers and shown masked (display_name) to supervisors and coordinators.
    ``q`` matches a case number, a NIK, or every word of the child's name (served by the
    trigram index on PostgreSQL). Concerns are prefetched: a page costs the same few queries
    whatever its length."""
    qs = scoped(Case.objects.all(), user, perm=VIEW_CASE, area_field="area")
    if not user.has_perm(LIST_MASKED):
        qs = qs.filter(_openable(user))
    if stage:
        qs = qs.filter(stage=stage)
    if overdue:
        qs = qs.filter(stage__in=OPEN_STAGES, stage_due_at__lt=timezone.now())
    if owner:
        qs = qs.filter(owner__username=owner)
    if area:
        qs = qs.filter(area_q("area", normalise_area_code(area) or "-"))
    if concern:
        qs = qs.filter(concerns__category=concern)
    if response:
        qs = qs.filter(response=response)
    q = q.strip()
    if q:
        if q.isdigit() and len(q) == 16:
            person = Q(child__nik=q)
        elif any(ch.isdigit() for ch in q):
            person = None
            qs = qs.filter(number__icontains=q)
        else:
            person = Q()
            for word in q.split():
                person &= Q(child__name__icontains=word)
        if person is not None:
            # a restricted child's name or NIK must not find the row for those who see it
            # masked (supervisors who are not assigned to it)
            openable = _openable(user) if user.has_perm(LIST_MASKED) else Q()
            found = qs.filter(person & openable)
            if not q.isdigit() and connection.vendor == "postgresql" and not found.exists():
                # nothing contains these words: names that are similar (misspellings,
                # e.g. "Aminnah" for "Aminah"), by trigram similarity on the name index
                similar = RawSQL(
                    "SELECT id FROM registry_person WHERE UPPER(name) %% UPPER(%s)", [q]
                )
                found = qs.filter(Q(child_id__in=similar) & openable)
            qs = found
    return (
        qs.select_related("child", "owner", "area")
        .prefetch_related("concerns")
        .order_by("-created_at", "-id")
    )


def case_transitions_for(*, user, case: Case) -> list[Transition]:
    """The SOP moves the user's role allows from the case's stage (a worker never approves
    their own case). Pages and API offer exactly these."""
    return [
        t
        for t in available_transitions(case.stage)
        if user.has_perm(t.perm) and not (t.name in OWN_APPROVALS and case.owner_id == user.pk)
    ]


def sees_restricted_fields(case: Case, user) -> bool:
    """The owner, the supervisor and users with cases.view_restricted_case see a restricted
    case's child by name, and every case's restricted fields (the child's NIK, the reporter,
    notes, guardians' phones) on the page, in the summary PDF and in the API."""
    return user.pk in {case.owner_id, case.supervisor_id} or user.has_perm(VIEW_RESTRICTED)


def display_name(case: Case, user) -> str:
    """The child's name, or a mask where the user may not open this restricted case."""
    if not case.restricted or sees_restricted_fields(case, user):
        return case.child.name
    return MASK


def case_get(*, user, pk: int) -> Case:
    """One case the user may open, else Http404 (missing, out of scope, restricted, or the
    user's role has no access to cases at all, like a provider's focal person)."""
    if not user.has_perm(VIEW_CASE):
        raise Http404("No case matches the given query.")
    qs = scoped(
        Case.objects.select_related("child", "owner", "supervisor", "area"),
        user,
        perm=VIEW_CASE,
        area_field="area",
    ).filter(_openable(user))
    case = qs.filter(pk=pk).first()
    if case is None:
        raise Http404("No case matches the given query.")
    return case


def case_get_for_update(*, user, pk: int) -> Case:
    """As case_get, with the row locked until the transaction ends (call inside atomic)."""
    case_get(user=user, pk=pk)
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("owner", "supervisor")
        .get(pk=pk)
    )


@dataclass(frozen=True)
class QueueItem:
    kind: str  # "case" or "follow_up"
    due: object
    case: Case
    follow_up: FollowUp | None = None

    @property
    def overdue(self) -> bool:
        now = timezone.now()
        if self.follow_up is not None:
            return self.follow_up.due_date < timezone.localdate()
        return self.due is not None and self.due < now


def work_queue(*, user) -> list[QueueItem]:
    """The user's open cases and pending follow-ups, earliest due first (so overdue first)."""
    require_perm(user, VIEW_CASE)
    cases = Case.objects.filter(owner=user, stage__in=OPEN_STAGES).select_related("child")
    items = [QueueItem("case", c.stage_due_at, c) for c in cases]
    follow_ups = FollowUp.objects.filter(case__owner=user, done_at__isnull=True).select_related(
        "case", "case__child"
    )
    items += [QueueItem("follow_up", f.due_date, f.case, f) for f in follow_ups]

    def key(item: QueueItem):
        due = item.due
        if item.follow_up is not None:
            due = timezone.make_aware(datetime.combine(due, time.min))
        return (due is None, due)

    return sorted(items, key=key)


def team_overdue(*, user) -> list[dict]:
    """For a supervisor: per worker, open cases and how many are overdue."""
    require_perm(user, "cases.approve_case")
    now = timezone.now()
    return list(
        Case.objects.filter(supervisor=user, stage__in=OPEN_STAGES)
        .values("owner__username")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(stage_due_at__lt=now)))
        .order_by("-overdue", "owner__username")
    )


def colleagues(*, codes: list[str], perm: str = "") -> QuerySet:
    """Active users who work in or around the areas ``codes`` (their scope covers one of them
    or lies inside one), holding ``perm`` through their role when given. For the owner,
    supervisor and participant pickers; unordered."""
    around = Q()
    for code in codes:
        parts = code.split(".")
        above = [".".join(parts[: i + 1]) for i in range(len(parts))]
        around |= Q(scope_areas__code__in=above) | Q(scope_areas__code__startswith=code + ".")
    users = User.objects.filter(around, is_active=True)
    if perm:
        app_label, codename = perm.split(".")
        users = users.filter(
            groups__permissions__codename=codename,
            groups__permissions__content_type__app_label=app_label,
        )
    return users.distinct()


def child_candidates(
    *, user, nik: str = "", name: str = "", birth_date: date | None = None, village: str = ""
) -> list[Person]:
    """Possible existing records of a reported child: the same NIK, or the same birth date
    and village with a similar name (fuzzy), best first."""
    people = scoped(Person.objects.all(), user, perm=VIEW_CASE, area_field="village")
    if nik:
        exact = list(people.filter(nik=nik)[:5])
        if exact:
            return exact
    if not (name and birth_date and village):
        return []
    pool = list(people.filter(birth_date=birth_date, village_id=village)[:200])
    scored = [(SequenceMatcher(None, name.lower(), p.name.lower()).ratio(), p) for p in pool]
    return [p for ratio, p in sorted(scored, key=lambda s: -s[0]) if ratio >= 0.6][:5]


def intake_reports(*, user, status: str = "pending"):
    """Reports waiting in the intake queue of the user's areas (child-protection complaints):
    registration staff and case workers (``cases.add_case``) in scope."""
    qs = scoped(IntakeReport.objects.all(), user, perm="cases.add_case", area_field="area")
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("area", "case").order_by("received_at", "id")
