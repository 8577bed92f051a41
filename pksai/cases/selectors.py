"""Reading cases: area scope + role + confidentiality, in one place for lists, pages and API.

A restricted case (conflict with the law, sexual violence, or flagged sensitive) opens only for
its owner, its supervisor and users with cases.view_restricted_case (the coordinator). Others in
the area who may list cases see the row with the child's name masked; social workers who are
not assigned do not see it at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from difflib import SequenceMatcher

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from pksai.accounts.models import User
from pksai.accounts.scoping import (
    get_scoped_or_404,
    get_visible_or_404,
    require_perm,
    scope_for,
    scoped,
)
from pksai.areas.codes import area_q, normalise_area_code
from pksai.cases.models import Case, FollowUp, IntakeReport
from pksai.cases.workflow import (
    OPEN_STAGES,
    OWN_APPROVALS,
    Stage,
    Transition,
    available_transitions,
)
from pksai.registry.models import Person
from pksai.registry.selectors import nik_q

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
            person = nik_q(q, path="child__")
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
    return get_scoped_or_404(
        Case.objects.select_related("child", "owner", "supervisor", "area"),
        user,
        perm=VIEW_CASE,
        area_field="area",
        visible=_openable(user) if user.has_perm(VIEW_CASE) else None,
        pk=pk,
    )


def case_openable(*, user, case: Case) -> bool:
    """Whether case_get would give the user this case (no query, no audit row): for pages
    that decide where to go next, not for opening it."""
    return (
        user.has_perm(VIEW_CASE)
        and scope_for(user).covers(case.area_id)
        and (not case.restricted or sees_restricted_fields(case, user))
    )


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

    @property
    def due_at(self) -> datetime | None:
        """The due moment (a follow-up is due at the start of its day), for sorting."""
        if self.follow_up is not None:
            return timezone.make_aware(datetime.combine(self.due, time.min))
        return self.due


# Counts on the home page stop here ("999+"): an exact count past it helps nobody and costs
# a scan of the user's whole area at a million cases.
COUNT_CAP = 999
APPROVE = "cases.approve_case"
APPROVAL_STAGES = (Stage.PLAN_REVIEW, Stage.CLOSURE_REVIEW)


def capped_count(qs: QuerySet, cap: int = COUNT_CAP) -> int:
    """How many rows ``qs`` has, counting at most ``cap`` + 1 (an index range, not a scan)."""
    return qs.order_by()[: cap + 1].count()


def _by_due(qs: QuerySet, field: str = "stage_due_at") -> QuerySet:
    """Earliest due first, undated last, then by id: the order of the queue indexes."""
    return qs.order_by(F(field).asc(nulls_last=True), "id")


class WorkQueue:
    """A user's work — open cases and pending follow-ups — earliest due first, read a page at a
    time. Each part is one indexed query with a LIMIT (``case_owner_queue``, the follow-up due
    date); a page merges the first ``offset + limit`` rows of each, so the cost follows the page,
    not the caseload. ``cases`` may be several querysets (e.g. dated and undated cases: an OR of
    the two would keep PostgreSQL from reading the due-date index in order). Works with Django's
    Paginator (``count()`` is capped at COUNT_CAP + 1)."""

    def __init__(
        self, cases: QuerySet[Case] | list[QuerySet[Case]], follow_ups: QuerySet[FollowUp]
    ):
        parts = cases if isinstance(cases, list) else [cases]
        self.cases = [_by_due(qs.select_related("child", "owner", "area")) for qs in parts]
        self.follow_ups = _by_due(
            follow_ups.select_related("case", "case__child", "case__owner"), "due_date"
        )

    def count(self) -> int:
        parts = [*self.cases, self.follow_ups]
        return min(sum(capped_count(qs) for qs in parts), COUNT_CAP + 1)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop = index.start or 0, index.stop
        if stop is None:
            stop = start + COUNT_CAP
        items = [QueueItem("case", c.stage_due_at, c) for qs in self.cases for c in qs[:stop]]
        items += [QueueItem("follow_up", f.due_date, f.case, f) for f in self.follow_ups[:stop]]
        items.sort(key=lambda item: (item.due_at is None, item.due_at or 0, item.case.pk))
        return items[start:stop]


def _my_cases(user) -> QuerySet[Case]:
    """Open cases the user owns. A case in post-service monitoring is listed by its pending
    follow-ups; only when none is left does the case itself wait (to be closed)."""
    require_perm(user, VIEW_CASE)
    pending = FollowUp.objects.filter(case=OuterRef("pk"), done_at__isnull=True)
    return Case.objects.filter(owner=user, stage__in=OPEN_STAGES).exclude(
        Q(stage=Stage.FOLLOW_UP) & Exists(pending)
    )


def _my_follow_ups(user) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(case__owner=user, done_at__isnull=True)


def my_work(*, user) -> WorkQueue:
    """Everything the user owns that waits: open cases and pending follow-ups."""
    return WorkQueue(_my_cases(user), _my_follow_ups(user))


def my_overdue(*, user) -> WorkQueue:
    """The user's open cases whose stage is past due, and follow-ups past their day."""
    now, today = timezone.now(), timezone.localdate()
    return WorkQueue(
        _my_cases(user).filter(stage_due_at__lt=now),
        _my_follow_ups(user).filter(due_date__lt=today),
    )


