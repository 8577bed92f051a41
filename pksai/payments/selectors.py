"""Scoped reads of the payments app.

Cycles and payer batches are program-level records (a program officer sees the cycles of the
programs); entitlements, batch lines and delivery events are personal data, filtered by the
user's area scope on the entitlement's own ``area`` column. A beneficiary's card is scoped by
the beneficiary's area: out of scope is a 404."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from pksai.accounts.scoping import (
    get_scoped_or_404,
    get_visible_or_404,
    require_perm,
    scope_for,
    scoped,
)
from pksai.payments import savings
from pksai.payments.models import (
    BatchLine,
    Entitlement,
    FundPlan,
    InKindItem,
    PayerBatch,
    PaymentCycle,
    SavingsAccount,
)
from pksai.programs.models import Beneficiary, Program

VIEW_CYCLE = "payments.view_paymentcycle"
VIEW_ENTITLEMENT = "payments.view_entitlement"
VIEW_BATCH = "payments.view_payerbatch"
VIEW_ITEMS = "payments.view_inkinditem"


def cycle_list(*, user, program: Program | None = None) -> QuerySet[PaymentCycle]:
    require_perm(user, VIEW_CYCLE)
    qs = PaymentCycle.objects.select_related("program")
    if program is not None:
        qs = qs.filter(program=program)
    return qs.order_by("program__code", "-period")


def cycle_get(*, user, pk: int) -> PaymentCycle:
    require_perm(user, VIEW_CYCLE)
    return get_object_or_404(PaymentCycle.objects.select_related("program"), pk=pk)


def payment_programs() -> QuerySet[Program]:
    """Programs a cycle can be generated for: active, top level."""
    return Program.objects.filter(parent__isnull=True, is_active=True).order_by("code")


def batch_list(*, user, cycle: PaymentCycle) -> QuerySet[PayerBatch]:
    require_perm(user, VIEW_BATCH)
    return cycle.batches.select_related("created_by").order_by("-version")


def batch_get(*, user, pk: int, cycle: PaymentCycle | None = None) -> PayerBatch:
    require_perm(user, VIEW_BATCH)
    qs = PayerBatch.objects.select_related("cycle", "cycle__program")
    if cycle is not None:
        qs = qs.filter(cycle=cycle)
    return get_object_or_404(qs, pk=pk)


def batch_file_get(*, user, pk: int) -> PayerBatch:
    """A batch whose file the user may download. The file carries the name, NIK and address
    of every line, so only a user whose scope covers every line's area gets it (in practice
    the central program officers who send it to the payer); anyone else gets a 404 — they see
    their own areas' lines on screen. Decision 0010."""
    base = PayerBatch.objects.select_related("cycle", "cycle__program")

    def whole_batches() -> QuerySet[PayerBatch]:
        require_perm(user, VIEW_BATCH)
        scope = scope_for(user)
        if scope.national:
            return base
        # one correlated EXISTS on the batch asked for: stops at its first line out of scope
        outside = BatchLine.objects.filter(batch=OuterRef("pk")).filter(
            ~scope.q("entitlement__area")
        )
        return base.filter(~Exists(outside))

    return get_visible_or_404(whole_batches, base=base, reason="lines out of scope", pk=pk)


def entitlement_search(
    *, user, cycle: PaymentCycle, status: str = "", late: bool = False, bundled: bool = False
) -> QuerySet[Entitlement]:
    """The cycle's entitlements in the user's area scope, with optional filters."""
    qs = scoped(cycle.entitlements.all(), user, perm=VIEW_ENTITLEMENT, area_field="area")
    if status:
        qs = qs.filter(status=status)
    if late:
        qs = qs.filter(late=True)
    if bundled:
        qs = qs.filter(periods__gt=1)
    return qs.select_related("beneficiary__person", "area").order_by("area_id", "id")


def beneficiary_for_card(*, user, pk: int) -> Beneficiary:
    """A beneficiary whose card the user may see (the beneficiary's area in scope), else 404."""
    return get_scoped_or_404(
        Beneficiary.objects.select_related("person", "program", "area"),
        user,
        perm=VIEW_ENTITLEMENT,
        area_field="area",
        pk=pk,
    )


# --- PKSA savings accounts and in-kind items -----------------------------------------------


def savings_account_list(*, user, q: str = "") -> QuerySet[SavingsAccount]:
    """Savings accounts in the user's areas with their balance (one SQL query with
    subqueries), searchable by account number or the child's name."""
    qs = scoped(SavingsAccount.objects.all(), user, perm=savings.VIEW, area_field="area")
    q = q.strip()
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(beneficiary__person__name__icontains=q))
    return savings.with_balances(
        qs.select_related("beneficiary__person", "partner", "area")
    ).order_by("area_id", "number")


def savings_account_get(*, user, pk: int, perm: str = savings.VIEW) -> SavingsAccount:
    """One account in the user's areas whose role grants ``perm``, else 404."""
    return get_scoped_or_404(
        SavingsAccount.objects.select_related("beneficiary__person", "beneficiary__program"),
        user,
        perm=perm,
        area_field="area",
        pk=pk,
    )


def fund_plan_get(*, user, pk: int) -> FundPlan:
    """A plan of an account in the user's areas (approving it needs the approve perm)."""
    return get_scoped_or_404(
        FundPlan.objects.select_related("account"),
        user,
        perm=savings.APPROVE,
        area_field="account__area",
        pk=pk,
    )


def beneficiary_for_account(*, user, pk: int) -> Beneficiary:
    """A beneficiary of the user's areas a savings account may be opened for, else 404."""
    return get_scoped_or_404(
        Beneficiary.objects.select_related("person", "program__parent", "partner"),
        user,
        perm=savings.OPEN,
        area_field="area",
        pk=pk,
    )


def in_kind_item_search(*, user, cycle: PaymentCycle, status: str = "") -> QuerySet[InKindItem]:
    """The cycle's in-kind items in the user's areas, optionally of one status."""
    qs = scoped(cycle.items.all(), user, perm=VIEW_ITEMS, area_field="area")
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("beneficiary__person", "area").order_by("area_id", "id")
