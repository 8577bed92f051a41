"""The field API for program work (facilitation visits, compliance records) and outreach
results: the owning services' rules hold over the API."""

import uuid
from datetime import date, timedelta

import pytest
from django.utils import timezone

from pksai.accounts.tests.factories import make_user
from pksai.api.tests.helpers import bearer, english_messages  # noqa: F401  (autouse)
from pksai.audit.models import AuditEvent
from pksai.cases.tests.factories import make_child, register
from pksai.programs.models import (
    Beneficiary,
    BenefitRule,
    ComplianceRecord,
    FacilitationVisit,
    Program,
)
from pksai.programs.tests.factories import make_person
from pksai.vulnerability.models import OutreachResult, Score
from pksai.vulnerability.outreach import latest_outcomes
from pksai.vulnerability.services import ruleset_ensure_default

API = "/api/v1/field/"


def post(client, path, user, body):
    return client.post(API + path, body, content_type="application/json", headers=bearer(user))


def patch(client, path, user, body):
    return client.patch(API + path, body, content_type="application/json", headers=bearer(user))


def get(client, path, user):
    return client.get(API + path, headers=bearer(user))


@pytest.fixture
def child_beneficiary(team):
    pksa = Program.objects.get(code="pksa")
    return Beneficiary.objects.create(
        program=Program.objects.get(code="pks_anjal"),
        person=make_person("Anak PKSA", birth=date(2014, 1, 1)),
        area_id="73.71.01.1001",
        start_date=date(2025, 1, 1),
        benefit_rule=BenefitRule.objects.get(program=pksa),
        facilitator=team["worker"],
    )


@pytest.mark.django_db
def test_facilitation_visits_by_the_facilitator_only(client, team, child_beneficiary):
    body = {
        "client_id": str(uuid.uuid4()),
        "beneficiary": child_beneficiary.pk,
        "visited_on": str(timezone.localdate()),
        "topics": ["family_health"],
        "notes": "Sehat.",
    }
    r = post(client, "facilitation-visits/", team["worker"], body)
    assert r.status_code == 201, r.content
    assert post(client, "facilitation-visits/", team["worker"], body).status_code == 200
    assert FacilitationVisit.objects.count() == 1
    # another worker of the area neither sees the beneficiary nor logs a visit
    other = post(
        client,
        "facilitation-visits/",
        team["other_worker"],
        {**body, "client_id": str(uuid.uuid4())},
    )
    assert other.status_code == 404
    assert AuditEvent.objects.filter(
        action="permission_denied", object_id=str(child_beneficiary.pk)
    ).exists()
    visit = r.json()
    u = patch(
        client,
        f"facilitation-visits/{visit['id']}/",
        team["worker"],
        {"version": 1, "changes": {"topics": ["family_health", "school"]}},
    )
    assert u.status_code == 200, u.content
    assert FacilitationVisit.objects.get().topics == ["family_health", "school"]
    assert (
        get(client, f"facilitation-visits/{visit['id']}/", team["other_worker"]).status_code == 404
    )
    # the supervisor reads the area's visits (programs.view_beneficiary)
    assert get(client, f"facilitation-visits/{visit['id']}/", team["supervisor"]).status_code == 200


@pytest.mark.django_db
def test_compliance_records_created_and_corrected_with_a_version(client, team, child_beneficiary):
    month = str(timezone.localdate().replace(day=1))
    body = {
        "client_id": str(uuid.uuid4()),
        "beneficiary": child_beneficiary.pk,
        "condition": "school_attendance",
        "month": month,
        "met": False,
        "notes": "Tidak masuk 5 hari.",
    }
    r = post(client, "compliance-records/", team["worker"], body)
    assert r.status_code == 201, r.content
    record = r.json()
    assert (record["met"], record["version"]) == (False, 1)
    base = {"met": False, "notes": "Tidak masuk 5 hari."}
    first = patch(
        client,
        f"compliance-records/{record['id']}/",
        team["worker"],
        {"version": 1, "changes": {"met": True}, "base": base},
    )
    assert first.status_code == 200
    # an officer's change of the notes made on version 1 still lands (another field)
    officer = make_user("po", roles=["program_officer"], scope=["73.71"])
    second = patch(
        client,
        f"compliance-records/{record['id']}/",
        officer,
        {"version": 1, "changes": {"notes": "Surat dokter."}, "base": base},
    )
    assert second.status_code == 200, second.content
    saved = ComplianceRecord.objects.get()
    assert (saved.met, saved.notes, saved.version) == (True, "Surat dokter.", 3)
    unknown = post(
        client,
        "compliance-records/",
        team["worker"],
        {**body, "client_id": str(uuid.uuid4()), "condition": "nope"},
    )
    assert unknown.status_code == 400


@pytest.fixture
def listed_child(team):
    child = make_child("Sari")
    ruleset = ruleset_ensure_default()
    Score.objects.create(
        person=child,
        identity=child.identity,
        ruleset=ruleset,
        village_id=child.village_id,
        sex="F",
        age=12,
        scored_at=timezone.now(),
        criteria_count=3,
        pmt_score=20,
        risk_level="high",
    )
    return child


@pytest.mark.django_db
def test_outreach_results_on_the_outreach_list(client, team, listed_child):
    body = {
        "client_id": str(uuid.uuid4()),
        "person": listed_child.pk,
        "outcome": "not_found",
        "visited_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "note": "Rumah kosong.",
    }
    r = post(client, "outreach-results/", team["worker"], body)
    assert r.status_code == 201, r.content
    result = OutreachResult.objects.get()
    assert (result.village_id, result.worker, result.note) == (
        "73.71.01.1001",
        team["worker"],
        "Rumah kosong.",
    )
    # a case opened for the child: the outcome corrected with the case
    case = register(team, child=listed_child)
    u = patch(
        client,
        f"outreach-results/{result.pk}/",
        team["worker"],
        {"version": 1, "changes": {"outcome": "case_opened", "case": case.pk}},
    )
    assert u.status_code == 200, u.content
    assert (
        latest_outcomes(user=team["supervisor"], persons=[listed_child.pk])[listed_child.pk].case
        == case
    )
    # the case of another child is refused
    other = register(team, child=make_child("Lain"))
    bad = patch(
        client,
        f"outreach-results/{result.pk}/",
        team["worker"],
        {"version": 2, "changes": {"case": other.pk}},
    )
    assert bad.status_code == 400
    # a person not on the list
    unlisted = make_child("Tidak terdaftar")
    r = post(
        client,
        "outreach-results/",
        team["worker"],
        {**body, "client_id": str(uuid.uuid4()), "person": unlisted.pk},
    )
    assert r.status_code == 400
    # outside the worker's area
    r = post(
        client, "outreach-results/", team["gowa_worker"], {**body, "client_id": str(uuid.uuid4())}
    )
    assert r.status_code == 404
