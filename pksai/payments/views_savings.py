"""PKSA child savings account pages: the accounts in the user's areas with their balance, one
account (child, LKSA, guardian, facilitator, balance, ledger, plans with what is left of each
item), opening an account, drafting and approving a fund-utilisation plan, a withdrawal
against an item of the approved plan, and crediting a PKSA cycle's paid entitlements.

Thin: reads through selectors (an account outside the user's areas is a 404; a role without
the permission a 403 on writes), writes through pksai.payments.savings, which checks again
and audits. A refusal shows the page again with the service's message (400) and changes
nothing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from pksai.accounts.four_eyes import SelfApprovalRefused
from pksai.accounts.scoping import require_perm
from pksai.audit.services import audit_record
from pksai.payments import savings, selectors
from pksai.payments.forms import AccountOpenForm, PlanForm, WithdrawForm
from pksai.payments.models import FundPlan
from pksai.payments.views import _cycle_page

PAGE_SIZE = 50


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


@login_required
def account_list(request):
    q = request.GET.get("q", "").strip()[:100]
    qs = selectors.savings_account_list(user=request.user, q=q)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    if page.object_list:
        audit_record(
            action="view",
            actor=request.user,
            object_type="payments.savingsaccount",
            detail={"list": [a.pk for a in page], "q": q},
        )
    return render(
        request,
        "payments/savings.html",
        {"page": page, "q": q, "can_open": request.user.has_perm(savings.OPEN)},
    )


def _account_page(
    request,
    pk: int,
    *,
    plan_form: PlanForm | None = None,
    withdraw_form: WithdrawForm | None = None,
    error: str = "",
    status: int = 200,
):
    statement = savings.account_statement(by=request.user, pk=pk)  # 404 out of area; audited
    account = statement.account
    user = request.user
    approved = any(plan.status == FundPlan.Status.APPROVED for plan, _lines in statement.plans)
    if withdraw_form is None and user.has_perm(savings.MOVE_MONEY) and approved:
        withdraw_form = WithdrawForm(account=account)
    if plan_form is None and user.has_perm(savings.PLAN):
        plan_form = PlanForm()
    can_approve = user.has_perm(savings.APPROVE)
    for plan, _lines in statement.plans:  # four eyes: who drafted a plan is told, not offered
        plan.approval_refused = (
            savings.plan_approval_refusal(plan=plan, user=user)
            if can_approve and plan.status == FundPlan.Status.DRAFT
            else ""
        )
    return render(
        request,
        "payments/savings_account.html",
        {
            "s": statement,
            "account": account,
            "plan_form": plan_form,
            "withdraw_form": withdraw_form,
            "can_approve": can_approve,
            "error": error,
        },
        status=status,
    )


@login_required
def account_detail(request, pk: int):
    return _account_page(request, pk)


@login_required
def account_open(request):
    require_perm(request.user, savings.OPEN)
    status = 200
    if request.method == "POST":
        form = AccountOpenForm(request.POST)
        if form.is_valid():
            beneficiary = selectors.beneficiary_for_account(
                user=request.user, pk=form.cleaned_data["beneficiary"]
            )
            try:
                account = savings.account_open(
                    by=request.user,
                    beneficiary=beneficiary,
                    number=form.cleaned_data["number"],
                    guardian_name=form.cleaned_data["guardian_name"],
                    opened_on=form.cleaned_data["opened_on"],
                )
            except ValidationError as error:
                form.add_error(None, _messages(error))
            else:
                messages.success(
                    request,
                    _(
                        "Savings account %(number)s opened. Next step: credit the child's "
                        "payments to it from a payment cycle."
                    )
                    % {"number": account.number},
                )
                return redirect("payments:savings_account", pk=account.pk)
        status = 400
    else:
        form = AccountOpenForm(initial={"beneficiary": request.GET.get("beneficiary") or None})
    return render(request, "payments/savings_open.html", {"form": form}, status=status)


@login_required
@require_POST
def plan_create(request, pk: int):
    require_perm(request.user, savings.PLAN)
    account = selectors.savings_account_get(user=request.user, pk=pk, perm=savings.PLAN)
    form = PlanForm(request.POST)
    if form.is_valid():
        try:
            savings.plan_create(
                by=request.user,
                account=account,
                items=form.cleaned_data["items"],
                needs_assessment=form.cleaned_data["needs_assessment"],
            )
        except ValidationError as error:
            form.add_error(None, _messages(error))
        else:
            messages.success(
                request,
                _("Fund-utilisation plan drafted. Next step: a supervisor approves it."),
            )
            return redirect("payments:savings_account", pk=account.pk)
    return _account_page(request, account.pk, plan_form=form, status=400)


@login_required
@require_POST
def plan_approve(request, pk: int):
    require_perm(request.user, savings.APPROVE)
    plan = selectors.fund_plan_get(user=request.user, pk=pk)
    try:
        savings.plan_approve(by=request.user, plan=plan)
    except SelfApprovalRefused as refused:  # four eyes: audited by the service
        return _account_page(request, plan.account_id, error=refused.message, status=403)
    except ValidationError as error:
        return _account_page(request, plan.account_id, error=_messages(error), status=400)
    messages.success(
        request,
        _("Fund-utilisation plan approved. Withdrawals can now be made against it."),
    )
    return redirect("payments:savings_account", pk=plan.account_id)


@login_required
@require_POST
def withdraw(request, pk: int):
    require_perm(request.user, savings.MOVE_MONEY)
    account = selectors.savings_account_get(user=request.user, pk=pk, perm=savings.MOVE_MONEY)
    form = WithdrawForm(request.POST, account=account)
    if form.is_valid():
        try:
            entry = savings.withdraw(
                by=request.user,
                account=account,
                item=form.cleaned_data["item"],
                amount=form.cleaned_data["amount"],
                purpose=form.cleaned_data["purpose"],
                on=form.cleaned_data["on"],
            )
        except ValidationError as error:
            form.add_error(None, _messages(error))
        else:
            messages.success(
                request,
                _("%(amount)s withdrawn for '%(purpose)s'.")
                % {"amount": savings.rupiah(entry.amount), "purpose": entry.purpose},
            )
            return redirect("payments:savings_account", pk=account.pk)
    return _account_page(request, account.pk, withdraw_form=form, status=400)


@login_required
@require_POST
def cycle_deposits(request, pk: int):
    """Credit the cycle's paid account-channel entitlements in the user's areas to the
    children's accounts (each once); the counts are shown on the cycle page."""
    cycle = selectors.cycle_get(user=request.user, pk=pk)
    require_perm(request.user, savings.MOVE_MONEY)
    try:
        result = savings.deposits_from_cycle(by=request.user, cycle=cycle)
    except ValidationError as error:
        return _cycle_page(request, cycle, extra={"deposit_error": _messages(error)}, status=400)
    messages.success(
        request,
        ngettext(
            "%(n)s payment credited to savings accounts, %(total)s in all.",
            "%(n)s payments credited to savings accounts, %(total)s in all.",
            result.deposited,
        )
        % {"n": result.deposited, "total": savings.rupiah(result.total)},
    )
    return redirect("payments:cycle", pk=cycle.pk)
