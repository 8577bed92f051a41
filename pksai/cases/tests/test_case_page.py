"""The case page: the summary header, the sections and their links, and the next step offered
only when it can succeed — one check (services.transition_blockers) behind the page, the
refusal of the transition and the API."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from pksai.api.tests.helpers import bearer
from pksai.cases import records, services
from pksai.cases.models import Case, PlanAction
from pksai.cases.tests.factories import assess, make_child, move, register, write_plan

SECTIONS = (
    "overview",
    "assessment",
    "plan",
    "conference",
    "visits",
    "notes",
    "attachments",
    "referrals",
    "timeline",
)


def login(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en"})


def section(html: str, key: str) -> str:
    """The HTML of ``<section id="key">`` (sections do not nest)."""
    start = html.index(f'<section id="{key}"')
    return html[start : html.index("</section>", start)]


def move_buttons(html: str) -> list[str]:
    """The moves the page offers as a button (each a form posting ``name``)."""
    return re.findall(r'<input type="hidden" name="name" value="([a-z_]+)">', html)


def codes(case: Case, name: str) -> list[str]:
    return [b.code for b in services.transition_blockers(case=case, name=name)]


def add_action(case, by, kind="service", **extra):
    return services.plan_action_add(
        case=case,
        by=by,
        kind=kind,
        description=extra.get("description", "Konseling keluarga"),
        responsible="Psikolog",
        due_date=timezone.localdate() + timedelta(days=14),
    )


# --- The one check -----------------------------------------------------------------


def test_blockers_of_complete_assessment(team):
    worker = team["worker"]
    case = register(team)
    move(case, "triage", worker, response="at_risk")
    case.refresh_from_db()
    [missing] = services.transition_blockers(case=case, name="complete_assessment")
    assert missing.code == "assessment_incomplete"
    assert missing.url == reverse("case_records:assessment_new", args=[case.pk])
    # an initial assessment does not count; a comprehensive draft is where to continue
    records.assessment_save(case=case, by=worker, kind="initial", domains={}, risk="low")
    draft = records.assessment_save(
        case=case, by=worker, kind="comprehensive", domains={}, risk="high"
    )
    [missing] = services.transition_blockers(case=case, name="complete_assessment")
    assert missing.url == reverse("case_records:assessment_edit", args=[case.pk, draft.pk])
    assess(case, worker)
    assert codes(case, "complete_assessment") == []


def test_blockers_of_submit_plan(team):
    worker = team["worker"]
    case = register(team)
    move(case, "triage", worker, response="at_risk")
    move(case, "complete_assessment", worker)
    case.refresh_from_db()
    assert codes(case, "submit_plan") == ["plan_goals_missing", "plan_action_missing"]
    goals, action = services.transition_blockers(case=case, name="submit_plan")
    assert goals.url == reverse("case_records:plan", args=[case.pk])
    assert action.url == reverse("cases:detail", args=[case.pk]) + "#plan-action-new"
    write_plan(case, worker)
    assert codes(case, "submit_plan") == ["plan_action_missing"]
    cancelled = add_action(case, worker)
    PlanAction.objects.filter(pk=cancelled.pk).update(status="cancelled")
    assert codes(case, "submit_plan") == ["plan_action_missing"]
    add_action(case, worker)
    assert codes(case, "submit_plan") == []
    # moves that need nothing on the case
    for name in ("triage", "reject_plan", "request_closure", "void", "reopen"):
        assert codes(case, name) == []


def test_blockers_of_approve_plan_immediate_response_first(team):
    worker = team["worker"]
    case = register(team)
    move(case, "triage", worker, response="immediate")
    services.emergency_action_record(case=case, by=worker, kind="shelter", started=False)
    move(case, "complete_assessment", worker)
    case.refresh_from_db()
    write_plan(case, worker)
    add_action(case, worker)
    # an enrolment decided at a case conference (the page refuses to add one directly)
    PlanAction.objects.create(
        case=case,
        kind="enrolment",
        description="Pengajuan PKSA",
        responsible="Dinas Sosial",
        due_date=timezone.localdate(),
    )
    move(case, "submit_plan", worker)
    case.refresh_from_db()
    [blocker] = services.transition_blockers(case=case, name="approve_plan")
    assert blocker.code == "emergency_not_started"
    assert blocker.url == reverse("cases:detail", args=[case.pk]) + "#emergency"
    assert codes(case, "reject_plan") == []
    services.emergency_action_start(action=case.emergency_actions.get(), by=worker)
    assert codes(case, "approve_plan") == []


def test_transition_refused_with_the_blockers_messages_and_made_when_none(team):
    worker = team["worker"]
    case = register(team)
    move(case, "triage", worker, response="at_risk")
    move(case, "complete_assessment", worker)
    case.refresh_from_db()
    version = case.version
    with translation.override("en"):
        expected = [
            str(b.message) for b in services.transition_blockers(case=case, name="submit_plan")
        ]
        with pytest.raises(ValidationError) as refused:
            move(case, "submit_plan", worker, prepare=False)
        assert refused.value.messages == expected
    assert [e.code for e in refused.value.error_list] == [
        "plan_goals_missing",
        "plan_action_missing",
    ]
    case.refresh_from_db()
    assert (case.stage, case.version) == ("planning", version)
    assert not case.events.filter(kind="submit_plan").exists()
    write_plan(case, worker)
    add_action(case, worker)
    move(case, "submit_plan", worker, prepare=False)
    case.refresh_from_db()
    assert case.stage == "plan_review"


# --- The page ----------------------------------------------------------------------


def test_next_step_offered_only_when_it_can_succeed(client, team):
    worker = team["worker"]
    case = register(team)
    move(case, "triage", worker, response="at_risk")
    case.refresh_from_db()
    login(client, worker)
    url = f"/cases/{case.pk}/"

    page = client.get(url).text
    assert "complete_assessment" not in move_buttons(page)
    next_step = page[page.index('id="next-step"') :]
    assert "Complete the comprehensive assessment first." in next_step
    assert f'href="/cases/{case.pk}/assessments/new/"' in next_step
    # posting it anyway: refused with the same words, nothing moved
    refused = client.post(
        f"/cases/{case.pk}/transition/", {"name": "complete_assessment", "version": case.version}
    )
    assert refused.status_code == 400
    assert "Complete the comprehensive assessment first." in refused.text

    assess(case, worker)
    page = client.get(url).text
    assert "complete_assessment" in move_buttons(page)
    assert "Complete the comprehensive assessment first." not in page

    move(case, "complete_assessment", worker)
    page = client.get(url).text
    assert "submit_plan" not in move_buttons(page)
    assert "The plan needs at least one goal." in page
    assert f'href="/cases/{case.pk}/plan/"' in page
    assert f'href="/cases/{case.pk}/#plan-action-new"' in page
    # the link lands on the form, shown (not folded away) while the plan has no action
    assert '<div id="plan-action-new" class="add-record">' in section(page, "plan")
    case.refresh_from_db()
    write_plan(case, worker)
    add_action(case, worker)
    page = client.get(url).text
    assert "submit_plan" in move_buttons(page)
    assert "The plan needs at least" not in page
    assert '<details id="plan-action-new" class="add-record">' in section(page, "plan")


def test_supervisor_sees_why_approval_waits_and_owner_who_approves(client, team):
    worker, supervisor = team["worker"], team["supervisor"]
    case = register(team)
    move(case, "triage", worker, response="immediate")
    services.emergency_action_record(case=case, by=worker, kind="shelter", started=False)
    move(case, "complete_assessment", worker)
    case.refresh_from_db()
    write_plan(case, worker)
    add_action(case, worker)
    PlanAction.objects.create(
        case=case,
        kind="enrolment",
        description="Pengajuan PKSA",
        responsible="Dinas Sosial",
        due_date=timezone.localdate(),
    )
    move(case, "submit_plan", worker)
    login(client, supervisor)
    page = client.get(f"/cases/{case.pk}/").text
    assert "approve_plan" not in move_buttons(page)
    assert {"reject_plan", "void"} <= set(move_buttons(page))
    assert "Immediate response first" in page
    assert f'href="/cases/{case.pk}/#emergency"' in page

    login(client, worker)
    page = client.get(f"/cases/{case.pk}/").text
    assert move_buttons(page) == []
    assert "Waiting for approval by" in page and (supervisor.get_full_name() or "spv") in page


def test_sections_and_their_links(client, team):
    case = register(team)
    login(client, team["worker"])
    page = client.get(f"/cases/{case.pk}/").text
    nav = page[page.index('aria-label="Sections of the case"') :]
    nav = nav[: nav.index("</nav>")]
    assert re.findall(r'href="#([a-z]+)"', nav) == list(SECTIONS)
    for key in SECTIONS:
        assert f'<section id="{key}"' in page
    # notes are restricted: neither the section nor its link for a reader who may not see them
    login(client, team["other_worker"])
    page = client.get(f"/cases/{case.pk}/").text
    assert 'href="#notes"' not in page and '<section id="notes"' not in page
    assert 'href="#timeline"' in page and '<section id="timeline"' in page


def test_header_child_age_risk_stage_owner_due_and_overdue(client, team):
    worker = team["worker"]
    born = timezone.localdate() - timedelta(days=365 * 9 + 40)
    case = register(team, child=make_child("Dewi Lestari", birth=born))
    Case.objects.filter(pk=case.pk).update(stage_due_at=datetime(2030, 1, 15, 6, 35, tzinfo=UTC))
    login(client, worker)
    page = client.get(f"/cases/{case.pk}/").text
    header = page[
        page.index('data-testid="case-header"') : page.index(
            "</header>", page.index('data-testid="case-header"')
        )
    ]
    assert "Dewi Lestari" in header and "9 years" in header
    assert "risk not assessed yet" in header
    assert "registered, awaiting triage" in header
    assert "your case" in header
    assert "15 Jan 2030, 14.35 WITA" in header  # the worker works in Makassar
    assert "overdue" not in header

    move(case, "triage", worker, response="at_risk")
    assess(case, worker, risk="high")
    Case.objects.filter(pk=case.pk).update(stage_due_at=timezone.now() - timedelta(hours=3))
    login(client, team["supervisor"])
    page = client.get(f"/cases/{case.pk}/").text
    header = page[
        page.index('data-testid="case-header"') : page.index(
            "</header>", page.index('data-testid="case-header"')
        )
    ]
    assert "high risk" in header and "comprehensive assessment" in header
    assert "overdue" in header
    assert f"owner: {worker.get_full_name() or worker.get_username()}" in header


# --- The plan action appears where it was added ------------------------------------


def test_plan_action_added_appears_in_the_plan_section(client, team):
    worker = team["worker"]
    case = register(team)
    move(case, "triage", worker, response="at_risk")
    move(case, "complete_assessment", worker)
    login(client, worker)
    page = client.get(f"/cases/{case.pk}/").text
    assert 'id="plan-action-new"' in section(page, "plan")  # the form is in the plan section

    response = client.post(
        f"/cases/{case.pk}/plan-actions/",
        {
            "action-kind": "service",
            "action-description": "Konseling keluarga mingguan",
            "action-responsible": "Psikolog P2TP2A",
            "action-due_date": "2030-01-15",
        },
    )
    assert response.status_code == 302 and response.url.endswith(f"/cases/{case.pk}/#plan")
    page = client.get(response.url).text
    plan = section(page, "plan")
    assert "Konseling keluarga mingguan" in plan and "Psikolog P2TP2A" in plan
    assert 'id="plan-action-new"' in plan
    # nowhere else but the timeline's record of it
    for key in SECTIONS:
        if key not in {"plan", "timeline"}:
            assert "Konseling keluarga mingguan" not in section(page, key), key


def test_refused_plan_action_keeps_the_input_in_the_plan_section(client, team):
    worker = team["worker"]
    case = register(team)
    move(case, "triage", worker, response="immediate")
    move(case, "complete_assessment", worker)
    login(client, worker)
    response = client.post(
        f"/cases/{case.pk}/plan-actions/",
        {
            "action-kind": "enrolment",
            "action-description": "Daftarkan ke PKSA",
            "action-responsible": "Dinas Sosial",
            "action-due_date": "2030-01-15",
        },
    )
    assert response.status_code == 400
    plan = section(response.text, "plan")
    assert 'value="Daftarkan ke PKSA"' in plan
    assert '<div id="plan-action-new" class="add-record">' in plan


# --- The API -------------------------------------------------------------------------


def test_api_lists_moves_with_their_blockers(client, team):
    worker = team["worker"]
    case = register(team)
    move(case, "triage", worker, response="at_risk")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(f"/api/v1/cases/{case.pk}/", headers=bearer(worker)).json()
    [complete] = [t for t in body["transitions"] if t["name"] == "complete_assessment"]
    assert complete["allowed"] is False
    assert complete["blockers"] == [
        {
            "code": "assessment_incomplete",
            "message": "Complete the comprehensive assessment first.",
            "url": f"/cases/{case.pk}/assessments/new/",
        }
    ]
    assess(case, worker)
    body = client.get(f"/api/v1/cases/{case.pk}/", headers=bearer(worker)).json()
    [complete] = [t for t in body["transitions"] if t["name"] == "complete_assessment"]
    assert complete["allowed"] is True and complete["blockers"] == []
