"""Area.title: the name as people write it, the kind once."""

import pytest

from pksai.accounts.tests.factories import make_user
from pksai.areas.models import Area


@pytest.mark.parametrize(
    ("code", "level", "name", "title"),
    [
        ("73", Area.Level.PROVINCE, "Sulawesi Selatan", "Sulawesi Selatan"),
        ("73.71", Area.Level.REGENCY, "Kota Makassar", "Kota Makassar"),
        ("73.06", Area.Level.REGENCY, "Kabupaten Gowa", "Kabupaten Gowa"),
        ("73.06", Area.Level.REGENCY, "Gowa", "Kabupaten Gowa"),
        ("73.71.01", Area.Level.DISTRICT, "Mariso", "Kecamatan Mariso"),
        ("73.71.01", Area.Level.DISTRICT, "Kecamatan Mariso", "Kecamatan Mariso"),
        ("73.71.01.1001", Area.Level.VILLAGE, "Bontorannu", "Kelurahan Bontorannu"),
        ("33.10.01.2001", Area.Level.VILLAGE, "Sengon", "Desa Sengon"),
        ("33.10.01.2001", Area.Level.VILLAGE, "Desa Sengon", "Desa Sengon"),
    ],
)
def test_title_names_the_kind_once(code, level, name, title):
    assert Area(code=code, level=level, name=name).title == title


def test_the_area_page_heading_says_kota_once(client, pilot_areas):
    client.force_login(make_user(roles=["coordinator"], scope=["73.71"]))
    page = client.get("/areas/73.71/").content.decode()
    assert "<h1>Kota Makassar <small>" in page
    assert "Kota Kota" not in page
