"""Data protection over JSON (mounted at /api/v1/privacy/): a case's consents and legal
grounds, requests from data subjects, the breach register. Scoped like the pages (out of
scope is a 404, audited); edits carry the version read (409 when someone saved first)."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from pksai.audit.services import audit_record
from pksai.cases import selectors as case_selectors
from pksai.cases.services import ConflictError
from pksai.core.paging import ApiPages
from pksai.privacy import selectors, services
from pksai.privacy.models import (
    Breach,
    BreachNotice,
    Consent,
    LegalBasis,
    LegalGround,
    Relationship,
    RequestKind,
    SubjectRequest,
)

router = Router()


class PrivacyConflictOut(Schema):
    """409: someone saved the record since the caller read it; nothing was written."""

    detail: str


RelationshipCode = Literal[tuple(Relationship.values)]  # type: ignore[valid-type]
KindCode = Literal[tuple(RequestKind.values)]  # type: ignore[valid-type]
BasisCode = Literal[tuple(LegalBasis.values)]  # type: ignore[valid-type]
ChannelCode = Literal[tuple(SubjectRequest.Channel.values)]  # type: ignore[valid-type]


@contextmanager
def _conflict_is_409() -> Iterator[None]:
    try:
        yield
    except ConflictError as exc:
        raise HttpError(409, " ".join(exc.messages)) from exc


# --- consents -----------------------------------------------------------------------------


class ConsentOut(Schema):
    id: int
    purpose: str
    organisation_id: int | None
    given_by_name: str
    relationship: str
    given_at: datetime
    how: str
    expires_on: date | None
    active: bool
    withdrawn_at: datetime | None
    withdrawn_by_name: str
    withdrawal_reason: str
    version: int


class LegalGroundOut(Schema):
    id: int
    purpose: str
    basis: str
    explanation: str
    recorded_at: datetime
    ended_at: datetime | None
    version: int


class CaseConsentsOut(Schema):
    consents: list[ConsentOut]
    legal_grounds: list[LegalGroundOut]


def _consent(c: Consent) -> dict:
    return {
        "id": c.pk,
        "purpose": c.purpose.code,
        "organisation_id": c.organisation_id,
        "given_by_name": c.given_by_name,
        "relationship": c.relationship,
        "given_at": c.given_at,
        "how": c.how,
        "expires_on": c.expires_on,
        "active": c.is_active(),
        "withdrawn_at": c.withdrawn_at,
        "withdrawn_by_name": c.withdrawn_by_name,
        "withdrawal_reason": c.withdrawal_reason,
        "version": c.version,
    }


def _ground(g: LegalGround) -> dict:
    return {
        "id": g.pk,
        "purpose": g.purpose.code,
        "basis": g.basis,
        "explanation": g.explanation,
        "recorded_at": g.recorded_at,
        "ended_at": g.ended_at,
        "version": g.version,
    }


@router.get(
    "/cases/{int:pk}/consents/",
    response=CaseConsentsOut,
    summary="The consent ledger of a case's child and the case's legal grounds (audited)",
)
def case_consents(request, pk: int):
    user = request.auth
    case = case_selectors.case_get(user=user, pk=pk)
    consents = list(selectors.case_consents(user=user, case=case))
    grounds = (
        list(selectors.case_legal_grounds(user=user, case=case))
        if user.has_perm(selectors.VIEW_GROUND)
        else []
    )
    audit_record(
        action="view",
        actor=user,
        obj=case,
        detail={"consents": [c.pk for c in consents], "legal_grounds": [g.pk for g in grounds]},
    )
    return {
        "consents": [_consent(c) for c in consents],
        "legal_grounds": [_ground(g) for g in grounds],
    }


class ConsentIn(Schema):
    purpose: str = Field(description="A purpose code: referral, transfer, program, ...")
    given_by_name: str = Field(min_length=1, max_length=200)
    relationship: RelationshipCode
    given_at: datetime
    how: str = Field("", max_length=200)
    expires_on: date | None = None


@router.post("/cases/{int:pk}/consents/", response={201: ConsentOut}, summary="Record a consent")
def consent_create(request, pk: int, payload: ConsentIn):
    user = request.auth
    case = case_selectors.case_get(user=user, pk=pk)
    consent = services.consent_record(
        by=user,
        case=case,
        data=services.ConsentInput(**payload.dict()),
    )
    return Status(201, _consent(consent))


class ConsentWithdrawIn(Schema):
    version: int
    withdrawn_by_name: str = Field(min_length=1, max_length=200)
    reason: str = Field("", max_length=500)


@router.post(
    "/cases/{int:pk}/consents/{int:consent_id}/withdraw",
    response={200: ConsentOut, 409: PrivacyConflictOut},
    summary="Record the withdrawal of a consent",
)
def consent_withdraw(request, pk: int, consent_id: int, payload: ConsentWithdrawIn):
    user = request.auth
    case = case_selectors.case_get(user=user, pk=pk)
    consent = selectors.consent_get(user=user, case=case, pk=consent_id)
    with _conflict_is_409():
        consent = services.consent_withdraw(
            by=user,
            consent=consent,
            expected_version=payload.version,
            withdrawn_by_name=payload.withdrawn_by_name,
            reason=payload.reason,
        )
    return _consent(consent)


class LegalGroundIn(Schema):
    purpose: str
    basis: BasisCode
    explanation: str = Field(min_length=1, max_length=5000)


@router.post(
    "/cases/{int:pk}/legal-grounds/",
    response={201: LegalGroundOut},
    summary="Record a legal ground for sharing without consent (supervisors)",
)
def legal_ground_create(request, pk: int, payload: LegalGroundIn):
    user = request.auth
    case = case_selectors.case_get(user=user, pk=pk)
    ground = services.legal_ground_record(by=user, case=case, **payload.dict())
    return Status(201, _ground(ground))


# --- requests from data subjects ----------------------------------------------------------


class SubjectRequestOut(Schema):
    id: int
    number: str
    kind: str
    area_code: str
    person_id: int
    person_name: str
    requester_name: str
    requester_relationship: str
    channel: str
    received_at: datetime
    due_at: datetime
    overdue: bool
    status: str
    decision: str
    refusal_ground: str
    decided_at: datetime | None
    version: int


def _request(r: SubjectRequest) -> dict:
    return {
        "id": r.pk,
        "number": r.number,
        "kind": r.kind,
        "area_code": r.area_id,
        "person_id": r.person_id,
        "person_name": r.person.name,
        "requester_name": r.requester_name,
        "requester_relationship": r.requester_relationship,
        "channel": r.channel,
        "received_at": r.received_at,
        "due_at": r.due_at,
        "overdue": r.is_overdue,
        "status": r.status,
        "decision": r.decision,
        "refusal_ground": r.refusal_ground,
        "decided_at": r.decided_at,
        "version": r.version,
    }


class RequestPagination(ApiPages):
    """Rows of the queue; the ids shown are written to the audit trail."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        result = super().paginate_queryset(queryset, pagination, request, **params)
        items = list(result["items"])
        if items:
            audit_record(
                action="view",
                actor=request.auth,
                object_type="privacy.subjectrequest",
                detail={"list": [r.pk for r in items]},
            )
        return {**result, "items": [_request(r) for r in items]}


