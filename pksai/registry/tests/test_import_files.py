"""Registry extracts as real offices send them: Excel date and number cells, typed Parquet,
bad CSV lines, other encodings, loose headers, long text, implausible dates, households whose
rows disagree; reasons in the reader's language; file scoring agreeing with the database."""

import csv
import datetime as dt
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from django.utils import translation

from pksai.areas.tests.factories import make_areas
from pksai.core import files
from pksai.registry.importer import (
    ExtractError,
    Mapping,
    apply_mapping,
    read_extract,
    validate,
)
from pksai.registry.models import Household, Person
from pksai.registry.reasons import read_error_report, render_report
from pksai.registry.services import registry_import
from pksai.registry.tests.test_import import GOOD, HEADER, write_csv

TODAY = dt.date(2026, 11, 1)
VILLAGES = pl.Series(["73.71.01.1001", "73.71.01.1002"], dtype=pl.String)
DATE_COLUMNS = {"birth_date"}
INT_COLUMNS = {"welfare_decile", "meals_per_day"}


@pytest.fixture
def villages(pilot_areas):
    make_areas([("73.71.01.1002", "Kampung Baru")])


def check(path: Path, mapping: Mapping | None = None):
    mapping = mapping or Mapping({}, {})
    frame = apply_mapping(read_extract(path, encoding=mapping.encoding), mapping)
    return validate(frame, villages=VILLAGES, today=TODAY, date_format=mapping.date_format)


def english(report: pl.DataFrame) -> dict[tuple[int, str | None], str]:
    with translation.override("en"):
        rendered = render_report(report.filter(pl.col("row") > 1))  # not the header notes
    return {(r["row"], r["column"]): r["reason"] for r in rendered.iter_rows(named=True)}


def write_xlsx(path: Path, rows: list[list[str]], header=HEADER, nik_as_number=False) -> Path:
    """Real cell types: dates as Excel dates, numbers as numbers, the rest as text."""
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    date_cell = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        for c, (name, value) in enumerate(zip(header, row, strict=True)):
            if value == "":
                continue
            if name in DATE_COLUMNS:
                sheet.write_datetime(r, c, dt.datetime.fromisoformat(value), date_cell)
            elif name in INT_COLUMNS or (name == "nik" and nik_as_number):
                sheet.write_number(r, c, float(value))
            else:
                sheet.write_string(r, c, value)
    book.close()
    return path


def frame_of(rows: list[list[str]], header=HEADER) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=header, orient="row")


# --- Excel and Parquet cells ----------------------------------------------------------------


def test_xlsx_date_and_number_cells_are_read_as_such(tmp_path):
    checked = check(write_xlsx(tmp_path / "x.xlsx", GOOD))
    assert checked.errors.filter(pl.col("kind") == "rejected").is_empty(), checked.errors
    assert checked.good["birth_date"].to_list() == [
        dt.date.fromisoformat(r[HEADER.index("birth_date")]) for r in GOOD
    ]
    deciles = [int(r[HEADER.index("welfare_decile")]) for r in GOOD]
    assert checked.good["welfare_decile"].to_list() == deciles  # 1.0 in the cell


def test_nik_kept_as_an_excel_number_is_rejected_with_advice(tmp_path):
    checked = check(write_xlsx(tmp_path / "x.xlsx", GOOD, nik_as_number=True))
    reasons = english(checked.errors)
    with_nik = [i + 2 for i, r in enumerate(GOOD) if r[HEADER.index("nik")]]
    assert with_nik and checked.rejected_rows == len(with_nik)
    assert checked.good.height == len(GOOD) - len(with_nik)
    assert "format the column as text" in reasons[(with_nik[0], "nik")]


