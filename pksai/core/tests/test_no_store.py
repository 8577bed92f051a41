"""Cache-Control: no-store on every answer that may hold personal data (issue 22, point 10)."""

import pytest
from django.test import Client

from pksai.accounts.services import api_token_issue
from pksai.accounts.tests.factories import make_user


@pytest.mark.django_db
def test_pages_for_a_signed_in_user_are_never_stored(client, pilot_areas):
    client.force_login(make_user(roles=["coordinator"], scope=["73.71"]))
    for path in ("/", "/cases/", "/organisations/999999/"):  # a page, a list, a refusal
        response = client.get(path)
        assert response.status_code in (200, 404), path
        assert response["Cache-Control"] == "no-store", path
        assert response["Pragma"] == "no-cache", path


@pytest.mark.django_db
def test_api_answers_are_never_stored(pilot_areas):
    user = make_user(roles=["coordinator"], scope=["73.71"])
    _token, raw = api_token_issue(user=user, name="t", by=None)
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    for path, status in (("/api/v1/cases/", 200), ("/api/v1/cases/999999/", 404)):
        response = api.get(path)
        assert response.status_code == status
        assert response["Cache-Control"] == "no-store" and response["Pragma"] == "no-cache"
    # without a token: still under /api/, still not stored
    anonymous = Client().get("/api/v1/cases/")
    assert anonymous.status_code == 401 and anonymous["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_public_pages_without_a_session_are_left_alone(client):
    response = client.get("/pengaduan/")  # the public complaint form: no personal data
    assert response.status_code == 200
    assert "Cache-Control" not in response and "Pragma" not in response


@pytest.mark.django_db
def test_a_view_that_chose_its_cache_control_keeps_it(client, pilot_areas):
    client.force_login(make_user(roles=["coordinator"], scope=["73.71"]))
    response = client.get("/areas/suggest/?q=Mari")  # public reference data, kept a minute
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=60"
    assert response["Pragma"] == "no-cache"
