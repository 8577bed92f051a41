import polars as pl
import pytest

from pksai.areas.models import Area
from pksai.core.bulk import bulk_update, bulk_upsert


@pytest.mark.django_db
def test_bulk_upsert_inserts_updates_and_keeps_nulls():
    frame = pl.DataFrame(
        {
            "code": ["91", "91.01"],
            "parent_id": [None, "91"],
            "level": [1, 2],
            "name": ["Papua", 'Kabupaten Merauke, "lama"'],
            "timezone": ["Asia/Jayapura"] * 2,
            "is_active": [True, True],
        }
    )
    args = {"table": "areas_area", "key": ["code"], "update": ["name"]}
    assert bulk_upsert(frame=frame, **args) == 2
    assert Area.objects.get(code="91").parent_id is None
    assert Area.objects.get(code="91.01").name == 'Kabupaten Merauke, "lama"'

    renamed = frame.with_columns(pl.col("name").str.to_uppercase())
    bulk_upsert(frame=renamed, **args)
    assert Area.objects.get(code="91").name == "PAPUA"
    assert Area.objects.count() == 2


@pytest.mark.django_db
def test_bulk_upsert_do_nothing_and_empty():
    frame = pl.DataFrame(
        {"code": ["92"], "level": [1], "name": ["Papua Barat"], "timezone": ["Asia/Jayapura"]}
    ).with_columns(is_active=pl.lit(True))
    bulk_upsert(table="areas_area", frame=frame, key=["code"], update=[])
    bulk_upsert(
        table="areas_area",
        frame=frame.with_columns(name=pl.lit("changed")),
        key=["code"],
        update=[],
    )
    assert Area.objects.get(code="92").name == "Papua Barat"
    assert bulk_upsert(table="areas_area", frame=frame.clear(), key=["code"], update=[]) == 0


@pytest.mark.django_db
def test_bulk_update_sets_columns_of_matching_rows_only():
    frame = pl.DataFrame(
        {
            "code": ["93", "94"],
            "level": [1, 1],
            "name": ["A", "B"],
            "timezone": ["Asia/Jakarta"] * 2,
        }
    ).with_columns(is_active=pl.lit(True))
    bulk_upsert(table="areas_area", frame=frame, key=["code"], update=[])
    changes = pl.DataFrame(
        {"code": ["94", "99"], "name": ["Banten", "nowhere"], "is_active": [False, True]}
    )
    assert bulk_update(table="areas_area", frame=changes, key="code") == 2
    assert Area.objects.get(code="93").name == "A"
    banten = Area.objects.get(code="94")
    assert (banten.name, banten.is_active) == ("Banten", False)
    assert not Area.objects.filter(code="99").exists()
    assert bulk_update(table="areas_area", frame=changes.clear(), key="code") == 0