class SubjectRequestFilters(Schema):
    queue: Literal[selectors.REQUEST_QUEUES] = "open"  # type: ignore[valid-type]


@router.get("/requests/", response=list[SubjectRequestOut], summary="Requests from data subjects")
@paginate(RequestPagination)
def request_list(request, filters: Query[SubjectRequestFilters]) -> QuerySet[SubjectRequest]:
    return selectors.request_queue(user=request.auth, queue=filters.queue)


@router.get("/requests/{int:pk}/", response=SubjectRequestOut, summary="One request (audited)")
def request_get(request, pk: int):
    found = selectors.request_get(user=request.auth, pk=pk)
    audit_record(action="view", actor=request.auth, obj=found)
    return _request(found)


class SubjectRequestIn(Schema):
    kind: KindCode
    nik: str = Field("", max_length=16, description="The person's NIK, or give case_number.")
    case_number: str = Field("", max_length=20)
    requester_name: str = Field(min_length=1, max_length=200)
    requester_relationship: RelationshipCode
    requester_contact: str = Field(min_length=1, max_length=200)
    channel: ChannelCode
    details: str = Field(min_length=1, max_length=5000)
    received_at: datetime


@router.post("/requests/", response={201: SubjectRequestOut}, summary="Record a request")
def request_create(request, payload: SubjectRequestIn):
    user = request.auth
    person = selectors.person_in_scope(user=user, nik=payload.nik, case_number=payload.case_number)
    if person is None:
        raise ValidationError({"nik": [_("Nobody with this NIK or case number in your area.")]})
    data = payload.dict()
    made = services.subject_request_create(
        by=user,
        data=services.RequestInput(
            person=person, **{k: v for k, v in data.items() if k not in {"nik", "case_number"}}
        ),
    )
    return Status(201, _request(made))


