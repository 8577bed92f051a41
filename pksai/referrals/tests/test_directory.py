"""The service-provider directory: saving a provider (optimistic locking, scope), the CSV/XLSX
import (row-level errors, upsert by area and name, bulk writes) and export (round trip), and
the pages with their permission denials."""

from __future__ import annotations

import io
import zipfile

import polars as pl
import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from pksai.accounts.models import Organisation
from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.cases.services import ConflictError
from pksai.referrals import directory
from pksai.referrals.models import Provider
from pksai.referrals.tests.factories import make_provider
from pksai.registry.importer import ExtractError

HEADER = (
    "name,sector,area_code,address,phone,email,services,catchment,contact_person,"
    "opening_hours,active"
)


def csv_file(tmp_path, *rows: str, header: str = HEADER, name: str = "providers.csv"):
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def english():
    """The services' messages are asserted in English (the source language)."""
    with translation.override("en"):
        yield


def login(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en"})


@pytest.fixture
def officer(team):
    """A data officer of Makassar (73.71): keeps the directory, no case work."""
    return make_user("do", roles=["data_officer"], scope=["73.71"])


def errors_of(result) -> list[tuple[int, str, str]]:
    return [(e["row"], e["column"], e["reason"]) for e in result.errors.iter_rows(named=True)]


# --- import ------------------------------------------------------------------------------


def test_import_rejects_each_bad_cell_with_its_reason_and_keeps_the_good_rows(officer, tmp_path):
    path = csv_file(
        tmp_path,
        "Puskesmas Mariso,health_centre,73.71.01,Jl. Rajawali 1,0411-871,pkm@example.id,"
        "health_check; immunisation,7306;73.71.01.1001,Bu Ani,Mon–Fri 08–16,yes",
        ",health_centre,73.71,,,,,,,,",  # 3: no name
        "RS X,clinic,73.71,,,,,,,,",  # 4: unknown sector
        "RS Y,hospital,99.99,,,,,,,,",  # 5: unknown area
        "RSUD Syekh Yusuf,hospital,73.06,,,,,,,,",  # 6: Gowa, outside the officer's scope
        "LBH Makassar,legal_aid,7371,,,lbh-at-example,legal_aid;flying,73.99,,,maybe",  # 7
        "Puskesmas Mariso,health_centre,73.71.01,Jl. Lain,,,,,,,",  # 8: duplicate of row 2
        ",,,,,,,,,,",  # a blank line is skipped, not rejected
        "Dinas Dukcapil Kota Makassar,civil_registry,7371,,,,birth_certificate;family_card,,,,",
    )
    result = directory.provider_import(by=officer, path=path)

    assert errors_of(result) == [
        (3, "name", "missing name"),
        (4, "sector", errors_of(result)[1][2]),
        (5, "area_code", "unknown area code"),
        (6, "area_code", "outside your area scope"),
        (7, "active", "expected yes or no"),
        (7, "catchment", "unknown catchment area code: 73.99"),
        (7, "email", "malformed e-mail address"),
        (7, "services", "unknown service code: flying"),
        (8, "name", "duplicate of row 2"),
    ]
    assert errors_of(result)[1][2].startswith("unknown sector code (allowed: health_centre")
    assert result.summary() == {
        "rows_read": 8,  # the blank line is not counted
        "accepted": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 6,
    }
    assert not Organisation.objects.filter(area_id="73.06").exists()
    pkm = Provider.objects.get(organisation__name="Puskesmas Mariso")
    assert pkm.organisation.area_id == "73.71.01"
    assert pkm.organisation.kind == Organisation.Kind.SERVICE_PROVIDER
    assert pkm.organisation.address == "Jl. Rajawali 1"
    assert pkm.contact_person == "Bu Ani"
    assert sorted(pkm.services.values_list("code", flat=True)) == ["health_check", "immunisation"]
    assert sorted(pkm.catchment.values_list("code", flat=True)) == ["73.06", "73.71.01.1001"]
    dukcapil = Provider.objects.get(organisation__name="Dinas Dukcapil Kota Makassar")
    assert dukcapil.organisation.area_id == "73.71"  # written without dots

    rejected = pl.read_csv(io.StringIO(result.rejected_csv()), infer_schema=False)
    assert rejected["row"].to_list() == ["3", "4", "5", "6", "7", "8"]
    assert rejected.filter(pl.col("row") == "6")["reasons"].item() == (
        "area_code: outside your area scope"
    )
    event = AuditEvent.objects.get(action="create", object_type="referrals.provider")
    assert event.actor_username == "do"
    assert event.detail["created"] == 2 and event.detail["rejected"] == 6


def test_reimport_changes_nothing_and_a_changed_row_updates_in_place(officer, tmp_path):
    rows = [
        "Puskesmas Mariso,health_centre,73.71.01,Jl. A,0411,,health_check,,Bu Ani,08-16,yes",
        "Shelter Makassar,shelter,73.71,,,,temporary_shelter,7306,,,yes",
        "LKSA Nurul Hikmah,lksa,73.71.01,,,,,,,,no",
    ]
    first = directory.provider_import(by=officer, path=csv_file(tmp_path, *rows))
    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)
    lksa = Organisation.objects.get(name="LKSA Nurul Hikmah")
    assert lksa.kind == Organisation.Kind.LKSA and not lksa.is_active
    versions = dict(Provider.objects.values_list("organisation__name", "version"))

    again = directory.provider_import(by=officer, path=csv_file(tmp_path, *rows))
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 3, 0)
    assert Organisation.objects.count() == 3 and Provider.objects.count() == 3
    assert dict(Provider.objects.values_list("organisation__name", "version")) == versions

    rows[0] = (
        "Puskesmas Mariso,health_centre,73.71.01,Jl. B,0411,,health_check;immunisation,,"
        "Bu Ani,08-16,yes"
    )
    changed = directory.provider_import(by=officer, path=csv_file(tmp_path, *rows))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 2)
    pkm = Provider.objects.get(organisation__name="Puskesmas Mariso")
    assert pkm.organisation.address == "Jl. B"
    assert pkm.version == versions["Puskesmas Mariso"] + 1
    assert sorted(pkm.services.values_list("code", flat=True)) == ["health_check", "immunisation"]
    assert Organisation.objects.count() == 3