def my_due_this_week(*, user, days: int = 7) -> WorkQueue:
    """The user's open cases and follow-ups that fall due in the next ``days`` days (not yet
    overdue)."""
    now, today = timezone.now(), timezone.localdate()
    return WorkQueue(
        _my_cases(user).filter(stage_due_at__gte=now, stage_due_at__lt=now + timedelta(days=days)),
        _my_follow_ups(user).filter(due_date__gte=today, due_date__lt=today + timedelta(days=days)),
    )


def my_later(*, user, days: int = 7) -> WorkQueue:
    """The user's open cases and follow-ups due after the next ``days`` days, or undated."""
    now, today = timezone.now(), timezone.localdate()
    return WorkQueue(
        [
            _my_cases(user).filter(stage_due_at__gte=now + timedelta(days=days)),
            _my_cases(user).filter(stage_due_at__isnull=True),
        ],
        _my_follow_ups(user).filter(due_date__gte=today + timedelta(days=days)),
    )


def my_work_counts(*, user, days: int = 7) -> dict[str, int]:
    """The sizes of the home page's queues — overdue, due in ``days`` days, later (or
    undated) and all of my open work — in two queries (one over my open cases, one over my
    pending follow-ups; both read the owner's rows only) instead of a capped count per part of
    each queue. The same partition as my_overdue / my_due_this_week / my_later; each count
    stops at COUNT_CAP + 1 like WorkQueue.count()."""
    now, today = timezone.now(), timezone.localdate()
    soon, soon_day = now + timedelta(days=days), today + timedelta(days=days)
    cases = (
        _my_cases(user)
        .order_by()
        .aggregate(
            overdue=Count("pk", filter=Q(stage_due_at__lt=now)),
            week=Count("pk", filter=Q(stage_due_at__gte=now, stage_due_at__lt=soon)),
            later=Count("pk", filter=Q(stage_due_at__gte=soon) | Q(stage_due_at__isnull=True)),
            mine=Count("pk"),
        )
    )
    follow_ups = (
        _my_follow_ups(user)
        .order_by()
        .aggregate(
            overdue=Count("pk", filter=Q(due_date__lt=today)),
            week=Count("pk", filter=Q(due_date__gte=today, due_date__lt=soon_day)),
            later=Count("pk", filter=Q(due_date__gte=soon_day)),
            mine=Count("pk"),
        )
    )
    return {k: min(cases[k] + follow_ups[k], COUNT_CAP + 1) for k in cases}


def work_queue(*, user, limit: int = 50) -> list[QueueItem]:
    """The user's first ``limit`` open cases and pending follow-ups, earliest due first (so
    overdue first). Bounded: a page of my_work, never the whole caseload."""
    return my_work(user=user)[:limit]


def is_coordinator(user) -> bool:
    """Who takes cases that have no supervisor: a user who may approve and open every case in
    their area (cases.approve_case + cases.view_restricted_case: the coordinator role)."""
    return user.has_perm(APPROVE) and user.has_perm(VIEW_RESTRICTED)


def awaiting_approval(*, user) -> QuerySet[Case]:
    """Plans and closures waiting for the user's decision: cases in "plan awaiting approval" or
    "closure awaiting approval" whose supervisor is the user — or, for a coordinator, that have
    no supervisor — inside the user's area scope, never the user's own cases (nobody approves
    their own work). Computed from the cases' stages, so an item leaves the queue the moment
    it is approved or sent back. Earliest due first (index ``case_supervisor_queue``)."""
    require_perm(user, APPROVE)
    mine = Q(supervisor=user)
    if is_coordinator(user):
        mine |= Q(supervisor__isnull=True)
    qs = scoped(Case.objects.all(), user, perm=VIEW_CASE, area_field="area")
    qs = qs.filter(mine, stage__in=APPROVAL_STAGES).exclude(owner=user)
    return _by_due(qs.select_related("child", "owner", "area"))


def unassigned(*, user) -> QuerySet[Case]:
    """For a coordinator: open cases in their area registered without a supervisor (nobody
    would approve their plan or closure). Those already waiting for approval are in
    awaiting_approval instead. Earliest due first; an item leaves when a supervisor is set."""
    require_perm(user, APPROVE)
    if not is_coordinator(user):
        return Case.objects.none()
    waiting = OPEN_STAGES - set(APPROVAL_STAGES)
    qs = scoped(Case.objects.all(), user, perm=VIEW_CASE, area_field="area")
    qs = qs.filter(supervisor__isnull=True, stage__in=waiting)
    return _by_due(qs.select_related("child", "owner", "area"))


