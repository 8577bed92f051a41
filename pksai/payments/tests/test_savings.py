"""PKSA savings accounts: a paid yearly PKSA benefit (account channel) is deposited once; money
leaves only against an item of an approved fund-utilisation plan, never above what is left of
the item nor above the balance; who may do what."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation

from pksai.accounts.models import Organisation, User
from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.payments import savings, services
from pksai.payments.models import Entitlement, FundPlan, SavingsEntry
from pksai.programs.models import Beneficiary, BenefitRule, Program
from pksai.programs.tests.factories import make_person

OPENED = date(2025, 12, 5)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def officer(pilot_areas):
    return make_user("po", roles=["program_officer"], scope=["73.71"])


@pytest.fixture
def gowa_officer(pilot_areas):
    return make_user("po_gowa", roles=["program_officer"], scope=["73.06"])


@pytest.fixture
def facilitator(pilot_areas):
    return make_user(
        "sakti", roles=["social_worker"], scope=["73.71"], first_name="Rina", last_name="Peksos"
    )


@pytest.fixture
def lksa(pilot_areas):
    return Organisation.objects.create(
        name="LKSA Nurul Iman", kind=Organisation.Kind.LKSA, area_id="73.71.01"
    )


@pytest.fixture
def child(officer, facilitator, lksa):
    program = Program.objects.get(code="pks_abt")
    return Beneficiary.objects.create(
        program=program,
        person=make_person("Andi", birth=date(2022, 5, 1)),
        area_id="73.71.01.1001",
        start_date=date(2025, 12, 1),
        benefit_rule=BenefitRule.objects.get(program=program),
        facilitator=facilitator,
        partner=lksa,
    )


@pytest.fixture
def paid_cycle(officer, child, tmp_path):
    """The 2026 PKSA payment, sent to the child's account and confirmed paid by the payer."""
    cycle = services.cycle_generate(
        by=officer, program=Program.objects.get(code="pksa"), period=date(2026, 1, 1)
    )
    batch = services.batch_export(by=officer, cycle=cycle)
    line, pid = batch.lines.values_list("line", "entitlement_id").get()
    path = tmp_path / "return.csv"
    path.write_text(
        "batch_id,line,payment_id,result,date,channel,reason,paid_by,countersigned\n"
        f"{batch.reference},{line},{pid},paid,2026-01-10,account,,LKSA,yes\n"
    )
    services.returns_import(by=officer, batch=batch, path=path)
    entitlement = Entitlement.objects.get(pk=pid)
    assert (entitlement.status, entitlement.channel) == ("paid", "account")
    return cycle


@pytest.fixture
def account(officer, child):
    return savings.account_open(
        by=officer,
        beneficiary=child,
        number="0012-01-000123-50-1",
        guardian_name="Ibu Sitti",
        opened_on=date(2025, 12, 5),
    )


def second_officer():
    """Another program officer of Makassar (four eyes: who drafts a plan does not approve it)."""
    return User.objects.filter(username="po2").first() or make_user(
        "po2", roles=["program_officer"], scope=["73.71"]
    )


def approved_plan(officer, account, items):
    plan = savings.plan_create(
        by=officer, account=account, items=items, needs_assessment="Back to school in July."
    )
    return savings.plan_approve(by=second_officer(), plan=plan)


