"""Payments over JSON: cycles with their reconciliation, generating a cycle, exporting a payer
batch, downloading it, a cycle's entitlements (scoped to the caller's areas, audited) and a
beneficiary's membership card; PKSA savings accounts (list, statement, open, plans, approval,
withdrawals, deposits from a cycle), a cycle's in-kind items (list, record) and a
beneficiary's suspensions (list, start, end).

Scoped exactly like the pages: cycles and batches are program-level; entitlements and cards
are personal data filtered by the caller's areas (a card out of scope is a 404). Every write
calls one service, which checks the permission and writes the audit row; a refusal is a 400
with the message (approving a plan one drafted oneself: 403, four eyes)."""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from pksai.accounts.four_eyes import SelfApprovalRefused
from pksai.accounts.scoping import get_scoped_or_404, require_perm
from pksai.audit.personal_exports import PersonalExport, export_purpose
from pksai.audit.services import audit_record
from pksai.core.paging import ApiPages
from pksai.payments import savings, selectors, services
from pksai.payments.forms import parse_period
from pksai.payments.models import (
    Entitlement,
    FundPlanItem,
    InKindItem,
    PayerBatch,
    PaymentCycle,
    SavingsAccount,
)
from pksai.programs import compliance
from pksai.programs.models import Beneficiary, Suspension

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
    items_due: int = 0
    items_delivered: int = 0
    items_undelivered: int = 0
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


def _audited_pages(
    object_type: str,
    serialise: Callable[[Any], dict],
    detail: Callable[[Any], dict],
) -> type[ApiPages]:
    """A paginator that records which personal records a page returned (``detail`` adds the
    request's filters to the audit row) and serialises them."""

    class AuditedPages(ApiPages):
        def paginate_queryset(self, queryset, pagination, request, **params):
            result = super().paginate_queryset(queryset, pagination, request, **params)
            items = list(result["items"])
            if items:
                audit_record(
                    action="view",
                    actor=request.auth,
                    object_type=object_type,
                    detail={"ids": [o.pk for o in items], **detail(request)},
                )
            return {**result, "items": [serialise(o) for o in items]}

    return AuditedPages


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
@paginate(
    _audited_pages(
        "payments.entitlement",
        _entitlement,
        lambda request: {"filters": {k: v for k, v in request.GET.items() if v}},
    )
)
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
def batch_file(request, pk: int, format: str = "csv", purpose: str = ""):  # noqa: A002
    """``purpose`` is required (personal data): recorded in the audit row and, with who and
    when, in the X-PKSAI-Watermark header — the file itself stays byte-exact."""
    batch = selectors.batch_file_get(user=request.auth, pk=pk)
    export = PersonalExport(user=request.auth, purpose=export_purpose({"purpose": purpose}))
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
    export.audit(
        obj=batch, detail={"format": format, "rows": batch.rows, "checksum": batch.checksum}
    )
    return export.stamp_response(response)


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


class DeliveryIn(Schema):
    channel: str
    reason: str = Field(default="", max_length=200)


class DeliveryOut(Schema):
    beneficiary: int
    channel: str
    reason: str


@router.post(
    "/beneficiaries/{int:pk}/delivery",
    response=DeliveryOut,
    summary="How the post office delivers this beneficiary's cash from the next cycle on",
)
def set_delivery(request, pk: int, payload: DeliveryIn):
    require_perm(request.auth, services.MANAGE)
    beneficiary = selectors.beneficiary_for_card(user=request.auth, pk=pk)
    preference = services.delivery_preference_set(
        by=request.auth, beneficiary=beneficiary, channel=payload.channel, reason=payload.reason
    )
    return {
        "beneficiary": beneficiary.pk,
        "channel": preference.channel,
        "reason": preference.reason,
    }


# --- PKSA savings accounts ---------------------------------------------------------------


class AccountOut(Schema):
    id: int
    number: str
    beneficiary: int
    child: str
    area: str
    partner: str = Field(description="The LKSA the account is held through.")
    guardian: str
    opened_on: date
    deposited: int = Field(description="Whole rupiah.")
    withdrawn: int
    balance: int