def test_missing_optional_columns_keep_what_is_stored(officer, tmp_path):
    provider = make_provider("Puskesmas Mariso", area="73.71.01", sector="health_centre")
    Organisation.objects.filter(pk=provider.organisation_id).update(phone="0411-1")
    path = csv_file(tmp_path, "Puskesmas Mariso,hospital,73.71.01", header="Name,Sector,Area Code")
    result = directory.provider_import(by=officer, path=path)
    assert (result.updated, result.rejected) == (1, 0)
    provider.refresh_from_db()
    provider.organisation.refresh_from_db()
    assert provider.sector == "hospital"
    assert provider.organisation.phone == "0411-1"
    assert list(provider.services.values_list("code", flat=True)) == ["birth_certificate"]


def test_an_existing_organisation_without_provider_gets_one(officer, tmp_path):
    org = Organisation.objects.create(
        name="Dinas Pendidikan", kind=Organisation.Kind.GOVERNMENT, area_id="73.71"
    )
    result = directory.provider_import(
        by=officer,
        path=csv_file(tmp_path, "Dinas Pendidikan,education,73.71,,,,school_enrolment,,,,"),
    )
    assert result.created == 1
    org.refresh_from_db()
    assert org.provider.sector == "education"
    assert org.kind == Organisation.Kind.GOVERNMENT  # another kind of office keeps its kind


def test_unreadable_files_import_nothing(officer, tmp_path):
    with pytest.raises(ExtractError, match="required columns missing"):
        directory.provider_import(
            by=officer, path=csv_file(tmp_path, "X,73.71", header="name,area_code")
        )
    with pytest.raises(ExtractError, match="unsupported file type"):
        directory.provider_import(by=officer, path=csv_file(tmp_path, "x", name="p.txt"))
    assert not Provider.objects.exists()


def test_import_needs_the_directory_permissions(team, tmp_path):
    with pytest.raises(PermissionDenied):
        directory.provider_import(
            by=team["worker"], path=csv_file(tmp_path, "X,shelter,73.71,,,,,,,,")
        )


