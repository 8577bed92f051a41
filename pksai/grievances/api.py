"""Complaints over JSON: two routers.

- ``router`` (staff, mounted at /api/v1/complaints/, bearer token or staff session): the
  working lists, one complaint with its history (audited), staff entry, assign, start, note,
  escalate, resolve, and the reports. Reads go through selectors: a complaint outside the
  caller's area, or a restricted one for a caller outside the restricted queue, is a 404;
  without the complaint role a 403. A write based on an old ``version`` is refused with 409 and
  changes nothing.
- ``public_router`` (no account, mounted at /api/v1/public/complaints/): file a complaint
  (the same checks and the same hourly limit per client address as the public form: 429 when
  over it) and read a tracking code's public status, and rate a resolution. The answers carry
  the tracking code and the public status only — never personal data. No session is used, so
  there is no CSRF token to send: a plain JSON POST works.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, Literal

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from pksai.accounts.models import User
from pksai.accounts.scoping import get_scoped_or_404, get_visible_or_404
from pksai.areas.codes import normalise_area_code
from pksai.audit.services import audit_record
from pksai.cases import selectors as case_selectors
from pksai.cases.services import ConflictError
from pksai.core.client import client_address
from pksai.core.paging import ApiPages
from pksai.grievances import reports, selectors, services
from pksai.grievances.models import Category, Channel, Complaint, Priority
from pksai.grievances.models import Status as CStatus
from pksai.grievances.services import ComplaintInput
from pksai.payments.models import Entitlement
from pksai.programs import selectors as program_selectors
from pksai.programs.models import Beneficiary
from pksai.referrals import selectors as referral_selectors
from pksai.registry import selectors as registry_selectors

router = Router()
public_router = Router(auth=None)

CategoryCode = Literal[tuple(Category.values)]
StaffChannel = Literal[tuple(c for c in Channel.values if c != Channel.WEB)]
PriorityCode = Literal[tuple(Priority.values)]
StatusCode = Literal[tuple(CStatus.values)]
QueueCode = Literal[selectors.QUEUES]
GroupCode = Literal[reports.GROUPS]


class ErrorOut(Schema):
    detail: str


# --- staff: output -------------------------------------------------------------------------


class ComplaintRow(Schema):
    id: int
    code: str
    channel: str
    category: str
    priority: str
    status: str
    level: int = Field(description="1 district, 2 province, 3 ministry.")
    area_code: str
    restricted: bool
    anonymous: bool
    about_staff: bool
    assigned_to: str | None = Field(description="Username of the handler.")
    due_at: datetime
    overdue: bool
    created_at: datetime
    version: int


class CreatedOut(Schema):
    id: int
    code: str
    status: str
    level: int
    restricted: bool
    version: int


class EventOut(Schema):
    at: datetime
    kind: str
    actor: str | None
    text: str = Field(description="What happened, in the language the request asked for.")


class ComplaintDetail(ComplaintRow):
    description: str
    complainant_name: str
    complainant_phone: str
    complainant_email: str
    person_id: int | None
    beneficiary_id: int | None
    case_id: int | None
    entitlement_id: int | None
    provider_id: int | None
    intake_report_id: int | None
    escalated_at: datetime | None
    resolution: str
    remedy: str
    internal_notes: str
    resolved_at: datetime | None
    resolved_by: str | None
    rating: int | None
    rating_comment: str
    events: list[EventOut]


def _row(c: Complaint) -> dict[str, Any]:
    return {
        "id": c.pk,
        "code": c.code,
        "channel": c.channel,
        "category": c.category,
        "priority": c.priority,
        "status": c.status,
        "level": c.level,
        "area_code": c.area_id,
        "restricted": c.restricted,
        "anonymous": c.anonymous,
        "about_staff": c.about_staff,
        "assigned_to": c.assigned_to.username if c.assigned_to_id else None,
        "due_at": c.due_at,
        "overdue": c.is_open and c.due_at < timezone.now(),
        "created_at": c.created_at,
        "version": c.version,
    }


def _detail(c: Complaint) -> dict[str, Any]:
    events = c.events.select_related("actor").order_by("at", "id")
    return _row(c) | {
        "description": c.description,
        "complainant_name": c.complainant_name,
        "complainant_phone": c.complainant_phone,
        "complainant_email": c.complainant_email,
        "person_id": c.person_id,
        "beneficiary_id": c.beneficiary_id,
        "case_id": c.case_id,
        "entitlement_id": c.entitlement_id,
        "provider_id": c.provider_id,
        "intake_report_id": c.intake_report_id,
        "escalated_at": c.escalated_at,
        "resolution": c.resolution,
        "remedy": c.remedy,
        "internal_notes": c.internal_notes,
        "resolved_at": c.resolved_at,
        "resolved_by": c.resolved_by.username if c.resolved_by_id else None,
        "rating": c.rating,
        "rating_comment": c.rating_comment,
        "events": [
            {
                "at": e.at,
                "kind": e.kind,
                "actor": e.actor.username if e.actor_id else None,
                "text": e.message,
            }
            for e in events
        ],
    }


def _detail_of(request, pk: int) -> dict[str, Any]:
    return _detail(selectors.complaint_get(user=request.auth, pk=pk))


# --- staff: input --------------------------------------------------------------------------


class ComplaintFilters(Schema):
    queue: QueueCode = Field("all", description="level, mine, overdue, escalated, restricted, "
                             "resolved or all.")  # fmt: skip
    status: StatusCode | None = None
    category: CategoryCode | None = None


class ComplaintIn(Schema):
    channel: StaffChannel = Field(description="How the complaint came in (not web).")
    category: CategoryCode
    description: str = Field(max_length=20_000)
    area: str = Field(max_length=20, description="Regency or district code in your scope.")
    priority: PriorityCode = "normal"
    anonymous: bool = False
    name: str = Field("", max_length=400)
    phone: str = Field("", max_length=60)
    email: str = Field("", max_length=300)
    about_staff: bool = Field(False, description="Concerns the district's own staff.")
    person: int | None = Field(None, description="Registry person id, in your scope.")
    beneficiary: int | None = None
    case: int | None = None
    entitlement: int | None = None
    provider: int | None = None


class VersionIn(Schema):
    version: int = Field(description="The version read; a newer one on the server is a 409.")


class ComplaintAssignIn(VersionIn):
    to: str = Field(description="Username of the handler.")


class NoteIn(Schema):
    text: str = Field(max_length=4000)


class EscalateIn(VersionIn):
    reason: str = Field(max_length=2000)


class ResolveIn(VersionIn):
    resolution: str = Field(max_length=4000, description="Shown on the public status page.")
    remedy: str = Field("", max_length=300)
    internal_notes: str = Field("", max_length=4000)


@contextmanager
def _conflict_is_409() -> Iterator[None]:
    """A ConflictError (someone saved first; nothing was written) answers 409."""
    try:
        yield
    except ConflictError as exc:
        raise HttpError(409, " ".join(exc.messages)) from exc


def _links(user: User, data: ComplaintIn) -> dict[str, Any]:
    """The records the complaint concerns, each looked up within the caller's scope; one
    the caller may not see is refused like one that does not exist."""
    finders = {
        "person": lambda pk: registry_selectors.person_get(user=user, pk=pk),
        "case": lambda pk: case_selectors.case_get(user=user, pk=pk),
        "provider": lambda pk: referral_selectors.provider_get(user=user, pk=pk),
        "beneficiary": lambda pk: get_visible_or_404(
            lambda: program_selectors.beneficiary_list(user=user),
            base=Beneficiary.objects.all(),
            pk=pk,
        ),
        "entitlement": lambda pk: get_scoped_or_404(
            Entitlement.objects.all(), user, perm="payments.view_entitlement", pk=pk
        ),
    }
    links: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, find in finders.items():
        pk = getattr(data, name)
        if pk is None:
            continue
        try:
            links[name] = find(pk)
        except (Http404, ObjectDoesNotExist, PermissionDenied):
            errors[name] = [_("Not found in your area.")]
    if errors:
        raise ValidationError(errors)
    return links


# --- staff: reads ----------------------------------------------------------------------------


class ComplaintPagination(ApiPages):
    """Rows as the list shows them (no complainant, no description)."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        result = super().paginate_queryset(queryset, pagination, request, **params)
        return {**result, "items": [_row(c) for c in result["items"]]}


