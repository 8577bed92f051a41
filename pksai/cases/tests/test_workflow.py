from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone, translation

from pksai.accounts.tests.factories import make_user
from pksai.cases import records, selectors, services
from pksai.cases.models import Alert, Assessment, Case, Domain, FollowUp
from pksai.cases.tests.factories import make_child, move, register, write_plan


@pytest.fixture(autouse=True)
def english():
    """Service messages are asserted in English (the UI default is Indonesian)."""
    with translation.override("en"):
        yield


def test_registration_numbers_and_triage_sla(team):
    violent = register(team)
    other = register(team, concerns=["no_birth_certificate"])
    year = timezone.localdate().year
    assert violent.number == f"7371-{year}-000001" and other.number == f"7371-{year}-000002"
    assert violent.stage == "triage"
    assert abs((violent.stage_due_at - violent.created_at) - timedelta(hours=24)) < timedelta(
        minutes=1
    )
    assert abs((other.stage_due_at - other.created_at) - timedelta(hours=72)) < timedelta(minutes=1)
    assert Alert.objects.filter(user=team["worker"], case=violent).exists()


def test_main_path_with_immediate_response_and_follow_ups(team):
    worker, supervisor = team["worker"], team["supervisor"]
    case = register(team)
    move(case, "triage", worker, response="immediate")
    case.refresh_from_db()
    assert case.emergency_pending
    action = services.emergency_action_record(case=case, by=worker, kind="shelter", started=False)
    move(case, "complete_assessment", worker)
    case.refresh_from_db()
    with pytest.raises(ValidationError, match="Immediate response first"):
        services.plan_action_add(
            case=case,
            by=worker,
            kind="enrolment",
            description="PKSA",
            responsible="Dinsos",
            due_date=timezone.localdate(),
        )
    services.emergency_action_start(action=action, by=worker)
    assert not case.emergency_pending
    services.plan_action_add(
        case=case,
        by=worker,
        kind="enrolment",
        description="PKSA",
        responsible="Dinsos",
        due_date=timezone.localdate(),
    )
    move(case, "submit_plan", worker)
    with pytest.raises(PermissionDenied):
        move(case, "approve_plan", worker)  # a worker cannot approve
    move(case, "approve_plan", supervisor)
    move(case, "request_closure", worker)
    move(case, "approve_closure", supervisor)
    case.refresh_from_db()
    assert case.stage == "follow_up"
    assert list(case.follow_ups.values_list("months", flat=True)) == [1, 3, 6]
    queue = selectors.work_queue(user=worker)
    assert [(i.kind, i.follow_up.months) for i in queue if i.kind == "follow_up"][0] == (
        "follow_up",
        1,
    )
    events = list(case.events.values_list("kind", flat=True))
    assert events[:3] == ["registered", "triage", "emergency_action"]
    assert "approve_closure" in events


def test_reason_required_to_reject_and_illegal_moves_refused(team):
    case = register(team)
    with pytest.raises(ValidationError):
        move(case, "approve_plan", team["supervisor"])  # not in plan review
    move(case, "triage", team["worker"], response="at_risk")
    move(case, "complete_assessment", team["worker"])
    move(case, "submit_plan", team["worker"])
    with pytest.raises(ValidationError, match="reason"):
        move(case, "reject_plan", team["supervisor"])
    move(case, "reject_plan", team["supervisor"], reason="Tujuan belum jelas")
    case.refresh_from_db()
    assert case.stage == "planning"


def test_worker_outside_the_area_gets_404(team):
    case = register(team)
    with pytest.raises(Http404):
        selectors.case_get(user=team["gowa_worker"], pk=case.pk)
    assert selectors.case_get(user=team["worker"], pk=case.pk) == case


def test_restricted_case_hidden_from_unassigned_worker_and_masked_in_lists(team):
    child = make_child("Rahasia")
    case = register(team, concerns=["sexual_violence"], child=child)
    assert case.restricted
    other = team["other_worker"]
    with pytest.raises(Http404):
        selectors.case_get(user=other, pk=case.pk)
    assert case not in selectors.case_list(user=other)
    # The assigned worker and the coordinator open it and see the name.
    assert (
        selectors.display_name(selectors.case_get(user=team["worker"], pk=case.pk), team["worker"])
        == "Rahasia"
    )
    assert selectors.display_name(case, team["coordinator"]) == "Rahasia"
    # Another supervisor of the area lists it, masked, and cannot open it.
    other_supervisor = make_user("spv2", roles=["supervisor"], scope=["73.71"])
    listed = list(selectors.case_list(user=other_supervisor))
    assert case in listed
    assert selectors.display_name(case, other_supervisor) == selectors.MASK
    with pytest.raises(Http404):
        selectors.case_get(user=other_supervisor, pk=case.pk)


def test_conflicting_saves_second_refused_nothing_lost(team):
    case = register(team)
    first = Case.objects.get(pk=case.pk)
    second = Case.objects.get(pk=case.pk)
    services.case_update_summary(
        case=first, by=team["worker"], expected_version=first.version, summary="Versi A"
    )
    with pytest.raises(services.ConflictError, match="changed by someone else"):
        services.case_update_summary(
            case=second, by=team["other_worker"], expected_version=second.version, summary="Versi B"
        )
    case.refresh_from_db()
    assert case.summary == "Versi A" and case.version == 2


def test_overdue_triage_first_in_queue_and_in_supervisor_counts(team):
    later = register(team, concerns=["no_birth_certificate"])
    overdue = register(team)
    Case.objects.filter(pk=overdue.pk).update(stage_due_at=timezone.now() - timedelta(hours=2))
    queue = selectors.work_queue(user=team["worker"])
    assert queue[0].case.pk == overdue.pk and queue[0].overdue
    assert queue[1].case.pk == later.pk and not queue[1].overdue
    counts = selectors.team_overdue(user=team["supervisor"])
    assert counts == [{"owner__username": "sw", "open": 2, "overdue": 1}]


