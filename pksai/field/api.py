"""The field API (/api/v1/field/, issue 19, decision 0031, docs/field-api.md): what the
offline field app sends and pulls. For every kind of record a worker writes:

* ``POST /field/<kind>/`` with a device-made ``client_id``: 201 and the record; the same
  ``client_id`` again answers 200 with the same record and creates nothing (409 if that id was
  used for another kind or by another user);
* ``GET /field/<kind>/`` (``case``, ``since`` + ``after`` for an incremental pull) and
  ``GET /field/<kind>/{id}/``;
* ``PATCH /field/<kind>/{id}/`` with ``version``, ``changes`` and ``base``: merged field by
  field (200 with what was applied and the ``conflicts``; 409 when nothing could be applied
  because every change conflicts).

Attachments arrive through resumable uploads (``/field/uploads/``); conflicts are listed and
settled under ``/field/conflicts/``. Every read and write is scoped and audited through the
same selectors and services as the pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.errors import HttpError

from pksai.accounts.scoping import get_visible_or_404
from pksai.audit.services import audit_record
from pksai.cases import intake, records
from pksai.cases.models import Domain
from pksai.cases.selectors import case_get, case_get_for_update
from pksai.cases.services import ConflictError
from pksai.field import services
from pksai.field.kinds import KINDS, Kind, beneficiaries
from pksai.field.models import FieldConflict, FieldUpload
from pksai.programs import compliance, facilitation
from pksai.programs.models import Conditionality
from pksai.vulnerability import outreach
from pksai.vulnerability.models import OutreachResult

router = Router()
ID = 2**63 - 1  # the largest id a database integer holds (larger: 422, not a database error)


class ErrorOut(Schema):
    detail: str | list[str]


# --- shapes ------------------------------------------------------------------------------


class RecordOut(Schema):
    id: int
    version: int = Field(description="Send it back as `version` when changing the record.")
    client_id: str | None = Field(description="The id the device created it under, if any.")
    updated_at: datetime = Field(description="When it last changed (the `since` of a pull).")


class CaseRecordOut(RecordOut):
    case: int


class DomainOut(Schema):
    rating: str
    notes: str


class CaseOut(RecordOut):
    number: str
    stage: str
    summary: str = Field(description="What was reported (the field a device may change).")


class AssessmentOut(CaseRecordOut):
    kind: str
    risk: str
    summary: str
    domains: dict[str, DomainOut]
    complete: bool
    completed_at: datetime | None


class VisitOut(CaseRecordOut):
    visited_on: date
    place: str
    seen: str
    observations: str
    recorded_at: datetime | None
    latitude: float | None = Field(description="Kept only while PKSAI_FIELD_GPS is on.")
    longitude: float | None
    accuracy_m: float | None


class ParticipantOut(Schema):
    name: str
    organisation: str
    role: str


class ConferenceOut(CaseRecordOut):
    held_on: date
    agenda: str
    decisions: str
    participants: list[ParticipantOut]


class NoteOut(CaseRecordOut):
    text: str
    at: datetime
    by: str


class AttachmentOut(CaseRecordOut):
    kind: str
    title: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    voided: bool


class FacilitationVisitOut(RecordOut):
    beneficiary: int
    visited_on: date
    topics: list[str]
    notes: str


class ComplianceRecordOut(RecordOut):
    beneficiary: int
    condition: str
    month: date
    met: bool
    notes: str


class IntakeReportOut(RecordOut):
    area: str
    summary: str
    reporter_anonymous: bool
    reporter_name: str
    reporter_phone: str
    status: str
    case: int | None
    received_at: datetime


class OutreachResultOut(RecordOut):
    person: int
    village: str
    outcome: str
    case: int | None
    visited_at: datetime
    note: str


def _base(kind: Kind, obj, client_id: str | None) -> dict:
    return {
        "id": obj.pk,
        "version": obj.version,
        "client_id": client_id,
        "updated_at": getattr(obj, kind.changed_field),
    }


def _fields(obj, names: str) -> dict:
    return {name: getattr(obj, name) for name in names.split()}


OUT: dict[str, tuple[type[Schema], Any]] = {
    "cases": (CaseOut, lambda o: _fields(o, "number stage summary")),
    "assessments": (
        AssessmentOut,
        lambda o: (
            _fields(o, "kind risk summary domains completed_at")
            | {
                "case": o.case_id,
                "complete": o.completed_at is not None,
                "domains": {k: KINDS["assessments"].value(o, f"domains.{k}") for k in o.domains},
            }
        ),
    ),
    "visits": (
        VisitOut,
        lambda o: (
            {"case": o.case_id}
            | _fields(
                o, "visited_on place seen observations recorded_at latitude longitude accuracy_m"
            )
        ),
    ),
    "conferences": (
        ConferenceOut,
        lambda o: (
            {"case": o.case_id}
            | _fields(o, "held_on agenda decisions")
            | {"participants": [_fields(p, "name organisation role") for p in o.participants.all()]}
        ),
    ),
    "notes": (
        NoteOut,
        lambda o: {"case": o.case_id, "text": o.text, "at": o.at, "by": o.by.get_username()},
    ),
    "attachments": (
        AttachmentOut,
        lambda o: (
            {"case": o.case_id, "voided": o.voided_at is not None}
            | _fields(o, "kind title original_name content_type size sha256 uploaded_at")
        ),
    ),
    "facilitation-visits": (
        FacilitationVisitOut,
        lambda o: {"beneficiary": o.beneficiary_id} | _fields(o, "visited_on topics notes"),
    ),
    "compliance-records": (
        ComplianceRecordOut,
        lambda o: (
            {"beneficiary": o.beneficiary_id, "condition": o.condition.code}
            | _fields(o, "month met notes")
        ),
    ),
    "intake-reports": (
        IntakeReportOut,
        lambda o: (
            {"area": o.area_id, "case": o.case_id}
            | _fields(
                o, "summary reporter_anonymous reporter_name reporter_phone status received_at"
            )
        ),
    ),
    "outreach-results": (
        OutreachResultOut,
        lambda o: (
            {"person": o.person_id, "village": o.village_id, "case": o.case_id}
            | _fields(o, "outcome visited_at note")
        ),
    ),
}


def _out(kind: Kind, obj, client_id: str | None = None, *, lookup: bool = True) -> dict:
    if lookup and client_id is None:
        client_id = services.client_ids(kind, [obj.pk]).get(obj.pk)
    return _base(kind, obj, client_id) | OUT[kind.name][1](obj)


class ConflictOut(Schema):
    id: int
    kind: str
    record: int = Field(description="The record's id (GET /field/<kind>/{record}/).")
    field: str
    field_label: str = Field(description="The field's name in the caller's language.")
    base: Any = Field(description="The value when the device loaded the record.")
    theirs: Any = Field(description="The value saved meanwhile by someone else (kept).")
    mine: Any = Field(description="The value the device proposed (not applied).")
    by: str
    created_at: datetime
    resolved_at: datetime | None
    choice: str


def _conflict_out(c: FieldConflict) -> dict:
    return {
        "id": c.pk,
        "kind": c.kind,
        "record": c.object_id,
        "field": c.field,
        "field_label": KINDS[c.kind].field_label(c.field),
        "base": c.base,
        "theirs": c.theirs,
        "mine": c.mine,
        "by": c.by.get_username(),
        "created_at": c.created_at,
        "resolved_at": c.resolved_at,
        "choice": c.choice,
    }


class PatchIn(Schema):
    version: int = Field(ge=1, le=ID, description="The record's version the device loaded.")
    changes: dict[str, Any] = Field(description="{field: new value}")
    base: dict[str, Any] = Field(
        default_factory=dict,
        description="{field: value as loaded} for every changed field (needed when the "
        "version is no longer current).",
    )


class PageFilters(Schema):
    case: int | None = Field(None, ge=1, le=ID, description="Only this case's records.")
    since: datetime | None = Field(None, description="Changed after this time (a pull).")
    after: int = Field(0, ge=0, le=ID, description="With `since`: the last id seen at that time.")
    limit: int = Field(200, ge=1, le=500)


class Cursor(Schema):
    since: str = Field(description="Full-precision time of the last record given (ISO 8601).")
    after: int = Field(description="Its id (records changed at the same moment come after it).")


def _page_out(out: type[Schema]) -> type[Schema]:
    return type(
        f"{out.__name__.removesuffix('Out')}PageOut",
        (Schema,),
        {
            "__annotations__": {"items": list[out], "more": bool, "cursor": Cursor | None},
            "__module__": __name__,
        },
    )


def _patch_out(out: type[Schema]) -> type[Schema]:
    return type(
        f"{out.__name__.removesuffix('Out')}PatchOut",
        (Schema,),
        {
            "__annotations__": {
                "record": out,
                "applied": list[str],
                "unchanged": list[str],
                "conflicts": list[ConflictOut],
            },
            "__module__": __name__,
        },
    )


# --- the generic read and update operations ------------------------------------------------


def _register(kind: Kind) -> None:
    out = OUT[kind.name][0]
    page_out, patch_out = _page_out(out), _patch_out(out)
    slug = kind.name.replace("-", "_")

    @router.get(
        f"/{kind.name}/",
        response=page_out,
        operation_id=f"field_{slug}_list",
        summary=f"Field app: {kind.name} the caller may read (a pull; audited)",
        description="Ordered by last change. Pull again with `cursor` as `since` and `after` "
        "while `more` is true; keep the last `cursor` for the next pull.",
    )
    def list_records(request, filters: Query[PageFilters]):
        rows = services.record_list(kind=kind, by=request.auth, case=filters.case)
        if filters.since is not None:
            field = kind.changed_field
            rows = rows.filter(
                Q(**{f"{field}__gt": filters.since})
                | Q(**{field: filters.since, "pk__gt": filters.after})
            )
        items = list(rows[: filters.limit + 1])
        more = len(items) > filters.limit
        items = items[: filters.limit]
        ids = services.client_ids(kind, [o.pk for o in items])
        audit_record(
            action="view",
            actor=request.auth,
            object_type=f"field.{kind.name}",
            detail={"ids": [o.pk for o in items]},
        )
        if items:
            last = items[-1]
            cursor = {"since": getattr(last, kind.changed_field).isoformat(), "after": last.pk}
        elif filters.since is not None:
            cursor = {"since": filters.since.isoformat(), "after": filters.after}
        else:
            cursor = None
        return {
            "items": [_out(kind, o, ids.get(o.pk), lookup=False) for o in items],
            "more": more,
            "cursor": cursor,
        }

    @router.get(
        f"/{kind.name}/{{pk}}/",
        response=out,
        operation_id=f"field_{slug}_get",
        summary=f"Field app: one of the {kind.name} (audited)",
    )
    def get_record(request, pk: int):
        return _out(kind, services.record_get(kind=kind, by=request.auth, pk=pk))

    @router.patch(
        f"/{kind.name}/{{pk}}/",
        response={200: patch_out, 409: patch_out},
        operation_id=f"field_{slug}_update",
        summary=f"Field app: change one of the {kind.name} (merged field by field)",
        description="Fields: "
        + ", ".join(f"`{name}`" for name in kind.fields)
        + ". 200 when at least one change was applied (or all were already so); conflicting "
        "fields are listed in `conflicts` and kept in the conflict inbox. 409 (same body) "
        "when every change conflicts and nothing was applied.",
    )
    def update_record(request, pk: int, payload: PatchIn):
        with _conflict_is_409():
            result = services.record_update(
                kind=kind,
                by=request.auth,
                pk=pk,
                version=payload.version,
                changes=payload.changes,
                base=payload.base,
            )
        body = {
            "record": _out(kind, result.record),
            "applied": result.applied,
            "unchanged": sorted(result.unchanged),
            "conflicts": [_conflict_out(c) for c in result.conflicts],
        }
        return Status(409 if result.refused else 200, body)


class _conflict_is_409:
    """A stale save (ConflictError) or a reused client id: 409 with the reason."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and issubclass(exc_type, ConflictError | services.ClientIdReused):
            raise HttpError(409, " ".join(exc.messages)) from exc
        return False


