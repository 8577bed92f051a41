"""LKSA proposals: a partner institution's list of children, checked row by row (vectorised),
the good rows nominated in bulk, re-imports changing nothing (docs/proposal-format.md)."""

import io
from datetime import date

import polars as pl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from pksai.accounts.models import Organisation
from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.programs import services
from pksai.programs.models import Nomination, Program
from pksai.programs.proposals import proposals_import
from pksai.programs.tests.factories import make_person
from pksai.registry.importer import ExtractError

HEADER = (
    "nik,person_id,name,dependency,assistive_device_needed,bedridden,fixed_income,"
    "in_institution,notes"
)
CHILD = date(2015, 5, 1)


def csv_file(tmp_path, *rows: str, header: str = HEADER, name: str = "proposals.csv"):
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def officer(pilot_areas):
    return make_user("po", roles=["program_officer"], scope=["73.71"])


@pytest.fixture
def lksa(pilot_areas):
    return Organisation.objects.create(
        name="LKSA Harapan Bangsa", kind=Organisation.Kind.LKSA, area_id="73.71"
    )


@pytest.fixture
def pksa(db):
    return Program.objects.get(code="pksa")


@pytest.fixture
def children(pilot_areas):
    return {
        "ani": make_person("Ani Lestari", nik="7371010101150001", birth=CHILD, sex="F"),
        "budi": make_person("Budi Santoso", nik="", birth=CHILD),
        "citra": make_person("Citra Dewi", nik="7371010101150003", birth=CHILD, sex="F"),
        "dodi": make_person("Muh. Dodi", nik="7371010101150004", birth=CHILD),
        "gowa": make_person("Gita Gowa", nik="7306010101150005", birth=CHILD, village="73.06.01"),
        "jslu": make_person(
            "Eka Putri", nik="7371010101150006", birth=CHILD, sex="F", other_programs="jslu"
        ),
    }


def run(officer, pksa, lksa, path):
    with translation.override("en"):  # the reasons in the English source
        return proposals_import(by=officer, program=pksa, year=2026, partner=lksa, path=path)


def errors(result) -> list[tuple]:
    return [tuple(r) for r in result.errors.select("row", "column", "value", "reason").rows()]


@pytest.mark.django_db
def test_good_rows_are_nominated_and_every_rejected_row_is_reported(
    officer, pksa, lksa, children, tmp_path
):
    budi = children["budi"].pk
    path = csv_file(
        tmp_path,
        "7371010101150001,,Ani Lestari,total,yes,no,no,yes,Tinggal di panti",  # 2 good
        f",{budi},BUDI  santoso,partial,,,tidak,ya,",  # 3 good (person id, case, spaces)
        "7371999999999999,,Nobody,,,,,,",  # 4 unknown NIK
        "73710101,,Short,,,,,,",  # 5 malformed NIK
        "7371010101150003,,Citra Wati,,,,,,",  # 6 name mismatch
        "7306010101150005,,Gita Gowa,,,,,,",  # 7 outside the officer's scope
        "7371010101150001,,Ani Lestari,total,yes,no,no,yes,",  # 8 duplicate of row 2
        "7371010101150004,,Muh Dodi,some,,,,,",  # 9 bad dependency code
        "7371010101150004,,Muh Dodi,,maybe,,,,",  # 10 bad yes/no (and a repeat of row 9)
        ",,No Identity,,,,,,",  # 11 neither NIK nor person id
        f",{budi}x,Budi Santoso,,,,,,",  # 12 malformed person id
        ",999999,Budi Santoso,,,,,,",  # 13 unknown person id
        "7371010101150006,,Eka Putri,none,,,no,,",  # 14 good (receives JSLU)
        ",,,,,,,,",  # a blank line: skipped
    )
    result = run(officer, pksa, lksa, path)
    assert errors(result) == [
        (4, "nik", "7371999999999999", "unknown NIK"),
        (5, "nik", "73710101", "malformed NIK (16 digits)"),
        (6, "name", "Citra Wati", "name does not match the registry"),
        (7, "nik", "7306010101150005", "person outside your area scope"),
        (8, "nik", "7371010101150001", "duplicate of row 2"),
        (9, "dependency", "some", "unknown dependency code (allowed: none, partial, total)"),
        (10, "assistive_device_needed", "maybe", "expected yes or no"),
        (10, "nik", "7371010101150004", "duplicate of row 9"),
        (11, "nik", None, "give the NIK or the registry person_id"),
        (12, "person_id", f"{budi}x", "malformed person_id (a whole number)"),
        (13, "person_id", "999999", "unknown person_id"),
    ]
    assert result.summary() == {
        "rows_read": 13,
        "accepted": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "rejected": 10,
    }
    ani = Nomination.objects.get(person=children["ani"])
    assert (ani.source, ani.partner, ani.area_id, ani.created_by) == (
        "partner",
        lksa,
        "73.71.01.1001",
        officer,
    )
    assert (ani.dependency, ani.assistive_device_needed, ani.bedridden) == ("total", True, False)
    assert (ani.fixed_income, ani.in_institution, ani.notes) == (False, True, "Tinggal di panti")
    budi_nomination = Nomination.objects.get(person_id=budi)
    assert budi_nomination.dependency == "partial"
    assert budi_nomination.assistive_device_needed is None  # blank: unknown
    assert (budi_nomination.fixed_income, budi_nomination.in_institution) == (False, True)
    # flagged after the import: Eka already receives JSLU
    assert Nomination.objects.get(person=children["jslu"]).flag_other_assistance
    assert not ani.flag_other_assistance
    event = AuditEvent.objects.get(object_type="programs.nomination", action="create")
    assert event.detail["created"] == 3 and event.detail["rejected"] == 10
    assert event.detail["partner"] == lksa.pk and event.detail["program"] == "pksa"


