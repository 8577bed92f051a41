"""Shipped national-registry layouts (decision 0040, docs/registry-editions.md): an official
DTKS extract, with its own column names and codes, imports without any mapping work."""

import csv
import datetime as dt
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from django.utils import translation

from pksai.areas.tests.factories import make_areas
from pksai.registry import layouts
from pksai.registry.importer import ExtractError, Mapping, apply_mapping, normalised
from pksai.registry.models import Household, Person
from pksai.registry.reasons import read_error_report
from pksai.registry.services import registry_import

# The columns of a DTKS individual (ART) extract, in its order (Model_art_dtks.php, see
# docs/registry-editions.md), with the BDT 2015 codes.
DTKS_HEADER = [
    "kd_wilayah",
    "IDBDT",
    "IDARTBDT",
    "KDPROP",
    "KDKAB",
    "KDKEC",
    "KDDESA",
    "NoPesertaPKH",
    "Nama",
    "JnsKel",
    "TmpLahir",
    "TglLahir",
    "HubKRT",
    "NIK",
    "NoKK",
    "Hub_KRT",
    "NUK",
    "Hubkel",
    "Umur",
    "Sta_kawin",
    "Jenis_cacat",
    "Penyakit_kronis",
    "Partisipasi_sekolah",
    "Pendidikan_tertinggi",
    "Kelas_tertinggi",
    "Ijazah_tertinggi",
    "Sta_Bekerja",
    "Sta_keberadaan_art",
    "Ada_kks",
    "Ada_pbi",
    "Ada_kip",
    "Ada_pkh",
    "Ada_BPNT",
    "Status_Kesejahteraan",
    "namagadis_ibukandung",
]


def dtks_row(**cells: str) -> list[str]:
    base = {
        "kd_wilayah": "7371011001",
        "IDBDT": "7371010001001",
        "KDPROP": "73",
        "KDKAB": "71",
        "KDKEC": "01",
        "KDDESA": "1001",
        "TmpLahir": "MAKASSAR",
        "Sta_kawin": "1",
        "NoKK": "7371010101100001",
        "Status_Kesejahteraan": "1",
        "namagadis_ibukandung": "SITI",
        "Ada_kks": "1",
        "Sta_keberadaan_art": "1",
    }
    row = {**{h: "" for h in DTKS_HEADER}, **base, **cells}
    return [row[h] for h in DTKS_HEADER]


# NIK 7371014507150003: region 737101, day 45 → 5 (+40: female), July 2015.
DTKS = [
    dtks_row(
        IDARTBDT="737101000100101",
        Nama="DAENG BASO",
        JnsKel="1",
        TglLahir="12-03-1980",
        NIK="7371011203800001",
        Hub_KRT="1",
        Hubkel="1",
        Jenis_cacat="00",
        Penyakit_kronis="01",
        Partisipasi_sekolah="2",
        Pendidikan_tertinggi="1",
        Sta_Bekerja="1",
        Ada_pkh="1",
        Ada_BPNT="1",
        Ada_kip="2",
        Ada_pbi="1",
    ),
    dtks_row(
        IDARTBDT="737101000100102",
        Nama="NUR AISYAH",
        JnsKel="2",
        TglLahir="05-07-2015",
        NIK="7371014507150003",
        Hub_KRT="3",
        Hubkel="3",
        Jenis_cacat="02",
        Penyakit_kronis="00",
        Partisipasi_sekolah="1",
        Pendidikan_tertinggi="1",
        Sta_Bekerja="2",
        Ada_pkh="1",
        Ada_BPNT="2",
        Ada_kip="1",
        Ada_pbi="2",
    ),
    dtks_row(
        IDBDT="7371010001002",
        KDDESA="1002",
        NoKK="",
        IDARTBDT="737101000100201",
        Nama="ANDI",
        JnsKel="1",
        TglLahir="30/01/2012",
        Hub_KRT="5",
        Jenis_cacat="10",
        Partisipasi_sekolah="0",
        Pendidikan_tertinggi="0",
        Ada_pkh="2",
        Ada_BPNT="2",
        Ada_kip="2",
        Ada_pbi="2",
        Status_Kesejahteraan="3",
    ),
]


