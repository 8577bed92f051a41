"""PKSA child savings accounts and their fund-utilisation plans.

- ``account_open``: a PKSA child's account, held through the partner LKSA, with the guardian.
- ``deposit`` / ``deposits_from_cycle``: a paid PKSA entitlement sent to the account channel is
  credited once (a unique ledger row per entitlement), so running it again deposits nothing.
- ``plan_create`` / ``plan_approve``: the plan (items and amounts, from the needs assessment) is
  drafted by the child's facilitator or a program officer and approved by a program officer of
  the area — not the one who drafted it (four eyes, pksai.accounts.four_eyes); an approved plan
  no longer changes.
- ``withdraw``: money leaves the account only against an item of an approved plan, never more
  than what is left of the item nor more than the balance, with the purpose recorded.

The balance is not stored: it is the ledger's sum, read while the account row is locked
(``select_for_update``), so two withdrawals cannot both spend the same money. Every change is
audited in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from pksai.accounts.four_eyes import refuse_self_approval, self_approval_refusal
from pksai.accounts.models import Organisation, User
from pksai.accounts.scoping import get_scoped_or_404, require_perm, scope_for
from pksai.audit.services import audit_record
from pksai.payments.models import (
    Channel,
    Entitlement,
    FundPlan,
    FundPlanItem,
    PaymentCycle,
    SavingsAccount,
    SavingsEntry,
)
from pksai.programs.models import Beneficiary

OPEN = "payments.add_savingsaccount"
VIEW = "payments.view_savingsaccount"
MOVE_MONEY = "payments.add_savingsentry"
PLAN = "payments.add_fundplan"
APPROVE = "payments.approve_fundplan"
PKSA = "pksa"


def rupiah(amount: int) -> str:
    """Whole rupiah with dots between thousands: ``Rp 1.500.000``."""
    return "Rp " + f"{amount:,}".replace(",", ".")


def _in_scope(by: User, area_code: str, perm: str) -> None:
    require_perm(by, perm)
    if not scope_for(by).covers(area_code):
        raise PermissionDenied("savings account outside the user's scope")


def _is_pksa(beneficiary: Beneficiary) -> bool:
    program = beneficiary.program
    return program.code == PKSA or (program.parent_id is not None and program.parent.code == PKSA)


def _whole_rupiah(amount: object) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError(_("An amount is a positive number of whole rupiah."))
    return amount


# --- reading the ledger -----------------------------------------------------------------

_DEPOSITS = Coalesce(Sum("amount", filter=Q(kind=SavingsEntry.Kind.DEPOSIT)), 0)
_WITHDRAWALS = Coalesce(Sum("amount", filter=Q(kind=SavingsEntry.Kind.WITHDRAWAL)), 0)


def balance(account: SavingsAccount) -> int:
    """Deposits minus withdrawals, from the ledger (one SQL aggregate)."""
    sums = SavingsEntry.objects.filter(account=account).aggregate(d=_DEPOSITS, w=_WITHDRAWALS)
    return sums["d"] - sums["w"]


def with_balances(accounts: QuerySet[SavingsAccount]) -> QuerySet[SavingsAccount]:
    """Accounts annotated with ``deposited``, ``withdrawn`` and ``balance`` — for lists."""
    entries = SavingsEntry.objects.filter(account=OuterRef("pk")).order_by().values("account")

    def total(kind: str) -> Coalesce:
        return Coalesce(
            Subquery(entries.filter(kind=kind).annotate(t=Sum("amount")).values("t")[:1]), 0
        )

    return accounts.annotate(
        deposited=total(SavingsEntry.Kind.DEPOSIT), withdrawn=total(SavingsEntry.Kind.WITHDRAWAL)
    ).annotate(balance=Coalesce("deposited", 0) - Coalesce("withdrawn", 0))


def item_withdrawn(item: FundPlanItem) -> int:
    return SavingsEntry.objects.filter(plan_item=item, kind=SavingsEntry.Kind.WITHDRAWAL).aggregate(
        t=Coalesce(Sum("amount"), 0)
    )["t"]


@dataclass(frozen=True)
class PlanLine:
    item: FundPlanItem
    approved: int
    withdrawn: int

    @property
    def left(self) -> int:
        return self.approved - self.withdrawn


@dataclass(frozen=True)
class Statement:
    account: SavingsAccount
    child: str
    guardian: str
    facilitator: str
    partner: str
    balance: int
    entries: list[SavingsEntry]
    plans: list[tuple[FundPlan, list[PlanLine]]]


def account_statement(*, by: User, pk: int) -> Statement:
    """One account as its page shows it: balance, guardian, facilitator, the LKSA, the
    ledger and each plan with what is left of every item. Out of scope → 404; audited."""
    account = get_scoped_or_404(
        SavingsAccount.objects.select_related(
            "beneficiary__person", "beneficiary__facilitator", "partner"
        ),
        by,
        perm=VIEW,
        pk=pk,
    )
    spent = dict(
        SavingsEntry.objects.filter(account=account, kind=SavingsEntry.Kind.WITHDRAWAL)
        .values_list("plan_item")
        .annotate(t=Sum("amount"))
        .order_by()
    )
    plans = [
        (plan, [PlanLine(i, i.amount, spent.get(i.pk, 0)) for i in plan.items.all()])
        for plan in account.plans.prefetch_related("items")
    ]
    facilitator = account.beneficiary.facilitator
    audit_record(action="view", actor=by, obj=account)
    return Statement(
        account=account,
        child=account.beneficiary.person.name,
        guardian=account.guardian_name,
        facilitator=(facilitator.get_full_name() or facilitator.username) if facilitator else "",
        partner=account.partner.name,
        balance=balance(account),
        entries=list(account.entries.select_related("plan_item")),
        plans=plans,
    )


# --- opening and deposits ---------------------------------------------------------------


@transaction.atomic
def account_open(
    *,
    by: User,
    beneficiary: Beneficiary,
    number: str,
    guardian_name: str,
    opened_on: date,
    partner: Organisation | None = None,
) -> SavingsAccount:
    """Open the savings account of a PKSA child, held through the partner LKSA (the
    beneficiary's own partner unless another LKSA is given)."""
    _in_scope(by, beneficiary.area_id, OPEN)
    if not _is_pksa(beneficiary):
        raise ValidationError(_("Only PKSA children have a savings account."))
    partner = partner or beneficiary.partner
    if partner is None or partner.kind != Organisation.Kind.LKSA:
        raise ValidationError(_("A savings account is held through a partner LKSA."))
    if not number.strip() or not guardian_name.strip():
        raise ValidationError(_("Give the account number and the guardian's name."))
    if SavingsAccount.objects.filter(beneficiary=beneficiary).exists():
        raise ValidationError(_("This child already has a savings account."))
    if SavingsAccount.objects.filter(number=number.strip()).exists():
        raise ValidationError(_("Another savings account has this number."))
    account = SavingsAccount.objects.create(
        beneficiary=beneficiary,
        area_id=beneficiary.area_id,
        partner=partner,
        number=number.strip(),
        guardian_name=guardian_name.strip(),
        opened_on=opened_on,
        created_by=by,
    )
    audit_record(
        action="create",
        actor=by,
        obj=account,
        detail={"beneficiary": beneficiary.pk, "partner": partner.pk},
    )
    return account


def _depositable() -> QuerySet[Entitlement]:
    """Paid PKSA entitlements sent to the account channel and not yet deposited."""
    return Entitlement.objects.filter(
        status=Entitlement.Status.PAID,
        channel=Channel.ACCOUNT,
        paid_on__isnull=False,
        beneficiary__savings_account__isnull=False,
    ).exclude(Exists(SavingsEntry.objects.filter(entitlement=OuterRef("pk"))))


@transaction.atomic
def deposit(*, by: User, entitlement: Entitlement) -> SavingsEntry | None:
    """Credit one paid entitlement to the child's account; None if it was already credited
    (or is not a paid account-channel payment of a child with an account)."""
    row = (
        _depositable()
        .filter(pk=entitlement.pk)
        .values_list("amount", "paid_on", "beneficiary__savings_account")
        .first()
    )
    if row is None:
        return None
    amount, paid_on, account_id = row
    account = SavingsAccount.objects.select_for_update().get(pk=account_id)
    _in_scope(by, account.area_id, MOVE_MONEY)
    entry = SavingsEntry.objects.create(
        account=account,
        on=paid_on,
        kind=SavingsEntry.Kind.DEPOSIT,
        amount=amount,
        purpose=_("PKSA benefit %(months)s") % {"months": ", ".join(entitlement.months)},
        entitlement=entitlement,
        created_by=by,
    )
    audit_record(
        action="create",
        actor=by,
        obj=entry,
        detail={"account": account.pk, "amount": amount, "entitlement": entitlement.pk},
    )
    return entry


@dataclass(frozen=True)
class DepositResult:
    deposited: int
    total: int


@transaction.atomic
def deposits_from_cycle(*, by: User, cycle: PaymentCycle) -> DepositResult:
    """Credit every paid account-channel entitlement of a PKSA cycle, in the user's area, to
    the children's accounts — in bulk, each entitlement once (running it again deposits
    nothing: the ledger holds one row per entitlement)."""
    require_perm(by, MOVE_MONEY)
    if cycle.program.code != PKSA:
        raise ValidationError(_("Only PKSA payments are deposited to savings accounts."))
    rows = list(
        _depositable()
        .filter(cycle=cycle)
        .filter(scope_for(by).q("beneficiary__savings_account__area"))
        .values_list("pk", "amount", "paid_on", "months", "beneficiary__savings_account")
    )
    if rows:
        # the accounts credited, locked in a fixed order (no deadlock with a withdrawal)
        list(
            SavingsAccount.objects.select_for_update()
            .filter(pk__in=sorted({r[4] for r in rows}))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    deposited = SavingsEntry.objects.filter(entitlement__cycle=cycle)
    before = deposited.aggregate(n=Count("id"), t=Coalesce(Sum("amount"), 0))
    SavingsEntry.objects.bulk_create(
        [
            SavingsEntry(
                account_id=account_id,
                on=paid_on,
                kind=SavingsEntry.Kind.DEPOSIT,
                amount=amount,
                purpose=_("PKSA benefit %(months)s") % {"months": ", ".join(months)},
                entitlement_id=pk,
                created_by=by,
            )
            for pk, amount, paid_on, months, account_id in rows
        ],
        ignore_conflicts=True,  # a concurrent run credited it first: still once
        batch_size=5000,
    )
    after = deposited.aggregate(n=Count("id"), t=Coalesce(Sum("amount"), 0))
    created, total = after["n"] - before["n"], after["t"] - before["t"]
    audit_record(
        action="create",
        actor=by,
        obj=cycle,
        detail={"savings_deposits": created, "total": total},
    )
    return DepositResult(deposited=created, total=total)


# --- fund-utilisation plans -------------------------------------------------------------


@transaction.atomic
def plan_create(
    *,
    by: User,
    account: SavingsAccount,
    items: Sequence[tuple[str, int]],
    needs_assessment: str = "",
) -> FundPlan:
    """A draft plan: items (what for, how much) from the child's needs assessment. Drafted by
    the child's facilitator or by a program officer of the area."""
    if account.beneficiary.facilitator_id != by.pk:
        _in_scope(by, account.area_id, PLAN)
    if not items:
        raise ValidationError(_("A plan needs at least one item."))
    cleaned = []
    for description, amount in items:
        if not str(description).strip():
            raise ValidationError(_("Every item of the plan says what it is for."))
        cleaned.append((str(description).strip(), _whole_rupiah(amount)))
    plan = FundPlan.objects.create(
        account=account, needs_assessment=needs_assessment.strip(), created_by=by
    )
    FundPlanItem.objects.bulk_create(
        [FundPlanItem(plan=plan, description=d, amount=a) for d, a in cleaned]
    )
    audit_record(
        action="create",
        actor=by,
        obj=plan,
        detail={"items": [[d, a] for d, a in cleaned], "total": sum(a for _d, a in cleaned)},
    )
    return plan


def plan_approval_refusal(*, plan: FundPlan, user: User) -> str:
    """Why ``user`` may not approve the plan under four eyes (pksai.accounts.four_eyes): they
    drafted it. "" when they may approve as far as four eyes go."""
    return self_approval_refusal(
        user=user,
        makers=[plan.created_by_id],
        message=_("You drafted this plan. Another program officer must approve it."),
    )


def plan_approve(*, by: User, plan: FundPlan) -> FundPlan:
    """Approve a draft plan (a program officer of the area). Approved once; it no longer
    changes, and withdrawals may then be made against its items. Four eyes: not by who
    drafted it unless ``PKSAI_ALLOW_SELF_APPROVAL`` is on (refused with
    ``SelfApprovalRefused``, audited, before anything is written)."""
    _in_scope(by, plan.account.area_id, APPROVE)
    if refusal := plan_approval_refusal(plan=plan, user=by):
        refuse_self_approval(by=by, obj=plan, message=refusal, rule="fund_plan")
    with transaction.atomic():
        return _plan_approve(by=by, plan=plan)


def _plan_approve(*, by: User, plan: FundPlan) -> FundPlan:
    if not plan.items.exists():
        raise ValidationError(_("A plan needs at least one item."))
    now = timezone.now()
    done = FundPlan.objects.filter(pk=plan.pk, status=FundPlan.Status.DRAFT).update(
        status=FundPlan.Status.APPROVED, approved_by=by, approved_at=now
    )
    if not done:
        raise ValidationError(_("This plan was already approved."))
    plan.refresh_from_db()
    audit_record(
        action="update",
        actor=by,
        obj=plan,
        detail={
            "status": plan.status,
            "total": plan.items.aggregate(t=Sum("amount"))["t"],
        },
    )
    return plan


# --- withdrawals ------------------------------------------------------------------------


@transaction.atomic
def withdraw(
    *,
    by: User,
    account: SavingsAccount,
    item: FundPlanItem | None,
    amount: int,
    purpose: str,
    on: date | None = None,
) -> SavingsEntry:
    """Take money out of the account against an item of its approved plan. Refused without
    an approved plan, above what is left of the item, or above the balance."""
    _in_scope(by, account.area_id, MOVE_MONEY)
    account = SavingsAccount.objects.select_for_update().get(pk=account.pk)
    amount = _whole_rupiah(amount)
    if not purpose.strip():
        raise ValidationError(_("Record the purpose of the withdrawal."))
    approved = FundPlan.objects.filter(account=account, status=FundPlan.Status.APPROVED)
    if not approved.exists():
        raise ValidationError(
            _("This account has no approved fund-utilisation plan: nothing can be withdrawn.")
        )
    if item is None:
        raise ValidationError(_("Choose the item of the approved plan the money is for."))
    item = FundPlanItem.objects.select_related("plan").get(pk=item.pk)
    if item.plan.account_id != account.pk:
        raise ValidationError(_("That item belongs to another account's plan."))
    if item.plan.status != FundPlan.Status.APPROVED:
        raise ValidationError(
            _("'%(item)s' is in a plan that is not approved yet: nothing can be withdrawn for it.")
            % {"item": item.description}
        )
    left = item.amount - item_withdrawn(item)
    if amount > left:
        raise ValidationError(
            _("%(amount)s is more than the %(left)s left of '%(item)s' in the approved plan.")
            % {"amount": rupiah(amount), "left": rupiah(left), "item": item.description}
        )
    available = balance(account)
    if amount > available:
        raise ValidationError(
            _("%(amount)s is more than the account's balance of %(balance)s.")
            % {"amount": rupiah(amount), "balance": rupiah(available)}
        )
    entry = SavingsEntry.objects.create(
        account=account,
        on=on or timezone.localdate(),
        kind=SavingsEntry.Kind.WITHDRAWAL,
        amount=amount,
        purpose=purpose.strip(),
        plan_item=item,
        created_by=by,
    )
    audit_record(
        action="create",
        actor=by,
        obj=entry,
        detail={
            "account": account.pk,
            "amount": amount,
            "item": item.pk,
            "purpose": entry.purpose,
            "balance_after": available - amount,
            "item_left_after": left - amount,
        },
    )
    return entry
