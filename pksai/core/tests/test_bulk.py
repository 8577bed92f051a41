import polars as pl
import pytest

from pksai.areas.models import Area
from pksai.core.bulk import bulk_upsert


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