def write_csv(path: Path, rows: list[list[str]], header=DTKS_HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


NUMBER_CELLS = {"KDPROP", "KDKAB", "KDKEC", "KDDESA", "JnsKel", "Hub_KRT", "Jenis_cacat"}


def write_xlsx(path: Path, rows: list[list[str]], header=DTKS_HEADER) -> Path:
    """As a spreadsheet program keeps it: birth dates as date cells, the area and code
    columns as number cells (``01`` becomes 1), NIKs and family cards as text."""
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    date_cell = book.add_format({"num_format": "dd-mm-yyyy"})
    sheet.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        for c, (name, value) in enumerate(zip(header, row, strict=True)):
            if value == "":
                continue
            if name == "TglLahir":
                day, month, year = value.replace("/", "-").split("-")
                when = dt.datetime.fromisoformat(f"{year}-{month}-{day}")
                sheet.write_datetime(r, c, when, date_cell)
            elif name in NUMBER_CELLS:
                sheet.write_number(r, c, float(value))
            else:
                sheet.write_string(r, c, value)
    book.close()
    return path


@pytest.fixture
def villages(pilot_areas):
    make_areas([("73.71.01.1002", "Kampung Baru")])


PERSON_FIELDS = (
    "name",
    "sex",
    "birth_date",
    "relationship",
    "village_id",
    "school_participation",
    "school_level",
    "disability_type",
    "chronic_illness",
    "work_status",
    "other_programs",
)


def people() -> dict[str, tuple]:
    return {
        p.person_key: tuple(getattr(p, f) for f in PERSON_FIELDS)
        for p in Person.objects.order_by("person_key")
    }


def test_dtks_csv_imports_without_a_mapping(villages, tmp_path):
    batch = registry_import(path=write_csv(tmp_path / "dtks.csv", DTKS), source="DTKS-2026-03")
    assert (batch.rows_read, batch.rows_accepted, batch.rows_rejected) == (3, 3, 0)
    assert batch.mapping["layout"] == "dtks-2020"
    # Every column of the extract is known (used or deliberately left out); the household's
    # housing columns are in the household file, not in this one: reported, empty.
    assert [w["code"] for w in batch.warnings] == ["layout_used", "missing_columns"]
    assert batch.warnings[0]["params"] == {"layout": "dtks-2020"}
    assert people() == {
        "737101000100101": (
            "DAENG BASO",
            "M",
            dt.date(1980, 3, 12),
            "head",
            "73.71.01.1001",
            "dropped_out",
            "sd",
            "none",
            True,
            "working",
            "pkh;bpnt;kis",
        ),
        "737101000100102": (
            "NUR AISYAH",
            "F",
            dt.date(2015, 7, 5),
            "child",
            "73.71.01.1001",
            "attending",
            "sd",
            "visual",
            False,
            "not_working",
            "pkh;pip",
        ),
        "737101000100201": (
            "ANDI",
            "M",
            dt.date(2012, 1, 30),
            "grandchild",
            "73.71.01.1002",
            "never",
            "none",
            "intellectual",
            None,
            "",
            "",
        ),
    }
    child = Person.objects.get(person_key="737101000100102")
    assert child.dq_flags == ""  # NIK consistent with village, birth date and sex
    households = {h.registry_id: h for h in Household.objects.all()}
    assert households["7371010001001"].welfare_decile == 1
    assert households["7371010001001"].kk_number == "7371010101100001"
    assert households["7371010001002"].welfare_decile == 3

    again = registry_import(path=write_csv(tmp_path / "dtks.csv", DTKS), source="DTKS-2026-03")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Person.objects.count() == 3 and Household.objects.count() == 2


def test_dtks_xlsx_with_number_and_date_cells_imports_the_same(villages, tmp_path, settings):
    registry_import(path=write_csv(tmp_path / "dtks.csv", DTKS), source="DTKS-CSV")
    from_csv = people()
    Person.objects.all().delete()
    Household.objects.all().delete()
    batch = registry_import(path=write_xlsx(tmp_path / "dtks.xlsx", DTKS), source="DTKS-XLSX")
    assert batch.rows_rejected == 0 and batch.mapping["layout"] == "dtks-2020"
    assert people() == from_csv


def test_bad_codes_are_rejected_with_the_files_own_column_names(villages, tmp_path):
    rows = [
        *DTKS,
        dtks_row(
            IDBDT="H9", IDARTBDT="9", Nama="X", JnsKel="3", TglLahir="01-01-1990", Hub_KRT="1"
        ),
        dtks_row(
            IDBDT="H10", IDARTBDT="10", Nama="Y", JnsKel="1", TglLahir="01-01-1990", Hub_KRT="9"
        ),
        dtks_row(
            IDBDT="H11",
            IDARTBDT="11",
            KDDESA="9999",
            Nama="Z",
            JnsKel="2",
            TglLahir="1990-13-01",
            Hub_KRT="1",
            Jenis_cacat="77",
        ),
        dtks_row(
            IDARTBDT="737101000100103",
            Nama="WA ODE",
            JnsKel="2",
            TglLahir="01-01-1950",
            Hub_KRT="6",
            Sta_keberadaan_art="3",
        ),
    ]
    batch = registry_import(path=write_csv(tmp_path / "dtks.csv", rows), source="DTKS")
    assert (batch.rows_accepted, batch.rows_rejected) == (3, 4)
    with translation.override("en"):
        report = read_error_report(batch.error_report)
    cells = {
        (r["row"], r["column"]): r["reason"]
        for r in report.filter(pl.col("row") > 1).iter_rows(named=True)
    }
    assert cells == {
        (5, "JnsKel"): "unknown code (allowed: 1, 2)",
        (6, "Hub_KRT"): "unknown code (allowed: 1, 2, 3, 4, 5, 6, 7, 8)",
        (7, "KDPROP+KDKAB+KDKEC+KDDESA"): "unknown village code",
        (7, "TglLahir"): "not a valid date (expected %d-%m-%Y|%d/%m/%Y|%Y/%m/%d)",
        (7, "Jenis_cacat"): ("unknown code (allowed: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)"),
        (8, "Sta_keberadaan_art"): (
            "recorded as no longer living in the household (tidak tinggal di ruta/pindah): "
            "not imported"
        ),
    }
    assert Person.objects.count() == 3  # the good rows are kept


def test_a_missing_required_column_is_named_as_the_layout_expects(villages, tmp_path):
    header = [h for h in DTKS_HEADER if h != "JnsKel"]
    rows = [[c for h, c in zip(DTKS_HEADER, row, strict=True) if h != "JnsKel"] for row in DTKS]
    with pytest.raises(ExtractError) as exc, translation.override("en"):
        registry_import(
            path=write_csv(tmp_path / "dtks.csv", rows, header), source="DTKS", layout="dtks-2020"
        )
    with translation.override("en"):
        assert str(exc.value) == "required columns missing from the file: JnsKel"


def test_layout_none_reads_the_exchange_format_and_unknown_layouts_are_refused(villages, tmp_path):
    path = write_csv(tmp_path / "dtks.csv", DTKS)
    with pytest.raises(ExtractError) as exc:
        registry_import(path=path, source="DTKS", layout="none")
    assert exc.value.code == "missing_required"
    with pytest.raises(ExtractError) as exc:
        registry_import(path=path, source="DTKS", layout="dtks-1999")
    assert exc.value.code == "layout_unknown"
    mapping = tmp_path / "m.yaml"
    mapping.write_text("columns: {IDBDT: household_id}\n")
    with pytest.raises(ExtractError) as exc:
        registry_import(path=path, source="DTKS", layout="dtks-2020", mapping_path=mapping)
    assert exc.value.code == "layout_and_mapping"
    assert Person.objects.count() == 0


def test_detection_needs_every_detecting_header():
    assert layouts.detect(DTKS_HEADER).name == "dtks-2020"
    assert layouts.detect([h.upper() for h in DTKS_HEADER]).name == "dtks-2020"
    assert layouts.detect([h for h in DTKS_HEADER if h != "Hub_KRT"]) is None
    assert layouts.detect(["household_id", "person_id", "name", "sex"]) is None


def test_every_shipped_layout_maps_onto_our_codes():
    """Each code translation lands on one of our codes (or yes/no, or empty = unknown)."""
    from pksai.registry.codes import COLUMN_BY_NAME, FALSE_WORDS, TRUE_WORDS

    assert layouts.layouts()
    for layout in layouts.layouts().values():
        mapping = layout.mapping
        for column, codes in mapping.values.items():
            spec = COLUMN_BY_NAME[column]
            allowed = {
                "code": set(spec.codes) | ({"M", "F"} if column == "sex" else set()),
                "bool": set(TRUE_WORDS) | set(FALSE_WORDS),
                "int": {str(n) for n in range(0, 100)},
            }[spec.kind] | {""}
            assert set(codes.values()) <= allowed, (layout.name, column)
        for column, cols in mapping.flags.items():
            assert set(cols.values()) <= set(COLUMN_BY_NAME[column].codes), layout.name
        assert layout.detect and layout.title and layout.source


def test_flags_and_composed_codes_are_vectorised_expressions():
    """The same translation in file scoring (``normalised``) as in the import."""
    mapping = layouts.get("dtks-2020").mapping
    frame = pl.DataFrame([DTKS[0], DTKS[2]], schema=DTKS_HEADER, orient="row").with_row_index(
        "__row", offset=2
    )
    typed = normalised(frame.lazy(), mapping).collect()
    assert typed["village_code"].to_list() == ["73.71.01.1001", "73.71.01.1002"]
    assert typed["other_programs"].to_list() == ["pkh;bpnt;kis", None]
    assert typed["sex"].to_list() == ["M", "M"]
    mapped = apply_mapping(frame.with_columns(pl.col("__row").cast(pl.Int64)), mapping)
    assert mapped["relationship"].to_list() == ["head", "grandchild"]
    # A full 10-digit village code in KDDESA is taken as it is.
    full = frame.with_columns(pl.lit("7371011002").alias("KDDESA"))
    assert normalised(full, mapping)["village_code"].to_list() == ["73.71.01.1002"] * 2
    assert Mapping({}, {}).is_empty


# --- Regsosek 2022 / DTSEN ------------------------------------------------------------------

REGSOSEK_HEADER = [
    "id_keluarga",
    "id_penduduk",
    "kode_provinsi",
    "kode_kabupaten",
    "kode_kecamatan",
    "kode_desa",
    "no_kk",
    "nik",
    "nama",
    "kd_ket_keberadaan_art",
    "kd_jenis_kelamin",
    "tanggal_lahir",
    "kd_hubungan_dg_kk",
    "kd_punya_kartuid",
    "kd_partisipasi_sekolah",
    "kd_pendidikan_tertinggi",
    "kd_sulit_penglihatan",
    "kd_sulit_pendengaran",
    "kd_sulit_jalan_naiktangga",
    "kd_sulit_paham_bicara_kom",
    "kd_sulit_mandiri",
    "kd_penyakit_kronis_menahun",
    "kd_jenis_lantai_terluas",
    "kd_sumber_air_minum",
    "kd_lemari_es",
    "kd_pkh",
    "kd_bss_bnpt",
    "kd_ikut_pip",
    "desil",
]
REGSOSEK = [
    # head: no difficulty, hypertension; the family: floor of earth, PKH, decile 2
    [
        "K1",
        "P1",
        "73",
        "71",
        "01",
        "1001",
        "7371010101100001",
        "7371011203800001",
        "Daeng Baso",
        "1",
        "1",
        "12-03-1980",
        "1",
        "4",
        "3",
        "8",
        "4",
        "4",
        "4",
        "4",
        "4",
        "2",
        "8",
        "11",
        "2",
        "1",
        "2",
        "2",
        "2",
    ],
    # child: a lot of difficulty seeing and some hearing → multiple, moderate; has akta + KIA
    [
        "K1",
        "P2",
        "73",
        "71",
        "01",
        "1001",
        "7371010101100001",
        "7371014507150003",
        "Nur Aisyah",
        "1",
        "2",
        "05-07-2015",
        "3",
        "3",
        "2",
        "3",
        "2",
        "3",
        "4",
        "4",
        "4",
        "1",
        "8",
        "11",
        "2",
        "1",
        "2",
        "1",
        "2",
    ],
    # grandmother who died since: not imported
    [
        "K1",
        "P3",
        "73",
        "71",
        "01",
        "1001",
        "7371010101100001",
        "",
        "Wa Ode",
        "2",
        "2",
        "01-01-1940",
        "6",
        "0",
        "1",
        "",
        "",
        "",
        "",
        "",
        "",
        "1",
        "8",
        "11",
        "2",
        "1",
        "2",
        "2",
        "2",
    ],
    # child who cannot walk at all, never in school, no answers on the other items
    [
        "K2",
        "P1",
        "73",
        "71",
        "01",
        "1002",
        "",
        "",
        "Andi",
        "1",
        "1",
        "30/01/2012",
        "3",
        "0",
        "1",
        "",
        "",
        "",
        "1",
        "",
        "",
        "1",
        "2",
        "3",
        "1",
        "2",
        "2",
        "2",
        "5",
    ],
]


def test_regsosek_extract_imports_with_difficulties_and_absent_members(villages, tmp_path):
    path = write_csv(tmp_path / "regsosek.csv", REGSOSEK, REGSOSEK_HEADER)
    batch = registry_import(path=path, source="DTSEN-2026-01")
    assert batch.mapping["layout"] == "regsosek-2022"
    assert (batch.rows_read, batch.rows_accepted, batch.rows_rejected) == (4, 3, 1)
    got = {
        p.name: (
            p.sex,
            p.relationship,
            p.birth_certificate,
            p.school_participation,
            p.school_level,
            p.disability_type,
            p.disability_severity,
            p.chronic_illness,
            p.other_programs,
        )
        for p in Person.objects.all()
    }
    assert got == {
        "Daeng Baso": ("M", "head", False, "dropped_out", "smp", "none", "none", True, "pkh"),
        "Nur Aisyah": (
            "F",
            "child",
            True,
            "attending",
            "sd",
            "multiple",
            "moderate",
            False,
            "pkh;pip",
        ),
        "Andi": ("M", "child", False, "never", "", "physical", "severe", False, ""),
    }
    family = Household.objects.get(registry_id="K1")
    assert (family.floor_type, family.water_source, family.has_refrigerator) == (
        "earth",
        "",
        False,
    )
    assert family.welfare_decile == 2
    with translation.override("en"):
        report = read_error_report(batch.error_report).filter(pl.col("row") > 1)
    assert report.rows() == [
        (
            4,
            "kd_ket_keberadaan_art",
            "2",
            "rejected",
            "recorded as no longer living in the household (meninggal): not imported",
        )
    ]


# --- the import page and the API -------------------------------------------------------------


@pytest.fixture
def officer(villages, settings, tmp_path):
    from pksai.accounts.tests.factories import make_user

    settings.VAR_DIR = tmp_path / "var"
    return make_user("officer", roles=["data_officer"], scope=["73.71"])


def dtks_upload(tmp_path, rows=DTKS):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = write_csv(tmp_path / "source.csv", rows).read_bytes()
    return SimpleUploadedFile("DTKS_7371_2026.csv", data, content_type="text/csv")


def test_the_import_page_offers_the_layouts_and_recognises_an_official_file(
    client, officer, tmp_path, django_capture_on_commit_callbacks
):
    from pksai.registry.models import ImportBatch

    client.force_login(officer)
    page = client.get("/registry/imports/")
    assert 'name="layout"' in page.text
    assert 'value="dtks-2020"' in page.text and 'value="regsosek-2022"' in page.text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/registry/imports/", {"file": dtks_upload(tmp_path), "source": "DTKS-2026-03"}
        )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and batch.status == ImportBatch.Status.DONE
    assert (batch.rows_accepted, batch.mapping["layout"]) == (3, "dtks-2020")
    client.cookies["django_language"] = "en"
    detail = client.get(response["Location"])
    assert "read as the national registry layout dtks-2020" in detail.text

    # a layout and a mapping together, or an unknown layout: a form error, nothing stored
    from django.core.files.uploadedfile import SimpleUploadedFile

    both = client.post(
        "/registry/imports/",
        {
            "file": dtks_upload(tmp_path),
            "source": "DTKS",
            "layout": "dtks-2020",
            "mapping": SimpleUploadedFile("m.yaml", b"columns: {IDBDT: household_id}\n"),
        },
    )
    assert both.status_code == 200 and ImportBatch.objects.count() == 1
    unknown = client.post(
        "/registry/imports/",
        {"file": dtks_upload(tmp_path), "source": "DTKS", "layout": "dtks-1999"},
    )
    assert unknown.status_code == 200 and ImportBatch.objects.count() == 1