@pytest.mark.django_db
def test_withdrawal_above_the_approved_plan_is_refused_one_within_it_is_booked(
    officer, facilitator, account, paid_cycle
):
    result = savings.deposits_from_cycle(by=officer, cycle=paid_cycle)
    paid = Entitlement.objects.get(cycle=paid_cycle).amount
    assert result.deposited == 1 and result.total == paid > 600_000
    assert savings.balance(account) == paid
    plan = approved_plan(officer, account, [("School uniform", 400_000), ("Books", 300_000)])
    uniform, books = plan.items.order_by("id")
    savings.withdraw(by=officer, account=account, item=uniform, amount=150_000, purpose="Shirts")

    with pytest.raises(ValidationError) as refused:
        savings.withdraw(
            by=officer, account=account, item=uniform, amount=600_000, purpose="Uniform"
        )
    assert refused.value.messages == [
        "Rp 600.000 is more than the Rp 250.000 left of 'School uniform' in the approved plan."
    ]
    assert savings.balance(account) == paid - 150_000  # nothing moved

    entry = savings.withdraw(
        by=officer, account=account, item=uniform, amount=250_000, purpose="Shoes and trousers"
    )
    assert (entry.kind, entry.amount, entry.plan_item, entry.created_by) == (
        "withdrawal",
        250_000,
        uniform,
        officer,
    )
    assert savings.balance(account) == paid - 400_000
    ledger = list(account.entries.values_list("kind", "amount", "purpose"))
    assert ledger == [
        ("deposit", paid, "PKSA benefit 2026-01"),
        ("withdrawal", 150_000, "Shirts"),
        ("withdrawal", 250_000, "Shoes and trousers"),
    ]
    # each withdrawal audited; the bulk deposit once, on the cycle
    assert AuditEvent.objects.filter(object_type="payments.savingsentry").count() == 2
    with pytest.raises(ValidationError, match="Rp 0 left of 'School uniform'"):
        savings.withdraw(by=officer, account=account, item=uniform, amount=1, purpose="Socks")

    # the page: balance, guardian, facilitator, LKSA, what is left of each item
    statement = savings.account_statement(by=officer, pk=account.pk)
    assert statement.balance == paid - 400_000
    assert (statement.guardian, statement.facilitator, statement.partner) == (
        "Ibu Sitti",
        "Rina Peksos",
        "LKSA Nurul Iman",
    )
    [(_plan, lines)] = statement.plans
    assert [(line.item, line.left) for line in lines] == [(uniform, 0), (books, 300_000)]
    listed = savings.with_balances(type(account).objects.filter(pk=account.pk)).get()
    assert (listed.deposited, listed.withdrawn, listed.balance) == (paid, 400_000, paid - 400_000)


@pytest.mark.django_db
def test_not_more_than_the_balance(officer, account, paid_cycle):
    savings.deposits_from_cycle(by=officer, cycle=paid_cycle)
    paid = savings.balance(account)
    plan = approved_plan(officer, account, [("Tuition", paid + 500_000)])
    with pytest.raises(ValidationError) as refused:
        savings.withdraw(
            by=officer, account=account, item=plan.items.get(), amount=paid + 1, purpose="Fees"
        )
    assert refused.value.messages == [
        f"{savings.rupiah(paid + 1)} is more than the account's balance of {savings.rupiah(paid)}."
    ]
    assert not SavingsEntry.objects.filter(kind="withdrawal").exists()


@pytest.mark.django_db
def test_no_withdrawal_without_an_approved_plan(officer, facilitator, account, paid_cycle):
    savings.deposits_from_cycle(by=officer, cycle=paid_cycle)
    item = [("School uniform", 250_000)]
    with pytest.raises(ValidationError, match="no approved fund-utilisation plan"):
        savings.withdraw(by=officer, account=account, item=None, amount=1, purpose="x")
    # the facilitator drafts; a draft cannot be used
    draft = savings.plan_create(by=facilitator, account=account, items=item)
    assert draft.status == FundPlan.Status.DRAFT
    with pytest.raises(ValidationError, match="no approved fund-utilisation plan"):
        savings.withdraw(
            by=officer, account=account, item=draft.items.get(), amount=100_000, purpose="Shirt"
        )
    # not even while another plan of the account is approved
    approved_plan(officer, account, [("Books", 100_000)])
    with pytest.raises(ValidationError, match="not approved yet"):
        savings.withdraw(
            by=officer, account=account, item=draft.items.get(), amount=100_000, purpose="Shirt"
        )
    # nor against another account's plan item
    other_child = Beneficiary.objects.create(
        program=account.beneficiary.program,
        person=make_person("Budi", birth=date(2022, 1, 1)),
        area_id="73.71.01.1001",
        start_date=date(2025, 12, 1),
        benefit_rule=account.beneficiary.benefit_rule,
        partner=account.partner,
    )
    other = savings.account_open(
        by=officer,
        beneficiary=other_child,
        number="0012-01-000124-50-1",
        guardian_name="Pak Baso",
        opened_on=date(2026, 1, 2),
    )
    foreign = approved_plan(officer, other, [("Bicycle", 500_000)]).items.get()
    with pytest.raises(ValidationError, match="another account"):
        savings.withdraw(by=officer, account=account, item=foreign, amount=1, purpose="x")
    assert not SavingsEntry.objects.filter(kind="withdrawal").exists()
    with pytest.raises(ValidationError, match="already approved"):
        savings.plan_approve(by=second_officer(), plan=FundPlan.objects.get(account=other))