def test_parquet_with_typed_columns(tmp_path):
    frame = frame_of(GOOD).with_columns(
        pl.col("birth_date").str.to_datetime("%Y-%m-%d"),  # a timestamp column
        pl.col("welfare_decile").cast(pl.Float64),  # 1.0
        pl.col("meals_per_day").cast(pl.Int32),
        pl.col("has_motorcycle").replace_strict({"yes": True, "no": False}, default=None),
    )
    frame.write_parquet(tmp_path / "x.parquet")
    checked = check(tmp_path / "x.parquet")
    assert checked.errors.filter(pl.col("kind") == "rejected").is_empty(), checked.errors
    assert checked.good["birth_date"].dtype == pl.Date
    assert checked.good["welfare_decile"].to_list() == [
        int(r[HEADER.index("welfare_decile")]) for r in GOOD
    ]


# --- lengths, dates, headers, households ------------------------------------------------------


def test_a_too_long_name_is_one_rejected_cell(tmp_path):
    rows = [r.copy() for r in GOOD]
    rows[1][HEADER.index("name")] = "A" * 201
    checked = check(write_csv(tmp_path / "x.csv", rows))
    assert checked.good.height == 2
    assert english(checked.errors) == {(3, "name"): "too long: 201 characters, at most 200"}


def test_implausible_birth_dates_are_rejected(tmp_path):
    rows = [r.copy() for r in GOOD]
    rows[0][HEADER.index("birth_date")] = "1899-12-31"
    rows[1][HEADER.index("birth_date")] = "1906-10-31"  # 120 years and a day
    checked = check(write_csv(tmp_path / "x.csv", rows))
    reasons = english(checked.errors)
    assert reasons[(2, "birth_date")] == "implausible date: before 1900-01-01"
    assert reasons[(3, "birth_date")].startswith("implausible date: older than 120 years")
    assert checked.good.height == 1


def test_headers_match_ignoring_case_spaces_and_dashes(tmp_path):
    loose = [h.upper().replace("_", " ") for h in HEADER]
    loose[HEADER.index("birth_date")] = "birth-date"
    loose[HEADER.index("nik")] = "NIK"
    path = write_csv(tmp_path / "x.csv", [[*r, "x"] for r in GOOD], header=[*loose, "Catatan"])
    checked = check(path)
    assert checked.good.height == 3
    assert checked.unknown_columns == ["Catatan"]
    assert "relationship" in checked.missing_columns or checked.missing_columns  # optional ones
    assert "school_level" in checked.missing_columns
    assert {w["code"] for w in checked.warnings} >= {"unknown_columns", "missing_columns"}
    header_rows = checked.errors.filter(pl.col("row") == 1)
    assert set(header_rows["kind"]) == {"flagged"}
    assert checked.rejected_rows == 0


def test_mapping_keys_match_loosely_and_missing_required_is_a_file_error(tmp_path):
    mapping_file = tmp_path / "m.yaml"
    mapping_file.write_text("columns:\n  Tgl Lahir: Birth Date\n", encoding="utf-8")
    header = [("TGL-LAHIR" if h == "birth_date" else h) for h in HEADER]
    checked = check(write_csv(tmp_path / "x.csv", GOOD, header=header), Mapping.load(mapping_file))
    assert checked.good.height == 3
    without = write_csv(tmp_path / "y.csv", [r[1:] for r in GOOD], header=HEADER[1:])
    with pytest.raises(ExtractError) as failure, translation.override("en"):
        check(without)
    assert failure.value.code == "missing_required"
    with translation.override("en"):
        assert str(failure.value) == "required columns missing from the file: household_id"


def test_household_columns_that_disagree_are_flagged(tmp_path):
    rows = [r.copy() for r in GOOD]
    rows[1][HEADER.index("floor_type")] = "cement"  # same household H1 as row 2? see GOOD
    household = HEADER.index("household_id")
    assert rows[0][household] == rows[1][household]
    checked = check(write_csv(tmp_path / "x.csv", rows))
    assert checked.good.height == 3  # flagged, not rejected
    flags = dict(zip(checked.good["__row"], checked.good["dq_flags"], strict=True))
    assert "household_conflict" in flags[3] and "household_conflict" not in (flags[2] or "")
    reasons = english(checked.errors)
    assert reasons[(3, "floor_type")].startswith("differs from row 2 of the same household")
    assert checked.errors.filter(pl.col("row") == 3)["kind"].to_list() == ["flagged"]


# --- bad CSV lines -------------------------------------------------------------------------


