import pytest

from pksai.accounts.services import api_token_issue
from pksai.accounts.tests.factories import make_user


def test_openapi_schema(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/areas/" in schema["paths"]
    assert "/api/v1/organisations/{pk}/" in schema["paths"]
    assert "TokenAuth" in schema["components"]["securitySchemes"]


def test_docs_served_with_vendored_assets(client, db):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in page.text


@pytest.mark.parametrize("path", ["/api/v1/areas/", "/api/v1/me/", "/api/v1/organisations/"])
def test_every_endpoint_refuses_anonymous(client, db, path):
    assert client.get(path).status_code == 401


def test_me_reports_roles_and_scope(client, pilot_areas):
    user = make_user("me", roles=["coordinator"], scope=["73.71"])
    _t, raw = api_token_issue(user=user, name="t", by=None)
    body = client.get("/api/v1/me/", headers={"Authorization": f"Bearer {raw}"}).json()
    assert (
        body["roles"] == [{"slug": "coordinator", "label": "Koordinator"}]
        or body["roles"][0]["slug"] == "coordinator"
    )
    assert body["scope"] == ["73.71"] and body["national"] is False
    assert body["timezone"] == "Asia/Makassar"


def test_issue_token_command(pilot_areas, capsys):
    from django.core.management import call_command

    make_user("integ", roles=["data_officer"], scope=["73.71"])
    call_command("issue_token", "integ", "--name", "dukcapil")
    raw = capsys.readouterr().out.strip()
    assert raw.startswith("pksai_")
