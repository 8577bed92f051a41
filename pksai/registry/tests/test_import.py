import csv
from pathlib import Path

import polars as pl
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from pksai.areas.tests.factories import make_areas
from pksai.core import files
from pksai.registry.models import Household, ImportBatch, Person
from pksai.registry.reasons import read_error_report
from pksai.registry.services import registry_import

HEADER = [
    "household_id",
    "kk_number",
    "village_code",
    "address",
    "welfare_decile",
    "floor_type",
    "has_motorcycle",
    "meals_per_day",
    "person_id",
    "nik",
    "name",
    "sex",
    "birth_date",
    "relationship",
    "school_participation",
    "disability_type",
    "birth_certificate",
    "other_programs",
]
# NIK 7371014507150003: region 737101, day 45 → 5 (+40: female), July 2015.
GOOD = [
    [
        "H1",
        "7371010101100001",
        "7371011001",
        "Jl. Cendrawasih 1",
        "1",
        "earth",
        "no",
        "2",
        "1",
        "7371011203800001",
        "Daeng Baso",
        "M",
        "1980-03-12",
        "head",
        "completed",
        "none",
        "yes",
        "pkh",
    ],
    [
        "H1",
        "7371010101100001",
        "7371011001",
        "Jl. Cendrawasih 1",
        "1",
        "earth",
        "no",
        "2",
        "2",
        "7371014507150003",
        "Nur Aisyah",
        "F",
        "2015-07-05",
        "child",
        "attending",
        "none",
        "no",
        "pkh;pip",
    ],
    [
        "H2",
        "",
        "73.71.01.1001",
        "",
        "2",
        "cement",
        "yes",
        "3",
        "1",
        "",
        "Andi",
        "M",
        "2012-01-30",
        "head",
        "dropped_out",
        "",
        "",
        "",
    ],
]


