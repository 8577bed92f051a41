"""Payments over JSON: cycles with their reconciliation, generating a cycle, exporting a payer
batch, downloading it, a cycle's entitlements (scoped to the caller's areas, audited) and a
beneficiary's membership card.

Scoped exactly like the pages: cycles and batches are program-level; entitlements and cards
are personal data filtered by the caller's areas (a card out of scope is a 404). Every write
calls one service, which checks the permission and writes the audit row; a refusal is a 400
with the message."""

from datetime import date

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from pksai.audit.services import audit_record
from pksai.payments import selectors, services
from pksai.payments.forms import parse_period
from pksai.payments.models import Entitlement, PayerBatch, PaymentCycle

router = Router()


class ReconcileOut(Schema):
    entitled: int
    sent: int
    paid: int
    held: int
    failed: int
    outstanding: int
    not_sent: int
    carried: int
    late: int
    bundled: int
    discrepancies: list[dict]


class CycleOut(Schema):
    id: int
    program: str = Field(description="The program's code.")
    period: str = Field(description="YYYY-MM")
    due_date: date
    reconcile: ReconcileOut | None = None


class BatchOut(Schema):
    id: int
    cycle: int
    version: int
    reference: str
    rows: int
    total: int = Field(description="Whole rupiah.")
    checksum: str = Field(description="SHA-256 of the CSV file.")
    note: str


class CycleIn(Schema):
    program: str = Field(description="A top-level program's code, e.g. jslu.")
    period: str = Field(description="YYYY-MM", pattern=r"^\d{4}-\d{2}$")


class BatchIn(Schema):
    note: str = Field("", max_length=300)


class EntitlementOut(Schema):
    id: int
    beneficiary: int
    name: str
    area: str
    own_amount: int
    arrears: int
    amount: int
    months: list[str]
    periods: int
    bundled: bool
    channel: str
    status: str
    failed_attempts: int
    paid_on: date | None
    late: bool


class EntitlementFilters(Schema):
    status: str = ""
    late: bool = False
    bundled: bool = False


class CardRowOut(Schema):
    paid_on: date
    amount: int
    months: list[str]
    paid_by: str
    countersigned: bool
    channel: str
    late: bool


class CardOut(Schema):
    beneficiary: int
    name: str
    program: str
    area: str
    payments: list[CardRowOut]


def _cycle(cycle: PaymentCycle, *, with_reconcile: bool = False) -> dict:
    return {
        "id": cycle.pk,
        "program": cycle.program.code,
        "period": cycle.period.strftime("%Y-%m"),
        "due_date": cycle.due_date,
        "reconcile": services.reconcile(cycle) if with_reconcile else None,
    }


def _batch(batch: PayerBatch) -> dict:
    return {
        "id": batch.pk,
        "cycle": batch.cycle_id,
        "version": batch.version,
        "reference": batch.reference,
        "rows": batch.rows,
        "total": batch.total,
        "checksum": batch.checksum,
        "note": batch.note,
    }


def _entitlement(e: Entitlement) -> dict:
    return {
        "id": e.pk,
        "beneficiary": e.beneficiary_id,
        "name": e.beneficiary.person.name,
        "area": e.area_id,
        "own_amount": e.own_amount,
        "arrears": e.arrears,
        "amount": e.amount,
        "months": e.months,
        "periods": e.periods,
        "bundled": e.bundled,
        "channel": e.channel,
        "status": e.status,
        "failed_attempts": e.failed_attempts,
        "paid_on": e.paid_on,
        "late": e.late,
    }


class AuditedEntitlements(PageNumberPagination):
    def paginate_queryset(self, queryset, pagination, request, **params):
        result = super().paginate_queryset(queryset, pagination, request, **params)
        items = list(result["items"])
        if items:
            audit_record(
                action="view",
                actor=request.auth,
                object_type="payments.entitlement",
                detail={
                    "ids": [e.pk for e in items],
                    "filters": {k: v for k, v in request.GET.items() if v},
                },
            )
        return {**result, "items": [_entitlement(e) for e in items]}


