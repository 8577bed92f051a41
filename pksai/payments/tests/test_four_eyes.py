"""Four eyes on a fund-utilisation plan (it opens the child's savings to withdrawals): who
drafted it does not approve it — service, account page and API, each refusal audited —
another program officer of the area, or the officer when the child's facilitator drafted it,
does; with PKSAI_ALLOW_SELF_APPROVAL on, the drafter may."""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from pksai.accounts.four_eyes import SelfApprovalRefused
from pksai.api.tests.helpers import bearer
from pksai.audit.models import AuditEvent
from pksai.payments import savings
from pksai.payments.models import FundPlan
from pksai.payments.tests.test_savings import (  # noqa: F401  (fixtures)
    account,
    child,
    facilitator,
    lksa,
    officer,
    paid_cycle,
    second_officer,
)

DRAFTED = "You drafted this plan. Another program officer must approve it."


@pytest.fixture(autouse=True)
def english(client, settings):
    settings.PKSAI_ALLOW_SELF_APPROVAL = False  # the default, whatever the environment says
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def draft(officer, account):  # noqa: F811
    return savings.plan_create(by=officer, account=account, items=[("Books", 100_000)])


def refusals(plan):
    return AuditEvent.objects.filter(
        action="permission_denied", object_type="payments.fundplan", object_id=str(plan.pk)
    )


@pytest.mark.django_db
def test_who_drafted_the_plan_cannot_approve_it_another_officer_can(officer, draft):  # noqa: F811
    with pytest.raises(SelfApprovalRefused) as refused:
        savings.plan_approve(by=officer, plan=draft)
    assert isinstance(refused.value, PermissionDenied) and refused.value.message == DRAFTED
    assert FundPlan.objects.get(pk=draft.pk).status == "draft"
    [event] = refusals(draft)
    assert event.actor == officer
    assert event.detail == {"reason": "four_eyes", "rule": "fund_plan"}
    other = second_officer()
    assert savings.plan_approval_refusal(plan=draft, user=other) == ""
    plan = savings.plan_approve(by=other, plan=draft)
    assert (plan.status, plan.approved_by) == ("approved", other)


@pytest.mark.django_db
def test_a_plan_the_facilitator_drafted_is_approved_by_the_officer(officer, facilitator, account):  # noqa: F811
    plan = savings.plan_create(by=facilitator, account=account, items=[("Shoes", 90_000)])
    assert savings.plan_approve(by=officer, plan=plan).approved_by == officer
    assert not refusals(plan).exists()


@pytest.mark.django_db
def test_the_smallest_office_may_allow_self_approval(settings, officer, draft):  # noqa: F811
    settings.PKSAI_ALLOW_SELF_APPROVAL = True
    assert savings.plan_approve(by=officer, plan=draft).approved_by == officer
    assert not refusals(draft).exists()


@pytest.mark.django_db
def test_the_account_page_tells_the_drafter_and_refuses_a_forced_post(client, officer, draft):  # noqa: F811
    url = f"/payments/savings/{draft.account_id}/"
    approve = f"/payments/savings/plans/{draft.pk}/approve/"
    client.force_login(officer)
    page = client.get(url).content.decode()
    assert DRAFTED in page and f'action="{approve}"' not in page
    forced = client.post(approve)
    assert forced.status_code == 403 and forced.content.decode().count(DRAFTED) == 1
    assert FundPlan.objects.get(pk=draft.pk).status == "draft"
    assert refusals(draft).count() == 1

    client.force_login(second_officer())
    page = client.get(url).content.decode()
    assert DRAFTED not in page and f'action="{approve}"' in page
    assert client.post(approve).status_code == 302
    assert FundPlan.objects.get(pk=draft.pk).status == "approved"


@pytest.mark.django_db
def test_the_api_refuses_the_drafter_with_the_reason(client, settings, officer, draft):  # noqa: F811
    path = f"/api/v1/payments/savings/plans/{draft.pk}/approve"
    refused = client.post(path, headers=bearer(officer))
    assert refused.status_code == 403 and refused.json() == {"detail": DRAFTED}
    assert refusals(draft).count() == 1
    settings.PKSAI_ALLOW_SELF_APPROVAL = True
    allowed = client.post(path, headers=bearer(officer))
    assert allowed.status_code == 200 and allowed.json()["status"] == "approved"