def _rows(n: int, address: str = "") -> list[str]:
    return [
        f"Provider {i:04d},health_centre,73.71.01,{address},,,health_check;immunisation,"
        f"7306;73.71.01.1001,,,yes"
        for i in range(n)
    ]


def test_writes_are_bulk_the_query_count_does_not_grow_with_the_rows(officer, tmp_path):
    def queries(rows: list[str]) -> int:
        path = csv_file(tmp_path, *rows)
        with CaptureQueriesContext(connection) as ctx:
            directory.provider_import(by=officer, path=path)
        return len(ctx.captured_queries)

    small_create, large_create = queries(_rows(3)), queries(_rows(60))
    assert large_create <= small_create + 1  # (a backend without RETURNING re-reads the keys)
    Provider.objects.all().delete()
    Organisation.objects.filter(kind=Organisation.Kind.SERVICE_PROVIDER).delete()
    queries(_rows(3))
    small_update = queries(_rows(3, address="Jl. Baru"))
    queries(_rows(60))
    large_update = queries(_rows(60, address="Jl. Baru"))
    assert large_update <= small_update
    assert Provider.objects.count() == 60
    assert Provider.services.through.objects.count() == 120


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_reimports_unchanged(officer, tmp_path, fmt):
    make_provider(focal="dukcapil", services_offered=("birth_certificate", "family_card"))
    pkm = make_provider(
        "Puskesmas Mariso", area="73.71.01", sector="health_centre", services_offered=()
    )
    directory.provider_save(
        by=officer,
        provider=pkm,
        expected_version=pkm.version,
        name="Puskesmas Mariso",
        sector="health_centre",
        area="73.71.01",
        address="Jl. Rajawali, No. 1",
        phone="0411-871",
        email="pkm@example.id",
        is_active=False,
        services=["immunisation", "health_check"],
        catchment=["73.06", "73.71.01.1001"],
        contact_person='Bu "Ani"',
        opening_hours="Mon–Fri 08:00–16:00",
    )
    make_provider("LKSA Harapan", area="73.71", sector="lksa", kind=Organisation.Kind.LKSA)
    content = directory.provider_export(Provider.objects.all(), fmt)
    path = tmp_path / f"export.{fmt}"
    path.write_bytes(content)
    frame = pl.read_csv(path, infer_schema=False) if fmt == "csv" else pl.read_excel(path)
    assert frame.columns == directory.COLUMNS
    row = frame.filter(pl.col("name") == "Puskesmas Mariso").row(0, named=True)
    assert row["services"] == "health_check;immunisation"
    assert row["catchment"] == "73.06;73.71.01.1001" and row["active"] == "no"

    result = directory.provider_import(by=officer, path=path)
    assert result.summary() == {
        "rows_read": 3,
        "accepted": 3,
        "created": 0,
        "updated": 0,
        "unchanged": 3,
        "rejected": 0,
    }


# --- saving one provider -------------------------------------------------------------------


def _save(by, provider=None, version=None, **fields):
    data = {"name": "Shelter Makassar", "sector": "shelter", "area": "73.71", **fields}
    return directory.provider_save(by=by, provider=provider, expected_version=version, **data)


def test_save_creates_updates_and_refuses_a_stale_version(team):
    coord = team["coordinator"]
    provider = _save(coord, services=["temporary_shelter"], catchment=["73.06"])
    assert provider.organisation.kind == Organisation.Kind.SERVICE_PROVIDER
    assert AuditEvent.objects.filter(action="create", object_id=str(provider.pk)).exists()

    provider = Provider.objects.get(pk=provider.pk)
    _save(coord, provider, 1, sector="lksa", phone="0411", services=[])
    provider = Provider.objects.get(pk=provider.pk)
    assert provider.version == 2 and provider.organisation.kind == Organisation.Kind.LKSA
    assert provider.organisation.phone == "0411" and not provider.services.exists()
    update = AuditEvent.objects.get(action="update", object_id=str(provider.pk))
    assert set(update.detail["fields"]) == {"catchment", "phone", "sector", "services"}

    with pytest.raises(ConflictError):
        _save(coord, provider, 1, phone="9999")  # someone saved since version 1
    provider.organisation.refresh_from_db()
    assert provider.organisation.phone == "0411"