class SavingsEntryOut(Schema):
    id: int
    on: date
    kind: str
    amount: int
    purpose: str
    item: int | None


class PlanItemOut(Schema):
    id: int
    description: str
    amount: int
    withdrawn: int
    left: int


class ErrorOut(Schema):
    detail: str


class PlanOut(Schema):
    id: int
    status: str
    needs_assessment: str
    approved_at: datetime | None
    items: list[PlanItemOut]


class StatementOut(Schema):
    id: int
    number: str
    beneficiary: int
    child: str
    area: str
    partner: str
    guardian: str
    facilitator: str
    opened_on: date
    balance: int
    entries: list[SavingsEntryOut]
    plans: list[PlanOut]


class AccountIn(Schema):
    beneficiary: int
    number: str = Field(max_length=40)
    guardian_name: str = Field(max_length=200)
    opened_on: date


class PlanItemIn(Schema):
    description: str = Field(max_length=200)
    amount: int = Field(description="Whole rupiah.")


class PlanIn(Schema):
    items: list[PlanItemIn]
    needs_assessment: str = ""


class WithdrawIn(Schema):
    item: int | None = Field(None, description="An item of the account's approved plan.")
    amount: int = Field(description="Whole rupiah.")
    purpose: str = Field(max_length=300)
    on: date | None = None


class DepositsOut(Schema):
    deposited: int
    total: int


class AccountFilters(Schema):
    q: str = ""


def _account(a: SavingsAccount) -> dict:
    return {
        "id": a.pk,
        "number": a.number,
        "beneficiary": a.beneficiary_id,
        "child": a.beneficiary.person.name,
        "area": a.area_id,
        "partner": a.partner.name,
        "guardian": a.guardian_name,
        "opened_on": a.opened_on,
        "deposited": a.deposited,
        "withdrawn": a.withdrawn,
        "balance": a.balance,
    }


def _statement(request, pk: int) -> dict:
    st = savings.account_statement(by=request.auth, pk=pk)  # 404 out of area; audited
    a = st.account
    return {
        "id": a.pk,
        "number": a.number,
        "beneficiary": a.beneficiary_id,
        "child": st.child,
        "area": a.area_id,
        "partner": st.partner,
        "guardian": st.guardian,
        "facilitator": st.facilitator,
        "opened_on": a.opened_on,
        "balance": st.balance,
        "entries": [
            {
                "id": e.pk,
                "on": e.on,
                "kind": e.kind,
                "amount": e.amount,
                "purpose": e.purpose,
                "item": e.plan_item_id,
            }
            for e in st.entries
        ],
        "plans": [
            {
                "id": plan.pk,
                "status": plan.status,
                "needs_assessment": plan.needs_assessment,
                "approved_at": plan.approved_at,
                "items": [
                    {
                        "id": line.item.pk,
                        "description": line.item.description,
                        "amount": line.approved,
                        "withdrawn": line.withdrawn,
                        "left": line.left,
                    }
                    for line in lines
                ],
            }
            for plan, lines in st.plans
        ],
    }


@router.get(
    "/savings/",
    response=list[AccountOut],
    summary="PKSA savings accounts in the caller's areas, with balances (audited)",
)
@paginate(
    _audited_pages(
        "payments.savingsaccount",
        _account,
        lambda request: {"q": request.GET.get("q", "")},
    )
)
def list_accounts(request, filters: Query[AccountFilters]):
    return selectors.savings_account_list(user=request.auth, q=filters.q[:100])


@router.post("/savings/", response={201: StatementOut}, summary="Open a PKSA savings account")
def open_account(request, payload: AccountIn):
    require_perm(request.auth, savings.OPEN)
    beneficiary = selectors.beneficiary_for_account(user=request.auth, pk=payload.beneficiary)
    account = savings.account_open(
        by=request.auth,
        beneficiary=beneficiary,
        number=payload.number,
        guardian_name=payload.guardian_name,
        opened_on=payload.opened_on,
    )
    return Status(201, _statement(request, account.pk))


