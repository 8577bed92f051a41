"""Providers and referrals over JSON, scoped exactly like the pages.

Every read goes through selectors: a provider outside the caller's area, a referral of a case
out of scope or addressed to another organisation is a 404. What a caller sees of a referral
depends on whether they may open its case (selectors.sees_case): case staff get the case and
everything (``"view": "full"``); a provider's focal person, or a receiving secretariat before
it accepts a transfer, gets only what the referral shares (``"view": "shared"``) — never the
case, its owner or anything else of it. Every write calls one service; a move based on an old
``version`` is refused with 409 and changes nothing.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from pksai.accounts.models import Organisation, User
from pksai.accounts.scoping import require_perm
from pksai.audit.services import audit_record
from pksai.cases import selectors as case_selectors
from pksai.cases.models import PlanAction
from pksai.cases.services import ConflictError
from pksai.core.paging import ApiPages
from pksai.privacy.selectors import referral_disclosure
from pksai.referrals import selectors, services
from pksai.referrals.models import Referral, Satisfaction, Service, Urgency
from pksai.referrals.services import DEFAULT_SHARE, SHAREABLE, Answer

router = Router()

# The code lists as plain strings in the OpenAPI schema (the model enums share class names).
UrgencyCode = Literal[tuple(Urgency.values)]
ShareKey = Literal[tuple(SHAREABLE)]
RespondentCode = Literal[tuple(Satisfaction.Respondent.values)]


# --- Output: catalogue and providers ----------------------------------------------------


class ErrorOut(Schema):
    detail: str


class ServiceOut(Schema):
    code: str
    name: str = Field(description="In the language of the request.")
    sector: str


class ProviderOut(Schema):
    id: int
    organisation_id: int
    name: str
    organisation_kind: str
    area_code: str
    area_name: str
    address: str
    phone: str
    email: str
    sector: str
    services: list[str] = Field(description="Codes from /referrals/services/.")
    catchment: list[str] = Field(description="Area codes served besides the own regency.")
    opening_hours: str
    contact_person: str
    focal_persons: int = Field(description="Active users answering referrals for it.")
    is_active: bool
    version: int

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.organisation.name

    @staticmethod
    def resolve_organisation_kind(obj) -> str:
        return obj.organisation.kind

    @staticmethod
    def resolve_area_code(obj) -> str:
        return obj.organisation.area_id

    @staticmethod
    def resolve_area_name(obj) -> str:
        return obj.organisation.area.name

    @staticmethod
    def resolve_address(obj) -> str:
        return obj.organisation.address

    @staticmethod
    def resolve_phone(obj) -> str:
        return obj.organisation.phone

    @staticmethod
    def resolve_email(obj) -> str:
        return obj.organisation.email

    @staticmethod
    def resolve_is_active(obj) -> bool:
        return obj.organisation.is_active

    @staticmethod
    def resolve_services(obj) -> list[str]:
        return sorted(s.code for s in obj.services.all())

    @staticmethod
    def resolve_catchment(obj) -> list[str]:
        return sorted(a.code for a in obj.catchment.all())

    @staticmethod
    def resolve_focal_persons(obj) -> int:
        counted = getattr(obj, "focal_count", None)
        return counted if counted is not None else selectors.focal_persons(obj).count()


# --- Output: referrals ------------------------------------------------------------------


class OrganisationRef(Schema):
    id: int
    name: str


class ServiceRef(Schema):
    code: str
    name: str


class CaseRef(Schema):
    id: int
    number: str


class CaseSummary(CaseRef):
    stage: str
    owner: str
    child_name: str


class MoveOut(Schema):
    name: str
    target: str
    needs: list[str] = Field(description="Fields the move requires, e.g. reason.")


class ReferralEventOut(Schema):
    at: datetime
    status: str
    text: str = Field(description="The words of the person who moved the referral.")
    on_behalf: bool = Field(
        description="Recorded by case staff for the provider (the provider did not say it)."
    )
    actor: str | None = Field(description="Username; only for case staff.")


class SatisfactionOut(Schema):
    id: int
    moment: str
    respondent: str
    score: int | None
    comment: str
    answered_at: datetime | None


class _RowBase(Schema):
    id: int
    number: str
    kind: str
    to_organisation: OrganisationRef
    service: ServiceRef | None
    urgency: str
    status: str
    child_name: str = Field(description="As shared with the receiver; empty if not shared.")
    due_date: date
    respond_by: datetime | None
    overdue: bool
    sent_at: datetime
    version: int


class ReferralRowShared(_RowBase):
    view: Literal["shared"] = Field(description="The caller sees only what was shared.")


class ReferralRowFull(_RowBase):
    view: Literal["full"] = Field(description="The caller may open the case.")
    case: CaseRef


ReferralRow = Annotated[ReferralRowShared | ReferralRowFull, Field(discriminator="view")]


class SharingBasisOut(Schema):
    kind: Literal["consent", "legal_ground"]
    purpose: str = Field(description="The purpose code (referral, transfer, ...).")
    given_by_relationship: str | None = Field(
        None, description="For a consent: who gave it (mother, guardian, ...)."
    )
    given_at: datetime | None = None
    withdrawn_at: datetime | None = None
    legal_ground: str | None = Field(None, description="For a legal ground: its code.")


class _DetailBase(_RowBase):
    reason: str
    sharing_basis: SharingBasisOut | None = Field(
        description="On which consent or legal ground identifying data were shared (none: "
        "nothing identifying was shared)."
    )
    shared: dict = Field(description="The snapshot the sender chose to share.")
    acknowledged_at: datetime | None
    responded_at: datetime | None
    decline_reason: str
    service_started_at: datetime | None
    delivered_on: date | None
    provided: str
    outcome: str
    closed_at: datetime | None
    updated_at: datetime
    events: list[ReferralEventOut]
    moves: list[MoveOut] = Field(description="Moves the caller may make now.")


class ReferralShared(_DetailBase):
    view: Literal["shared"] = Field(description="The caller sees only what was shared.")


class ReferralFull(_DetailBase):
    view: Literal["full"] = Field(description="The caller may open the case.")
    case: CaseSummary
    plan_action_id: int | None
    area_code: str
    consent: bool
    sent_by: str
    responded_by: str | None
    cancel_reason: str
    escalated_at: datetime | None
    satisfaction: list[SatisfactionOut]


ReferralDetail = Annotated[ReferralShared | ReferralFull, Field(discriminator="view")]


def _row(referral: Referral, full: bool) -> dict:
    row = {
        "view": "full" if full else "shared",
        "id": referral.pk,
        "number": referral.number,
        "kind": referral.kind,
        "to_organisation": {
            "id": referral.to_organisation_id,
            "name": referral.to_organisation.name,
        },
        "service": (
            {"code": referral.service.code, "name": referral.service.name}
            if referral.service_id
            else None
        ),
        "urgency": referral.urgency,
        "status": referral.status,
        "child_name": str(referral.shared.get("name", "")),
        "due_date": referral.due_date,
        "respond_by": referral.respond_by,
        "overdue": selectors.is_overdue(referral),
        "sent_at": referral.sent_at,
        "version": referral.version,
    }
    if full:
        row["case"] = {"id": referral.case_id, "number": referral.case.number}
    return row


def _sharing_basis(referral: Referral) -> dict | None:
    disclosure = referral_disclosure(referral)
    if disclosure is None:
        return None
    if disclosure.consent_id:
        consent = disclosure.consent
        return {
            "kind": "consent",
            "purpose": consent.purpose.code,
            "given_by_relationship": consent.relationship,
            "given_at": consent.given_at,
            "withdrawn_at": consent.withdrawn_at,
        }
    ground = disclosure.legal_ground
    return {"kind": "legal_ground", "purpose": ground.purpose.code, "legal_ground": ground.basis}


def _detail(referral: Referral, user: User) -> dict:
    """The referral as this user may see it (the case only if they may open it)."""
    full = selectors.sees_case(user, referral)
    out = _row(referral, full)
    out |= {
        "reason": referral.reason,
        "sharing_basis": _sharing_basis(referral),
        "shared": referral.shared,
        "acknowledged_at": referral.acknowledged_at,
        "responded_at": referral.responded_at,
        "decline_reason": referral.decline_reason,
        "service_started_at": referral.service_started_at,
        "delivered_on": referral.delivered_on,
        "provided": referral.provided,
        "outcome": referral.outcome,
        "closed_at": referral.closed_at,
        "updated_at": referral.updated_at,
        "events": [
            {
                "at": e.at,
                "status": e.status,
                "text": e.text,
                "on_behalf": e.on_behalf,
                "actor": e.actor.get_username() if full and e.actor_id else None,
            }
            for e in selectors.referral_events(referral)
        ],
        "moves": [
            {"name": m.name, "target": str(m.target), "needs": list(m.needs)}
            for m in services.moves_for(user, referral)
        ],
    }
    if full:
        case = referral.case
        out |= {
            "case": {
                "id": case.pk,
                "number": case.number,
                "stage": case.stage,
                "owner": case.owner.get_username(),
                "child_name": case.child.name,
            },
            "plan_action_id": referral.plan_action_id,
            "area_code": referral.area_id,
            "consent": referral.consent,
            "sent_by": referral.sent_by.get_username(),
            "responded_by": (
                referral.responded_by.get_username() if referral.responded_by_id else None
            ),
            "cancel_reason": referral.cancel_reason,
            "escalated_at": referral.escalated_at,
            "satisfaction": list(referral.satisfaction.all()),
        }
    return out


def _detail_of(request, pk: int) -> dict:
    """Re-read a referral through the caller's scope after a write, and show it."""
    referral = selectors.referral_get(user=request.auth, pk=pk)
    return _detail(referral, request.auth)