@pytest.mark.django_db
def test_reimporting_the_same_file_changes_nothing(officer, pksa, lksa, children, tmp_path):
    path = csv_file(
        tmp_path,
        "7371010101150001,,Ani Lestari,total,yes,no,no,yes,Catatan",
        f",{children['budi'].pk},Budi Santoso,,,,,,",
        "7371010101150003,,Citra Wati,,,,,,",
    )
    first = run(officer, pksa, lksa, path)
    assert (first.created, first.rejected) == (2, 1)
    versions = dict(Nomination.objects.values_list("pk", "version"))
    again = run(officer, pksa, lksa, path)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 2, 1)
    assert Nomination.objects.count() == 2
    assert dict(Nomination.objects.values_list("pk", "version")) == versions


@pytest.mark.django_db
def test_an_already_nominated_person_gets_the_profile_updated(
    officer, pksa, lksa, children, tmp_path
):
    stored = services.nominate(
        by=officer,
        program=pksa,
        year=2026,
        person=children["ani"],
        source=Nomination.Source.OFFICE,
        profile={"dependency": "none", "bedridden": False, "notes": "Survei kantor"},
    )
    # the name as written by the partner (case, punctuation) still matches
    path = csv_file(tmp_path, "7371010101150001,,ANI LESTARI.,total,,,,,")
    result = run(officer, pksa, lksa, path)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    stored.refresh_from_db()
    assert stored.dependency == "total" and stored.version == 2
    # blank cells keep what the office recorded; the nomination keeps its source
    assert stored.bedridden is False and stored.notes == "Survei kantor"
    assert stored.source == "office" and stored.partner == lksa
    assert Nomination.objects.count() == 1
    again = run(officer, pksa, lksa, path)
    assert (again.updated, again.unchanged) == (0, 1)
    # a file without a profile column at all keeps the stored profile too
    short = csv_file(tmp_path, "7371010101150001,ANI LESTARI", header="nik,name", name="s.csv")
    assert run(officer, pksa, lksa, short).unchanged == 1


@pytest.mark.django_db
def test_a_shared_nik_needs_the_person_id_and_both_must_agree(
    officer, pksa, lksa, children, tmp_path
):
    twin = make_person("Ani Lestari", nik="7371010101150001", birth=CHILD, sex="F")
    ani = children["ani"]
    path = csv_file(
        tmp_path,
        "7371010101150001,,Ani Lestari,,,,,,",  # 2 two registry people with this NIK
        f"7371010101150003,{ani.pk},Ani Lestari,,,,,,",  # 3 not Ani's NIK
        f"7371010101150001,{twin.pk},Ani Lestari,,,,,,",  # 4 the person id decides
    )
    result = run(officer, pksa, lksa, path)
    assert errors(result) == [
        (
            2,
            "nik",
            "7371010101150001",
            "several registry people have this NIK: give the person_id too",
        ),
        (3, "nik", "7371010101150003", "not the NIK of the registry person_id"),
    ]
    assert list(Nomination.objects.values_list("person_id", flat=True)) == [twin.pk]


