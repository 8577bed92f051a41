"""Suspensions and in-kind items in a cycle: suspended days are left out of the proration
(and never paid later), an open suspension pays nothing; PKS-ABT nutrition packages become
items that are recorded as delivered or not — only by staff of their area."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pksai.accounts.tests.factories import make_user
from pksai.api.tests.helpers import english_messages  # noqa: F401  (messages asserted in English)
from pksai.payments import services
from pksai.payments.models import Entitlement, InKindItem
from pksai.payments.tests.test_cycles import FULL
from pksai.payments.tests.test_views import make_beneficiaries
from pksai.programs import compliance
from pksai.programs.models import Beneficiary, BenefitRule, Program

MAR = date(2026, 3, 1)


@pytest.fixture
def officer(pilot_areas):
    return make_user("po", roles=["program_officer"], scope=["73.71"])


@pytest.mark.django_db
def test_suspended_days_are_not_paid(officer):
    a, b, c, d = make_beneficiaries(4, "73.71.01.1001", "S")
    jslu = Program.objects.get(code="jslu")
    # ten days (11–20 March) off; suspended since February, still open; one lifted on 5 March
    compliance.suspension_start(
        by=officer, beneficiary=a, start=date(2026, 3, 11), end=date(2026, 3, 20), reason="x"
    )
    open_one = compliance.suspension_start(
        by=officer, beneficiary=b, start=date(2026, 2, 1), reason="dalam pemeriksaan"
    )
    lifted = compliance.suspension_start(
        by=officer, beneficiary=c, start=date(2026, 2, 1), reason="dirawat di panti"
    )
    compliance.suspension_end(by=officer, suspension=lifted, last_day=date(2026, 3, 5))
    with pytest.raises(ValidationError, match="already suspended"):
        compliance.suspension_start(by=officer, beneficiary=b, start=date(2026, 4, 1), reason="y")
    with pytest.raises(ValidationError, match="reason"):
        compliance.suspension_start(by=officer, beneficiary=d, start=date(2026, 4, 1), reason=" ")
    with pytest.raises(ValidationError, match="already ended"):
        compliance.suspension_end(by=officer, suspension=lifted, last_day=date(2026, 3, 9))

    cycle = services.cycle_generate(by=officer, program=jslu, period=MAR)
    amounts = dict(cycle.entitlements.values_list("beneficiary_id", "amount"))
    assert amounts[a.pk] == FULL * 21 // 31
    assert b.pk not in amounts  # suspended all month: nothing due, nothing carried later
    assert amounts[c.pk] == FULL * 26 // 31
    assert amounts[d.pk] == FULL
    compliance.suspension_end(by=officer, suspension=open_one, last_day=date(2026, 3, 31))
    april = services.cycle_generate(by=officer, program=jslu, period=date(2026, 4, 1))
    back = Entitlement.objects.get(cycle=april, beneficiary=b)
    assert (back.amount, back.arrears, back.months) == (FULL, 0, ["2026-04"])


@pytest.mark.django_db
def test_suspensions_need_the_role_and_the_area(officer, pilot_areas):
    (child,) = make_beneficiaries(1, "73.71.01.1001", "T")
    elsewhere = make_user("po2", roles=["program_officer"], scope=["73.06"])
    worker = make_user("sw9", roles=["social_worker"], scope=["73.71"])
    for user in (elsewhere, worker):
        with pytest.raises(PermissionDenied):
            compliance.suspension_start(
                by=user, beneficiary=child, start=date(2026, 3, 1), reason="x"
            )
    assert not child.suspensions.exists()


@pytest.mark.django_db
def test_nutrition_packages_are_items_recorded_in_the_area(officer, pilot_areas):
    abt = Program.objects.get(code="pks_abt")
    pksa = Program.objects.get(code="pksa")
    rule = BenefitRule.objects.get(program=abt)
    children = make_beneficiaries(3, "73.71.01.1001", "B")
    Beneficiary.objects.filter(pk__in=[c.pk for c in children]).update(
        program=abt, benefit_rule=rule, start_date=date(2025, 6, 1)
    )
    cycle = services.cycle_generate(by=officer, program=pksa, period=date(2026, 1, 1))
    items = InKindItem.objects.filter(cycle=cycle)
    assert items.count() == 3
    assert set(items.values_list("description", "value", "status")) == {
        (rule.in_kind, 400_000, "due")
    }
    assert cycle.entitlements.get(beneficiary=children[0]).amount == 1_100_000

    elsewhere = make_user("po2", roles=["program_officer"], scope=["73.06"])
    assert (
        services.in_kind_record(by=elsewhere, items=items, delivered=True, on=date(2026, 1, 9)) == 0
    )
    with pytest.raises(ValidationError, match="why"):
        services.in_kind_record(by=officer, items=items, delivered=False)
    first = items.filter(beneficiary=children[0])
    done = services.in_kind_record(
        by=officer, items=first, delivered=True, on=date(2026, 1, 9), delivered_by="TAS Melati"
    )
    assert done == 1
    services.in_kind_record(
        by=officer, items=items.exclude(beneficiary=children[0]), delivered=False, reason="pindah"
    )
    # a delivered item is final: a later "not delivered" leaves it as it is
    assert services.in_kind_record(by=officer, items=first, delivered=False, reason="x") == 0
    rec = services.reconcile(cycle)
    assert (rec["items_due"], rec["items_delivered"], rec["items_undelivered"]) == (0, 1, 2)
    assert first.get().delivered_by == "TAS Melati"


@pytest.mark.django_db
def test_a_delivery_preference_goes_into_the_next_cycle(officer, client, pilot_areas):
    elder, other = make_beneficiaries(2, "73.71.01.1001", "D")
    jslu = Program.objects.get(code="jslu")
    services.cycle_generate(by=officer, program=jslu, period=MAR)
    elsewhere = make_user("po2", roles=["program_officer"], scope=["73.06"])
    with pytest.raises(PermissionDenied):
        services.delivery_preference_set(by=elsewhere, beneficiary=elder, channel="facilitator")
    with pytest.raises(ValidationError):
        services.delivery_preference_set(by=officer, beneficiary=elder, channel="account")
    client.force_login(officer)
    url = f"/payments/beneficiaries/{elder.pk}/delivery/"
    response = client.post(url, {"channel": "facilitator", "reason": "terbaring di tempat tidur"})
    assert response.status_code == 302
    assert "terbaring" in client.get(f"/payments/beneficiaries/{elder.pk}/card/").text
    april = services.cycle_generate(by=officer, program=jslu, period=date(2026, 4, 1))
    channels = dict(april.entitlements.values_list("beneficiary_id", "channel"))
    assert channels == {elder.pk: "facilitator", other.pk: "post_home"}
    # March was generated before: it keeps its channel
    assert Entitlement.objects.get(cycle__period=MAR, beneficiary=elder).channel == "post_home"
    client.force_login(elsewhere)
    assert client.post(url, {"channel": "post_office"}).status_code == 404
