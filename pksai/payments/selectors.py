"""Scoped reads of the payments app.

Cycles and payer batches are program-level records (a program officer sees the cycles of the
programs); entitlements, batch lines and delivery events are personal data, filtered by the
user's area scope on the entitlement's own ``area`` column. A beneficiary's card is scoped by
the beneficiary's area: out of scope is a 404."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from pksai.accounts.scoping import get_scoped_or_404, require_perm, scoped
from pksai.payments.models import Entitlement, PayerBatch, PaymentCycle
from pksai.programs.models import Beneficiary, Program

VIEW_CYCLE = "payments.view_paymentcycle"
VIEW_ENTITLEMENT = "payments.view_entitlement"
VIEW_BATCH = "payments.view_payerbatch"


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
