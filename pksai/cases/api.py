"""Cases over JSON, scoped exactly like the pages: every read goes through selectors (a case
outside the caller's area, or restricted and not theirs to open, is a 404; restricted children
are masked in lists), every write locks the case with selectors.case_get_for_update and calls
one service. A save based on an old ``version`` is refused with 409 and changes nothing."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from pksai.accounts.models import User
from pksai.accounts.scoping import scope_for
from pksai.audit.services import audit_record
from pksai.cases import selectors, services
from pksai.cases.models import (
    Case,
    Channel,
    Concern,
    EmergencyAction,
    FollowUp,
    PlanAction,
)
from pksai.cases.services import ConflictError
from pksai.cases.workflow import OPEN_STAGES
from pksai.core.paging import ApiPages
from pksai.registry import selectors as registry_selectors

router = Router()


# --- Output ---------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str


def _user(context) -> User:
    return context["request"].auth


class CaseOut(Schema):
    id: int
    number: str
    stage: str
    stage_due_at: datetime | None
    overdue: bool
    area_code: str
    owner: str
    child_name: str = Field(description="Masked (•••) where the caller may not open the case.")
    concerns: list[str]
    restricted: bool
    response: str
    created_at: datetime
    version: int

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return (
            obj.stage in OPEN_STAGES
            and obj.stage_due_at is not None
            and obj.stage_due_at < timezone.now()
        )

    @staticmethod
    def resolve_area_code(obj) -> str:
        return obj.area_id

    @staticmethod
    def resolve_owner(obj) -> str:
        return obj.owner.get_username()

    @staticmethod
    def resolve_child_name(obj, context) -> str:
        return selectors.display_name(obj, _user(context))

    @staticmethod
    def resolve_concerns(obj) -> list[str]:
        return sorted(c.category for c in obj.concerns.all())


class ChildOut(Schema):
    id: int
    name: str
    sex: str
    birth_date: date
    village_code: str

    @staticmethod
    def resolve_village_code(obj) -> str:
        return obj.village_id


class ReporterOut(Schema):
    name: str
    phone: str
    relation: str


class EmergencyActionOut(Schema):
    id: int
    kind: str
    recorded_at: datetime
    started_at: datetime | None
    notes: str


class PlanActionOut(Schema):
    id: int
    kind: str
    description: str
    responsible: str
    due_date: date
    status: str
    version: int


class FollowUpOut(Schema):
    id: int
    months: int
    due_date: date
    done_at: datetime | None
    notes: str


class EventOut(Schema):
    at: datetime
    actor: str | None
    kind: str
    from_stage: str
    to_stage: str
    code: str = Field(description="What the system said, as a code (cases/messages.py); '' if none")
    params: dict = Field(description="The code's parameters (ISO times, choice codes, names)")
    text: str = Field(description="What a person typed; for old events, the stored sentence")
    message: str = Field(description="code and params in the request's language, then text")

    @staticmethod
    def resolve_actor(obj) -> str | None:
        return obj.actor.get_username() if obj.actor_id else None


class BlockerOut(Schema):
    code: str = Field(description="e.g. assessment_incomplete, plan_action_missing")
    message: str
    url: str = Field(description="The page where the missing part is added.")


class TransitionOut(Schema):
    name: str
    target: str
    needs_reason: bool
    allowed: bool = Field(description="False while the case lacks what the move needs.")
    blockers: list[BlockerOut] = Field(
        description="What the case lacks first (the transition is refused with these)."
    )


class GuardianOut(Schema):
    name: str
    relation: str
    phone: str = Field(description="Empty unless the caller may see restricted fields.")
    lives_with_child: bool


class AssessmentOut(Schema):
    id: int
    kind: str
    risk: str
    domains: dict
    summary: str
    extra: dict
    completed_at: datetime | None
    version: int


class VisitOut(Schema):
    visited_on: date
    place: str
    seen: str
    observations: str
    extra: dict


class CaseDetailOut(CaseOut):
    area_name: str
    channel: str
    summary: str
    supervisor: str | None
    created_by: str
    consent_given: bool
    consent_notes: str
    reporter_anonymous: bool
    reporter: ReporterOut | None = Field(
        description="Absent for an anonymous reporter, and for callers who may not see "
        "restricted fields (only the owner, the supervisor and the coordinator may)."
    )
    guardians: list[GuardianOut]
    assessments: list[AssessmentOut]
    visits: list[VisitOut]
    child: ChildOut
    emergency_pending: bool
    emergency_actions: list[EmergencyActionOut]
    plan_actions: list[PlanActionOut]
    follow_ups: list[FollowUpOut]
    events: list[EventOut]
    transitions: list[TransitionOut] = Field(
        description="Moves the caller's role may make from this stage, each with what the "
        "case still lacks for it (allowed when nothing)."
    )
    extra: dict

    @staticmethod
    def resolve_area_name(obj) -> str:
        return obj.area.name

    @staticmethod
    def resolve_supervisor(obj) -> str | None:
        return obj.supervisor.get_username() if obj.supervisor_id else None

    @staticmethod
    def resolve_created_by(obj) -> str:
        return obj.created_by.get_username()

    @staticmethod
    def resolve_guardians(obj, context) -> list[dict]:
        full = selectors.sees_restricted_fields(obj, _user(context))
        return [
            {
                "name": g.name,
                "relation": g.relation,
                "phone": g.phone if full else "",
                "lives_with_child": g.lives_with_child,
            }
            for g in obj.guardians.all()
        ]

    @staticmethod
    def resolve_assessments(obj) -> list:
        return list(obj.assessments.all())

    @staticmethod
    def resolve_visits(obj) -> list:
        return list(obj.visits.all())

    @staticmethod
    def resolve_reporter(obj, context) -> dict | None:
        if obj.reporter_anonymous or not selectors.sees_restricted_fields(obj, _user(context)):
            return None
        return {
            "name": obj.reporter_name,
            "phone": obj.reporter_phone,
            "relation": obj.reporter_relation,
        }

    @staticmethod
    def resolve_emergency_actions(obj) -> list[EmergencyAction]:
        return list(obj.emergency_actions.order_by("recorded_at", "id"))

    @staticmethod
    def resolve_plan_actions(obj) -> list[PlanAction]:
        return list(obj.plan_actions.order_by("due_date", "id"))

    @staticmethod
    def resolve_follow_ups(obj) -> list[FollowUp]:
        return list(obj.follow_ups.all())

    @staticmethod
    def resolve_events(obj) -> list:
        return list(obj.events.select_related("actor"))

    @staticmethod
    def resolve_transitions(obj, context) -> list[dict]:
        return _transitions(obj, _user(context))


class OpenCaseOut(Schema):
    number: str
    id: int | None = Field(description="Only for a case the caller may open.")
    stage: str | None = Field(description="Only for a case in the caller's area.")
    owner: str | None = Field(description="Only for a case in the caller's area.")
    regency: str


class DuplicateOut(Schema):
    detail: str
    open_cases: list[OpenCaseOut]


class QueueItemOut(Schema):
    kind: str = Field(description="case or follow_up")
    due: datetime | date | None
    overdue: bool
    case_id: int
    number: str
    stage: str
    child_name: str
    follow_up_id: int | None
    follow_up_months: int | None


def _transitions(case: Case, user: User) -> list[dict]:
    return [
        {
            "name": m.name,
            "target": str(m.transition.target),
            "needs_reason": m.transition.needs_reason,
            "allowed": m.allowed,
            "blockers": [
                {"code": b.code, "message": str(b.message), "url": b.url} for b in m.blockers
            ],
        }
        for m in services.case_moves(case=case, user=user)
    ]


# --- Input ----------------------------------------------------------------------------


# The code lists as plain strings in the OpenAPI schema (the model enums share class names).
ChannelCode = Literal[tuple(Channel.values)]
ConcernCode = Literal[tuple(Concern.values)]
EmergencyKind = Literal[tuple(EmergencyAction.Kind.values)]
PlanActionKind = Literal[tuple(PlanAction.Kind.values)]


class CaseFilters(Schema):
    stage: str = ""
    q: str = ""
    overdue: bool = False


class CaseIn(Schema):
    child_id: int = Field(description="A registry person in the caller's area.")
    channel: ChannelCode
    summary: str = Field(min_length=1)
    concerns: list[ConcernCode] = Field(min_length=1)
    reporter_anonymous: bool = False
    reporter_name: str = Field("", max_length=200)
    reporter_phone: str = Field("", max_length=40)
    reporter_relation: str = Field("", max_length=100)
    consent_given: bool = False
    consent_notes: str = Field("", max_length=300)
    sensitive: bool = Field(False, description="Restrict the case (always for sexual violence).")
    owner: str | None = Field(None, description="Username; the caller if absent.")
    supervisor: str | None = Field(None, description="Username.")
    extra: dict = Field(default_factory=dict, description="Administrator-defined intake fields.")
    duplicate_reason: str = Field(
        "",
        max_length=1000,
        description="Register although the child already has an open case: why a second "
        "case is needed (kept on the new case's timeline). Without it such a request is "
        "refused with 409 and the open cases.",
    )


class TransitionIn(Schema):
    name: str = Field(description="A move from `transitions` of the case, e.g. triage.")
    expected_version: int
    reason: str = ""
    response: str = Field("", description="For triage: immediate or at_risk.")


class CaseUpdateIn(Schema):
    summary: str = Field(min_length=1)
    expected_version: int


class EmergencyActionIn(Schema):
    kind: EmergencyKind
    started: bool = False
    notes: str = Field("", max_length=300)


class PlanActionIn(Schema):
    kind: PlanActionKind
    description: str = Field(min_length=1, max_length=300)
    responsible: str = Field(min_length=1, max_length=200)
    due_date: date


class CaseAssignIn(Schema):
    owner: str
    supervisor: str | None = None
    expected_version: int


class FollowUpCompleteIn(Schema):
    notes: str = ""


# --- Helpers --------------------------------------------------------------------------


@contextmanager
def _conflict_is_409() -> Iterator[None]:
    """A ConflictError (someone saved first; the transaction was rolled back) answers 409."""
    try:
        yield
    except ConflictError as exc:
        raise HttpError(409, " ".join(exc.messages)) from exc


def _colleague(username: str, *, area: str, perm: str, field: str) -> User:
    """An active user who may do ``perm`` in ``area``, else a 400 naming ``field``."""
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None or not user.has_perm(perm) or not scope_for(user).covers(area):
        raise ValidationError(
            {field: [_("%(u)s cannot take this case in its area.") % {"u": username}]}
        )
    return user


def _case_out(case: Case) -> Case:
    """The written case, with what CaseOut reads."""
    return Case.objects.select_related("child", "owner", "area").get(pk=case.pk)


class CasePagination(ApiPages):
    """Page through cases and record which were listed (they carry children's names)."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        result = super().paginate_queryset(queryset, pagination, request, **params)
        audit_record(
            action="view",
            actor=request.auth,
            object_type="cases.case",
            detail={
                "ids": [obj.pk for obj in result["items"]],
                "filters": {k: v for k, v in request.GET.items() if v},
            },
        )
        return result


# --- Reads ----------------------------------------------------------------------------


@router.get("/", response=list[CaseOut], summary="Cases in scope (restricted names masked)")
@paginate(CasePagination)
def list_cases(request, filters: Query[CaseFilters]):
    return selectors.case_list(user=request.auth, **filters.dict()).prefetch_related("concerns")


@router.get(
    "/queue/",
    response=list[QueueItemOut],
    summary="The caller's work queue",
    description="The caller's first 50 open cases and pending follow-ups, earliest due first.",
)
def queue(request):
    items = selectors.work_queue(user=request.auth)
    if items:  # children's names: a read of personal data, audited like every list
        audit_record(
            action="view",
            actor=request.auth,
            object_type="cases.case",
            detail={"list": list(dict.fromkeys(i.case.pk for i in items)), "queue": "work"},
        )
    return [
        {
            "kind": item.kind,
            "due": item.due,
            "overdue": item.overdue,
            "case_id": item.case.pk,
            "number": item.case.number,
            "stage": item.case.stage,
            "child_name": selectors.display_name(item.case, request.auth),
            "follow_up_id": item.follow_up.pk if item.follow_up else None,
            "follow_up_months": item.follow_up.months if item.follow_up else None,
        }
        for item in items
    ]


@router.get("/{pk}/", response=CaseDetailOut, summary="One case with its timeline (audited)")
def get_case(request, pk: int):
    case = selectors.case_get(user=request.auth, pk=pk)
    audit_record(action="view", actor=request.auth, obj=case)
    return case


# --- Writes ---------------------------------------------------------------------------


@router.post(
    "/",
    response={201: CaseOut, 409: DuplicateOut},
    summary="Register a report about a child in the registry",
    description="The case starts awaiting triage, due by the SLA. Without a supervisor the "
    "coordinators of the area are told and approve. 409 if the child (the same registry row "
    "or the same linked identity) already has an open case, unless `duplicate_reason` says "
    "why a second case is needed.",
)
def register_case(request, payload: CaseIn):
    child = registry_selectors.person_get(user=request.auth, pk=payload.child_id)
    owner = supervisor = None
    if payload.owner:
        owner = _colleague(
            payload.owner, area=child.village_id, perm="cases.change_case", field="owner"
        )
    if payload.supervisor:
        supervisor = _colleague(
            payload.supervisor,
            area=child.village_id,
            perm="cases.approve_case",
            field="supervisor",
        )
    try:
        case = services.case_register(
            by=request.auth,
            child=child,
            channel=payload.channel,
            summary=payload.summary,
            concerns=payload.concerns,
            owner=owner,
            supervisor=supervisor,
            reporter_anonymous=payload.reporter_anonymous,
            reporter_name=payload.reporter_name,
            reporter_phone=payload.reporter_phone,
            reporter_relation=payload.reporter_relation,
            consent_given=payload.consent_given,
            consent_notes=payload.consent_notes,
            sensitive=payload.sensitive,
            extra=payload.extra,
            duplicate_reason=payload.duplicate_reason,
        )
    except services.DuplicateCaseError as refused:
        seen = selectors.open_cases_seen_by(user=request.auth, cases=refused.cases)
        return Status(
            409,
            {
                "detail": " ".join(refused.messages)
                + " "
                + _("Send duplicate_reason to register a new case anyway."),
                "open_cases": [
                    {
                        "number": o.case.number,
                        "id": o.case.pk if o.can_open else None,
                        "stage": o.case.stage if o.in_scope else None,
                        "owner": o.case.owner.get_username() if o.in_scope else None,
                        "regency": o.case.regency.name,
                    }
                    for o in seen
                ],
            },
        )
    return Status(201, _case_out(case))


@router.post(
    "/{pk}/transitions/",
    response={200: CaseOut, 409: ErrorOut},
    summary="Move the case along the SOP",
    description="409 if the case changed since `expected_version` was read (nothing is saved).",
)
def transition_case(request, pk: int, payload: TransitionIn):
    with _conflict_is_409(), transaction.atomic():
        case = selectors.case_get_for_update(user=request.auth, pk=pk)
        services.case_transition(
            case=case,
            name=payload.name,
            by=request.auth,
            expected_version=payload.expected_version,
            reason=payload.reason,
            response=payload.response,
        )
    return _case_out(case)


@router.patch(
    "/{pk}/",
    response={200: CaseOut, 409: ErrorOut},
    summary="Edit what was reported",
    description="409 if the case changed since `expected_version` was read.",
)
def update_case(request, pk: int, payload: CaseUpdateIn):
    with _conflict_is_409(), transaction.atomic():
        case = selectors.case_get_for_update(user=request.auth, pk=pk)
        services.case_update_summary(
            case=case,
            by=request.auth,
            expected_version=payload.expected_version,
            summary=payload.summary,
        )
    return _case_out(case)


@router.post(
    "/{pk}/assign/",
    response={200: CaseOut, 409: ErrorOut},
    summary="Hand the case to another worker (supervisors)",
)
def assign_case(request, pk: int, payload: CaseAssignIn):
    with _conflict_is_409(), transaction.atomic():
        case = selectors.case_get_for_update(user=request.auth, pk=pk)
        owner = _colleague(
            payload.owner, area=case.area_id, perm="cases.change_case", field="owner"
        )
        supervisor = None
        if payload.supervisor:
            supervisor = _colleague(
                payload.supervisor,
                area=case.area_id,
                perm="cases.approve_case",
                field="supervisor",
            )
        services.case_assign(
            case=case,
            owner=owner,
            supervisor=supervisor,
            by=request.auth,
            expected_version=payload.expected_version,
        )
    return _case_out(case)


@router.post(
    "/{pk}/emergency-actions/",
    response={201: EmergencyActionOut},
    summary="Record an emergency action (immediate response)",
)
def add_emergency_action(request, pk: int, payload: EmergencyActionIn):
    with transaction.atomic():
        case = selectors.case_get_for_update(user=request.auth, pk=pk)
        action = services.emergency_action_record(
            case=case,
            by=request.auth,
            kind=payload.kind,
            started=payload.started,
            notes=payload.notes,
        )
    return Status(201, action)


@router.post(
    "/{pk}/emergency-actions/{action_id}/start/",
    response=EmergencyActionOut,
    summary="Mark an emergency action as started",
)
def start_emergency_action(request, pk: int, action_id: int):
    with transaction.atomic():
        case = selectors.case_get_for_update(user=request.auth, pk=pk)
        action = selectors.case_record_get(case=case, related="emergency_actions", pk=action_id)
        services.emergency_action_start(action=action, by=request.auth)
    return action


@router.post(
    "/{pk}/plan-actions/",
    response={201: PlanActionOut},
    summary="Add an action to the case plan",
    description="Enrolment waits until an immediate-response case's emergency action started.",
)
def add_plan_action(request, pk: int, payload: PlanActionIn):
    with transaction.atomic():
        case = selectors.case_get_for_update(user=request.auth, pk=pk)
        action = services.plan_action_add(
            case=case,
            by=request.auth,
            kind=payload.kind,
            description=payload.description,
            responsible=payload.responsible,
            due_date=payload.due_date,
        )
    return Status(201, action)


@router.post(
    "/{pk}/follow-ups/{follow_up_id}/complete/",
    response=FollowUpOut,
    summary="Record a post-service monitoring follow-up as done",
)
def complete_follow_up(request, pk: int, follow_up_id: int, payload: FollowUpCompleteIn):
    with transaction.atomic():
        case = selectors.case_get_for_update(user=request.auth, pk=pk)
        follow_up = selectors.case_record_get(case=case, related="follow_ups", pk=follow_up_id)
        services.follow_up_complete(follow_up=follow_up, by=request.auth, notes=payload.notes)
    return follow_up