@pytest.mark.django_db
def test_scope_role_partner_and_program_are_checked(officer, pksa, lksa, children, tmp_path):
    path = csv_file(tmp_path, "7371010101150001,,Ani Lestari,,,,,,")
    gowa_officer = make_user("gpo", roles=["program_officer"], scope=["73.06"])
    result = run(gowa_officer, pksa, lksa, path)
    assert errors(result) == [(2, "nik", "7371010101150001", "person outside your area scope")]
    assert result.created == 0 and not Nomination.objects.exists()
    auditor = make_user("aud", roles=["auditor"], scope=["73.71"])
    with pytest.raises(PermissionDenied):
        run(auditor, pksa, lksa, path)
    provider = Organisation.objects.create(
        name="Puskesmas", kind=Organisation.Kind.SERVICE_PROVIDER, area_id="73.71"
    )
    with pytest.raises(ValidationError):
        run(officer, pksa, provider, path)
    with pytest.raises(ValidationError):  # a sub-program is chosen later, not proposed
        run(officer, Program.objects.get(code="pks_abt"), lksa, path)
    assert not Nomination.objects.exists()


@pytest.mark.django_db
def test_unreadable_files_and_missing_columns_import_nothing(officer, pksa, lksa, tmp_path):
    with pytest.raises(ExtractError):
        run(officer, pksa, lksa, csv_file(tmp_path, "Ani", header="name"))
    with pytest.raises(ExtractError):
        run(officer, pksa, lksa, csv_file(tmp_path, "1,2", header="nik,person_id"))
    with pytest.raises(ExtractError):
        run(officer, pksa, lksa, csv_file(tmp_path, "x", header="nik", name="list.txt"))


@pytest.mark.django_db
def test_xlsx_with_numeric_cells_and_headers_in_any_case(officer, pksa, lksa, children, tmp_path):
    path = tmp_path / "proposals.xlsx"
    pl.DataFrame(
        {
            "NIK": [7371010101150001, None],  # numbers, as spreadsheets keep them
            "Person ID": [None, children["budi"].pk],
            "Name": ["Ani Lestari", "Budi Santoso"],
            "Dependency": ["Total", "none"],
            "In Institution": ["Ya", "Tidak"],
        }
    ).write_excel(path)
    result = run(officer, pksa, lksa, path)
    assert (result.created, result.rejected) == (2, 0), result.errors
    assert Nomination.objects.get(person=children["ani"]).in_institution is True


def _children(n: int) -> list[str]:
    rows = []
    for i in range(n):
        person = make_person(f"Anak {i}", nik=f"7371019901{i:06d}", birth=CHILD)
        rows.append(f"{person.nik},,Anak {i},partial,no,no,no,yes,")
    return rows


@pytest.mark.django_db
def test_the_query_count_does_not_grow_with_the_rows(officer, pksa, lksa, tmp_path):
    rows = _children(60)

    def queries(lines: list[str], name: str) -> int:
        path = csv_file(tmp_path, *lines, name=name)
        with CaptureQueriesContext(connection) as ctx:
            run(officer, pksa, lksa, path)
        return len(ctx.captured_queries)

    small, large = queries(rows[:3], "small.csv"), queries(rows[3:], "large.csv")
    assert Nomination.objects.count() == 60
    assert large <= small + 1  # (a backend without RETURNING re-reads the keys)
    assert queries(rows, "all.csv") <= small  # unchanged: reads only
    updated = [r.replace("partial", "total") for r in rows]
    assert queries(updated[:3], "u3.csv") == queries(updated[3:], "u57.csv")
    assert Nomination.objects.filter(dependency="total").count() == 60


@pytest.mark.django_db
def test_the_command_prints_counts_and_rejected_rows(officer, pksa, lksa, children, tmp_path):
    path = csv_file(
        tmp_path, "7371010101150001,,Ani Lestari,total,,,,,", "7371010101150003,,Citra Wati,,,,,,"
    )
    out = io.StringIO()
    call_command(
        "import_proposals",
        str(path),
        "--program",
        "pksa",
        "--year",
        "2026",
        "--partner",
        str(lksa.pk),
        "--user",
        "po",
        stdout=out,
    )
    text = out.getvalue()
    assert "created 1" in text and "rejected 1" in text
    # the reason is in the active language (Bahasa Indonesia by default)
    assert "3\tname\tCitra Wati\t" in text
    assert "name does not match the registry" in text or "nama tidak sesuai" in text
    assert Nomination.objects.get().year == 2026


def test_the_format_guide_lists_the_columns_the_importer_reads():
    from django.conf import settings

    from pksai.programs.proposals import COLUMNS

    guide = (settings.BASE_DIR / "docs" / "proposal-format.md").read_text(encoding="utf-8")
    example = guide.split("```csv\n", 1)[1].split("```", 1)[0]
    assert example.splitlines()[0].split(",") == COLUMNS
    assert all(f"| `{column}` |" in guide for column in COLUMNS)