# --- Input ----------------------------------------------------------------------------


class ProviderFilters(Schema):
    q: str = ""
    area: str = Field("", description="Providers serving this area code.")
    sector: str = ""
    service: str = Field("", description="A service code.")


class ReferralFilters(Schema):
    status: str = Field("", description="A status, or `open` (not yet delivered).")
    overdue: bool = False
    q: str = Field("", description="Part of the referral number.")


class ReferralIn(Schema):
    case: int = Field(description="A case in the caller's scope, open.")
    plan_action: int | None = Field(None, description="A plan action of that case.")
    organisation: int = Field(description="The provider's organisation id.")
    service: str = Field(description="A service code from /referrals/services/.")
    urgency: UrgencyCode
    reason: str = Field(min_length=1)
    share: list[ShareKey] = Field(
        default_factory=lambda: list(DEFAULT_SHARE),
        description="What the receiver may see of the child (minimum necessary).",
    )
    due_date: date | None = Field(None, description="Empty: the service level decides.")


class TransferIn(Schema):
    case: int
    organisation: int = Field(description="Another district's PKSAI secretariat.")
    urgency: UrgencyCode
    reason: str = Field(min_length=1)
    share: list[ShareKey] = Field(default_factory=lambda: list(DEFAULT_SHARE))


class MoveIn(Schema):
    version: int = Field(description="The referral's version the caller read.")
    reason: str = Field("", description="For decline and cancel.")
    delivered_on: date | None = Field(None, description="For deliver.")
    provided: str = Field("", description="For deliver: what was provided.")
    outcome: str = ""
    owner: str | None = Field(
        None, description="For accepting a transfer: the username of the receiving worker."
    )
    certificate_number: str = Field(
        "", max_length=60, description="For delivering a birth certificate: its number."
    )
    certificate_date: date | None = Field(
        None, description="For delivering a birth certificate: its date of issue."
    )