@pytest.mark.django_db
def test_who_may_withdraw_and_approve(officer, gowa_officer, facilitator, account, paid_cycle):
    savings.deposits_from_cycle(by=officer, cycle=paid_cycle)
    draft = savings.plan_create(by=facilitator, account=account, items=[("Books", 100_000)])
    # only a program officer of the area approves
    for outsider in (gowa_officer, facilitator):
        with pytest.raises(PermissionDenied):
            savings.plan_approve(by=outsider, plan=draft)
    assert FundPlan.objects.get(pk=draft.pk).status == "draft"
    plan = savings.plan_approve(by=officer, plan=draft)
    assert (plan.approved_by, plan.status) == (officer, "approved")
    assert AuditEvent.objects.filter(
        object_type="payments.fundplan", object_id=str(plan.pk), action="update"
    ).exists()
    # a Gowa officer and a social worker (even the child's facilitator) cannot withdraw
    for outsider in (gowa_officer, facilitator):
        with pytest.raises(PermissionDenied):
            savings.withdraw(
                by=outsider, account=account, item=plan.items.get(), amount=50_000, purpose="x"
            )
    # nor may the Gowa officer draft a plan or see the account (404, as if it did not exist)
    with pytest.raises(PermissionDenied):
        savings.plan_create(by=gowa_officer, account=account, items=[("Bag", 1)])
    with pytest.raises(Http404):
        savings.account_statement(by=gowa_officer, pk=account.pk)
    with pytest.raises(Http404):
        savings.account_statement(by=facilitator, pk=account.pk)
    assert not SavingsEntry.objects.filter(kind="withdrawal").exists()


@pytest.mark.django_db
def test_deposits_from_a_cycle_are_made_once(officer, gowa_officer, account, paid_cycle):
    # out of area: nothing deposited for a Gowa officer
    assert savings.deposits_from_cycle(by=gowa_officer, cycle=paid_cycle).deposited == 0
    first = savings.deposits_from_cycle(by=officer, cycle=paid_cycle)
    again = savings.deposits_from_cycle(by=officer, cycle=paid_cycle)
    assert (first.deposited, again.deposited, again.total) == (1, 0, 0)
    entitlement = Entitlement.objects.get(cycle=paid_cycle)
    assert savings.deposit(by=officer, entitlement=entitlement) is None
    assert SavingsEntry.objects.filter(entitlement=entitlement).count() == 1
    assert savings.balance(account) == entitlement.amount
    assert (
        AuditEvent.objects.filter(object_type="payments.paymentcycle", action="create")
        .filter(detail__savings_deposits=1)
        .count()
        == 1
    )
    jslu_cycle = services.cycle_generate(
        by=officer, program=Program.objects.get(code="jslu"), period=date(2026, 1, 1)
    )
    with pytest.raises(ValidationError):
        savings.deposits_from_cycle(by=officer, cycle=jslu_cycle)


@pytest.mark.django_db
def test_single_deposit_and_opening_rules(officer, facilitator, child, lksa, paid_cycle):
    entitlement = Entitlement.objects.get(cycle=paid_cycle)
    assert savings.deposit(by=officer, entitlement=entitlement) is None  # no account yet
    with pytest.raises(PermissionDenied):  # a social worker does not open accounts
        savings.account_open(
            by=facilitator, beneficiary=child, number="1", guardian_name="x", opened_on=OPENED
        )
    account = savings.account_open(
        by=officer, beneficiary=child, number="A-1", guardian_name="Ibu", opened_on=OPENED
    )
    with pytest.raises(ValidationError, match="already has a savings account"):
        savings.account_open(
            by=officer, beneficiary=child, number="A-2", guardian_name="Ibu", opened_on=OPENED
        )
    entry = savings.deposit(by=officer, entitlement=entitlement)
    assert (entry.account, entry.amount, entry.on) == (
        account,
        entitlement.amount,
        date(2026, 1, 10),
    )
    assert savings.deposit(by=officer, entitlement=entitlement) is None
    elder = Beneficiary.objects.create(
        program=Program.objects.get(code="jslu"),
        person=make_person("Nenek"),
        area_id="73.71.01.1001",
        start_date=date(2025, 12, 1),
        benefit_rule=BenefitRule.objects.get(program__code="jslu"),
        partner=lksa,
    )
    with pytest.raises(ValidationError, match="Only PKSA"):
        savings.account_open(
            by=officer, beneficiary=elder, number="B-1", guardian_name="x", opened_on=OPENED
        )


def test_rupiah_has_thousands_separators():
    assert savings.rupiah(1_500_000) == "Rp 1.500.000"
    assert savings.rupiah(0) == "Rp 0"