@router.get(
    "/",
    response=list[ComplaintRow],
    summary="Complaints the caller may see (a working queue)",
    description="Scoped to the caller's area; restricted complaints only for complaint "
    "officers. Rows carry no complainant details and no description.",
)
@paginate(ComplaintPagination)
def list_complaints(request, filters: Query[ComplaintFilters]) -> QuerySet[Complaint]:
    qs = selectors.complaint_queue(user=request.auth, queue=filters.queue)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.category:
        qs = qs.filter(category=filters.category)
    return qs


@router.get(
    "/{int:pk}/",
    response=ComplaintDetail,
    summary="One complaint with its history (audited)",
)
def get_complaint(request, pk: int):
    complaint = selectors.complaint_get(user=request.auth, pk=pk)
    audit_record(action="view", actor=request.auth, obj=complaint)
    return _detail(complaint)


# --- staff: writes ---------------------------------------------------------------------------


@router.post(
    "/",
    response={201: CreatedOut},
    description="Answers the new complaint's id, tracking code, level and version (a "
    "facilitator may enter complaints without reading them; others GET the detail).",
    summary="Enter a complaint received by phone, SMS, walk-in, e-mail, letter or a visit",
)
def create_complaint(request, payload: ComplaintIn):
    user = request.auth
    code = normalise_area_code(payload.area) or payload.area
    complaint = services.complaint_create(
        by=user,
        data=ComplaintInput(
            category=payload.category,
            description=payload.description,
            area_code=code,
            priority=payload.priority,
            anonymous=payload.anonymous,
            name=payload.name,
            phone=payload.phone,
            email=payload.email,
            about_staff=payload.about_staff,
        ),
        channel=payload.channel,
        links=_links(user, payload),
    )
    return Status(201, complaint)


