"""PKSA conditionalities (a consequence only after an officer confirms) and the yearly
re-confirmation with exits."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pksai.accounts.tests.factories import make_user
from pksai.programs import compliance
from pksai.programs.models import (
    Beneficiary,
    BenefitRule,
    Conditionality,
    Program,
    Sanction,
)
from pksai.programs.tests.factories import make_person


@pytest.fixture
def officer(pilot_areas):
    return make_user("po", roles=["program_officer"], scope=["73.71"])


def child_beneficiary(start=date(2025, 1, 1), name="Anak PKSA"):
    pksa = Program.objects.get(code="pksa")
    return Beneficiary.objects.create(
        program=Program.objects.get(code="pks_anjal"),
        person=make_person(name, birth=date(2014, 1, 1)),
        area_id="73.71.01.1001",
        start_date=start,
        benefit_rule=BenefitRule.objects.get(program=pksa),
    )


@pytest.mark.django_db
def test_unmet_conditions_propose_the_ladder_and_only_confirmation_applies_it(officer):
    pksa = Program.objects.get(code="pksa")
    school = Conditionality.objects.get(program=pksa, code="school_attendance")
    b = child_beneficiary()
    for month in (date(2026, 1, 1), date(2026, 2, 1)):
        compliance.compliance_record(
            by=officer, beneficiary=b, condition=school, month=month, met=False
        )
    compliance.compliance_record(
        by=officer, beneficiary=b, condition=school, month=date(2026, 3, 1), met=True
    )
    assert (
        compliance.compliance_review(
            by=officer, program=pksa, area_code="73.71", as_of=date(2026, 3, 15)
        )
        == 1
    )
    proposed = Sanction.objects.get()
    assert (proposed.step.action, proposed.misses) == ("reduction", 2)
    b.refresh_from_db()
    assert b.reduction_percent == 0  # nothing happens before an officer confirms
    assert (
        compliance.compliance_review(
            by=officer, program=pksa, area_code="73.71", as_of=date(2026, 3, 15)
        )
        == 0
    )  # proposed once
    with pytest.raises(ValidationError):
        compliance.sanction_decide(by=officer, sanction=proposed, confirm=False)  # no reason
    worker = make_user("sw", roles=["social_worker"], scope=["73.71"])
    with pytest.raises(PermissionDenied):
        compliance.sanction_decide(by=worker, sanction=proposed, confirm=True)
    stale = Sanction.objects.get(pk=proposed.pk)  # another officer's page, loaded before
    compliance.sanction_decide(by=officer, sanction=proposed, confirm=True, reason="Dikonfirmasi")
    with pytest.raises(ValidationError):  # decided once: the second decision changes nothing
        compliance.sanction_decide(by=officer, sanction=stale, confirm=False, reason="Batal")
    b.refresh_from_db()
    assert b.reduction_percent == 25 and b.status == "active"
    compliance.compliance_record(
        by=officer, beneficiary=b, condition=school, month=date(2026, 4, 1), met=False
    )
    compliance.compliance_review(
        by=officer, program=pksa, area_code="73.71", as_of=date(2026, 4, 15)
    )
    exit_step = Sanction.objects.get(status="proposed")
    assert exit_step.step.action == "exit"
    compliance.sanction_decide(by=officer, sanction=exit_step, confirm=True)
    b.refresh_from_db()
    assert (b.status, b.exit_reason) == ("exited", "not_eligible")


@pytest.mark.django_db
def test_reconfirmation_lists_who_is_due_and_records_exits(officer):
    pksa = Program.objects.get(code="pksa")
    due = child_beneficiary(start=date(2025, 1, 10), name="Lama")
    recent = child_beneficiary(start=date(2026, 6, 1), name="Baru")
    listed = list(compliance.reconfirmation_due(user=officer, program=pksa, as_of=date(2026, 3, 1)))
    assert [b.pk for b in listed] == [due.pk]
    compliance.beneficiary_reconfirm(by=officer, beneficiary=due, on=date(2026, 3, 1))
    assert (
        list(compliance.reconfirmation_due(user=officer, program=pksa, as_of=date(2026, 3, 2)))
        == []
    )
    with pytest.raises(ValidationError):
        compliance.beneficiary_exit(
            by=officer, beneficiary=recent, reason="bored", on=date(2026, 7, 1)
        )
    compliance.beneficiary_exit(
        by=officer, beneficiary=recent, reason="moved", on=date(2026, 7, 1), notes="Pindah ke Gowa"
    )
    recent.refresh_from_db()
    assert (recent.status, recent.exit_reason, recent.exit_date) == (
        "exited",
        "moved",
        date(2026, 7, 1),
    )
    # the outbound webhooks' outbox has the exit, without the name (decision 0035)
    from pksai.webhooks.models import Event

    exit_event = Event.objects.get(kind="beneficiary.exited")
    assert exit_event.object_id == recent.pk and exit_event.data["exit_reason"] == "moved"
    assert exit_event.data["program"] == "pks_anjal" and "Baru" not in str(exit_event.data)
    gowa = make_user("gpo", roles=["program_officer"], scope=["73.06"])
    assert (
        list(compliance.reconfirmation_due(user=gowa, program=pksa, as_of=date(2027, 1, 1))) == []
    )
    with pytest.raises(PermissionDenied):
        compliance.beneficiary_reconfirm(by=gowa, beneficiary=due)


def english(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en"})


@pytest.mark.django_db
def test_the_pages_record_compliance_and_the_officer_confirms(client, officer):
    b = child_beneficiary()
    pksa = Program.objects.get(code="pksa")
    school = Conditionality.objects.get(program=pksa, code="school_enrolment")
    english(client, officer)
    page = client.get(f"/facilitation/beneficiaries/{b.pk}/")
    assert page.status_code == 200 and "Enrolled in school" in page.text
    client.post(
        f"/facilitation/beneficiaries/{b.pk}/",
        {"action": "compliance", "condition": school.pk, "month": "2026-01", "met": "no"},
    )
    assert b.compliance.get().met is False
    client.post(
        "/facilitation/conditionalities/?program=pksa", {"action": "review", "area": "73.71"}
    )
    listed = client.get("/facilitation/conditionalities/?program=pksa")
    assert "Anak PKSA" in listed.text and "warning" in listed.text
    sanction = Sanction.objects.get()
    client.post(
        "/facilitation/conditionalities/?program=pksa",
        {"action": "dismiss", "sanction": sanction.pk, "reason": "Sekolah libur panjang"},
    )
    sanction.refresh_from_db()
    assert sanction.status == "dismissed" and sanction.reason == "Sekolah libur panjang"
    due = client.get("/facilitation/reconfirmation/?program=pksa")
    assert "Anak PKSA" in due.text
    client.post(
        "/facilitation/reconfirmation/?program=pksa",
        {"beneficiary": b.pk, "action": "exit", "reason": "graduated", "exit_date": "2026-06-30"},
    )
    b.refresh_from_db()
    assert (b.status, b.exit_reason) == ("exited", "graduated")
    english(client, make_user("sw", roles=["social_worker"], scope=["73.71"]))
    assert client.get("/facilitation/reconfirmation/").status_code == 403
    assert client.get("/facilitation/conditionalities/").status_code == 403