def _created(kind: Kind, by, client_id: UUID, create):
    with _conflict_is_409():
        obj, created = services.record_create(kind=kind, by=by, client_id=client_id, create=create)
    return Status(201 if created else 200, _out(kind, obj, str(client_id)))


CREATE_DOC = (
    "`client_id`: a UUID the device made for this record. Sent again (a retry), the answer is "
    "200 with the same record and nothing is created; 409 if that id was used for another "
    "kind of record or by another user."
)


class Created(Schema):
    client_id: UUID = Field(description="Made by the device; the same id is the same record.")


class CaseCreated(Created):
    case: int = Field(ge=1, le=ID)


# --- creates, one per kind (their inputs differ) -------------------------------------------


class DomainIn(Schema):
    rating: Literal["", "low", "medium", "high"] = ""
    notes: str = ""


class AssessmentIn(CaseCreated):
    kind: Literal["initial", "comprehensive"]
    risk: Literal["low", "medium", "high"]
    summary: str = ""
    domains: dict[str, DomainIn] = Field(default_factory=dict, description=str(Domain.values))
    complete: bool = False


@router.post(
    "/assessments/",
    response={200: AssessmentOut, 201: AssessmentOut, 409: ErrorOut},
    summary="Field app: record an assessment",
    description=CREATE_DOC,
)
def create_assessment(request, payload: AssessmentIn):
    def create():
        return records.assessment_save(
            case=case_get_for_update(user=request.auth, pk=payload.case),
            by=request.auth,
            kind=payload.kind,
            domains={k: v.model_dump() for k, v in payload.domains.items()},
            risk=payload.risk,
            summary=payload.summary,
            complete=payload.complete,
        )

    return _created(KINDS["assessments"], request.auth, payload.client_id, create)