class SatisfactionIn(Schema):
    respondent: RespondentCode
    score: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=2000)


# --- Helpers --------------------------------------------------------------------------


@contextmanager
def _conflict_is_409() -> Iterator[None]:
    """A ConflictError (someone saved first; nothing was written) answers 409."""
    try:
        yield
    except ConflictError as exc:
        raise HttpError(409, " ".join(exc.messages)) from exc


class ReferralPagination(ApiPages):
    """Page through referrals: each row as its reader may see it, and record which were
    listed (rows carry the child's name as shared)."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        result = super().paginate_queryset(queryset, pagination, request, **params)
        user = request.auth
        rows = [_row(r, selectors.sees_case(user, r)) for r in result["items"]]
        audit_record(
            action="view",
            actor=user,
            object_type="referrals.referral",
            detail={
                "ids": [row["id"] for row in rows],
                "filters": {k: v for k, v in request.GET.items() if v},
            },
        )
        return {**result, "items": rows}


# --- Reads ----------------------------------------------------------------------------


@router.get("/services/", response=list[ServiceOut], summary="The active service catalogue")
def list_services(request):
    return [
        {"code": s.code, "name": s.name, "sector": s.sector}
        for s in Service.objects.filter(is_active=True)
    ]


@router.get(
    "/providers/", response=list[ProviderOut], summary="Service providers in or serving the scope"
)
@paginate(ApiPages)
def list_providers(request, filters: Query[ProviderFilters]):
    focal = Q(
        organisation__members__is_active=True,
        organisation__members__groups__name="focal_person",
    )
    return selectors.provider_list(user=request.auth, **filters.dict()).annotate(
        focal_count=Count("organisation__members", filter=focal, distinct=True)
    )


@router.get(
    "/providers/{int:pk}/", response=ProviderOut, summary="One provider (404 if out of scope)"
)
def get_provider(request, pk: int):
    return selectors.provider_get(user=request.auth, pk=pk)


@router.get(
    "/",
    response=list[ReferralRow],
    summary="Referrals and transfers the caller may see",
    description="Case staff: referrals of cases in their scope (and transfers offered to "
    "their district); a focal person: referrals addressed to their organisation. Rows carry "
    "the case only for callers who may open it.",
)
@paginate(ReferralPagination)
def list_referrals(request, filters: Query[ReferralFilters]):
    return selectors.referral_list(user=request.auth, **filters.dict())


@router.get(
    "/{int:pk}/",
    response=ReferralDetail,
    summary="One referral with its history (audited)",
    description="`view` is `full` for case staff who may open the case, else `shared`: only "
    "what the referral shares, the provider's answers, the history and the caller's moves.",
)
def get_referral(request, pk: int):
    referral = selectors.referral_get(user=request.auth, pk=pk)
    audit_record(action="view", actor=request.auth, obj=referral)
    return _detail(referral, request.auth)


# --- Writes ---------------------------------------------------------------------------


@router.post(
    "/",
    response={201: ReferralDetail},
    summary="Refer the child of a case to a service provider",
    description="The provider must serve the case's area (see /referrals/providers/).",
)
def send_referral(request, payload: ReferralIn):
    user = request.auth
    with transaction.atomic():
        case = case_selectors.case_get_for_update(user=user, pk=payload.case)
        provider = (
            selectors.providers_for_case(user=user, case=case)
            .filter(organisation_id=payload.organisation)
            .first()
        )
        if provider is None:
            raise ValidationError(
                {"organisation": [_("Choose an active service provider serving the case's area.")]}
            )
        action = None
        if payload.plan_action is not None:
            action = PlanAction.objects.filter(pk=payload.plan_action, case=case).first()
            if action is None:
                raise ValidationError(
                    {"plan_action": [_("That plan action belongs to another case.")]}
                )
        referral = services.referral_send(
            by=user,
            case=case,
            organisation=provider.organisation,
            service=Service.objects.filter(code=payload.service, is_active=True).first(),
            urgency=payload.urgency,
            reason=payload.reason,
            share=payload.share,
            plan_action=action,
            due_date=payload.due_date,
        )
    return Status(201, _detail_of(request, referral.pk))


@router.post(
    "/transfers/",
    response={201: ReferralDetail},
    summary="Offer a whole case to another district's secretariat (supervisors)",
    description="Needs an active consent for transfers in the child's consent ledger or a "
    "recorded legal ground (400 otherwise).",
)
def send_transfer(request, payload: TransferIn):
    user = request.auth
    with transaction.atomic():
        case = case_selectors.case_get_for_update(user=user, pk=payload.case)
        secretariat = Organisation.objects.filter(
            pk=payload.organisation, kind=Organisation.Kind.SECRETARIAT
        ).first()
        if secretariat is None:
            raise ValidationError({"organisation": [_("Choose the receiving secretariat.")]})
        referral = services.transfer_send(
            by=user,
            case=case,
            organisation=secretariat,
            urgency=payload.urgency,
            reason=payload.reason,
            share=payload.share,
        )
    return Status(201, _detail_of(request, referral.pk))


@router.post(
    "/{int:pk}/moves/{name}/",
    response={200: ReferralDetail, 409: ErrorOut},
    summary="Move a referral along its lifecycle",
    description="A move from `moves` of the referral (acknowledge, accept, decline, start, "
    "deliver, close, cancel). 403 if the move is not the caller's to make, 400 if it is not "
    "possible now, 409 if the referral changed since `version` was read (nothing is saved).",
)
def move_referral(request, pk: int, name: str, payload: MoveIn):
    user = request.auth
    referral = selectors.referral_get(user=user, pk=pk)
    owner = None
    if payload.owner:
        owner = User.objects.filter(username=payload.owner, is_active=True).first()
        if owner is None:
            raise ValidationError({"owner": [_("Unknown user %(u)s.") % {"u": payload.owner}]})
    with _conflict_is_409():
        services.referral_move(
            referral=referral,
            by=user,
            name=name,
            expected_version=payload.version,
            answer=Answer(
                reason=payload.reason,
                delivered_on=payload.delivered_on,
                provided=payload.provided,
                outcome=payload.outcome,
                owner=owner,
                certificate_number=payload.certificate_number,
                certificate_date=payload.certificate_date,
            ),
        )
    return _detail_of(request, pk)


@router.post(
    "/{int:pk}/satisfaction/",
    response={201: SatisfactionOut},
    summary="Record the client's satisfaction with a delivered service (staff)",
)
def record_satisfaction(request, pk: int, payload: SatisfactionIn):
    user = request.auth
    referral = selectors.referral_get(user=user, pk=pk)
    require_perm(user, services.CHANGE)
    case = case_selectors.case_get(user=user, pk=referral.case_id)
    record = services.satisfaction_record(
        by=user,
        case=case,
        referral=referral,
        respondent=payload.respondent,
        score=payload.score,
        comment=payload.comment,
    )
    return Status(201, record)
