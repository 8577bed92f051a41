"""A payer's return file delivering thousands of payments emits their events with a fixed
number of statements (one INSERT … SELECT for the events, one per subscriber for the
deliveries), whatever the number of payments; imported again it emits nothing more."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pksai.accounts.tests.factories import make_user
from pksai.payments import services as payments
from pksai.payments.models import Entitlement
from pksai.programs.models import Beneficiary, BenefitRule, Program
from pksai.registry.models import Household, Person
from pksai.webhooks.models import Delivery, Event
from pksai.webhooks.services import subscriber_create

pytestmark = pytest.mark.django_db


def _beneficiaries(n: int, offset: int):
    jslu = Program.objects.get(code="jslu")
    rule = BenefitRule.objects.get(program=jslu)
    households = Household.objects.bulk_create(
        Household(
            source="T", registry_id=f"H{offset + i}", village_id="73.71.01.1001", row_hash="-"
        )
        for i in range(n)
    )
    persons = Person.objects.bulk_create(
        Person(
            household=h,
            source="T",
            household_key=h.registry_id,
            person_key="1",
            village_id="73.71.01.1001",
            name=f"Lansia {h.registry_id}",
            sex="F",
            birth_date=date(1950, 1, 1),
            relationship="head",
            row_hash="-",
        )
        for h in households
    )
    Beneficiary.objects.bulk_create(
        Beneficiary(
            program=jslu,
            person=p,
            area_id="73.71.01.1001",
            start_date=date(2025, 12, 1),
            benefit_rule=rule,
        )
        for p in persons
    )
    return jslu


def _return(tmp_path, batch, *, held: int):
    lines = list(batch.lines.order_by("line").values_list("line", "entitlement_id"))
    text = "batch_id,line,payment_id,result,date,channel,reason,paid_by,countersigned\n"
    for i, (line, pid) in enumerate(lines):
        if i < held:
            for day in ("08", "12"):
                text += f"{batch.reference},{line},{pid},failed,2026-01-{day},post_home,absen,,no\n"
        else:
            text += f"{batch.reference},{line},{pid},paid,2026-01-10,post_home,,Pos,yes\n"
    path = tmp_path / f"{batch.reference}.csv"
    path.write_text(text)
    return path


def _prepare(officer, tmp_path, period: date, held: int):
    jslu = Program.objects.get(code="jslu")
    cycle = payments.cycle_generate(by=officer, program=jslu, period=period)
    batch = payments.batch_export(by=officer, cycle=cycle)
    return batch, _return(tmp_path, batch, held=held)


def test_payment_events_cost_the_same_statements_for_20_or_400(
    pilot_areas, tmp_path, django_assert_max_num_queries, settings
):
    settings.PKSAI_WEBHOOK_ALLOW_HTTP_HOSTS = ["127.0.0.1"]
    officer = make_user("po", roles=["program_officer"], scope=["73.71"])
    admin = make_user("adm", roles=["administrator"], scope=["73"])
    for name in ("Bank", "Pos"):
        subscriber_create(
            by=admin,
            name=name,
            url="http://127.0.0.1:9/hook",
            events=["payment.delivered", "payment.held"],
        )
    _beneficiaries(20, 0)
    batch, path = _prepare(officer, tmp_path, date(2026, 1, 1), held=2)
    with CaptureQueriesContext(connection) as queries:
        payments.returns_import(by=officer, batch=batch, path=path)
    small = len(queries)
    assert Event.objects.filter(kind="payment.delivered").count() == 18
    assert Event.objects.filter(kind="payment.held").count() == 2
    assert Delivery.objects.count() == 2 * 20
    _beneficiaries(380, 20)
    batch, path = _prepare(officer, tmp_path, date(2026, 2, 1), held=5)
    # twenty times the payments, not one statement more
    with django_assert_max_num_queries(small):
        payments.returns_import(by=officer, batch=batch, path=path)
    feb = Event.objects.filter(data__cycle=batch.cycle_id)
    assert feb.filter(kind="payment.delivered").count() == 395
    assert feb.filter(kind="payment.held").count() == 5
    assert Delivery.objects.count() == 2 * (20 + 400)
    event = feb.filter(kind="payment.delivered").first()
    entitlement = Entitlement.objects.get(pk=event.object_id)
    assert event.data["amount"] == entitlement.amount and event.data["program"] == "jslu"
    assert event.area_code == "73.71.01.1001" and "Lansia" not in str(event.data)
    # the same file again: no new events, no new deliveries
    payments.returns_import(by=officer, batch=batch, path=path)
    assert Delivery.objects.count() == 2 * (20 + 400)