@router.get(
    "/savings/{int:pk}/",
    response=StatementOut,
    summary="An account's statement: balance, ledger, plans with what is left (audited)",
)
def get_account(request, pk: int):
    return _statement(request, pk)


@router.post(
    "/savings/{int:pk}/plans/",
    response={201: PlanOut},
    summary="Draft a fund-utilisation plan (items and amounts)",
)
def create_plan(request, pk: int, payload: PlanIn):
    require_perm(request.auth, savings.PLAN)
    account = selectors.savings_account_get(user=request.auth, pk=pk, perm=savings.PLAN)
    plan = savings.plan_create(
        by=request.auth,
        account=account,
        items=[(i.description, i.amount) for i in payload.items],
        needs_assessment=payload.needs_assessment,
    )
    return Status(201, _plan(plan))


def _plan(plan) -> dict:
    return {
        "id": plan.pk,
        "status": plan.status,
        "needs_assessment": plan.needs_assessment,
        "approved_at": plan.approved_at,
        "items": [
            {"id": i.pk, "description": i.description, "amount": i.amount}
            | {"withdrawn": (w := savings.item_withdrawn(i)), "left": i.amount - w}
            for i in plan.items.all()
        ],
    }


@router.post(
    "/savings/plans/{int:pk}/approve",
    response={200: PlanOut, 403: ErrorOut},
    summary="Approve a draft plan",
    description="Four eyes: who drafted the plan may not approve it (403 with the reason; the "
    "attempt is audited) unless the installation allows self-approval "
    "(`PKSAI_ALLOW_SELF_APPROVAL`).",
)
def approve_plan(request, pk: int):
    require_perm(request.auth, savings.APPROVE)
    plan = selectors.fund_plan_get(user=request.auth, pk=pk)
    try:
        approved = savings.plan_approve(by=request.auth, plan=plan)
    except SelfApprovalRefused as refused:  # audited by the service
        raise HttpError(403, refused.message) from refused
    return _plan(approved)


@router.post(
    "/savings/{int:pk}/withdrawals/",
    response={201: SavingsEntryOut},
    summary="Withdraw against an item of the approved plan (400 with the reason if refused)",
)
def create_withdrawal(request, pk: int, payload: WithdrawIn):
    require_perm(request.auth, savings.MOVE_MONEY)
    account = selectors.savings_account_get(user=request.auth, pk=pk, perm=savings.MOVE_MONEY)
    item = None
    if payload.item is not None:
        item = FundPlanItem.objects.filter(pk=payload.item, plan__account=account).first()
        if item is None:
            raise ValidationError({"item": [_("That item belongs to another account's plan.")]})
    entry = savings.withdraw(
        by=request.auth,
        account=account,
        item=item,
        amount=payload.amount,
        purpose=payload.purpose,
        on=payload.on,
    )
    return Status(
        201,
        {
            "id": entry.pk,
            "on": entry.on,
            "kind": entry.kind,
            "amount": entry.amount,
            "purpose": entry.purpose,
            "item": entry.plan_item_id,
        },
    )


@router.post(
    "/cycles/{int:pk}/savings-deposits",
    response=DepositsOut,
    summary="Credit a PKSA cycle's paid account payments to the savings accounts (once each)",
)
def cycle_deposits(request, pk: int):
    cycle = selectors.cycle_get(user=request.auth, pk=pk)
    result = savings.deposits_from_cycle(by=request.auth, cycle=cycle)
    return {"deposited": result.deposited, "total": result.total}


# --- in-kind items ------------------------------------------------------------------------


class ItemOut(Schema):
    id: int
    beneficiary: int
    name: str
    area: str
    description: str
    quantity: int
    value: int
    status: str
    delivered_on: date | None
    delivered_by: str
    reason: str


class ItemFilters(Schema):
    status: str = ""


class ItemsRecordIn(Schema):
    items: list[int] = Field(description="Ids of the cycle's items to record.")
    delivered: bool
    on: date | None = Field(None, description="Delivery date (when delivered).")
    delivered_by: str = Field("", max_length=200)
    reason: str = Field("", max_length=200, description="Why not delivered.")