class SubjectRequestDecisionIn(Schema):
    version: int
    outcome: Literal["done", "refused"]
    decision: str = Field(min_length=1, max_length=5000)
    refusal_ground: str = Field("", max_length=300)


@router.post(
    "/requests/{int:pk}/decision",
    response={200: SubjectRequestOut, 409: PrivacyConflictOut},
    summary="Answer a request: granted (done) or refused with its ground",
)
def request_decide(request, pk: int, payload: SubjectRequestDecisionIn):
    user = request.auth
    found = selectors.request_get(user=user, pk=pk)
    with _conflict_is_409():
        found = services.subject_request_decide(
            by=user,
            request=found,
            expected_version=payload.version,
            outcome=payload.outcome,
            decision=payload.decision,
            refusal_ground=payload.refusal_ground,
        )
    return _request(found)


# --- breaches -----------------------------------------------------------------------------


class BreachNoticeOut(Schema):
    id: int
    kind: str
    due_at: datetime
    status: str
    overdue: bool
    done_at: datetime | None
    note: str
    version: int


class BreachOut(Schema):
    id: int
    number: str
    area_code: str
    discovered_at: datetime
    discovered_by: str
    what_happened: str
    data_kinds: str
    people_affected: int
    containment: str
    status: str
    notices: list[BreachNoticeOut]
    version: int


def _notice(n: BreachNotice) -> dict:
    return {
        "id": n.pk,
        "kind": n.kind,
        "due_at": n.due_at,
        "status": n.status,
        "overdue": n.is_overdue,
        "done_at": n.done_at,
        "note": n.note,
        "version": n.version,
    }


def _breach(b: Breach) -> dict:
    return {
        "id": b.pk,
        "number": b.number,
        "area_code": b.area_id,
        "discovered_at": b.discovered_at,
        "discovered_by": b.discovered_by,
        "what_happened": b.what_happened,
        "data_kinds": b.data_kinds,
        "people_affected": b.people_affected,
        "containment": b.containment,
        "status": b.status,
        "notices": [_notice(n) for n in b.notices.all()],
        "version": b.version,
    }


class BreachPagination(ApiPages):
    def paginate_queryset(self, queryset, pagination, request, **params):
        result = super().paginate_queryset(queryset, pagination, request, **params)
        return {**result, "items": [_breach(b) for b in result["items"]]}


class BreachFilters(Schema):
    status: Literal["open", "closed", ""] = "open"


@router.get("/breaches/", response=list[BreachOut], summary="The breach register")
@paginate(BreachPagination)
def breach_list(request, filters: Query[BreachFilters]) -> QuerySet[Breach]:
    return selectors.breach_list(user=request.auth, status=filters.status).prefetch_related(
        "notices"
    )


@router.get("/breaches/{int:pk}/", response=BreachOut, summary="One breach (audited)")
def breach_get(request, pk: int):
    found = selectors.breach_get(user=request.auth, pk=pk)
    audit_record(action="view", actor=request.auth, obj=found)
    return _breach(found)


class BreachIn(Schema):
    area_code: str = Field(min_length=1, max_length=20)
    discovered_at: datetime
    discovered_by: str = Field(min_length=1, max_length=200)
    what_happened: str = Field(min_length=1, max_length=10000)
    data_kinds: str = Field(min_length=1, max_length=500)
    people_affected: int = Field(ge=0, le=100_000_000)
    containment: str = Field("", max_length=10000)


@router.post("/breaches/", response={201: BreachOut}, summary="Register a breach")
def breach_create(request, payload: BreachIn):
    made = services.breach_record(by=request.auth, data=services.BreachInput(**payload.dict()))
    return Status(201, _breach(made))


class BreachNoticeIn(Schema):
    version: int
    status: Literal["done", "not_required"]
    note: str = Field(min_length=1, max_length=5000)
    done_at: datetime | None = None


@router.post(
    "/breaches/{int:pk}/notices/{int:notice_id}",
    response={200: BreachNoticeOut, 409: PrivacyConflictOut},
    summary="Mark a notification step done (or the public notice not required)",
)
def breach_notice(request, pk: int, notice_id: int, payload: BreachNoticeIn):
    user = request.auth
    breach = selectors.breach_get(user=user, pk=pk)
    notice = selectors.notice_get(user=user, breach=breach, pk=notice_id)
    with _conflict_is_409():
        notice = services.breach_notice_mark(
            by=user,
            notice=notice,
            expected_version=payload.version,
            **payload.dict(exclude={"version"}),
        )
    return _notice(notice)