class VisitIn(CaseCreated):
    visited_on: date
    place: str
    seen: str
    observations: str
    recorded_at: datetime | None = Field(None, description="When the device recorded it.")
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    accuracy_m: float | None = Field(None, ge=0, le=1e7)


@router.post(
    "/visits/",
    response={200: VisitOut, 201: VisitOut, 409: ErrorOut},
    summary="Field app: record a home or monitoring visit",
    description=CREATE_DOC + " The location is kept only while PKSAI_FIELD_GPS is on.",
)
def create_visit(request, payload: VisitIn):
    location = None
    if payload.latitude is not None and payload.longitude is not None:
        location = records.Location(payload.latitude, payload.longitude, payload.accuracy_m)

    def create():
        return records.visit_record(
            case=case_get_for_update(user=request.auth, pk=payload.case),
            by=request.auth,
            visited_on=payload.visited_on,
            place=payload.place,
            seen=payload.seen,
            observations=payload.observations,
            recorded_at=payload.recorded_at,
            location=location,
        )

    return _created(KINDS["visits"], request.auth, payload.client_id, create)


class ParticipantIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    organisation: str = Field("", max_length=200)
    role: str = Field("", max_length=100)


class ConferenceIn(CaseCreated):
    held_on: date
    agenda: str
    decisions: str
    participants: list[ParticipantIn] = Field(min_length=1)


