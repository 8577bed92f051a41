"""Payment notices (issue 20 point 3): a generated cycle queues its notices in one background
task, set-based, only to beneficiaries who consented (the others recorded as refused, the log
says why); money held at the post office after two failed attempts is announced once."""

import logging
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pksai.accounts.tests.factories import make_user
from pksai.messaging import services as messaging
from pksai.messaging.models import ContactConsent, Message, Purpose
from pksai.messaging.tests.conftest import channels  # noqa: F401  (fixture)
from pksai.payments import notices, services
from pksai.payments.models import Entitlement
from pksai.payments.tests.test_cycles import return_file
from pksai.programs.models import Beneficiary, BenefitRule, Program
from pksai.registry.models import Household, Person

N = 12


@pytest.fixture
def beneficiaries(pilot_areas):
    jslu = Program.objects.get(code="jslu")
    rule = BenefitRule.objects.get(program=jslu)
    out = []
    for i in range(N):
        h = Household.objects.create(
            source="T", registry_id=f"H{i}", village_id="73.71.01.1001", row_hash="-"
        )
        p = Person.objects.create(
            household=h,
            source="T",
            household_key=h.registry_id,
            person_key="1",
            village_id="73.71.01.1001",
            name=f"Lansia {i}",
            sex="F",
            birth_date=date(1950, 1, 1),
            relationship="head",
            row_hash="-",
        )
        out.append(
            Beneficiary.objects.create(
                program=jslu,
                person=p,
                area_id="73.71.01.1001",
                start_date=date(2025, 12, 1),
                benefit_rule=rule,
            )
        )
    officer = make_user("po", roles=["program_officer"], scope=["73.71"])
    # 0–7 consented by SMS (4 in English), 8 consented and replied STOP, 9–11 never asked
    for i, b in enumerate(out[:9]):
        messaging.consent_give(
            address=f"08120000{i:04d}",
            channel="sms",
            purpose=Purpose.PAYMENT,
            source=ContactConsent.Source.STAFF,
            by=officer,
            beneficiary=b,
            language="en" if i < 4 else "id",
        )
    messaging.inbound_receive(channel="sms", sender="081200000008", text="STOP")
    return {"all": out, "officer": officer, "jslu": jslu}


@pytest.mark.django_db
def test_a_cycle_queues_its_notices_in_one_task_to_those_who_consented(
    beneficiaries,
    channels,  # noqa: F811
    caplog,
    django_capture_on_commit_callbacks,  # noqa: F811
):
    with caplog.at_level(logging.WARNING, logger="pksai.messaging.services"):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            cycle = services.cycle_generate(
                by=beneficiaries["officer"], program=beneficiaries["jslu"], period=date(2026, 1, 1)
            )
    # one background task queues the whole cycle's notices, and it queues one send task
    assert [getattr(c, "__name__", "") for c in callbacks] == ["<lambda>", "_enqueue_send"]
    notices_ = Message.objects.filter(template="payment_notice")
    by_status = {
        s: notices_.filter(status=s).count() for s in ("sent", "opted_out", "refused_no_consent")
    }
    assert by_status == {"sent": 8, "opted_out": 1, "refused_no_consent": 3}
    assert "4 payment_notice messages not sent: 3 without consent, 1 opted out" in caplog.text
    english = [m for m in channels.sent if m.body.startswith("Your")]
    assert len(english) == 4 and "Rp 300.000" in english[0].body and "2026-01" in english[0].body
    assert "15 Jan 2026" in english[0].body and "post office" in english[0].body
    assert sum(m.body.startswith("Bantuan") for m in channels.sent) == 4
    refused = notices_.get(status="refused_no_consent", beneficiary=beneficiaries["all"][10])
    assert refused.body == "" and refused.area_id == "73.71.01.1001"
    # set-based: the number of queries does not grow with the beneficiaries
    with CaptureQueriesContext(connection) as few:
        notices.payment_notices_queue(cycle_id=cycle.pk)
    assert len(few) <= 8


@pytest.mark.django_db
def test_held_at_the_post_office_is_announced_once(
    beneficiaries,
    channels,  # noqa: F811
    tmp_path,
    django_capture_on_commit_callbacks,  # noqa: F811
):
    officer = beneficiaries["officer"]
    cycle = services.cycle_generate(
        by=officer, program=beneficiaries["jslu"], period=date(2026, 1, 1)
    )
    batch = services.batch_export(by=officer, cycle=cycle)
    first = beneficiaries["all"][5]
    line, pid = (
        batch.lines.filter(entitlement__beneficiary=first)
        .values_list("line", "entitlement_id")
        .get()
    )
    rows = [
        (line, pid, "failed", "2026-01-08", "post_home", "tidak di rumah", "no"),
        (line, pid, "failed", "2026-01-12", "post_home", "tidak di rumah", "no"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        services.returns_import(
            by=officer, batch=batch, path=return_file(tmp_path, "r.csv", batch, rows)
        )
    assert Entitlement.objects.get(pk=pid).status == "held"
    [held] = Message.objects.filter(template="payment_held")
    assert held.beneficiary_id == first.pk and held.status == "sent"
    assert channels.sent[-1].body.startswith("Bantuan") and "kantor pos" in channels.sent[-1].body
    # the same file again: still held, no second notice
    with django_capture_on_commit_callbacks(execute=True):
        services.returns_import(
            by=officer, batch=batch, path=return_file(tmp_path, "r2.csv", batch, rows)
        )
    assert Message.objects.filter(template="payment_held").count() == 1
