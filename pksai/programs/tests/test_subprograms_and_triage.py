"""PKSA: a child matching several sub-programs is shown all of them and enrolled in one with
the reason kept; the triage protocol holds enrolment until the emergency action started."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from pksai.accounts.tests.factories import make_user
from pksai.cases import selectors as case_selectors
from pksai.cases import services as case_services
from pksai.cases.tests.factories import make_child, move, register
from pksai.programs import services
from pksai.programs.models import Beneficiary, Nomination, Program


@pytest.fixture
def officer(team):
    return make_user("po", roles=["program_officer"], scope=["73.71"])


def nominate_case_child(team, case, officer):
    return services.nominate(
        by=officer,
        program=Program.objects.get(code="pksa"),
        year=2026,
        person=case.child,
        source=Nomination.Source.CASE,
        case=case,
    )


@pytest.mark.django_db
def test_a_child_matching_two_subprograms_is_shown_both_and_enrolled_in_one(team, officer):
    child = make_child("Rudi", birth=date(2015, 3, 1), sex="M")
    case = register(team, concerns=("street_child", "physical_violence"), child=child)
    move(case, "triage", team["worker"], response="at_risk")
    nomination = nominate_case_child(team, case, officer)
    result = services.round_run(
        by=officer,
        program=Program.objects.get(code="pksa"),
        year=2026,
        area_code="73.71",
        places=10,
        seed=1,
    )
    assert result.eligible == 1
    nomination.refresh_from_db()
    assert nomination.matches == ["pks_anjal", "pks_ampk"]
    ampk = Program.objects.get(code="pks_ampk")
    with pytest.raises(ValidationError):  # two matches: the choice needs a reason
        services.nomination_choose(by=officer, nomination=nomination, subprogram=ampk)
    with pytest.raises(ValidationError):  # not a match
        services.nomination_choose(
            by=officer,
            nomination=nomination,
            subprogram=Program.objects.get(code="pks_abh"),
            reason="x",
        )
    with pytest.raises(ValidationError):  # cannot enrol before the choice
        services.enrol(by=officer, nomination=nomination, start_date=date(2026, 4, 1))
    services.nomination_choose(
        by=officer,
        nomination=nomination,
        subprogram=ampk,
        reason="Kekerasan fisik di rumah: perlindungan khusus lebih dulu.",
    )
    beneficiary = services.enrol(by=officer, nomination=nomination, start_date=date(2026, 4, 1))
    assert beneficiary.program == ampk
    nomination.refresh_from_db()
    assert nomination.choice_reason.startswith("Kekerasan fisik")
    assert Beneficiary.objects.filter(person=child).count() == 1


@pytest.mark.django_db
def test_enrolling_an_immediate_response_child_waits_for_the_emergency_action(team, officer):
    case = register(team, concerns=("physical_violence",))
    move(case, "triage", team["worker"], response="immediate")
    case = case_selectors.case_get(user=team["worker"], pk=case.pk)
    assert case.emergency_pending
    with pytest.raises(ValidationError, match="Immediate response first|Dahulukan"):
        nominate_case_child(team, case, officer)
    # nominated from the vulnerability database instead: enrolment is refused all the same
    nomination = services.nominate(
        by=officer,
        program=Program.objects.get(code="pksa"),
        year=2026,
        person=case.child,
        source=Nomination.Source.OFFICE,
    )
    services.nomination_choose(
        by=officer, nomination=nomination, subprogram=Program.objects.get(code="pks_ampk")
    )
    with pytest.raises(ValidationError):
        services.enrol(by=officer, nomination=nomination, start_date=date(2026, 4, 1))
    # the case plan's "enrol" action is refused too
    with pytest.raises(ValidationError):
        case_services.plan_action_add(
            case=case,
            by=team["worker"],
            kind="enrolment",
            description="PKSA",
            responsible="Dinsos",
            due_date=date(2026, 5, 1),
        )
    action = case_services.emergency_action_record(
        case=case, by=team["worker"], kind="shelter", started=False
    )
    with pytest.raises(ValidationError):  # recorded but not started
        services.enrol(by=officer, nomination=nomination, start_date=date(2026, 4, 1))
    case_services.emergency_action_start(action=action, by=team["worker"])
    assert nominate_case_child(team, case, officer).pk == nomination.pk  # no duplicate
    beneficiary = services.enrol(by=officer, nomination=nomination, start_date=date(2026, 4, 1))
    assert beneficiary.program.code == "pks_ampk"
