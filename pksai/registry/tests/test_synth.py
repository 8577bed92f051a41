from datetime import date

import polars as pl
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from pksai.areas.tests.factories import make_areas
from pksai.registry.codes import COLUMNS
from pksai.registry.models import Household, Person
from pksai.registry.services import registry_import
from pksai.registry.synth import synth_registry, synth_registry_for_regencies
from pksai.registry.synth_editions import TRUTH_SCHEMA, synth_next_edition

VILLAGES = ["73.71.01.1001", "73.71.01.1002", "73.06.01.2001", "73.06.01.2002"]
TODAY = date(2026, 5, 10)


@pytest.fixture
def villages(pilot_areas):
    make_areas(
        [
            ("73.71.01.1002", "Kampung Baru"),
            ("73.06.01.2001", "Bontonompo"),
            ("73.06.01.2002", "Kalaserena"),
        ]
    )
    return VILLAGES


def synth(households: int = 300, seed: int = 7, today: date = TODAY) -> pl.DataFrame:
    return synth_registry(village_codes=VILLAGES, households=households, seed=seed, today=today)


def test_same_seed_same_frame_other_seed_other_frame():
    first = synth(seed=3)
    assert first.equals(synth(seed=3))
    assert not first.equals(synth(seed=4))


def test_every_exchange_column_as_text():
    frame = synth(households=50)
    assert frame.columns == [c.name for c in COLUMNS]
    assert all(dtype == pl.String for dtype in frame.dtypes)
    assert frame.null_count().sum_horizontal().item() == 0  # unknown is "", as in a CSV
    assert frame["household_id"].n_unique() == 50
    assert frame["household_id"][0] == "S7-00000001"
    first_household = frame.filter(pl.col("household_id") == "S7-00000001")
    assert first_household["person_id"].to_list() == [
        str(i) for i in range(1, first_household.height + 1)
    ]
    assert first_household["relationship"][0] == "head"
    assert frame["birth_date"].str.to_date().max() <= TODAY
    assert frame["village_code"].is_in(VILLAGES).all()


def test_generated_csv_imports_without_rejections(villages, tmp_path):
    today = timezone.localdate()
    frame = synth_registry_for_regencies(
        regencies=["7371", "73.06"], households=300, seed=11, today=today
    )
    assert set(frame["village_code"]) == set(VILLAGES)
    path = tmp_path / "synth.csv"
    frame.write_csv(path)

    batch = registry_import(path=path, source="SYNTH")

    assert batch.rows_rejected == 0
    assert batch.rows_accepted == frame.height
    assert Household.objects.filter(source="SYNTH").count() == 300
    flags = pl.Series(
        list(Person.objects.filter(source="SYNTH").values_list("dq_flags", flat=True)),
        dtype=pl.String,
    )
    # Only the planted problems: missing NIKs and NIKs from another district.
    assert flags.str.contains("nik_missing").any()
    assert flags.str.contains("nik_region_mismatch").any()
    assert not flags.str.contains("birthdate|sex_mismatch|duplicate").any()


def test_regency_without_villages_is_refused(villages):
    with pytest.raises(ValueError, match="no villages loaded for regency 33.72"):
        synth_registry_for_regencies(regencies=["7371", "3372"], households=5, seed=1, today=TODAY)
    with pytest.raises(ValueError, match="not a regency code"):
        synth_registry_for_regencies(regencies=["73"], households=5, seed=1, today=TODAY)