def test_save_checks_scope_catalogue_and_duplicates(team):
    coord = team["coordinator"]
    with pytest.raises(ValidationError) as refused:
        _save(coord, area="73.06", services=["nope"], catchment=["99.99"], sector="x")
    assert set(refused.value.message_dict) == {"area", "services", "catchment", "sector"}
    make_provider("Shelter Makassar", area="73.71", sector="shelter")
    with pytest.raises(ValidationError) as refused:
        _save(coord)
    assert "already exists" in refused.value.message_dict["name"][0]
    with pytest.raises(PermissionDenied):
        _save(team["worker"], name="Other")
    gowa = make_provider("RSUD Syekh Yusuf", area="73.06", sector="hospital")
    with pytest.raises(PermissionDenied):
        _save(coord, gowa, gowa.version, name="RSUD Syekh Yusuf", area="73.71")


# --- pages ------------------------------------------------------------------------------


@pytest.fixture
def directory_data(team, dukcapil, puskesmas):
    gowa = make_provider(
        "RSUD Syekh Yusuf", area="73.06", sector="hospital", services_offered=("visum",)
    )
    gowa.catchment.set(["73.71.01"])  # serves Mariso, so Makassar staff see it
    solo = make_provider("Puskesmas Solo", area="33.72", sector="health_centre")
    return {"dukcapil": dukcapil, "puskesmas": puskesmas, "gowa": gowa, "solo": solo}


def test_list_searches_and_filters_within_scope(client, team, directory_data):
    login(client, team["worker"])
    response = client.get("/providers/")
    assert response.status_code == 200
    for name in ("Dinas Dukcapil Kota Makassar", "Puskesmas Mariso", "RSUD Syekh Yusuf"):
        assert name in response.text
    assert "Puskesmas Solo" not in response.text
    assert "Add a provider" not in response.text  # a social worker only reads

    response = client.get("/providers/", {"sector": "health_centre"})
    assert "Puskesmas Mariso" in response.text and "Dinas Dukcapil Kota" not in response.text
    response = client.get("/providers/", {"service": "visum"})
    assert "RSUD Syekh Yusuf" in response.text and "Puskesmas Mariso" not in response.text
    response = client.get("/providers/", {"area": "73.71.01.1001"})
    assert "Puskesmas Mariso" in response.text and "RSUD Syekh Yusuf" in response.text
    response = client.get("/providers/", {"q": "mariso"})
    assert "Puskesmas Mariso" in response.text and "Dinas Dukcapil Kota" not in response.text


@pytest.mark.parametrize("who", ["focal", "auditor"])
def test_readers_without_view_provider_get_403_on_the_list_and_404_on_a_page(
    client, team, directory_data, who
):
    user = (
        Organisation.objects.get(name="Dinas Dukcapil Kota Makassar").members.get()
        if who == "focal"
        else make_user("aud", roles=["auditor"], scope=["73.71"])
    )
    login(client, user)
    assert client.get("/providers/").status_code == 403
    own = directory_data["dukcapil"].pk
    assert client.get(f"/providers/{own}/").status_code == 404
    assert client.get("/providers/export/?format=csv&purpose=x").status_code == 403
    assert client.get("/providers/export/?format=csv").status_code == 403  # before the purpose


def test_detail_shows_catchment_and_focal_persons_and_is_404_out_of_scope(
    client, team, directory_data
):
    login(client, team["worker"])
    focal = Organisation.objects.get(name="Puskesmas Mariso").members.get()
    focal.email = "pkm.focal@example.id"
    focal.save()
    response = client.get(f"/providers/{directory_data['puskesmas'].pk}/")
    assert response.status_code == 200
    assert "pkm.focal@example.id" in response.text and "Immunisation" in response.text
    response = client.get(f"/providers/{directory_data['gowa'].pk}/")
    assert "Mariso (73.71.01)" in response.text
    assert AuditEvent.objects.filter(
        action="view", object_type="referrals.provider", actor_username="sw"
    ).exists()
    assert client.get(f"/providers/{directory_data['solo'].pk}/").status_code == 404


def test_social_worker_may_not_add_import_or_edit(client, team, directory_data):
    login(client, team["worker"])
    assert client.get("/providers/new/").status_code == 403
    assert client.post("/providers/new/", {"name": "X"}).status_code == 403
    assert client.get("/providers/import/").status_code == 403
    assert client.get(f"/providers/{directory_data['dukcapil'].pk}/edit/").status_code == 403


