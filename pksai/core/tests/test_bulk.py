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


@pytest.mark.django_db(transaction=True)
def test_reserved_ids_are_fresh_and_bulk_insert_writes_rows_with_them():
    from django.db import transaction

    from pksai.core.bulk import bulk_insert, query_frame, reserve_ids
    from pksai.registry.models import Identity

    Identity.objects.create()
    taken = Identity.objects.create().pk
    with transaction.atomic():
        ids = reserve_ids(table="registry_identity", count=3)
        assert ids.len() == 3 and ids.n_unique() == 3 and ids.min() > taken
        now = "2026-01-01T00:00:00+00:00"
        frame = pl.DataFrame({"id": ids, "in_registry": [True, False, True]}).with_columns(
            pl.lit(now).str.to_datetime(time_zone="UTC").alias("created_at"),
            pl.lit(now).str.to_datetime(time_zone="UTC").alias("updated_at"),
        )
        assert bulk_insert(table="registry_identity", frame=frame) == 3
    # The ORM's next row does not collide with the reserved ones.
    assert Identity.objects.create().pk not in ids.to_list()
    assert sorted(Identity.objects.filter(in_registry=False).values_list("pk", flat=True)) == [
        ids[1]
    ]
    read = query_frame(
        "SELECT id, in_registry FROM registry_identity WHERE id >= %s ORDER BY id",
        [ids.min()],
        {"id": pl.Int64, "in_registry": pl.Boolean},
    )
    assert read["id"].to_list()[:3] == ids.to_list()
    assert read["in_registry"].to_list()[:3] == [True, False, True]
    assert reserve_ids(table="registry_identity", count=0).len() == 0