@router.post(
    "/conferences/",
    response={200: ConferenceOut, 201: ConferenceOut, 409: ErrorOut},
    summary="Field app: record a case conference",
    description=CREATE_DOC,
)
def create_conference(request, payload: ConferenceIn):
    def create():
        return records.conference_record(
            case=case_get_for_update(user=request.auth, pk=payload.case),
            by=request.auth,
            held_on=payload.held_on,
            agenda=payload.agenda,
            decisions=payload.decisions,
            participants=[records.Participant(**p.model_dump()) for p in payload.participants],
        )

    return _created(KINDS["conferences"], request.auth, payload.client_id, create)


class NoteIn(CaseCreated):
    text: str


@router.post(
    "/notes/",
    response={200: NoteOut, 201: NoteOut, 409: ErrorOut},
    summary="Field app: add a case note",
    description=CREATE_DOC,
)
def create_note(request, payload: NoteIn):
    def create():
        case = case_get_for_update(user=request.auth, pk=payload.case)
        return records.note_add(case=case, by=request.auth, text=payload.text)

    return _created(KINDS["notes"], request.auth, payload.client_id, create)


class FacilitationVisitIn(Created):
    beneficiary: int = Field(ge=1, le=ID)
    visited_on: date
    topics: list[str] = Field(min_length=1)
    notes: str = ""


def _beneficiary(user, pk: int):
    from pksai.programs.models import Beneficiary

    return get_visible_or_404(
        lambda: beneficiaries(user).select_related("program"), base=Beneficiary.objects, pk=pk
    )


