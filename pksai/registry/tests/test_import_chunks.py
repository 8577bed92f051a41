"""Large extracts: checked and written in parts of whole households, the same result as one
part; an import stopped half-way says how far it got, counts nobody twice and retires nobody,
and importing the same file again finishes it."""

from datetime import date

import polars as pl
import pytest
from django.utils import translation

from pksai.registry import services
from pksai.registry.importer import read_extract, validate
from pksai.registry.models import Household, Identity, ImportBatch, LinkCandidate, Person
from pksai.registry.services import error_report_file, recover_stale_batches, registry_import
from pksai.registry.synth import synth_registry
from pksai.registry.tests.test_api import bearer

pytestmark = pytest.mark.django_db

VILLAGE = "73.71.01.1001"
TODAY = date(2026, 6, 1)


def _edition_1() -> pl.DataFrame:
    frame = synth_registry(village_codes=[VILLAGE], households=40, seed=5, today=TODAY)
    # Whole-file checks: a NIK two households share, a repeated person key, a household whose
    # second row disagrees with its first, a row with a bad date.
    nik = frame["nik"][0]
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == frame.height - 1)
        .then(pl.lit(nik))
        .otherwise(pl.col("nik"))
        .alias("nik"),
        pl.when(pl.int_range(pl.len()) == 1)
        .then(pl.lit("JL. LAIN"))
        .otherwise(pl.col("address"))
        .alias("address"),
        pl.when(pl.int_range(pl.len()) == 7)
        .then(pl.lit("31-31-2001"))
        .otherwise(pl.col("birth_date"))
        .alias("birth_date"),
    )
    return pl.concat([frame, frame.slice(4, 1)])


def _edition_2(first: pl.DataFrame) -> pl.DataFrame:
    """Five households gone, one name corrected, three new households."""
    households = first["household_id"].unique(maintain_order=True).to_list()
    kept = first.filter(~pl.col("household_id").is_in(households[:5]))
    kept = kept.with_columns(
        pl.when(pl.int_range(pl.len()) == 3)
        .then(pl.col("name") + " Baru")
        .otherwise(pl.col("name"))
        .alias("name")
    )
    new = synth_registry(village_codes=[VILLAGE], households=3, seed=9, today=TODAY)
    return pl.concat([kept, new.with_columns(("N" + pl.col("household_id")).alias("household_id"))])


def _write(frame: pl.DataFrame, path) -> str:
    frame.write_csv(path)
    return str(path)


def _state() -> dict:
    people = sorted(
        Person.objects.values_list(
            "household_key",
            "person_key",
            "name",
            "in_registry",
            "edition",
            "retired_edition",
            "dq_flags",
            "row_hash",
            "source_row",
        )
    )
    groups = sorted(
        sorted(Person.objects.filter(identity=i).values_list("household_key", "person_key"))
        for i in Identity.objects.all()
    )
    return {"people": people, "identities": groups, "households": Household.objects.count()}


def _forget_everything() -> None:
    LinkCandidate.objects.all().delete()
    Identity.objects.update(primary=None)
    Person.objects.all().delete()
    Identity.objects.all().delete()
    Household.objects.all().delete()
    ImportBatch.objects.all().delete()


def test_parts_give_what_the_whole_file_gives(pilot_areas, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path)
    path = _write(_edition_1(), tmp_path / "e1.csv")
    whole = validate(
        read_extract(path),
        villages=pl.Series([VILLAGE]),
        today=TODAY,
    )
    batch = services._registry_import(
        path=path, source="DTKS-2026-03", rows_per_chunk=20, score="no"
    )
    assert batch.chunks > 4 and batch.chunks_done == batch.chunks
    assert (batch.rows_read, batch.rows_accepted, batch.rows_rejected) == (
        whole.rows_read,
        whole.good.height,
        whole.rejected_rows,
    )
    assert batch.warnings == whole.warnings
    stored = pl.DataFrame(
        list(Person.objects.values_list("source_row", "person_key", "dq_flags")),
        schema=["__row", "person_id", "dq_flags"],
        orient="row",
    ).sort("__row")
    expected = whole.good.select("__row", "person_id", "dq_flags").sort("__row")
    assert stored.equals(expected)
    assert stored["dq_flags"].str.contains("nik_duplicate").sum() == 2
    assert stored["dq_flags"].str.contains("household_conflict").sum() == 1
    with error_report_file(batch) as report:
        written = pl.read_csv(report, infer_schema=False)
    assert written.height == whole.errors.height
    assert written["row"].cast(pl.Int64).to_list() == whole.errors["row"].to_list()


