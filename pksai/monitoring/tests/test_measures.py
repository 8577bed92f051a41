"""Measures rewritten for speed keep their meaning: a vulnerable child is reached through a
live case or an enrolment (once, even with both), not through a void case; immediate
responses count only actions started in time; plans count only approvals in time."""

from datetime import UTC, datetime, timedelta

import pytest

from pksai.accounts.tests.factories import make_user
from pksai.cases.models import Case, CaseEvent, EmergencyAction
from pksai.cases.tests.factories import make_child
from pksai.monitoring.measures import _reached, measure_counts
from pksai.programs.models import Beneficiary, BenefitRule
from pksai.vulnerability.models import RuleSet, Score

REPORTED = datetime(2025, 3, 1, 2, tzinfo=UTC)


def _case(child, owner, number: str, **kwargs) -> Case:
    case = Case.objects.create(
        number=number,
        regency_id="73.71",
        area_id="73.71.01.1001",
        child=child,
        channel="phone",
        summary="-",
        stage=kwargs.pop("stage", "assessment"),
        owner=owner,
        created_by=owner,
        **kwargs,
    )
    Case.objects.filter(pk=case.pk).update(created_at=REPORTED)
    return case


@pytest.fixture
def owner(pilot_areas):
    return make_user("sw", roles=["social_worker"], scope=["73.71"])


@pytest.mark.django_db
def test_vulnerable_reached_through_a_live_case_or_an_enrolment_once(owner):
    ruleset = RuleSet.objects.create(
        version=99, name="t", source_text="#", spec={}, status="active"
    )
    children = {k: make_child(k) for k in ("case", "enrolled", "both", "void", "none", "low")}
    Score.objects.bulk_create(
        Score(
            person=child,
            identity_id=child.identity_id,
            ruleset=ruleset,
            village_id="73.71.01.1001",
            sex="F",
            age=10,
            scored_at=REPORTED,
            criteria_count=2,
            neglect="-",
            pmt_score=10,
            risk_level="low" if key == "low" else "high",
        )
        for key, child in children.items()
    )
    _case(children["case"], owner, "C-1")
    _case(children["both"], owner, "C-2")
    _case(children["both"], owner, "C-3")
    _case(children["void"], owner, "C-4", stage="void")
    _case(children["low"], owner, "C-5")
    rule = BenefitRule.objects.select_related("program").first()
    for key in ("enrolled", "both"):
        Beneficiary.objects.create(
            program=rule.program,
            person=children[key],
            area_id="73.71.01.1001",
            start_date=REPORTED.date(),
            benefit_rule=rule,
        )
    analyst = make_user("pusdatin", roles=["national_analyst"], national=True)
    assert measure_counts("vulnerable_reached", user=analyst) == {"": 3}
    assert Score.objects.filter(_reached(None)).count() == 3  # the parts add up to the meaning
    assert measure_counts("vulnerable_children", user=analyst) == {"": 5}
    assert measure_counts("vulnerable_reached", user=analyst, group="regency") == {"73.71": 3}
    gowa = make_user("gowa", roles=["coordinator"], scope=["73.06"])
    assert measure_counts("vulnerable_reached", user=gowa).get("", 0) == 0


@pytest.mark.django_db
def test_immediate_acted_and_plan_approved_count_only_in_time(owner):
    child = make_child()
    acted = _case(child, owner, "C-1", response="immediate")
    late = _case(child, owner, "C-2", response="immediate")
    _case(child, owner, "C-3", response="immediate")  # no action at all
    for case, hours in ((acted, 3), (acted, 30), (late, 30)):
        EmergencyAction.objects.create(
            case=case,
            kind="protection",
            recorded_by=owner,
            started_at=REPORTED + timedelta(hours=hours),
        )
    for case, days in ((acted, 10), (acted, 20), (late, 45)):
        event = CaseEvent.objects.create(case=case, actor=owner, kind="approve_plan")
        CaseEvent.objects.filter(pk=event.pk).update(at=REPORTED + timedelta(days=days))
    CaseEvent.objects.create(case=late, actor=owner, kind="note")
    analyst = make_user("pusdatin", roles=["national_analyst"], national=True)
    assert measure_counts("cases_immediate", user=analyst) == {"": 3}
    assert measure_counts("cases_immediate_acted", user=analyst) == {"": 1}
    assert measure_counts("cases_immediate_acted", user=analyst, param=48) == {"": 2}
    assert measure_counts("cases_plan_approved", user=analyst) == {"": 1}
    assert measure_counts("cases_plan_approved", user=analyst, param=60) == {"": 2}