def case_approvers(*, case: Case) -> list[User]:
    """Who decides the case's plan and closure: its supervisor, else the coordinators of its
    area (area_coordinators). The people to tell when a plan or closure waits."""
    if case.supervisor_id is not None:
        return [case.supervisor]
    return area_coordinators(area_code=case.area_id)


def area_coordinators(*, area_code: str) -> list[User]:
    """The coordinators of an area: active users who may approve and open every case (see
    is_coordinator) whose scope names the nearest area above ``area_code`` — the regency's
    coordinator before the province's. Empty if nobody covers the area that way."""
    parts = area_code.split(".")
    above = [".".join(parts[: i + 1]) for i in range(len(parts))]
    candidates = (
        colleagues(codes=[area_code], perm=APPROVE)
        .filter(scope_areas__code__in=above)
        .prefetch_related("scope_areas")
    )
    coordinators = [u for u in candidates if u.has_perm(VIEW_RESTRICTED)]
    if not coordinators:
        return []

    def depth(user) -> int:
        return max(len(a.code.split(".")) for a in user.scope_areas.all() if a.code in above)

    nearest = max(depth(u) for u in coordinators)
    return sorted((u for u in coordinators if depth(u) == nearest), key=lambda u: u.pk)


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
    people = scoped(
        Person.objects.select_related("village"), user, perm=VIEW_CASE, area_field="village"
    )
    if nik:
        exact = list(people.filter(nik_q(nik))[:5])
        if exact:
            return exact
    if not (name and birth_date and village):
        return []
    pool = list(people.filter(birth_date=birth_date, village_id=village)[:200])
    scored = [(SequenceMatcher(None, name.lower(), p.name.lower()).ratio(), p) for p in pool]
    return [p for ratio, p in sorted(scored, key=lambda s: -s[0]) if ratio >= 0.6][:5]


@dataclass(frozen=True)
class OpenCase:
    """An open case of a child being registered again, as the registering user may see it:
    ``in_scope`` — in their areas (they may add the new report to it); ``can_open`` — they may
    also open it (not restricted, or restricted and theirs). Outside their areas only the
    number and the regency are shown, so the two offices can talk."""

    case: Case
    in_scope: bool
    can_open: bool


def open_cases_of_child(*, user, child: Person, limit: int = 5) -> list[OpenCase]:
    """Open cases of the same child: the same registry row, or any row linked to the same
    identity (registry.Identity: the same human in another source or edition). The duplicate
    check of case registration. At most ``limit``, newest first; both lookups are indexed
    (case.child, person.identity)."""
    require_perm(user, "cases.add_case")
    same = Q(child_id=child.pk)
    if child.identity_id is not None:
        same |= Q(child__identity_id=child.identity_id)
    cases = Case.objects.filter(same, stage__in=OPEN_STAGES).order_by("-created_at", "-id")
    return open_cases_seen_by(user=user, cases=list(cases[:limit]))


def open_cases_seen_by(*, user, cases: list[Case]) -> list[OpenCase]:
    """``cases`` (found by the duplicate check) as ``user`` may see them."""
    require_perm(user, "cases.add_case")
    rows = Case.objects.filter(pk__in=[c.pk for c in cases]).select_related(
        "owner", "supervisor", "area", "regency", "child"
    )
    scope = scope_for(user)
    found = []
    for case in sorted(rows, key=lambda c: (c.created_at, c.pk), reverse=True):
        in_scope = scope.covers(case.area_id)
        can_open = (
            in_scope
            and user.has_perm(VIEW_CASE)
            and (not case.restricted or sees_restricted_fields(case, user))
        )
        found.append(OpenCase(case=case, in_scope=in_scope, can_open=can_open))
    return found


def intake_reports(*, user, status: str = "pending"):
    """Reports waiting in the intake queue of the user's areas (child-protection complaints):
    registration staff and case workers (``cases.add_case``) in scope."""
    qs = scoped(IntakeReport.objects.all(), user, perm="cases.add_case", area_field="area")
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("area", "case").order_by("received_at", "id")


def intake_report_get(*, user, pk, status: str = "pending") -> IntakeReport:
    """One report of the user's intake queue, else Http404 (missing, already handled, or out
    of area — the last audited as permission_denied)."""
    base = IntakeReport.objects.filter(status=status) if status else IntakeReport.objects.all()
    return get_visible_or_404(lambda: intake_reports(user=user, status=status), base=base, pk=pk)


def case_record_get(*, case: Case, related: str, pk, **lookup):
    """One record of an opened case (``related``: "attachments", "follow_ups", ...), else
    Http404; an id that belongs to another case is audited as permission_denied."""
    return get_visible_or_404(getattr(case, related).all(), pk=pk, **lookup)