@router.get("/cycles/", response=list[CycleOut], summary="Payment cycles with reconciliation")
def list_cycles(request, program: str = ""):
    qs = selectors.cycle_list(user=request.auth)
    if program:
        qs = qs.filter(program__code=program)
    return [_cycle(c, with_reconcile=True) for c in qs[:200]]


@router.post("/cycles/", response={201: CycleOut}, summary="Generate a cycle")
def create_cycle(request, payload: CycleIn):
    period = parse_period(payload.period)
    if period is None:
        raise ValidationError({"period": [_("Enter a month as YYYY-MM.")]})
    program = selectors.payment_programs().filter(code=payload.program).first()
    if program is None:
        raise ValidationError(
            {"program": [_("Unknown program %(code)s.") % {"code": payload.program}]}
        )
    cycle = services.cycle_generate(by=request.auth, program=program, period=period)
    return Status(201, _cycle(cycle, with_reconcile=True))


@router.get("/cycles/{int:pk}/", response=CycleOut, summary="One cycle with reconciliation")
def get_cycle(request, pk: int):
    return _cycle(selectors.cycle_get(user=request.auth, pk=pk), with_reconcile=True)


@router.get("/cycles/{int:pk}/batches/", response=list[BatchOut], summary="A cycle's batches")
def list_batches(request, pk: int):
    cycle = selectors.cycle_get(user=request.auth, pk=pk)
    return [_batch(b) for b in selectors.batch_list(user=request.auth, cycle=cycle)]


@router.post("/cycles/{int:pk}/batches/", response={201: BatchOut}, summary="Export a payer batch")
def create_batch(request, pk: int, payload: BatchIn):
    cycle = selectors.cycle_get(user=request.auth, pk=pk)
    batch = services.batch_export(by=request.auth, cycle=cycle, note=payload.note)
    return Status(201, _batch(batch))


@router.get(
    "/cycles/{int:pk}/entitlements/",
    response=list[EntitlementOut],
    summary="A cycle's entitlements in the caller's areas (audited)",
)
@paginate(AuditedEntitlements)
def list_entitlements(request, pk: int, filters: Query[EntitlementFilters]):
    cycle = selectors.cycle_get(user=request.auth, pk=pk)
    status = filters.status if filters.status in Entitlement.Status.values else ""
    return selectors.entitlement_search(
        user=request.auth, cycle=cycle, status=status, late=filters.late, bundled=filters.bundled
    )


@router.get(
    "/batches/{int:pk}/file",
    summary="The batch file (CSV with X-Checksum-SHA256, or XLSX; audited as an export)",
    response={200: None},
)
def batch_file(request, pk: int, format: str = "csv"):  # noqa: A002
    batch = selectors.batch_file_get(user=request.auth, pk=pk)
    if format == "csv":
        content, content_type = services.batch_csv(batch), "text/csv; charset=utf-8"
    elif format == "xlsx":
        content = services.batch_xlsx(batch)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        raise Http404("Unknown format.")
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{batch.reference}.{format}"
    )
    if format == "csv":
        response["X-Checksum-SHA256"] = batch.checksum
    audit_record(
        action="export",
        actor=request.auth,
        obj=batch,
        detail={"format": format, "rows": batch.rows, "checksum": batch.checksum},
    )
    return response


@router.get(
    "/beneficiaries/{int:pk}/card",
    response=CardOut,
    summary="A beneficiary's membership card (scoped by area; audited)",
)
def card(request, pk: int):
    beneficiary = selectors.beneficiary_for_card(user=request.auth, pk=pk)
    rows = services.card_ledger(beneficiary)
    audit_record(
        action="view",
        actor=request.auth,
        obj=beneficiary,
        detail={"card": True, "payments": len(rows)},
    )
    return {
        "beneficiary": beneficiary.pk,
        "name": beneficiary.person.name,
        "program": beneficiary.program.code,
        "area": beneficiary.area_id,
        "payments": [row.__dict__ for row in rows],
    }
