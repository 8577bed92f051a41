"""Savings account pages: denials first (a social worker gets 403 on the writes and 404 on an
account, another regency's officer 404 everywhere and an empty list), then the happy path
through the forms — open the account, credit the PKSA cycle, draft and approve a plan,
a withdrawal above what is left refused with the service's message (400, nothing moved), one
within it booked — and the audit rows."""

from datetime import date

import pytest

from pksai.audit.models import AuditEvent
from pksai.payments import savings
from pksai.payments.models import FundPlan, SavingsAccount, SavingsEntry
from pksai.payments.tests.test_savings import (  # noqa: F401  (fixtures)
    account,
    approved_plan,
    child,
    english,
    facilitator,
    gowa_officer,
    lksa,
    officer,
    paid_cycle,
    second_officer,
)
from pksai.payments.tests.test_views import login

URL = "/payments/savings/"


@pytest.mark.django_db
def test_denials(client, officer, gowa_officer, facilitator, account, paid_cycle):  # noqa: F811
    savings.deposits_from_cycle(by=officer, cycle=paid_cycle)
    plan = approved_plan(officer, account, [("Books", 300_000)])
    item = plan.items.get()
    draft = savings.plan_create(by=officer, account=account, items=[("Bag", 100_000)])
    assert client.get(URL).status_code == 302  # to the login page

    login(client, facilitator)  # a social worker, even the child's facilitator
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{account.pk}/").status_code == 404
    assert client.get(f"{URL}open/").status_code == 403
    withdrawal = {"item": item.pk, "amount": "1000", "purpose": "Pens"}
    assert client.post(f"{URL}{account.pk}/withdraw/", withdrawal).status_code == 403
    assert client.post(f"{URL}plans/{draft.pk}/approve/").status_code == 403
    assert client.post(f"{URL}{account.pk}/plans/", {}).status_code == 403
    assert client.post(f"/payments/cycles/{paid_cycle.pk}/savings-deposits/").status_code == 403

    login(client, gowa_officer)  # another regency: the account does not exist for them
    listed = client.get(URL)
    assert listed.status_code == 200 and account.number not in listed.content.decode()
    assert client.get(f"{URL}{account.pk}/").status_code == 404
    assert client.post(f"{URL}{account.pk}/withdraw/", withdrawal).status_code == 404
    assert client.post(f"{URL}plans/{draft.pk}/approve/").status_code == 404
    plan_data = {"description_0": "Bag", "amount_0": "1"}
    assert client.post(f"{URL}{account.pk}/plans/", plan_data).status_code == 404
    opening = {
        "beneficiary": account.beneficiary_id,
        "number": "X-1",
        "guardian_name": "x",
        "opened_on": "2026-01-01",
    }
    assert client.post(f"{URL}open/", opening).status_code == 404

    assert FundPlan.objects.get(pk=draft.pk).status == "draft"
    assert not SavingsEntry.objects.filter(kind="withdrawal").exists()
    assert FundPlan.objects.filter(account=account).count() == 2
    assert AuditEvent.objects.filter(action="permission_denied").exists()


