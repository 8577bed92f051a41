"""In-kind items on the cycle page: the items of the user's areas only (filtered by status,
audited), recorded as delivered (date, by whom) or not delivered (why) through the form; the
refusals (nothing selected, a future date, no reason) are a 400 with the reason and change
nothing; a social worker gets 403; another regency's officer changes nothing of Makassar; the
reconciliation counts the items; the card prints with a signature column."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.cases.tests.conftest import team  # noqa: F401  (the case-work team fixture)
from pksai.payments import services
from pksai.payments.models import InKindItem
from pksai.payments.tests.test_views import login, make_beneficiaries
from pksai.programs.models import Beneficiary, BenefitRule, Program


@pytest.fixture
def abt(team):  # noqa: F811
    """Three PKS-ABT children in Makassar and one in Gowa, with their 2026 PKSA cycle: each
    has a nutrition package due."""
    officer = make_user("po", roles=["program_officer"], scope=["73.71"])
    program = Program.objects.get(code="pks_abt")
    rule = BenefitRule.objects.get(program=program)
    makassar = make_beneficiaries(3, "73.71.01.1001", "Mks")
    gowa = make_beneficiaries(1, "73.06.01.2001", "Gowa")
    Beneficiary.objects.filter(pk__in=[b.pk for b in makassar + gowa]).update(
        program=program, benefit_rule=rule, start_date=date(2025, 6, 1)
    )
    cycle = services.cycle_generate(
        by=officer, program=Program.objects.get(code="pksa"), period=date(2026, 1, 1)
    )
    assert cycle.items.count() == 4
    return {
        "officer": officer,
        "gowa_officer": make_user("gpo", roles=["program_officer"], scope=["73.06"]),
        "worker": team["worker"],
        "cycle": cycle,
        "makassar": cycle.items.filter(area_id="73.71.01.1001").order_by("id"),
        "gowa": cycle.items.get(area_id="73.06.01.2001"),
    }


@pytest.mark.django_db
def test_items_listed_in_the_users_areas(client, abt):
    cycle = abt["cycle"]
    login(client, abt["officer"])
    page = client.get(f"/payments/cycles/{cycle.pk}/").content.decode()
    assert 'id="in-kind"' in page and page.count('name="item"') == 3
    assert "Mks Lansia 00" in page and "Gowa Lansia" not in page
    assert AuditEvent.objects.filter(
        object_type="payments.inkinditem", action="view", detail__cycle=cycle.pk
    ).exists()
    delivered = client.get(f"/payments/cycles/{cycle.pk}/", {"item_status": "delivered"})
    assert "No in-kind items match." in delivered.content.decode()

    login(client, abt["gowa_officer"])
    page = client.get(f"/payments/cycles/{cycle.pk}/").content.decode()
    assert page.count('name="item"') == 1 and "Mks Lansia" not in page


@pytest.mark.django_db
def test_record_delivered_and_not_delivered(client, abt):
    cycle, items = abt["cycle"], abt["makassar"]
    first, second, third = items
    url = f"/payments/cycles/{cycle.pk}/items/"

    login(client, abt["worker"])
    post = {"item": [first.pk], "outcome": "delivered", "on": "2026-01-09"}
    assert client.post(url, post).status_code == 403

    login(client, abt["gowa_officer"])  # Makassar items are not theirs: nothing changes
    done = client.post(url, post, follow=True)
    assert "0 in-kind items recorded." in done.content.decode()
    assert not InKindItem.objects.exclude(status="due").exists()

    login(client, abt["officer"])
    nothing = client.post(url, {"outcome": "delivered", "on": "2026-01-09"})
    assert nothing.status_code == 400 and "Select the items to record." in nothing.content.decode()
    future = (timezone.localdate() + timedelta(days=2)).isoformat()
    refused = client.post(url, {**post, "on": future})
    assert refused.status_code == 400
    assert "The delivery date cannot be in the future." in refused.content.decode()
    no_reason = client.post(url, {"item": [second.pk], "outcome": "undelivered"})
    assert no_reason.status_code == 400
    assert "Say why the items were not delivered." in no_reason.content.decode()
    assert not InKindItem.objects.exclude(status="due").exists()

    done = client.post(
        url,
        {
            "item": [first.pk, abt["gowa"].pk],
            "outcome": "delivered",
            "on": "2026-01-09",
            "delivered_by": "TAS Melati",
        },
        follow=True,
    )
    assert "1 in-kind item recorded." in done.content.decode()  # the Gowa one is not theirs
    first.refresh_from_db()
    assert (first.status, first.delivered_on, first.delivered_by, first.recorded_by) == (
        "delivered",
        date(2026, 1, 9),
        "TAS Melati",
        abt["officer"],
    )
    assert InKindItem.objects.get(pk=abt["gowa"].pk).status == "due"
    client.post(url, {"item": [second.pk], "outcome": "undelivered", "reason": "pindah"})
    assert InKindItem.objects.get(pk=second.pk).reason == "pindah"
    assert AuditEvent.objects.filter(
        object_type="payments.paymentcycle", action="update", detail__delivered=True
    ).exists()

    page = client.get(f"/payments/cycles/{cycle.pk}/").content.decode()
    assert "In-kind items delivered" in page
    rec = services.reconcile(cycle)
    assert (rec["items_due"], rec["items_delivered"], rec["items_undelivered"]) == (2, 1, 1)
    undelivered = client.get(f"/payments/cycles/{cycle.pk}/", {"item_status": "undelivered"})
    assert undelivered.content.decode().count("pindah") == 1
    assert third.pk  # still due


@pytest.mark.django_db
def test_the_card_prints(client, abt):
    child = abt["makassar"][0].beneficiary
    login(client, abt["officer"])
    page = client.get(f"/payments/beneficiaries/{child.pk}/card/").content.decode()
    assert 'media="print"' in page and "card-print.css" in page
    assert 'id="print-card"' in page and "Signature" in page and "Beneficiary number" in page
    login(client, abt["gowa_officer"])
    assert client.get(f"/payments/beneficiaries/{child.pk}/card/").status_code == 404
