import pytest
from django.conf import settings

from pksai.accounts.services import api_token_issue, api_token_revoke
from pksai.accounts.tests.factories import make_user


@pytest.fixture
def token(pilot_areas):
    user = make_user("integration", roles=["data_officer"], scope=["73.71"])
    _token, raw = api_token_issue(user=user, name="test", by=None)
    return raw


def get(client, url, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(url, headers=headers)


def test_area_by_code_without_dots(client, token):
    response = get(client, "/api/v1/areas/?code=7371", token)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["items"][0] == {
        "code": "73.71",
        "name": "Kota Makassar",
        "level": 2,
        "level_name": "regency",
        "parent_code": "73",
        "timezone": "Asia/Makassar",
        "is_active": True,
    }


def test_without_token_is_401_json(client, pilot_areas):
    response = get(client, "/api/v1/areas/?code=7371")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert "Bearer" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_wrong_or_revoked_token_is_401(client, pilot_areas):
    user = make_user(roles=["data_officer"])
    token, raw = api_token_issue(user=user, name="t", by=None)
    assert get(client, "/api/v1/areas/", raw).status_code == 200
    assert get(client, "/api/v1/areas/", raw + "x").status_code == 401
    api_token_revoke(token=token, by=None)
    assert get(client, "/api/v1/areas/", raw).status_code == 401


def test_filters_parent_level_and_search(client, token):
    children = get(client, "/api/v1/areas/?parent=73", token).json()
    assert [a["code"] for a in children["items"]] == ["73.06", "73.71"]
    villages = get(client, "/api/v1/areas/?level=village", token).json()
    assert [a["code"] for a in villages["items"]] == ["73.71.01.1001"]
    by_level_number = get(client, "/api/v1/areas/?level=2", token).json()
    assert by_level_number["count"] == 3
    search = get(client, "/api/v1/areas/?q=makas", token).json()
    assert [a["code"] for a in search["items"]] == ["73.71"]
    assert get(client, "/api/v1/areas/?code=99999", token).json()["count"] == 0


def test_pagination(client, token):
    page = get(client, "/api/v1/areas/?page_size=2&page=2", token).json()
    assert page["count"] == 9
    assert len(page["items"]) == 2


def test_area_detail_and_unknown_is_json_404(client, token):
    assert get(client, "/api/v1/areas/737101/", token).json()["name"] == "Mariso"
    response = get(client, "/api/v1/areas/99.99/", token)
    assert response.status_code == 404
    assert response.json() == {"detail": "Tidak ditemukan."}  # Indonesian by default
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert get(client, "/api/v1/areas/99.99/", token).json() == {"detail": "Not found."}
    assert get(client, "/api/v1/no-such-endpoint/", token).json() == {"detail": "Not found."}
