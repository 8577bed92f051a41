"""Retention over JSON (mounted at /api/v1/retention/): the schedule with what is due in the
caller's areas, the legal holds (list, place, release) and the runs. Holds outside the
caller's areas are a 404 (audited), like a missing id; without the permission a 403."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from pksai.accounts.scoping import require_perm
from pksai.areas.codes import normalise_area_code
from pksai.audit.services import audit_record
from pksai.core.paging import ApiPages
from pksai.retention import selectors, services
from pksai.retention.models import LegalHold

router = Router()

TargetCode = Literal[tuple(LegalHold.Target.values)]


class RetentionDueOut(Schema):
    kind: str
    label: str
    months: int | None = Field(description="The rule in force: months kept; null without one.")
    action: str | None
    valid_from: date | None
    legal_basis: str
    cutoff: datetime | None = Field(description="Records whose period ended before this.")
    due: int = Field(description="Due now in the caller's areas.")
    held: int = Field(description="Ended, but kept by a legal hold (caller's areas).")


class RetentionHoldOut(Schema):
    id: int
    target: str
    held: str = Field(description="Case number, complaint code, person record or area code.")
    area_code: str
    reason: str
    created_at: datetime
    created_by: str
    released_at: datetime | None
    release_reason: str


class RetentionHoldIn(Schema):
    target: TargetCode
    case_number: str = Field("", max_length=20)
    person_id: int | None = Field(None, ge=1, le=2**62)
    complaint_code: str = Field("", max_length=14)
    area: str = Field("", max_length=20, description="An area code (target area).")
    reason: str = Field(min_length=1, max_length=2000)


class RetentionReleaseIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)


class RetentionRunOut(Schema):
    id: int
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    anonymised: dict[str, int]
    held: dict[str, int]


def _hold_out(hold: LegalHold) -> RetentionHoldOut:
    return RetentionHoldOut(
        id=hold.pk,
        target=hold.target,
        held=hold.target_label,
        area_code=hold.area_id,
        reason=hold.reason,
        created_at=hold.created_at,
        created_by=hold.created_by.get_username(),
        released_at=hold.released_at,
        release_reason=hold.release_reason,
    )


@router.get("/schedule", response=list[RetentionDueOut], summary="The retention schedule")
def retention_schedule(request):
    selectors.retention_rules(user=request.auth)  # the permission
    return [
        RetentionDueOut(
            kind=row.kind,
            label=row.label,
            months=row.rule.months if row.rule else None,
            action=row.rule.action if row.rule else None,
            valid_from=row.rule.valid_from if row.rule else None,
            legal_basis=row.rule.legal_basis if row.rule else "",
            cutoff=row.cutoff,
            due=row.due,
            held=row.held,
        )
        for row in services.retention_due(user=request.auth)
    ]


class HoldPages(ApiPages):
    """Holds as the page lists them; reading their reasons is audited."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        page = super().paginate_queryset(queryset, pagination, request, **params)
        holds = list(page["items"])
        if holds:
            audit_record(
                action="view",
                actor=request.auth,
                object_type="retention.legalhold",
                detail={"list": [h.pk for h in holds]},
            )
        page["items"] = [_hold_out(h) for h in holds]
        return page


@router.get("/holds", response=list[RetentionHoldOut], summary="Legal holds in your areas")
@paginate(HoldPages)
def list_holds(request):
    return selectors.legal_holds(user=request.auth)


@router.post("/holds", response={201: RetentionHoldOut}, summary="Place a legal hold")
def place_hold(request, payload: RetentionHoldIn):
    user = request.auth
    require_perm(user, selectors.ADD_HOLD)
    record = None
    if payload.target == LegalHold.Target.CASE:
        record = selectors.hold_case(user=user, number=payload.case_number)
        field, message = "case_number", _("No case with this number in your area.")
    elif payload.target == LegalHold.Target.PERSON:
        record = selectors.hold_person(user=user, pk=payload.person_id or 0)
        field, message = "person_id", _("No person with this number in your area.")
    elif payload.target == LegalHold.Target.COMPLAINT:
        record = selectors.hold_complaint(user=user, code=payload.complaint_code)
        field, message = "complaint_code", _("No complaint with this code in your area.")
    if payload.target != LegalHold.Target.AREA and record is None:
        raise ValidationError({field: [message]})
    hold = services.legal_hold_place(
        by=user,
        target=payload.target,
        reason=payload.reason,
        case=record if payload.target == LegalHold.Target.CASE else None,
        person=record if payload.target == LegalHold.Target.PERSON else None,
        complaint=record if payload.target == LegalHold.Target.COMPLAINT else None,
        area_code=(normalise_area_code(payload.area) or payload.area)
        if payload.target == LegalHold.Target.AREA
        else "",
    )
    return Status(201, _hold_out(hold))


@router.post("/holds/{int:pk}/release", response=RetentionHoldOut, summary="Release a legal hold")
def release_hold(request, pk: int, payload: RetentionReleaseIn):
    hold = selectors.legal_hold_get(user=request.auth, pk=pk)
    hold = services.legal_hold_release(by=request.auth, hold=hold, reason=payload.reason)
    return _hold_out(hold)


@router.get("/runs", response=list[RetentionRunOut], summary="The latest retention runs")
def list_runs(request):
    return [
        RetentionRunOut(
            id=run.pk,
            trigger=run.trigger,
            started_at=run.started_at,
            finished_at=run.finished_at,
            anonymised=run.counts,
            held=run.held,
        )
        for run in selectors.retention_runs(user=request.auth)
    ]