def csv_bytes(rows: list[list[str]]) -> bytes:
    lines = [",".join(HEADER)] + [",".join(f'"{v}"' if "," in v else v for v in r) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_one_bad_byte_or_ragged_line_rejects_only_that_line(tmp_path):
    body = csv_bytes(GOOD).split(b"\n")
    # line 3 (second person): a Latin-1 byte in the name; then a ragged line 5 appended.
    body[2] = body[2].replace(b"Nur", b"N\xfcr")
    body.insert(4, b"H9,extra,comma," + body[1])
    path = tmp_path / "bad.csv"
    path.write_bytes(b"\n".join(body))
    checked = check(path)
    assert sorted(checked.good["__row"].to_list()) == [2, 4]
    reasons = english(checked.errors)
    assert reasons[(3, None)].startswith("the line has bytes that are not valid utf-8 text")
    assert reasons[(5, None)].startswith("the line has more fields than the header")
    assert checked.rows_read == 4 and checked.rejected_rows == 2


def test_multi_line_records_and_blank_lines_keep_file_line_numbers(tmp_path):
    rows = [r.copy() for r in GOOD]
    rows[0][HEADER.index("address")] = "Jl. Cendrawasih 1\nRT 02"  # quoted, two lines
    path = tmp_path / "x.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerow(rows[0])  # lines 2-3
        f.write("\n")  # line 4 blank
        writer.writerow(rows[1])  # line 5
        writer.writerow(rows[2][:3])  # line 6: too few fields
        rows[2][HEADER.index("sex")] = "X"
        writer.writerow(rows[2])  # line 7: a bad code
    checked = check(path)
    assert checked.good["__row"].to_list() == [2, 5]
    assert checked.good["address"][0] == "Jl. Cendrawasih 1\nRT 02"
    reasons = english(checked.errors)
    # line 5's address differs from its household's first row (lines 2-3): flagged only
    assert set(reasons) == {(5, "address"), (6, None), (7, "sex")}


def test_declared_encoding_latin1(tmp_path):
    rows = [r.copy() for r in GOOD]
    rows[1][HEADER.index("name")] = "Nur Aïsyah"
    path = tmp_path / "x.csv"
    path.write_bytes(csv_bytes(rows).decode("utf-8").encode("latin-1"))
    mapping_file = tmp_path / "m.yaml"
    mapping_file.write_text("encoding: latin-1\n", encoding="utf-8")
    checked = check(path, Mapping.load(mapping_file))
    assert checked.rejected_rows == 0
    assert "Nur Aïsyah" in checked.good["name"].to_list()
    undeclared = check(path)  # read as UTF-8: that one line is rejected, not the file
    assert undeclared.good.height == 2 and undeclared.rejected_rows == 1


# --- reasons in the reader's language -------------------------------------------------------


def test_error_report_is_stored_as_codes_and_rendered_in_the_reader_language(
    villages, tmp_path, settings
):
    settings.VAR_DIR = tmp_path / "var"
    rows = [r.copy() for r in GOOD]
    rows[1][HEADER.index("name")] = ""
    batch = registry_import(path=write_csv(tmp_path / "x.csv", rows), source="DTKS")
    stored = pl.read_csv(files.local_path("imports", batch.error_report), infer_schema=False)
    assert stored.columns == ["row", "column", "value", "kind", "code", "params"]
    assert stored.filter(pl.col("column") == "name")["code"].to_list() == ["required"]
    with translation.override("en"):
        en = read_error_report(batch.error_report)
    with translation.override("id"):
        indonesian = read_error_report(batch.error_report)
    assert en.filter(pl.col("column") == "name")["reason"].item() == "required value is empty"
    assert indonesian.filter(pl.col("column") == "name")["reason"].item() == "nilai wajib kosong"


# --- the same people from every format ------------------------------------------------------

PERSON_FIELDS = [
    "household_key",
    "person_key",
    "village_id",
    "nik",
    "name",
    "sex",
    "birth_date",
    "relationship",
    "school_participation",
    "disability_type",
    "birth_certificate",
    "other_programs",
    "dq_flags",
    "source_row",
]
HOUSEHOLD_FIELDS = [
    "registry_id",
    "kk_number",
    "village_id",
    "address",
    "welfare_decile",
    "floor_type",
    "has_motorcycle",
    "meals_per_day",
    "source_row",
]


def stored(source: str) -> tuple[list, list]:
    people = list(
        Person.objects.filter(source=source).order_by("person_key").values_list(*PERSON_FIELDS)
    )
    households = list(
        Household.objects.filter(source=source)
        .order_by("registry_id")
        .values_list(*HOUSEHOLD_FIELDS)
    )
    return people, households


def test_csv_xlsx_and_parquet_import_to_identical_rows(villages, tmp_path, settings):
    settings.VAR_DIR = tmp_path / "var"
    write_csv(tmp_path / "x.csv", GOOD)
    write_xlsx(tmp_path / "x.xlsx", GOOD)
    frame_of(GOOD).with_columns(
        pl.col("birth_date").str.to_date(),
        pl.col("welfare_decile").cast(pl.Int64),
        pl.col("meals_per_day").cast(pl.Float64),
    ).write_parquet(tmp_path / "x.parquet")
    results = {}
    for suffix in ("csv", "xlsx", "parquet"):
        batch = registry_import(path=tmp_path / f"x.{suffix}", source=suffix.upper())
        assert (batch.rows_accepted, batch.rows_rejected) == (3, 0), batch.error_report
        results[suffix] = stored(suffix.upper())
    assert results["csv"] == results["xlsx"] == results["parquet"]
    assert len(results["csv"][0]) == 3


# --- file scoring agrees with database scoring ------------------------------------------------


def test_score_file_and_score_people_agree_on_upper_case_codes(tmp_path, pilot_areas, settings):
    from pksai.vulnerability.files import score_file
    from pksai.vulnerability.models import Score
    from pksai.vulnerability.services import compiled, ruleset_ensure_default, score_people
    from pksai.vulnerability.tests.conftest import HEADER as V_HEADER
    from pksai.vulnerability.tests.conftest import ROWS as V_ROWS

    settings.VAR_DIR = tmp_path / "var"
    make_areas([("73.06.01.2001", "Bontonompo Desa")])
    codes = {"orphanhood", "work_status", "relationship", "sex"}
    shouting = [
        [v.upper() if h in codes else v for h, v in zip(V_HEADER, row, strict=True)]
        for row in V_ROWS
    ]
    path = write_csv(tmp_path / "upper.csv", shouting, header=[h.upper() for h in V_HEADER])
    batch = registry_import(path=path, source="UP")
    with translation.override("en"):
        report = read_error_report(batch.error_report).filter(pl.col("kind") == "rejected")
        assert batch.rows_rejected == 0, report.to_dicts()
    ruleset = ruleset_ensure_default()
    as_of = dt.date(2026, 11, 1)
    score_people(ruleset=ruleset, as_of=as_of)
    out = tmp_path / "scores.parquet"
    score_file(source=path, out=out, rules=compiled(ruleset, as_of))
    from_file = {
        (r["household_id"], r["person_id"]): r["risk_level"] or ""
        for r in pl.read_parquet(out).iter_rows(named=True)
    }
    from_db = {
        (hh, person): level
        for hh, person, level in Score.objects.filter(ruleset=ruleset).values_list(
            "person__household_key", "person__person_key", "risk_level"
        )
    }
    assert from_db and {k: from_file[k] for k in from_db} == from_db
    assert any(level for level in from_db.values())  # children were given a level


def test_a_csv_of_many_rows_imports(villages, tmp_path):
    """Polars refuses a scalar filter predicate on frames of 16,384 rows or more: a large
    UTF-8 CSV once failed as "cannot be read" (found by benchmarks/bench_import.py)."""
    rows = []
    for i in range(17_000):
        row = list(GOOD[2])
        row[0] = f"B{i}"
        rows.append(row)
    batch = registry_import(path=write_csv(tmp_path / "big.csv", rows), source="BIG", score="no")
    assert (batch.rows_accepted, batch.rows_rejected) == (17_000, 0)