def test_coordinator_adds_and_edits_and_a_stale_save_is_409_with_input_kept(
    client, team, directory_data
):
    login(client, team["coordinator"])
    form = {
        "name": "Shelter Makassar",
        "sector": "shelter",
        "area": "7371",
        "services": ["temporary_shelter", "psychosocial_counselling"],
        "catchment": "73.06; 7306.01",
        "is_active": "on",
    }
    assert client.get("/providers/new/").status_code == 200
    response = client.post("/providers/new/", form)
    assert response.status_code == 302, response.text
    provider = Provider.objects.get(organisation__name="Shelter Makassar")
    assert sorted(provider.catchment.values_list("code", flat=True)) == ["73.06", "73.06.01"]

    response = client.get(f"/providers/{provider.pk}/edit/")
    assert response.status_code == 200 and 'value="Shelter Makassar"' in response.text
    response = client.post(
        f"/providers/{provider.pk}/edit/", {**form, "phone": "0411-1", "version": 1}
    )
    assert response.status_code == 302
    response = client.post(
        f"/providers/{provider.pk}/edit/", {**form, "phone": "0411-2", "version": 1}
    )
    assert response.status_code == 409
    assert 'value="0411-2"' in response.text and "changed by someone else" in response.text
    provider.organisation.refresh_from_db()
    assert provider.organisation.phone == "0411-1"

    response = client.post("/providers/new/", {**form, "name": "Elsewhere", "area": "73.06"})
    assert response.status_code == 400 and "outside your area" in response.text
    # Gowa's hospital is visible (it serves Mariso) but kept by Gowa.
    assert client.get(f"/providers/{directory_data['gowa'].pk}/edit/").status_code == 403
    assert client.get(f"/providers/{directory_data['solo'].pk}/edit/").status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_follows_the_filters_and_is_audited(client, team, directory_data, fmt):
    login(client, team["worker"])
    # contact persons and phones are personal data: no file without a stated purpose
    refused = client.get("/providers/export/", {"format": fmt, "sector": "health_centre"})
    assert refused.status_code == 302
    assert refused.url == "/providers/?sector=health_centre"
    assert not AuditEvent.objects.filter(action="export").exists()
    page = client.get("/providers/", {"sector": "health_centre"})
    assert 'name="purpose"' in page.text and 'name="sector" value="health_centre"' in page.text
    response = client.get(
        "/providers/export/", {"format": fmt, "sector": "health_centre", "purpose": "referral map"}
    )
    assert response.status_code == 200
    assert f'filename="providers.{fmt}"' in response["Content-Disposition"]
    assert "purpose: referral map" in response["X-PKSAI-Watermark"]
    data = io.BytesIO(response.content)
    frame = pl.read_csv(data, infer_schema=False) if fmt == "csv" else pl.read_excel(data)
    assert frame["name"].to_list() == ["Puskesmas Mariso"]  # still re-importable
    if fmt == "xlsx":  # the watermark in the print header and the document comments
        with zipfile.ZipFile(io.BytesIO(response.content)) as book:
            sheet = book.read("xl/worksheets/sheet1.xml").decode()
            core = book.read("docProps/core.xml").decode()
        assert "purpose: referral map" in sheet and "purpose: referral map" in core
    event = AuditEvent.objects.get(action="export", object_type="referrals.provider")
    assert event.detail["format"] == fmt and event.detail["rows"] == 1
    assert event.detail["purpose"] == "referral map" and event.detail["personal_data"]


def test_import_page_shows_counts_and_rejected_rows(client, team, officer, tmp_path):
    login(client, officer)
    assert client.get("/providers/import/").status_code == 200
    path = csv_file(
        tmp_path,
        "Puskesmas Mariso,health_centre,73.71.01,,,,health_check,,,,",
        "RSUD Syekh Yusuf,hospital,73.06,,,,,,,,",
    )
    upload = SimpleUploadedFile("providers.csv", path.read_bytes(), content_type="text/csv")
    response = client.post("/providers/import/", {"file": upload})
    assert response.status_code == 200
    assert "Providers created" in response.text and "outside your area scope" in response.text
    assert Provider.objects.get().organisation.name == "Puskesmas Mariso"
    rejected = client.get("/providers/import/rejected.csv")
    assert rejected.status_code == 200
    assert "RSUD Syekh Yusuf" in rejected.text and "Puskesmas Mariso" not in rejected.text

    bad = SimpleUploadedFile("providers.pdf", b"%PDF", content_type="application/pdf")
    assert client.post("/providers/import/", {"file": bad}).status_code == 400
    header_only = SimpleUploadedFile("p.csv", b"name,area_code\nX,73.71\n")
    response = client.post("/providers/import/", {"file": header_only})
    assert response.status_code == 400 and "required columns missing" in response.text