def test_the_api_takes_a_layout(client, officer, tmp_path, django_capture_on_commit_callbacks):
    from pksai.registry.tests.test_api import bearer

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/registry/imports/",
            {"file": dtks_upload(tmp_path), "source": "DTKS-2026-03", "layout": "dtks-2020"},
            headers=bearer(officer),
        )
    assert response.status_code == 202, response.content
    status = client.get(
        f"/api/v1/registry/imports/{response.json()['id']}/", headers=bearer(officer)
    ).json()
    assert status["status"] == "done" and status["counts"]["accepted"] == 3
    refused = client.post(
        "/api/v1/registry/imports/",
        {"file": dtks_upload(tmp_path), "source": "DTKS", "layout": "nope"},
        headers=bearer(officer),
    )
    assert refused.status_code in (400, 422)


def test_score_file_reads_a_regsosek_extract_like_the_import(tmp_path):
    """Scoring the file: the same translation, and members no longer resident left out."""
    from pksai.vulnerability.files import score_file
    from pksai.vulnerability.rules import compile_ruleset, parse_ruleset
    from pksai.vulnerability.services import DEFAULT_RULES

    path = write_csv(tmp_path / "regsosek.csv", REGSOSEK, REGSOSEK_HEADER)
    out = tmp_path / "scores.parquet"
    rules = compile_ruleset(parse_ruleset(Path(DEFAULT_RULES).read_text(encoding="utf-8")))
    score_file(source=path, out=out, rules=rules, detect_layout=True)
    scores = pl.read_parquet(out).sort("household_id", "person_id")
    assert scores.select("household_id", "person_id", "village_code").rows() == [
        ("K1", "P1", "73.71.01.1001"),
        ("K1", "P2", "73.71.01.1001"),
        ("K2", "P1", "73.71.01.1002"),
    ]
    # the children (born 2015 and 2012) get a risk level, the head none
    assert [level is None for level in scores["risk_level"]] == [True, False, False]


def test_an_offices_own_mapping_may_use_the_layout_keys(tmp_path):
    """``not_resident`` and ``difficulty`` alone (no other built column) still apply."""
    mapping_file = tmp_path / "m.yaml"
    mapping_file.write_text(
        "not_resident: {status: {'2': died}}\n"
        "difficulty: {levels: {'1': severe, '4': none}, columns: {sight: visual}}\n",
        encoding="utf-8",
    )
    mapping = Mapping.load(mapping_file)
    assert not mapping.is_empty
    frame = pl.DataFrame({"status": ["1", "02", None], "sight": ["4", "1", None]})
    built = normalised(frame, mapping)
    assert built["disability_type"].to_list() == ["none", "visual", None]
    assert built["disability_severity"].to_list() == ["none", "severe", None]
    assert built["__not_resident__status"].to_list() == [None, "died", None]
