import pytest

from pksai.accounts.services import api_token_issue
from pksai.accounts.tests.factories import make_user
from pksai.areas.tests.factories import make_areas
from pksai.audit.models import AuditEvent
from pksai.registry.models import Person
from pksai.registry.services import registry_import
from pksai.registry.tests.test_import import GOOD, write_csv


@pytest.fixture
def people(pilot_areas, tmp_path):
    make_areas([("73.06.01.2001", "Bontonompo Desa")])
    gowa_row = GOOD[2].copy()
    gowa_row[0], gowa_row[2], gowa_row[10] = "G1", "7306012001", "Gowa Child"
    registry_import(path=write_csv(tmp_path / "e.csv", [*GOOD, gowa_row]), source="DTKS")
    return {p.name: p for p in Person.objects.all()}


def bearer(user):
    _token, raw = api_token_issue(user=user, name="t", by=None)
    return {"Authorization": f"Bearer {raw}"}


def test_list_is_scoped_and_audited(client, people):
    headers = bearer(make_user("mks", roles=["social_worker"], scope=["73.71"]))
    body = client.get("/api/v1/registry/people/", headers=headers).json()
    assert {p["name"] for p in body["items"]} == {"Daeng Baso", "Nur Aisyah", "Andi"}
    event = AuditEvent.objects.get(action="view", object_type="registry.person")
    assert event.actor_username == "mks"
    assert sorted(event.detail["ids"]) == sorted(p["id"] for p in body["items"])


def test_filters(client, people):
    headers = bearer(make_user(roles=["data_officer"], scope=["73"]))
    girls = client.get("/api/v1/registry/people/?sex=f", headers=headers).json()
    assert [p["name"] for p in girls["items"]] == ["Nur Aisyah"]
    flagged = client.get("/api/v1/registry/people/?flag=nik_missing", headers=headers).json()
    assert {p["name"] for p in flagged["items"]} == {"Andi", "Gowa Child"}
    gowa = client.get("/api/v1/registry/people/?area=7306", headers=headers).json()
    assert [p["name"] for p in gowa["items"]] == ["Gowa Child"]


def test_out_of_scope_person_is_404(client, people):
    headers = bearer(make_user(roles=["social_worker"], scope=["73.71"]))
    own = client.get(f"/api/v1/registry/people/{people['Andi'].pk}/", headers=headers)
    assert own.status_code == 200 and own.json()["village_code"] == "73.71.01.1001"
    other = client.get(f"/api/v1/registry/people/{people['Gowa Child'].pk}/", headers=headers)
    assert other.status_code == 404


def test_roles_without_person_access_are_refused(client, people):
    for role, scope in (("focal_person", ["73.71"]), ("auditor", ["73.71"])):
        response = client.get(
            "/api/v1/registry/people/", headers=bearer(make_user(roles=[role], scope=scope))
        )
        assert response.status_code == 403, role
    analyst = make_user(roles=["national_analyst"], national=True)
    assert client.get("/api/v1/registry/people/", headers=bearer(analyst)).status_code == 403


def test_households_scoped(client, people):
    headers = bearer(make_user(roles=["coordinator"], scope=["73.06"]))
    body = client.get("/api/v1/registry/households/", headers=headers).json()
    assert [h["registry_id"] for h in body["items"]] == ["G1"]
