"""/api/v1/payments/savings/: a PKSA child's savings account over JSON — denials (a social
worker 403, another regency's officer 404), opening, crediting a cycle, a plan drafted and
approved, a withdrawal above what is left refused (400 with the message, nothing moved), one
within it booked, and the statement with what is left of each item."""

import pytest

from pksai.api.tests.helpers import english_messages  # noqa: F401  (autouse)
from pksai.audit.models import AuditEvent
from pksai.payments import savings
from pksai.payments.models import FundPlan, SavingsAccount, SavingsEntry
from pksai.payments.tests.test_api import get, post
from pksai.payments.tests.test_savings import (  # noqa: F401  (fixtures)
    child,
    facilitator,
    gowa_officer,
    lksa,
    officer,
    paid_cycle,
    second_officer,
)


@pytest.mark.django_db
def test_savings_accounts(client, officer, gowa_officer, facilitator, child, paid_cycle):  # noqa: F811
    opening = {
        "beneficiary": child.pk,
        "number": "0012-01-000123-50-1",
        "guardian_name": "Ibu Sitti",
        "opened_on": "2026-01-02",
    }
    assert post(client, "savings/", facilitator, opening).status_code == 403
    assert post(client, "savings/", gowa_officer, opening).status_code == 404
    opened = post(client, "savings/", officer, opening)
    assert opened.status_code == 201, opened.json()
    body = opened.json()
    account = SavingsAccount.objects.get()
    assert (body["id"], body["guardian"], body["facilitator"], body["balance"]) == (
        account.pk,
        "Ibu Sitti",
        "Rina Peksos",
        0,
    )
    again = post(client, "savings/", officer, {**opening, "number": "2"})
    assert again.status_code == 400
    assert again.json()["detail"] == ["This child already has a savings account."]

    assert post(client, f"cycles/{paid_cycle.pk}/savings-deposits", facilitator).status_code == 403
    credited = post(client, f"cycles/{paid_cycle.pk}/savings-deposits", officer).json()
    paid = savings.balance(account)
    assert credited == {"deposited": 1, "total": paid}
    assert post(client, f"cycles/{paid_cycle.pk}/savings-deposits", officer).json() == {
        "deposited": 0,
        "total": 0,
    }

    assert get(client, "savings/", facilitator).status_code == 403
    assert get(client, "savings/", gowa_officer).json()["count"] == 0
    listed = get(client, "savings/?q=andi", officer).json()
    assert listed["count"] == 1 and listed["items"][0]["balance"] == paid
    assert get(client, f"savings/{account.pk}/", gowa_officer).status_code == 404
    assert get(client, f"savings/{account.pk}/", facilitator).status_code == 404

    plan_body = {
        "items": [{"description": "School uniform", "amount": 400_000}],
        "needs_assessment": "Back to school.",
    }
    assert post(client, f"savings/{account.pk}/plans/", gowa_officer, plan_body).status_code == 404
    created = post(client, f"savings/{account.pk}/plans/", officer, plan_body)
    assert created.status_code == 201
    plan = created.json()
    item = plan["items"][0]["id"]
    early = post(
        client,
        f"savings/{account.pk}/withdrawals/",
        officer,
        {"item": item, "amount": 1000, "purpose": "x"},
    )
    assert early.status_code == 400 and "no approved" in early.json()["detail"][0]
    assert post(client, f"savings/plans/{plan['id']}/approve", gowa_officer).status_code == 404
    assert post(client, f"savings/plans/{plan['id']}/approve", facilitator).status_code == 403
    # four eyes: who drafted the plan does not approve it; another officer does
    own = post(client, f"savings/plans/{plan['id']}/approve", officer)
    assert own.status_code == 403
    assert own.json()["detail"] == "You drafted this plan. Another program officer must approve it."
    approved = post(client, f"savings/plans/{plan['id']}/approve", second_officer())
    assert approved.status_code == 200 and approved.json()["status"] == "approved"

    withdrawal = {"item": item, "amount": 600_000, "purpose": "Uniform"}
    for outsider, code in ((gowa_officer, 404), (facilitator, 403)):
        path = f"savings/{account.pk}/withdrawals/"
        assert post(client, path, outsider, withdrawal).status_code == code
    above = post(client, f"savings/{account.pk}/withdrawals/", officer, withdrawal)
    assert above.status_code == 400
    assert above.json()["detail"] == [
        "Rp 600.000 is more than the Rp 400.000 left of 'School uniform' in the approved plan."
    ]
    booked = post(
        client,
        f"savings/{account.pk}/withdrawals/",
        officer,
        {**withdrawal, "amount": 150_000, "purpose": "Shirts"},
    )
    assert booked.status_code == 201 and booked.json()["amount"] == 150_000
    statement = get(client, f"savings/{account.pk}/", officer).json()
    assert statement["balance"] == paid - 150_000
    assert [e["kind"] for e in statement["entries"]] == ["deposit", "withdrawal"]
    assert statement["plans"][0]["items"][0] | {} == {
        "id": item,
        "description": "School uniform",
        "amount": 400_000,
        "withdrawn": 150_000,
        "left": 250_000,
    }
    assert SavingsEntry.objects.filter(kind="withdrawal").count() == 1
    assert FundPlan.objects.get().status == "approved"
    assert AuditEvent.objects.filter(
        object_type="payments.savingsaccount", action="view", actor=officer
    ).exists()