def test_plausible_population():
    frame = synth(households=400).with_columns(
        pl.col("birth_date").str.to_date().alias("born"), pl.col("nik").str.slice(6, 2).alias("dd")
    )
    age = (pl.lit(TODAY) - pl.col("born")).dt.total_days() / 365.25
    shares = frame.select(
        under_18=(age < 18).mean(),
        women=(pl.col("sex") == "F").mean(),
        nik_empty=(pl.col("nik") == "").mean(),
    ).row(0, named=True)
    assert 0.30 <= shares["under_18"] <= 0.60
    assert 0.40 <= shares["women"] <= 0.60
    assert 0.005 <= shares["nik_empty"] <= 0.08
    children = frame.filter(age < 18)
    assert (children["birth_certificate"] == "no").sum() > 0
    assert (children["orphanhood"] != "").all()
    assert (frame.filter(age >= 18)["orphanhood"] == "").all()
    assert (
        children.filter(age.is_between(7, 12))["school_participation"].eq("attending").mean() > 0.8
    )
    assert frame.filter(age < 5)["school_level"].eq("none").all()

    with_nik = frame.filter(pl.col("nik") != "")
    assert with_nik["nik"].str.contains(r"^\d{16}$").all()
    assert with_nik["nik"].is_unique().all()
    district = pl.col("village_code").str.replace_all(".", "", literal=True).str.slice(0, 6)
    right_region = with_nik.filter(pl.col("nik").str.slice(0, 6) == district)
    assert 0.95 <= right_region.height / with_nik.height < 1.0
    day = pl.col("dd").cast(pl.Int32)
    assert right_region.select(((day > 40) == (pl.col("sex") == "F")).all()).item()
    birth_part = pl.concat_str(
        (day % 40).cast(pl.String).str.zfill(2), pl.col("nik").str.slice(8, 4)
    )
    assert right_region.select((birth_part == pl.col("born").dt.strftime("%d%m%y")).all()).item()


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_command_writes_parquet_and_csv(villages, tmp_path, capsys, suffix):
    out = tmp_path / "out" / f"extract{suffix}"
    call_command("synth_registry", regencies="7371,7306", households=20, seed=2, out=str(out))
    frame = pl.read_parquet(out) if suffix == ".parquet" else pl.read_csv(out, infer_schema=False)
    assert frame["household_id"].n_unique() == 20
    assert frame.columns == [c.name for c in COLUMNS]
    assert "20 households" in capsys.readouterr().out


def test_command_refuses_unknown_extension_and_missing_villages(villages, tmp_path):
    with pytest.raises(CommandError, match=r"\.csv or \.parquet"):
        call_command("synth_registry", regencies="7371", households=5, out=str(tmp_path / "x.xlsx"))
    with pytest.raises(CommandError, match="no villages loaded"):
        call_command("synth_registry", regencies="3504", households=5, out=str(tmp_path / "x.csv"))


# --- the next edition --------------------------------------------------------------------

NEXT_DAY = date(2027, 5, 10)


def next_edition(previous: pl.DataFrame, seed: int = 5, **shares):
    return synth_next_edition(previous, seed=seed, today=NEXT_DAY, **shares)


def _matched(previous: pl.DataFrame, edition) -> pl.DataFrame:
    """Rows of the previous edition beside the same person's row in the next."""
    truth = edition.truth
    before = previous.join(
        truth.filter(pl.col("edition") == 1), on=["household_id", "person_id"]
    ).drop("edition")
    after = edition.frame.join(
        truth.filter(pl.col("edition") == 2), on=["household_id", "person_id"]
    ).drop("edition")
    return before.join(after, on="true_person", suffix="_next")


def test_next_edition_same_seed_same_result_other_seed_other():
    previous = synth(households=200)
    first = next_edition(previous, seed=5)
    assert first.frame.equals(next_edition(previous, seed=5).frame)
    assert first.truth.equals(next_edition(previous, seed=5).truth)
    assert not first.frame.equals(next_edition(previous, seed=6).frame)


def test_next_edition_truth_covers_every_row_of_both_editions():
    previous = synth(households=600)
    edition = next_edition(previous, changed=0.2, gone=0.05, new=0.05, births=0.02)
    frame, truth = edition.frame, edition.truth
    assert frame.columns == [c.name for c in COLUMNS]
    assert all(dtype == pl.String for dtype in frame.dtypes)
    assert truth.schema == pl.Schema(TRUTH_SCHEMA)
    assert truth.filter(pl.col("edition") == 1).height == previous.height
    assert truth.filter(pl.col("edition") == 2).height == frame.height
    for edition_no, rows in ((1, previous), (2, frame)):
        keys = truth.filter(pl.col("edition") == edition_no).select("household_id", "person_id")
        assert keys.equals(rows.select("household_id", "person_id"))
        assert keys.is_unique().all()
    # true_person: 1..n for the previous edition, each person at most once per edition.
    assert truth.filter(pl.col("edition") == 1)["true_person"].to_list() == list(
        range(1, previous.height + 1)
    )
    assert truth.filter(pl.col("edition") == 2)["true_person"].is_unique().all()

    n = previous.height
    stayed = truth.filter((pl.col("edition") == 2) & (pl.col("true_person") <= n)).height
    arrived = frame.height - stayed
    assert 0.02 <= 1 - stayed / n <= 0.08  # gone
    assert 0.04 <= arrived / n <= 0.10  # births + new people
    newcomers = truth.filter((pl.col("edition") == 2) & (pl.col("true_person") > n))
    babies = frame.join(newcomers, on=["household_id", "person_id"]).filter(
        ~pl.col("household_id").str.starts_with("N5-")
    )
    assert 0.005 <= babies.height / n <= 0.04
    assert babies["relationship"].eq("child").all()
    assert (babies["birth_date"].str.to_date() > TODAY).all()


