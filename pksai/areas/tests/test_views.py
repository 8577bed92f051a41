import pytest

from pksai.accounts.tests.factories import make_user


@pytest.fixture
def signed_in(client, pilot_areas):
    client.force_login(make_user(roles=["social_worker"]))
    return client


def test_browse_provinces_then_children(signed_in):
    top = signed_in.get("/areas/")
    assert top.status_code == 200
    content = top.text.split('<main class="container" id="main"')[1]  # not the header's place
    assert "Sulawesi Selatan" in content and "Kota Makassar" not in content
    province = signed_in.get("/areas/73/")
    assert "Kota Makassar" in province.text and "Kabupaten Gowa" in province.text


def test_search_by_name_and_code(signed_in):
    assert "Kota Makassar" in signed_in.get("/areas/?q=makassar").text
    by_code = signed_in.get("/areas/?q=7371", headers={"HX-Request": "true"})
    assert "Kota Makassar" in by_code.text
    assert "<html" not in by_code.text  # htmx gets only the rows


def test_unknown_area_is_404(signed_in):
    assert signed_in.get("/areas/99/").status_code == 404


def test_requires_login(client, pilot_areas):
    response = client.get("/areas/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
