"""The retention page and API: who may see them, holds placed and released inside the user's
areas only (a hold elsewhere is a 404, audited like a missing id), the schedule as dated
data, the scheduler's once-a-day claim."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from pksai.accounts.tests.factories import make_user
from pksai.api.tests.helpers import bearer, english_messages  # noqa: F401  (autouse)
from pksai.audit.models import AuditEvent
from pksai.cases.tests.factories import register
from pksai.retention import services
from pksai.retention.models import Kind, LegalHold, RetentionRule


@pytest.fixture
def team(pilot_areas):
    return {
        "staff": make_user(roles=("registration_staff",)),
        "worker": make_user(roles=("social_worker",)),
        "supervisor": make_user(roles=("supervisor",)),
        "admin": make_user(roles=("administrator",)),
        "gowa_admin": make_user(roles=("administrator",), scope=("73.06",)),
        "auditor": make_user(roles=("auditor",)),
    }


def test_page_for_administrators_not_for_social_workers(client, team):
    client.force_login(team["worker"])
    assert client.get("/retention/").status_code == 403
    client.force_login(team["admin"])
    page = client.get("/retention/")
    assert page.status_code == 200
    assert b'id="due-case_closed"' in page.content
    client.force_login(team["auditor"])
    page = client.get("/retention/")
    assert page.status_code == 200
    assert (
        b'action="/retention/holds/"' not in page.content
        and "Place a hold" not in page.content.decode()
    )


def test_hold_placed_and_released_in_scope_only(client, team):
    case = register(team)
    client.force_login(team["gowa_admin"])
    refused = client.post(
        "/retention/holds/",
        {"target": "case", "case_number": case.number, "reason": "Sidang"},
    )
    assert refused.status_code == 400
    assert not LegalHold.objects.exists()

    client.force_login(team["admin"])
    placed = client.post(
        "/retention/holds/",
        {"target": "case", "case_number": case.number, "reason": "Sidang anak"},
    )
    assert placed.status_code == 302
    hold = LegalHold.objects.get()
    assert (hold.case, hold.area_id, hold.created_by) == (case, case.area_id, team["admin"])
    assert AuditEvent.objects.filter(
        action="create", object_type="retention.legalhold", object_id=str(hold.pk)
    ).exists()

    client.force_login(team["gowa_admin"])
    other = client.post(f"/retention/holds/{hold.pk}/release/", {"reason": "x"})
    missing = client.post("/retention/holds/2000000000/release/", {"reason": "x"})
    assert other.status_code == missing.status_code == 404
    assert AuditEvent.objects.filter(
        action="permission_denied", object_type="retention.legalhold", object_id=str(hold.pk)
    ).exists()

    client.force_login(team["admin"])
    assert client.post(f"/retention/holds/{hold.pk}/release/", {"reason": ""}).status_code == 400
    released = client.post(f"/retention/holds/{hold.pk}/release/", {"reason": "Putusan"})
    assert released.status_code == 302
    hold.refresh_from_db()
    assert hold.released_by == team["admin"] and hold.release_reason == "Putusan"
    again = client.post(f"/retention/holds/{hold.pk}/release/", {"reason": "Lagi"})
    assert again.status_code == 400
    with pytest.raises(ValidationError):
        services.legal_hold_release(by=team["admin"], hold=hold, reason="Lagi")


def test_area_hold_needs_the_area_in_scope(team):
    with pytest.raises(Exception, match="scope"):
        services.legal_hold_place(
            by=team["gowa_admin"], target="area", area_code="73.71", reason="Audit"
        )
    hold = services.legal_hold_place(
        by=team["admin"], target="area", area_code="73.71.01", reason="Audit"
    )
    assert services.active_holds().area_codes == {"73.71.01"}
    assert hold.target_label == "73.71.01"


def test_rule_in_force_is_the_latest_valid_one(team):
    shipped = services.rules_in_force()[Kind.CASE_CLOSED]
    assert shipped.months == 60 and shipped.legal_basis_en
    today = timezone.localdate()
    RetentionRule.objects.create(
        kind=Kind.CASE_CLOSED, months=84, legal_basis_id="Baru", valid_from=today
    )
    RetentionRule.objects.create(
        kind=Kind.CASE_CLOSED, months=12, legal_basis_id="Nanti", valid_from=today + timedelta(1)
    )
    assert services.rules_in_force()[Kind.CASE_CLOSED].months == 84
    assert services.rules_in_force(on=today + timedelta(1))[Kind.CASE_CLOSED].months == 12
    assert services.rules_in_force(on=date(2024, 1, 1)) == {}


def test_scheduler_claims_one_run_a_day(team, settings):
    now = timezone.now()
    settings.RETENTION_EVERY_HOURS = 24
    assert services.retention_claim(now=now) is True  # the clock the migration set is due
    assert services.retention_claim(now=now) is False
    assert services.retention_claim(now=now + timedelta(hours=23)) is False
    assert services.retention_claim(now=now + timedelta(hours=24)) is True
    settings.RETENTION_EVERY_HOURS = 0
    assert services.retention_claim(now=now + timedelta(days=10)) is False


def test_api_schedule_holds_and_refusals(client, team):
    case = register(team)
    answer = client.get("/api/v1/retention/schedule", headers=bearer(team["admin"]))
    assert answer.status_code == 200
    assert {row["kind"] for row in answer.json()} == set(Kind.values)
    assert (
        client.get("/api/v1/retention/schedule", headers=bearer(team["worker"])).status_code == 403
    )
    placed = client.post(
        "/api/v1/retention/holds",
        json.dumps({"target": "case", "case_number": case.number, "reason": "Sidang"}),
        content_type="application/json",
        headers=bearer(team["admin"]),
    )
    assert placed.status_code == 201, placed.content
    hold_id = placed.json()["id"]
    assert placed.json()["held"] == case.number
    listed = client.get("/api/v1/retention/holds", headers=bearer(team["admin"]))
    assert [h["id"] for h in listed.json()["items"]] == [hold_id]
    refused = client.post(
        f"/api/v1/retention/holds/{hold_id}/release",
        json.dumps({"reason": "x"}),
        content_type="application/json",
        headers=bearer(team["gowa_admin"]),
    )
    assert refused.status_code == 404
    released = client.post(
        f"/api/v1/retention/holds/{hold_id}/release",
        json.dumps({"reason": "Putusan"}),
        content_type="application/json",
        headers=bearer(team["admin"]),
    )
    assert released.status_code == 200 and released.json()["released_at"]
    runs = client.get("/api/v1/retention/runs", headers=bearer(team["auditor"]))
    assert runs.status_code == 200 and runs.json() == []