@router.post(
    "/facilitation-visits/",
    response={200: FacilitationVisitOut, 201: FacilitationVisitOut, 409: ErrorOut},
    summary="Field app: log a facilitation visit (the beneficiary's facilitator)",
    description=CREATE_DOC,
)
def create_facilitation_visit(request, payload: FacilitationVisitIn):
    def create():
        return facilitation.visit_log(
            by=request.auth,
            beneficiary=_beneficiary(request.auth, payload.beneficiary),
            visited_on=payload.visited_on,
            topics=payload.topics,
            notes=payload.notes,
        )

    return _created(KINDS["facilitation-visits"], request.auth, payload.client_id, create)


class ComplianceRecordIn(Created):
    beneficiary: int = Field(ge=1, le=ID)
    condition: str = Field(description="The condition's code (e.g. school_enrolment).")
    month: date
    met: bool
    notes: str = Field("", max_length=300)


@router.post(
    "/compliance-records/",
    response={200: ComplianceRecordOut, 201: ComplianceRecordOut, 409: ErrorOut},
    summary="Field app: record whether a condition was met in a month",
    description=CREATE_DOC + " A record for the same beneficiary, condition and month is "
    "corrected (one record per month).",
)
def create_compliance_record(request, payload: ComplianceRecordIn):
    def create():
        beneficiary = _beneficiary(request.auth, payload.beneficiary)
        program = beneficiary.program
        condition = Conditionality.objects.filter(
            Q(program=program) | Q(program_id=program.parent_id), code=payload.condition
        ).first()
        if condition is None:
            raise ValidationError(_("That condition is not one of this program's."))
        return compliance.compliance_record(
            by=request.auth,
            beneficiary=beneficiary,
            condition=condition,
            month=payload.month,
            met=payload.met,
            notes=payload.notes,
        )

    return _created(KINDS["compliance-records"], request.auth, payload.client_id, create)


class IntakeReportIn(Created):
    area: str = Field(description="The village (or other area) code where the child is.")
    summary: str = Field(description="Who the child is and what was seen or reported.")
    reporter_anonymous: bool = False
    reporter_name: str = Field("", max_length=200)
    reporter_phone: str = Field("", max_length=40)


@router.post(
    "/intake-reports/",
    response={200: IntakeReportOut, 201: IntakeReportOut, 409: ErrorOut},
    summary="Field app: report a child at risk (to the intake queue)",
    description=CREATE_DOC + " Registration staff register it as a case (finding or "
    "recording the child) or dismiss it.",
)
def create_intake_report(request, payload: IntakeReportIn):
    def create():
        return intake.intake_report_submit(
            by=request.auth,
            area=payload.area,
            summary=payload.summary,
            reporter_anonymous=payload.reporter_anonymous,
            reporter_name=payload.reporter_name,
            reporter_phone=payload.reporter_phone,
        )

    return _created(KINDS["intake-reports"], request.auth, payload.client_id, create)


class OutreachResultIn(Created):
    person: int = Field(ge=1, le=ID, description="The registry person of the outreach list.")
    outcome: Literal[tuple(OutreachResult.Outcome.values)]  # type: ignore[valid-type]
    visited_at: datetime
    note: str = ""
    case: int | None = Field(
        None, ge=1, le=ID, description="The case opened (outcome case_opened)."
    )


@router.post(
    "/outreach-results/",
    response={200: OutreachResultOut, 201: OutreachResultOut, 409: ErrorOut},
    summary="Field app: the outcome of an outreach visit",
    description=CREATE_DOC,
)
def create_outreach_result(request, payload: OutreachResultIn):
    from pksai.registry import selectors as registry_selectors

    def create():
        person = registry_selectors.person_get(user=request.auth, pk=payload.person)
        case = case_get(user=request.auth, pk=payload.case) if payload.case else None
        return outreach.outreach_result_record(
            by=request.auth,
            person=person,
            outcome=payload.outcome,
            visited_at=payload.visited_at,
            note=payload.note,
            case=case,
        )

    return _created(KINDS["outreach-results"], request.auth, payload.client_id, create)


for _kind in KINDS.values():
    _register(_kind)


# --- the conflict inbox --------------------------------------------------------------------


@router.get(
    "/conflicts/",
    response=list[ConflictOut],
    summary="Field app: open conflicts (mine; a supervisor's team's in scope)",
)
def list_conflicts(request, limit: int = Query(100, ge=1, le=500)):
    rows = list(services.conflicts_open(user=request.auth)[:limit])
    audit_record(
        action="view",
        actor=request.auth,
        object_type="field.fieldconflict",
        detail={"ids": [c.pk for c in rows]},
    )
    return [_conflict_out(c) for c in rows]