class ItemsRecordOut(Schema):
    changed: int


def _item(i: InKindItem) -> dict:
    return {
        "id": i.pk,
        "beneficiary": i.beneficiary_id,
        "name": i.beneficiary.person.name,
        "area": i.area_id,
        "description": i.description,
        "quantity": i.quantity,
        "value": i.value,
        "status": i.status,
        "delivered_on": i.delivered_on,
        "delivered_by": i.delivered_by,
        "reason": i.reason,
    }


@router.get(
    "/cycles/{int:pk}/items/",
    response=list[ItemOut],
    summary="A cycle's in-kind items in the caller's areas (audited)",
)
@paginate(
    _audited_pages(
        "payments.inkinditem",
        _item,
        lambda request: {"status": request.GET.get("status", "")},
    )
)
def list_items(request, pk: int, filters: Query[ItemFilters]):
    cycle = selectors.cycle_get(user=request.auth, pk=pk)
    status = filters.status if filters.status in InKindItem.Status.values else ""
    return selectors.in_kind_item_search(user=request.auth, cycle=cycle, status=status)


@router.post(
    "/cycles/{int:pk}/items/record",
    response=ItemsRecordOut,
    summary="Record in-kind items as delivered (date, by whom) or not delivered (why)",
)
def record_items(request, pk: int, payload: ItemsRecordIn):
    cycle = selectors.cycle_get(user=request.auth, pk=pk)
    require_perm(request.auth, services.RECORD_ITEMS)
    changed = services.in_kind_record(
        by=request.auth,
        items=cycle.items.filter(pk__in=payload.items),
        delivered=payload.delivered,
        on=payload.on,
        delivered_by=payload.delivered_by,
        reason=payload.reason,
    )
    return {"changed": changed}


# --- suspensions --------------------------------------------------------------------------


class SuspensionOut(Schema):
    id: int
    beneficiary: int
    start: date
    end: date | None
    reason: str


class SuspensionIn(Schema):
    start: date
    end: date | None = None
    reason: str = Field(max_length=300)


class SuspensionEndIn(Schema):
    last_day: date


def _suspension(s: Suspension) -> dict:
    return {
        "id": s.pk,
        "beneficiary": s.beneficiary_id,
        "start": s.start,
        "end": s.end,
        "reason": s.reason,
    }


def _suspended(user, pk: int) -> Beneficiary:
    return get_scoped_or_404(
        Beneficiary.objects.all(), user, perm="programs.view_suspension", pk=pk
    )


@router.get(
    "/beneficiaries/{int:pk}/suspensions/",
    response=list[SuspensionOut],
    summary="A beneficiary's suspensions (scoped by area)",
)
def list_suspensions(request, pk: int):
    beneficiary = _suspended(request.auth, pk)
    return [_suspension(s) for s in beneficiary.suspensions.all()]


@router.post(
    "/beneficiaries/{int:pk}/suspensions/",
    response={201: SuspensionOut},
    summary="Suspend a beneficiary's benefit (from, optional last day, reason)",
)
def start_suspension(request, pk: int, payload: SuspensionIn):
    require_perm(request.auth, compliance.SUSPEND)
    beneficiary = _suspended(request.auth, pk)
    suspension = compliance.suspension_start(
        by=request.auth,
        beneficiary=beneficiary,
        start=payload.start,
        end=payload.end,
        reason=payload.reason,
    )
    return Status(201, _suspension(suspension))


@router.post("/suspensions/{int:pk}/end", response=SuspensionOut, summary="End an open suspension")
def end_suspension(request, pk: int, payload: SuspensionEndIn):
    require_perm(request.auth, "programs.change_suspension")
    suspension = get_scoped_or_404(
        Suspension.objects.select_related("beneficiary"),
        request.auth,
        perm="programs.change_suspension",
        pk=pk,
    )
    return _suspension(
        compliance.suspension_end(by=request.auth, suspension=suspension, last_day=payload.last_day)
    )