def test_import_command_prints_counts_and_rejected_rows(team, tmp_path):
    path = csv_file(
        tmp_path,
        "Puskesmas Mariso,health_centre,73.71.01,,,,health_check,,,,",
        "RSUD Syekh Yusuf,hospital,73.06,,,,,,,,",
        "Nowhere,hospital,99.99,,,,,,,,",
    )
    out = io.StringIO()
    call_command("import_providers", str(path), stdout=out)
    assert "created 2" in out.getvalue() and "rejected 1" in out.getvalue()
    assert "99.99\tunknown area code" in out.getvalue()

    out = io.StringIO()
    errors = tmp_path / "rejected.csv"
    call_command("import_providers", str(path), "--user", "coord", "--errors", errors, stdout=out)
    assert "unchanged 1" in out.getvalue() and "rejected 2" in out.getvalue()
    assert "outside your area scope" in errors.read_text()


def test_the_example_of_the_format_guide_imports(team, tmp_path):
    guide = (settings.BASE_DIR / "docs" / "provider-format.md").read_text(encoding="utf-8")
    example = guide.split("```csv\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.csv"
    path.write_text(example, encoding="utf-8")
    result = directory.provider_import(by=None, path=path)
    assert (result.created, result.rejected) == (4, 0), result.errors
    assert AuditEvent.objects.get(object_type="referrals.provider").actor_username == (
        "command line"
    )


# --- formula injection (issue 22) ------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_writes_formula_like_text_as_text_and_reimports_it(
    client, team, officer, tmp_path, fmt
):
    from pksai.core.tests.spreadsheet import HOSTILE, assert_csv_safe, assert_xlsx_safe

    pkm = make_provider("Puskesmas Mariso", area="73.71.01", sector="health_centre")
    directory.provider_save(
        by=officer,
        provider=pkm,
        expected_version=pkm.version,
        name=HOSTILE[0],
        sector="health_centre",
        area="73.71.01",
        address=HOSTILE[2],
        phone="+62 411 871",
        email="",
        is_active=True,
        services=[],
        catchment=[],
        contact_person=HOSTILE[1],
        opening_hours=HOSTILE[3],
    )
    login(client, officer)
    response = client.get("/providers/export/", {"format": fmt, "purpose": "check"})
    assert response.status_code == 200
    if fmt == "csv":
        assert_csv_safe(response.content, [*HOSTILE, "+62 411 871"])
    else:
        assert_xlsx_safe(response.content, [*HOSTILE, "+62 411 871"])
    path = tmp_path / f"export.{fmt}"
    path.write_bytes(response.content)
    result = directory.provider_import(by=officer, path=path)
    assert result.summary()["unchanged"] == 1 and result.summary()["rejected"] == 0
    stored = directory.provider_frame(Provider.objects.all()).row(0, named=True)
    assert stored["name"] == HOSTILE[0] and stored["phone"] == "+62 411 871"
    assert stored["contact_person"] == HOSTILE[1] and stored["address"] == HOSTILE[2]


def test_rejected_rows_of_an_import_are_quoted(client, officer, tmp_path):
    from pksai.core.tests.spreadsheet import assert_csv_safe

    login(client, officer)
    path = csv_file(tmp_path, "@SUM(A1),hospital,73.06,,-2+3,,,,,,")
    upload = SimpleUploadedFile("providers.csv", path.read_bytes(), content_type="text/csv")
    assert client.post("/providers/import/", {"file": upload}).status_code == 200
    rejected = client.get("/providers/import/rejected.csv")
    assert_csv_safe(rejected.content, ["@SUM(A1)", "-2+3"])