def write_csv(path: Path, rows: list[list[str]], header=HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def villages(pilot_areas):
    make_areas([("73.71.01.1002", "Kampung Baru")])


def test_good_file_imports_and_reimport_changes_nothing(villages, tmp_path):
    path = write_csv(tmp_path / "extract.csv", GOOD)
    batch = registry_import(path=path, source="DTKS")
    assert batch.summary() == {
        "read": 3,
        "accepted": 3,
        "rejected": 0,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "retired": 0,
    }
    assert Household.objects.count() == 2 and Person.objects.count() == 3
    child = Person.objects.get(name="Nur Aisyah")
    assert child.household.registry_id == "H1" and child.village_id == "73.71.01.1001"
    assert child.other_programs == "pkh;pip" and child.birth_certificate is False
    assert child.dq_flags == ""  # NIK consistent with village, birth date and sex
    assert Person.objects.get(name="Andi").dq_flags == "nik_missing"
    assert child.source_row == 3 and child.batch_id == batch.pk

    again = registry_import(path=path, source="DTKS")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Household.objects.count() == 2 and Person.objects.count() == 3


def test_corrected_file_updates_in_place(villages, tmp_path):
    registry_import(path=write_csv(tmp_path / "a.csv", GOOD), source="DTKS")
    corrected = [row.copy() for row in GOOD]
    corrected[2][10] = "Andi Wijaya"
    batch = registry_import(path=write_csv(tmp_path / "b.csv", corrected), source="DTKS")
    assert (batch.created, batch.updated, batch.unchanged) == (0, 1, 2)
    assert Person.objects.filter(name="Andi Wijaya").count() == 1
    assert Person.objects.count() == 3


def test_bad_rows_are_listed_and_good_rows_kept(villages, tmp_path):
    bad = [
        # 15-digit NIK
        [
            "H3",
            "",
            "7371011001",
            "",
            "",
            "",
            "",
            "",
            "1",
            "737101120380001",
            "A",
            "M",
            "1980-03-12",
            "head",
            "",
            "",
            "",
            "",
        ],
        # unknown village
        [
            "H4",
            "",
            "7371019999",
            "",
            "",
            "",
            "",
            "",
            "1",
            "",
            "B",
            "M",
            "1980-03-12",
            "head",
            "",
            "",
            "",
            "",
        ],
        # birth date in the future
        [
            "H5",
            "",
            "7371011001",
            "",
            "",
            "",
            "",
            "",
            "1",
            "",
            "C",
            "F",
            "2099-01-01",
            "head",
            "",
            "",
            "",
            "",
        ],
        # sex X
        [
            "H6",
            "",
            "7371011001",
            "",
            "",
            "",
            "",
            "",
            "1",
            "",
            "D",
            "X",
            "1980-03-12",
            "head",
            "",
            "",
            "",
            "",
        ],
        # empty required field (name)
        [
            "H7",
            "",
            "7371011001",
            "",
            "",
            "",
            "",
            "",
            "1",
            "",
            "",
            "M",
            "1980-03-12",
            "head",
            "",
            "",
            "",
            "",
        ],
        # duplicated row (same household and person as the first good row)
        GOOD[0],
    ]
    path = write_csv(tmp_path / "bad.csv", GOOD + bad)
    batch = registry_import(path=path, source="DTKS")
    assert (batch.rows_read, batch.rows_accepted, batch.rows_rejected) == (9, 3, 6)
    assert set(Person.objects.values_list("name", flat=True)) == {
        "Daeng Baso",
        "Nur Aisyah",
        "Andi",
    }
    stored = pl.read_csv(files.local_path("imports", batch.error_report))
    assert stored.columns == ["row", "column", "value", "kind", "code", "params"]  # no language
    with translation.override("en"):
        errors = read_error_report(batch.error_report)
    assert errors.columns == ["row", "column", "value", "kind", "reason"]
    by_row = {r["row"]: (r["column"], r["reason"]) for r in errors.iter_rows(named=True)}
    assert by_row[5] == ("nik", "must be exactly 16 digits")
    assert by_row[6] == ("village_code", "unknown village code")
    assert by_row[7] == ("birth_date", "date is in the future")
    assert by_row[8][0] == "sex" and by_row[8][1].startswith("unknown code")
    assert by_row[9] == ("name", "required value is empty")
    assert by_row[10] == ("person_id", "duplicate of row 2")


def test_nik_inconsistencies_are_flags_not_rejections(villages, tmp_path):
    row = GOOD[1].copy()
    row[0], row[11] = "H9", "M"  # the NIK says female (day + 40)
    row[2] = "7371011002"
    batch = registry_import(path=write_csv(tmp_path / "f.csv", [row]), source="DTKS")
    assert batch.rows_accepted == 1
    flags = Person.objects.get().dq_flags.split(";")
    assert "nik_sex_mismatch" in flags
    assert "nik_region_mismatch" not in flags  # same district 73.71.01


def test_mapping_file_maps_bdt_headers_and_codes(villages, tmp_path):
    header = [
        "IDBDT",
        "KDDESA",
        "NOURUT",
        "NIK",
        "NAMA",
        "JNS_KEL",
        "TGL_LHR",
        "HUB_KRT",
        "PARTISIPASI_SEKOLAH",
    ]
    rows = [["B1", "7371011001", "1", "", "Siti", "2", "05-07-2015", "3", "1"]]
    mapping = tmp_path / "bdt.yaml"
    mapping.write_text(
        """
columns: {IDBDT: household_id, KDDESA: village_code, NOURUT: person_id, NIK: nik, NAMA: name,
          JNS_KEL: sex, TGL_LHR: birth_date, HUB_KRT: relationship,
          PARTISIPASI_SEKOLAH: school_participation}
values:
  sex: {"1": M, "2": F}
  relationship: {"1": head, "2": spouse, "3": child}
  school_participation: {"0": never, "1": attending, "2": dropped_out}
date_format: "%d-%m-%Y"
""",
        encoding="utf-8",
    )
    batch = registry_import(
        path=write_csv(tmp_path / "bdt.csv", rows, header), source="BDT", mapping_path=mapping
    )
    assert batch.rows_accepted == 1, batch.error_report
    siti = Person.objects.get()
    assert (siti.sex, siti.relationship, siti.school_participation) == ("F", "child", "attending")
    assert str(siti.birth_date) == "2015-07-05"


def test_parquet_and_xlsx(villages, tmp_path):
    frame = pl.read_csv(write_csv(tmp_path / "x.csv", GOOD), infer_schema=False)
    frame.write_parquet(tmp_path / "x.parquet")
    frame.write_excel(tmp_path / "x.xlsx")
    assert registry_import(path=tmp_path / "x.parquet", source="P").rows_accepted == 3
    assert registry_import(path=tmp_path / "x.xlsx", source="X").rows_accepted == 3


def test_command_exits_non_zero_only_when_nothing_can_be_read(villages, tmp_path, capsys):
    good = write_csv(tmp_path / "ok.csv", GOOD + [GOOD[0]])
    call_command("import_registry", str(good), "--source", "DTKS")
    out = capsys.readouterr()
    assert "read 4, accepted 3, rejected 1" in out.out
    assert "[100%]" in out.err
    missing = write_csv(tmp_path / "nohead.csv", [["x"]], header=["something"])
    with translation.override("en"), pytest.raises(CommandError, match="required columns missing"):
        call_command("import_registry", str(missing), "--source", "DTKS")
    assert ImportBatch.objects.filter(status="failed").count() == 1


def test_format_document_lists_every_column_and_code():
    from pksai.registry.codes import COLUMNS

    doc = (Path(__file__).resolve().parents[3] / "docs" / "registry-format.md").read_text()
    rows = {line.split("|")[1].strip(): line for line in doc.splitlines() if line.startswith("| `")}
    for column in COLUMNS:
        assert f"`{column.name}`" in doc
        if column.max_length is not None:
            assert f"at most {column.max_length} characters" in rows[f"`{column.name}`"]
        for code in column.codes:
            assert f"`{code}`" in doc, (column.name, code)
