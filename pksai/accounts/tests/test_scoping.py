"""The denials: a record outside the user's area scope is a 404 in the UI and the API."""

import pytest

from pksai.accounts.models import Organisation
from pksai.accounts.scoping import Scope, scope_for
from pksai.accounts.services import api_token_issue
from pksai.accounts.tests.factories import OrganisationFactory, make_user
from pksai.audit.models import AuditEvent


@pytest.fixture
def orgs(pilot_areas):
    return {
        "makassar": OrganisationFactory(name="Sekretariat Makassar", area_id="73.71"),
        "mariso": OrganisationFactory(name="Puskesmas Mariso", area_id="73.71.01"),
        "gowa": OrganisationFactory(name="Sekretariat Gowa", area_id="73.06"),
        "surakarta": OrganisationFactory(name="Sekretariat Surakarta", area_id="33.72"),
    }


def bearer(user):
    _token, raw = api_token_issue(user=user, name="t", by=None)
    return {"Authorization": f"Bearer {raw}"}


def test_scope_covers_descendants_only():
    scope = Scope(national=False, area_codes=("73.71",))
    assert scope.covers("73.71") and scope.covers("73.71.01.1001")
    assert not scope.covers("73.06") and not scope.covers("73") and not scope.covers("73.710")
    assert Scope(national=True, area_codes=()).covers("33.72")


def test_scope_drops_codes_covered_by_an_ancestor(pilot_areas):
    user = make_user(scope=["73.71.01", "73", "33.72"])
    assert scope_for(user).area_codes == ("33.72", "73")


def test_makassar_user_gets_404_for_gowa_object_in_view(client, orgs):
    client.force_login(make_user(scope=["73.71"]))
    assert client.get(f"/organisations/{orgs['makassar'].pk}/").status_code == 200
    assert client.get(f"/organisations/{orgs['mariso'].pk}/").status_code == 200
    response = client.get(f"/organisations/{orgs['gowa'].pk}/")
    assert response.status_code == 404
    # Out of scope and non-existent look the same.
    assert client.get("/organisations/999999/").status_code == 404


def test_makassar_user_gets_404_for_gowa_object_in_api(client, orgs):
    headers = bearer(make_user(scope=["73.71"]))
    ok = client.get(f"/api/v1/organisations/{orgs['makassar'].pk}/", headers=headers)
    assert ok.status_code == 200 and ok.json()["area_code"] == "73.71"
    denied = client.get(f"/api/v1/organisations/{orgs['gowa'].pk}/", headers=headers)
    assert denied.status_code == 404
    assert denied.json() == {"detail": "Not found."}


def test_out_of_scope_attempt_is_audited(client, orgs):
    client.force_login(make_user("mks", scope=["73.71"]))
    client.get(f"/organisations/{orgs['gowa'].pk}/")
    event = AuditEvent.objects.get(action="permission_denied")
    assert event.actor_username == "mks"
    assert event.object_type == "accounts.organisation"
    assert event.object_id == str(orgs["gowa"].pk)


def test_lists_show_only_the_scope(client, orgs):
    client.force_login(make_user(scope=["73.71"]))
    page = client.get("/organisations/").text
    assert "Sekretariat Makassar" in page and "Puskesmas Mariso" in page
    assert "Sekretariat Gowa" not in page and "Sekretariat Surakarta" not in page
    api = client.get("/api/v1/organisations/", headers=bearer(make_user(scope=["73"]))).json()
    assert {o["name"] for o in api["items"]} == {
        "Sekretariat Makassar",
        "Puskesmas Mariso",
        "Sekretariat Gowa",
    }


def test_national_user_sees_everything(client, orgs):
    headers = bearer(make_user(roles=["national_analyst"], national=True))
    body = client.get("/api/v1/organisations/", headers=headers).json()
    assert body["count"] == Organisation.objects.count()


def test_user_without_scope_sees_nothing(client, orgs):
    user = make_user(scope=["73.71"])
    user.scope_areas.clear()
    client.force_login(user)
    assert client.get(f"/organisations/{orgs['makassar'].pk}/").status_code == 404


def test_role_without_permission_is_denied_and_audited(client, orgs):
    focal = make_user("focal", roles=["focal_person"], scope=["73.71"])
    client.force_login(focal)
    assert client.get("/organisations/").status_code == 403
    response = client.get("/api/v1/organisations/", headers=bearer(focal))
    assert response.status_code == 403
    assert (
        AuditEvent.objects.filter(action="permission_denied", actor_username="focal").count() == 2
    )