def test_next_edition_changes_people_realistically():
    previous = synth(households=800)
    pairs = _matched(previous, next_edition(previous, changed=0.3))
    moved = pairs.filter(pl.col("village_code") != pl.col("village_code_next"))
    assert moved.height > 0
    assert (moved["household_id"] != moved["household_id_next"]).all()
    assert (
        moved["village_code"].str.slice(0, 5) == moved["village_code_next"].str.slice(0, 5)
    ).all()
    assert (moved["nik"] == moved["nik_next"]).mean() > 0.8  # the NIK stays when moving
    renamed = pairs.filter(pl.col("name") != pl.col("name_next"))
    assert 0.03 <= renamed.height / pairs.height <= 0.25
    lost_nik = pairs.filter((pl.col("nik") != "") & (pl.col("nik_next") == ""))
    mistyped = pairs.filter(
        (pl.col("nik") != "") & (pl.col("nik_next") != "") & (pl.col("nik") != pl.col("nik_next"))
    )
    assert lost_nik.height > 0 and mistyped.height > 0
    assert mistyped["nik_next"].str.contains(r"^\d{16}$").all()
    redated = pairs.filter(pl.col("birth_date") != pl.col("birth_date_next"))
    assert redated.height > 0
    assert redated["birth_date_next"].str.to_date(strict=False).is_not_null().all()
    # Most people do not change at all.
    same = pairs.filter(
        (pl.col("name") == pl.col("name_next"))
        & (pl.col("nik") == pl.col("nik_next"))
        & (pl.col("birth_date") == pl.col("birth_date_next"))
        & (pl.col("village_code") == pl.col("village_code_next"))
    )
    assert same.height / pairs.height > 0.6


def test_next_edition_new_people_get_fresh_niks():
    previous = synth(households=400)
    edition = next_edition(previous, changed=0.0, gone=0.0, new=0.2, births=0.0)
    old = set(previous.filter(pl.col("nik") != "")["nik"])
    arrived = edition.frame.join(
        edition.truth.filter((pl.col("edition") == 2) & (pl.col("true_person") > previous.height)),
        on=["household_id", "person_id"],
    )
    assert arrived.height > 0
    assert not (set(arrived.filter(pl.col("nik") != "")["nik"]) & old)
    assert arrived["household_id"].str.starts_with("N5-").all()


def test_next_edition_refuses_bad_input():
    previous = synth(households=20)
    with pytest.raises(ValueError, match="changed must be between 0 and 1"):
        next_edition(previous, changed=1.5)
    with pytest.raises(ValueError, match="no column"):
        next_edition(previous.drop("nik"))


def test_command_writes_next_edition_and_truth(tmp_path, capsys):
    first = tmp_path / "edition1.csv"
    synth(households=120).write_csv(first)
    second, truth = tmp_path / "edition2.parquet", tmp_path / "truth.csv"
    call_command(
        "synth_registry",
        next_of=str(first),
        out=str(second),
        truth=str(truth),
        seed=3,
        changed=0.2,
        gone=0.1,
        new=0.1,
    )
    frame = pl.read_parquet(second)
    truth_frame = pl.read_csv(truth, schema_overrides={"household_id": pl.String})
    assert frame.columns == [c.name for c in COLUMNS]
    assert truth_frame.filter(pl.col("edition") == 2).height == frame.height
    assert str(second) in capsys.readouterr().out  # "Wrote the next edition of … to …"
    # The messages are in the user's language (Indonesian by default): match what is not words.
    with pytest.raises(CommandError, match="nope.csv"):
        call_command("synth_registry", next_of=str(tmp_path / "nope.csv"), out=str(second))
    with pytest.raises(CommandError, match="--regencies.*--households"):
        call_command("synth_registry", out=str(second))