@pytest.mark.django_db
def test_open_credit_plan_approve_withdraw(client, officer, child, paid_cycle):  # noqa: F811
    login(client, officer)
    # a refused opening shows the form again with the service's message
    refused = client.post(
        f"{URL}open/",
        {"beneficiary": child.pk, "number": " ", "guardian_name": "Ibu", "opened_on": "2026-01-02"},
    )
    assert refused.status_code == 400 and not SavingsAccount.objects.exists()
    form = client.get(f"{URL}open/?beneficiary={child.pk}")
    assert form.status_code == 200 and f'value="{child.pk}"' in form.content.decode()
    opened = client.post(
        f"{URL}open/",
        {
            "beneficiary": child.pk,
            "number": "0012-01-000123-50-1",
            "guardian_name": "Ibu Sitti",
            "opened_on": "2026-01-02",
        },
    )
    acct = SavingsAccount.objects.get()
    assert opened.status_code == 302 and opened["Location"] == f"{URL}{acct.pk}/"
    again = client.post(
        f"{URL}open/",
        {"beneficiary": child.pk, "number": "9", "guardian_name": "x", "opened_on": "2026-01-02"},
    )
    assert again.status_code == 400
    assert "This child already has a savings account." in again.content.decode()

    # the cycle page offers the deposit; the counts are shown
    cycle_page = client.get(f"/payments/cycles/{paid_cycle.pk}/")
    assert "savings-deposits" in cycle_page.content.decode()
    credited = client.post(f"/payments/cycles/{paid_cycle.pk}/savings-deposits/", follow=True)
    paid = savings.balance(acct)
    assert paid > 600_000
    assert (
        f"1 payment credited to savings accounts, {savings.rupiah(paid)} in all."
        in credited.content.decode()
    )
    credited = client.post(f"/payments/cycles/{paid_cycle.pk}/savings-deposits/", follow=True)
    assert "0 payments credited" in credited.content.decode()
    assert savings.balance(acct) == paid

    listed = client.get(URL, {"q": "andi"}).content.decode()
    assert "0012-01-000123-50-1" in listed and f"{paid:,}" in listed
    assert "0012-01" in client.get(URL, {"q": "0012-01"}).content.decode()
    assert "No savings accounts" in client.get(URL, {"q": "nobody"}).content.decode()

    # a plan with an incomplete row is refused; then two items, rupiah with dots
    bad = client.post(f"{URL}{acct.pk}/plans/", {"description_0": "Books"})
    assert bad.status_code == 400 and not FundPlan.objects.exists()
    assert "Every item row needs what it is for and an amount." in bad.content.decode()
    drafted = client.post(
        f"{URL}{acct.pk}/plans/",
        {
            "needs_assessment": "Back to school in July.",
            "description_0": "School uniform",
            "amount_0": "400.000",
            "description_2": "Books",
            "amount_2": "300000",
        },
    )
    assert drafted.status_code == 302
    plan = FundPlan.objects.get()
    assert list(plan.items.values_list("description", "amount")) == [
        ("School uniform", 400_000),
        ("Books", 300_000),
    ]
    uniform = plan.items.get(description="School uniform")

    # nothing can be withdrawn before the plan is approved: the service says why
    early = client.post(
        f"{URL}{acct.pk}/withdraw/", {"item": uniform.pk, "amount": "1000", "purpose": "x"}
    )
    assert early.status_code == 400
    assert "no approved fund-utilisation plan" in early.content.decode()

    page = client.get(f"{URL}{acct.pk}/").content.decode()
    assert "Ibu Sitti" in page and "Rina Peksos" in page and "LKSA Nurul Iman" in page
    # four eyes: who drafted the plan is told so instead of offered the button
    assert "Approve this plan" not in page
    assert "You drafted this plan. Another program officer must approve it." in page
    own = client.post(f"{URL}plans/{plan.pk}/approve/")
    assert own.status_code == 403 and "Another program officer" in own.content.decode()
    assert FundPlan.objects.get(pk=plan.pk).status == "draft"
    login(client, second_officer())
    assert "Approve this plan" in client.get(f"{URL}{acct.pk}/").content.decode()
    assert client.post(f"{URL}plans/{plan.pk}/approve/").status_code == 302
    twice = client.post(f"{URL}plans/{plan.pk}/approve/")
    assert twice.status_code == 400 and "This plan was already approved." in twice.content.decode()
    login(client, officer)

    above = client.post(
        f"{URL}{acct.pk}/withdraw/",
        {"item": uniform.pk, "amount": "600.000", "purpose": "Uniform"},
    )
    assert above.status_code == 400
    assert (
        "Rp 600.000 is more than the Rp 400.000 left of &#x27;School uniform&#x27; in the "
        "approved plan." in above.content.decode()
    )
    assert savings.balance(acct) == paid  # nothing moved
    booked = client.post(
        f"{URL}{acct.pk}/withdraw/",
        {"item": uniform.pk, "amount": "150.000", "purpose": "Shirts", "on": "2026-01-20"},
        follow=True,
    )
    assert booked.status_code == 200
    assert "Rp 150.000 withdrawn for &#x27;Shirts&#x27;." in booked.content.decode()
    assert savings.balance(acct) == paid - 150_000
    entry = SavingsEntry.objects.get(kind="withdrawal")
    assert (entry.amount, entry.plan_item, entry.on) == (150_000, uniform, date(2026, 1, 20))
    page = client.get(f"{URL}{acct.pk}/").content.decode()
    assert "250,000" in page  # left of the uniform item

    audited = set(
        AuditEvent.objects.filter(actor=officer).values_list("object_type", "action").distinct()
    )
    assert {
        ("payments.savingsaccount", "create"),
        ("payments.savingsaccount", "view"),
        ("payments.paymentcycle", "create"),
        ("payments.fundplan", "create"),
        ("payments.savingsentry", "create"),
    } <= audited
    assert AuditEvent.objects.filter(
        actor=second_officer(), object_type="payments.fundplan", action="update"
    ).exists()
    assert AuditEvent.objects.filter(
        actor=officer, object_type="payments.fundplan", action="permission_denied"
    ).exists()
