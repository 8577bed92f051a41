import pytest

from pksai.areas.codes import ancestors_of, level_of, normalise_area_code, timezone_for_province


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("7371", "73.71"),
        ("73.71", "73.71"),
        ("73", "73"),
        ("737101", "73.71.01"),
        ("7371011001", "73.71.01.1001"),
        (" 73.71.01.1001 ", "73.71.01.1001"),
        ("737", None),
        ("73-71", None),
        ("", None),
        ("abcd", None),
    ],
)
def test_normalise_area_code(raw, expected):
    assert normalise_area_code(raw) == expected


def test_levels_and_ancestors():
    assert level_of("73") == 1
    assert level_of("73.71.01.1001") == 4
    assert ancestors_of("73.71.01") == ["73", "73.71"]


@pytest.mark.parametrize(
    ("province", "zone"),
    [
        ("73", "Asia/Makassar"),  # Sulawesi Selatan: Makassar and Gowa are WITA
        ("33", "Asia/Jakarta"),  # Jawa Tengah
        ("35", "Asia/Jakarta"),  # Jawa Timur
        ("51", "Asia/Makassar"),  # Bali
        ("61", "Asia/Jakarta"),  # Kalimantan Barat
        ("64", "Asia/Makassar"),  # Kalimantan Timur
        ("81", "Asia/Jayapura"),  # Maluku
        ("94", "Asia/Jayapura"),  # Papua Tengah
    ],
)
def test_timezone_for_province(province, zone):
    assert timezone_for_province(province) == zone