def _handled(request, pk: int) -> Complaint:
    return selectors.complaint_get(user=request.auth, pk=pk)


@router.post(
    "/{int:pk}/assign/",
    response={200: ComplaintDetail, 409: ErrorOut},
    summary="Assign a handler",
)
def assign_complaint(request, pk: int, payload: ComplaintAssignIn):
    complaint = _handled(request, pk)
    to = User.objects.filter(username=payload.to, is_active=True).first()
    if to is None:
        raise ValidationError({"to": [_("Unknown user %(u)s.") % {"u": payload.to}]})
    with _conflict_is_409():
        services.complaint_assign(
            by=request.auth, complaint=complaint, to=to, expected_version=payload.version
        )
    return _detail_of(request, pk)


@router.post(
    "/{int:pk}/start/",
    response={200: ComplaintDetail, 409: ErrorOut},
    summary="Start investigating",
)
def start_complaint(request, pk: int, payload: VersionIn):
    complaint = _handled(request, pk)
    with _conflict_is_409():
        services.complaint_start(
            by=request.auth, complaint=complaint, expected_version=payload.version
        )
    return _detail_of(request, pk)


@router.post(
    "/{int:pk}/notes/",
    response={201: ComplaintDetail},
    summary="Add a note to the history",
)
def note_complaint(request, pk: int, payload: NoteIn):
    complaint = _handled(request, pk)
    services.complaint_note(by=request.auth, complaint=complaint, text=payload.text)
    return Status(201, _detail_of(request, pk))


@router.post(
    "/{int:pk}/escalate/",
    response={200: ComplaintDetail, 409: ErrorOut},
    summary="Send the complaint one level up",
)
def escalate_complaint(request, pk: int, payload: EscalateIn):
    complaint = _handled(request, pk)
    with _conflict_is_409():
        services.complaint_escalate(
            by=request.auth,
            complaint=complaint,
            reason=payload.reason,
            expected_version=payload.version,
        )
    return _detail_of(request, pk)


@router.post(
    "/{int:pk}/resolve/",
    response={200: ComplaintDetail, 409: ErrorOut},
    summary="Record the resolution and remedy (the complainant is told)",
)
def resolve_complaint(request, pk: int, payload: ResolveIn):
    complaint = _handled(request, pk)
    with _conflict_is_409():
        services.complaint_resolve(
            by=request.auth,
            complaint=complaint,
            resolution=payload.resolution,
            remedy=payload.remedy,
            internal_notes=payload.internal_notes,
            expected_version=payload.version,
        )
    return _detail_of(request, pk)


# --- staff: reports ------------------------------------------------------------------------


class ReportFilters(Schema):
    date_from: date | None = Field(None, description="Received from (default 1 January).")
    date_to: date | None = Field(None, description="Received until (default 31 December).")
    area: str = Field("", description="An area code prefix inside the caller's scope.")
    category: CategoryCode | Literal[""] = ""
    channel: Literal[tuple(Channel.values)] | Literal[""] = ""  # type: ignore[valid-type]
    group: GroupCode = "category"


class ColumnOut(Schema):
    key: str
    label: str