class ResolveIn(Schema):
    choice: Literal["mine", "theirs", "edit"]
    version: int = Field(ge=1, le=ID, description="The record's version the chooser saw.")
    value: Any = Field(None, description="With `edit`: the value to save.")


@router.post(
    "/conflicts/{pk}/resolve/",
    response={200: ConflictOut, 409: ErrorOut},
    summary="Field app: settle a conflict (keep theirs, apply mine or a new value)",
    description="Applies through the record's versioned service: 409 if the record changed "
    "since `version` (look again).",
)
def resolve_conflict(request, pk: int, payload: ResolveIn):
    conflict = services.conflict_get(user=request.auth, pk=pk)
    with _conflict_is_409():
        conflict = services.conflict_resolve(
            conflict=conflict,
            by=request.auth,
            choice=payload.choice,
            version=payload.version,
            value=payload.value,
        )
    return _conflict_out(conflict)


# --- resumable uploads ---------------------------------------------------------------------


class UploadIn(CaseCreated):
    kind: str = Field(description="The kind of document (cases.Attachment.Kind).")
    title: str = Field("", max_length=200)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size: int = Field(ge=1, le=2**31 - 1)
    sha256: str = Field(min_length=64, max_length=64, description="Hexadecimal digest.")


class UploadOut(Schema):
    id: int
    client_id: str
    case: int
    size: int
    offset: int = Field(description="Bytes received: send the next chunk from here.")
    complete: bool
    attachment: AttachmentOut | None


def _upload_out(upload: FieldUpload) -> dict:
    attachment = upload.attachment
    return {
        "id": upload.pk,
        "client_id": str(upload.client_id),
        "case": upload.case_id,
        "size": upload.size,
        "offset": upload.offset,
        "complete": attachment is not None,
        "attachment": _out(KINDS["attachments"], attachment, str(upload.client_id))
        if attachment
        else None,
    }


@router.post(
    "/uploads/",
    response={200: UploadOut, 201: UploadOut, 409: ErrorOut},
    summary="Field app: start a resumable upload of an attachment",
    description=CREATE_DOC + " Then PATCH chunks to /field/uploads/{id}/.",
)
def start_upload(request, payload: UploadIn):
    with _conflict_is_409(), transaction.atomic():
        case = case_get_for_update(user=request.auth, pk=payload.case)
        upload, created = services.upload_start(
            by=request.auth,
            case=case,
            client_id=payload.client_id,
            kind=payload.kind,
            title=payload.title,
            filename=payload.filename,
            content_type=payload.content_type,
            size=payload.size,
            sha256=payload.sha256,
        )
    return Status(201 if created else 200, _upload_out(upload))


@router.get(
    "/uploads/{pk}/",
    response=UploadOut,
    summary="Field app: how much of an upload arrived (resume from `offset`)",
)
def get_upload(request, pk: int):
    upload = services.upload_get(user=request.auth, pk=pk)
    return _upload_out(upload)


@router.patch(
    "/uploads/{pk}/",
    response={200: UploadOut, 409: ErrorOut},
    summary="Field app: send a chunk of an upload",
    description="The body is the chunk's raw bytes (Content-Type application/octet-stream, or "
    "tus's application/offset+octet-stream); `Upload-Offset` says where it starts and must "
    "equal the upload's offset (else "
    "409: ask GET for the offset). The last chunk is verified against the declared size and "
    "SHA-256: on a match the attachment is created (`attachment`); on a mismatch the answer "
    "is 400 and the upload starts again at 0.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
def append_upload(
    request, pk: int, upload_offset: int | None = Header(None, alias="Upload-Offset", ge=0)
):
    upload = services.upload_get(user=request.auth, pk=pk)
    if upload_offset is None:
        raise ValidationError(_("Send the chunk's start as the Upload-Offset header."))
    try:
        upload = services.upload_append(
            upload=upload, by=request.auth, offset=upload_offset, data=request.body
        )
    except services.OffsetMismatch as exc:
        raise HttpError(409, " ".join(exc.messages)) from exc
    upload = FieldUpload.objects.select_related("attachment").get(pk=upload.pk)
    return _upload_out(upload)
