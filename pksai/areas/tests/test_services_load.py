import gzip
from pathlib import Path

import pytest
from django.core.management import call_command

from pksai.areas.models import Area
from pksai.areas.services import areas_load


@pytest.mark.django_db
def test_load_all_official_areas_twice_changes_nothing():
    first = areas_load()
    counts = {lvl: Area.objects.filter(level=lvl).count() for lvl in Area.Level.values}
    assert counts[Area.Level.PROVINCE] >= 34
    assert counts[Area.Level.REGENCY] >= 500
    assert counts[Area.Level.DISTRICT] >= 7000
    assert counts[Area.Level.VILLAGE] >= 80_000
    assert first.created == sum(counts.values())

    second = areas_load()
    assert (second.created, second.updated, second.retired) == (0, 0, 0)
    assert second.unchanged == first.read
    assert {lvl: Area.objects.filter(level=lvl).count() for lvl in Area.Level.values} == counts

    makassar = Area.objects.get(code="73.71")
    assert makassar.name == "Kota Makassar"
    assert makassar.parent_id == "73"
    assert makassar.timezone == "Asia/Makassar"
    assert Area.objects.get(code="73.06").name == "Kabupaten Gowa"
    assert Area.objects.get(code="33.72").timezone == "Asia/Jakarta"
    assert Area.objects.filter(parent_id="73.71", level=Area.Level.DISTRICT).count() == 15


def _write(dir_: Path, name: str, text: str) -> None:
    with gzip.open(dir_ / name, "wt", encoding="utf-8") as f:
        f.write(text)


@pytest.mark.django_db
def test_renamed_area_is_updated_and_missing_code_retired(tmp_path):
    _write(tmp_path, "provinces.csv.gz", "code,name\n73,Sulawesi Selatan\n")
    _write(
        tmp_path,
        "regencies.csv.gz",
        "code,province_code,name\n73.71,73,Kota Makassar\n73.06,73,Kabupaten Gowa\n",
    )
    _write(tmp_path, "districts.csv.gz", "code,regency_code,name\n73.71.01,73.71,Mariso\n")
    _write(
        tmp_path, "villages.csv.gz", "code,district_code,name\n73.71.01.1001,73.71.01,Bontorannu\n"
    )
    assert areas_load(data_dir=tmp_path).created == 5

    _write(tmp_path, "regencies.csv.gz", "code,province_code,name\n73.71,73,KOTA MAKASSAR\n")
    result = areas_load(data_dir=tmp_path)
    assert (result.created, result.updated, result.retired) == (0, 1, 1)
    assert Area.objects.get(code="73.71").name == "KOTA MAKASSAR"
    gowa = Area.objects.get(code="73.06")  # kept (records may point to it), but inactive
    assert gowa.is_active is False


def test_load_areas_command_if_empty_does_nothing_when_loaded(pilot_areas, capsys):
    before = Area.objects.count()
    call_command("load_areas", "--if-empty")
    assert Area.objects.count() == before
    assert "nothing to do" in capsys.readouterr().out