class ReportOut(Schema):
    report: str
    group: str
    filters: dict[str, Any]
    columns: list[ColumnOut]
    rows: list[dict[str, Any]] = Field(description="One per group: key, label and measures.")
    total: dict[str, Any]


@router.get(
    "/reports/{name}",
    response=ReportOut,
    summary="A complaint report: volume, resolution, levels or satisfaction",
    description="Aggregates only, within the caller's scope (view_complaint_report); "
    "restricted complaints are counted only for complaint officers.",
)
def complaint_report(request, name: Literal[reports.REPORTS], query: Query[ReportFilters]):
    default = reports.Filters.this_year()
    area = ""
    if query.area.strip():
        area = normalise_area_code(query.area) or ""
        if not area:
            raise ValidationError({"area": [_("Not an area code (for example 73.71 or 7371).")]})
    filters = reports.Filters(
        date_from=query.date_from or default.date_from,
        date_to=query.date_to or default.date_to,
        area=area,
        category=query.category,
        channel=query.channel,
    )
    if filters.date_from > filters.date_to:
        raise ValidationError(_("The period ends before it starts."))
    report = reports.report(user=request.auth, name=name, filters=filters, group=query.group)
    return {
        "report": report.name,
        "group": report.group,
        "filters": filters.as_dict(),
        "columns": [{"key": k, "label": str(label)} for k, label in report.columns],
        "rows": report.rows,
        "total": report.total,
    }


# --- public: no account ----------------------------------------------------------------------


class PublicComplaintIn(Schema):
    """Lengths are checked by the service (one message per field, and every submission counts
    towards the hourly limit, refused ones too)."""

    category: str = Field(description="A category code, e.g. mistargeting.")
    description: str = Field(description="What happened: 10 to 4000 characters.")
    area: str = Field(description="Regency or district code, e.g. 73.71.")
    anonymous: bool = False
    name: str = ""
    phone: str = ""
    email: str = ""
    about_staff: bool = Field(False, description="Concerns the district's own staff.")


class ReceiptOut(Schema):
    code: str = Field(description="The tracking code: keep it to follow the complaint.")
    status: str


class PublicStatusOut(Schema):
    code: str
    category: str
    status: str
    status_code: str
    level: str
    received: date
    resolved: date | None
    resolution: str
    remedy: str
    can_rate: bool
    rating: int | None


class RatingIn(Schema):
    rating: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=500)


class PublicErrorOut(Schema):
    detail: str | list[str]
    errors: dict[str, list[str]] | None = None


@public_router.post(
    "/",
    response={201: ReceiptOut, 400: PublicErrorOut, 429: ErrorOut},
    summary="File a complaint (no account; anonymous allowed)",
    description="Answers the tracking code only. Limited per client address and hour: 429.",
)
def public_create(request, payload: PublicComplaintIn):
    data = ComplaintInput(
        category=payload.category,
        description=payload.description,
        area_code=normalise_area_code(payload.area) or payload.area,
        anonymous=payload.anonymous,
        name=payload.name,
        phone=payload.phone,
        email=payload.email,
        about_staff=payload.about_staff,
    )
    try:
        complaint = services.complaint_submit_public(data, sender=client_address(request) or "-")
    except services.Throttled:
        return Status(
            429, {"detail": _("Too many complaints from your connection. Try again in an hour.")}
        )
    except ValidationError as refused:
        return Status(
            400,
            {"detail": _("Please correct the complaint."), "errors": refused.message_dict},
        )
    return Status(201, {"code": complaint.code, "status": complaint.get_status_display()})


@public_router.get(
    "/{code}",
    response={200: PublicStatusOut, 404: ErrorOut},
    summary="The public status of a tracking code (no personal data)",
)
def public_get(request, code: str):
    status = services.public_status(code[:20])
    if status is None:
        return Status(404, {"detail": _("No complaint has this tracking code.")})
    return status.__dict__


@public_router.post(
    "/{code}/rating",
    response={200: PublicStatusOut, 400: PublicErrorOut, 404: ErrorOut},
    summary="Rate the resolution (1–5), once",
)
def public_rate(request, code: str, payload: RatingIn):
    if services.public_status(code[:20]) is None:
        return Status(404, {"detail": _("No complaint has this tracking code.")})
    try:
        services.complaint_rate(code=code[:20], rating=payload.rating, comment=payload.comment)
    except ValidationError as refused:
        return Status(400, {"detail": refused.messages})
    return services.public_status(code[:20]).__dict__