def test_reassignment_tells_the_new_owner_what_is_pending(team):
    case = register(team)
    move(case, "triage", team["worker"], response="immediate")
    locked = selectors.case_get_for_update(user=team["supervisor"], pk=case.pk)
    services.case_assign(
        case=locked,
        owner=team["other_worker"],
        by=team["supervisor"],
        expected_version=locked.version,
    )
    alert = Alert.objects.filter(user=team["other_worker"]).latest("created_at")
    assert alert.code == "case_assigned" and alert.params["emergency"]
    with translation.override("en"):
        assert case.number in alert.message and "emergency" in alert.message
    assert case.events.filter(kind="assigned").exists()


def test_list_of_50_cases_runs_constant_queries(team, django_assert_max_num_queries):
    for i in range(50):
        register(team, child=make_child(f"Anak {i}"), concerns=["neglect"])
    user = team["supervisor"]
    selectors.case_list(user=user).count()  # warm the permission cache
    with django_assert_max_num_queries(3):
        rows = list(selectors.case_list(user=user)[:50])
        names = [selectors.display_name(c, user) for c in rows]
        owners = [c.owner.username for c in rows]
    assert len(names) == len(owners) == 50


def test_child_candidates_by_nik_or_fuzzy_name(team):
    a = make_child("Siti Aminah", nik="7371014505140001")
    make_child("Budi", nik="7371010101140002")
    assert selectors.child_candidates(user=team["staff"], nik="7371014505140001") == [a]
    fuzzy = selectors.child_candidates(
        user=team["staff"], name="siti aminnah", birth_date=a.birth_date, village=a.village_id
    )
    assert fuzzy == [a]


def test_follow_ups_and_closing(team):
    case = register(team)
    for name, by, kw in [
        ("triage", "worker", {"response": "at_risk"}),
        ("complete_assessment", "worker", {}),
        ("submit_plan", "worker", {}),
        ("approve_plan", "supervisor", {}),
        ("request_closure", "worker", {}),
        ("approve_closure", "supervisor", {}),
    ]:
        move(case, name, team[by], **kw)
    for follow_up in FollowUp.objects.filter(case=case):
        services.follow_up_complete(
            follow_up=follow_up, by=team["worker"], notes="Anak baik-baik saja"
        )
    move(case, "finish_follow_up", team["worker"])
    case.refresh_from_db()
    assert case.stage == "closed" and selectors.work_queue(user=team["worker"]) == []
    move(case, "reopen", team["worker"], reason="Laporan baru")
    case.refresh_from_db()
    assert case.stage == "assessment"


def test_assessment_and_plan_are_required_before_moving_on(team):
    worker = team["worker"]
    case = register(team)
    move(case, "triage", worker, response="at_risk")
    with pytest.raises(ValidationError, match="comprehensive assessment first"):
        move(case, "complete_assessment", worker, prepare=False)
    with pytest.raises(ValidationError, match="Rate the domain"):
        records.assessment_save(
            case=case,
            by=worker,
            kind="comprehensive",
            domains={"safety": {"rating": "high", "notes": "x"}},
            risk="high",
            complete=True,
        )
    draft = records.assessment_save(
        case=case,
        by=worker,
        kind="comprehensive",
        domains={"safety": {"rating": "high", "notes": "Ayah memukul"}},
        risk="high",
    )
    assert draft.completed_at is None
    with pytest.raises(ValidationError, match="comprehensive assessment first"):
        move(case, "complete_assessment", worker, prepare=False)
    domains = {k: {"rating": "low", "notes": ""} for k in Domain.values}
    records.assessment_save(
        case=case,
        by=worker,
        kind="comprehensive",
        domains=domains,
        risk="high",
        complete=True,
        assessment=draft,
        expected_version=draft.version,
    )
    move(case, "complete_assessment", worker, prepare=False)
    case.refresh_from_db()
    with pytest.raises(ValidationError, match="at least one goal"):
        move(case, "submit_plan", worker, prepare=False)
    write_plan(case, worker)
    with pytest.raises(ValidationError, match="at least one action"):
        move(case, "submit_plan", worker, prepare=False)


def test_conflicting_assessment_and_plan_saves_are_refused(team):
    worker, other = team["worker"], team["supervisor"]
    case = register(team)
    first = records.assessment_save(
        case=case, by=worker, kind="initial", domains={}, risk="medium", summary="A"
    )
    records.assessment_save(
        case=case,
        by=other,
        kind="initial",
        domains={},
        risk="high",
        summary="B",
        assessment=Assessment.objects.get(pk=first.pk),
        expected_version=1,
    )
    with pytest.raises(services.ConflictError):
        records.assessment_save(
            case=case,
            by=worker,
            kind="initial",
            domains={},
            risk="low",
            summary="C",
            assessment=first,
            expected_version=1,
        )
    first.refresh_from_db()
    assert (first.summary, first.risk, first.version) == ("B", "high", 2)

    move(case, "triage", worker, response="at_risk")
    move(case, "complete_assessment", worker)
    case.refresh_from_db()
    plan = records.plan_save(case=case, by=worker, goals="Aman")
    records.plan_save(case=case, by=other, goals="Aman\nSekolah", expected_version=plan.version)
    with pytest.raises(services.ConflictError):
        records.plan_save(case=case, by=worker, goals="Hanya aman", expected_version=plan.version)
    plan.refresh_from_db()
    assert plan.goal_list == ["Aman", "Sekolah"]