@pytest.fixture
def english():
    """These tests read the batch's messages, written in the language active at the time."""
    with translation.override("en"):
        yield


@pytest.mark.usefixtures("english")
def test_a_stopped_import_says_how_far_it_got_and_the_same_file_finishes_it(
    pilot_areas, tmp_path, monkeypatch
):
    first = _edition_1()
    e1 = _write(first, tmp_path / "e1.csv")
    e2 = _write(_edition_2(first), tmp_path / "e2.csv")

    # A clean import of both editions, to compare with.
    services._registry_import(path=e1, source="DTKS-2026-03", rows_per_chunk=30, score="no")
    clean = services._registry_import(path=e2, source="DTKS-2026-09", rows_per_chunk=30, score="no")
    assert clean.retired > 0 and clean.created > 0 and clean.updated > 0
    clean_state, clean_summary = _state(), clean.summary()
    _forget_everything()

    services._registry_import(path=e1, source="DTKS-2026-03", rows_per_chunk=30, score="no")
    before = _state()
    write = services._write
    calls = []

    def stop_in_the_third_part(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("killed")
        return write(*args, **kwargs)

    monkeypatch.setattr(services, "_write", stop_in_the_third_part)
    with pytest.raises(RuntimeError):
        registry_import(path=e2, source="DTKS-2026-09", rows_per_chunk=30, score="no")
    monkeypatch.setattr(services, "_write", write)

    stopped = ImportBatch.objects.get(edition="2026-09")
    assert stopped.status == ImportBatch.Status.FAILED
    assert stopped.chunks > 3 and stopped.chunks_done == 2
    assert stopped.rows_written == stopped.created + stopped.updated
    assert f"stopped after 2 of {stopped.chunks} parts" in stopped.message
    assert "Import the same file again to finish" in stopped.message
    # Nothing half-counted: nobody retired, the unfinished rows not yet linked: each row the
    # stopped import created has an identity of its own (written with it), linked to nothing.
    assert stopped.retired == 0 and stopped.created > 0
    assert not Person.objects.filter(in_registry=False).exists()
    assert Person.objects.filter(batch=stopped).count() == stopped.rows_written
    assert Identity.objects.count() == len(before["identities"]) + stopped.created
    assert not LinkCandidate.objects.filter(batch=stopped).exists()
    new = Identity.objects.filter(created_at__gte=stopped.created_at)
    assert new.count() == stopped.created
    assert all(len(i.rows.all()) == 1 and i.primary.batch == stopped for i in new)

    finished = services._registry_import(
        path=e2, source="DTKS-2026-09", rows_per_chunk=30, score="no"
    )
    stopped.refresh_from_db()
    assert stopped.finished_by == finished and "Finished by import" in stopped.message
    assert finished.status == ImportBatch.Status.DONE
    assert finished.summary() == clean_summary
    assert not Person.objects.filter(batch=stopped).exists()
    assert _state() == clean_state


@pytest.mark.usefixtures("english")
def test_a_stale_batch_that_wrote_parts_says_so_on_the_page_and_api(client, pilot_areas):
    from datetime import timedelta

    from django.utils import timezone

    from pksai.accounts.tests.factories import make_user

    officer = make_user("officer", roles=["data_officer"], scope=["73.71"])
    long_ago = timezone.now() - services.STALE_AFTER - timedelta(minutes=1)
    dead = ImportBatch.objects.create(
        source="DTKS",
        file_name="big.csv",
        file_sha256="0" * 64,
        status=ImportBatch.Status.RUNNING,
        heartbeat_at=long_ago,
        chunks=40,
        chunks_done=17,
        rows_written=4_250_000,
        created_by=officer,
    )
    assert recover_stale_batches() == 1
    dead.refresh_from_db()
    assert dead.status == ImportBatch.Status.FAILED
    assert "stopped after 17 of 40 parts" in dead.message and "4,250,000" in dead.message
    assert "nobody was retired" in dead.message
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    page = client.get(f"/registry/imports/{dead.pk}/").content.decode()
    assert "Stopped after 17 of 40 parts" in page and "Nothing was imported" not in page
    body = client.get(f"/api/v1/registry/imports/{dead.pk}/", headers=bearer(officer)).json()
    assert (body["chunks"], body["chunks_done"], body["rows_written"]) == (40, 17, 4_250_000)
