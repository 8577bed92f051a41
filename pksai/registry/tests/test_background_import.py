from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.registry.models import ImportBatch, Person
from pksai.registry.services import registry_import_enqueue
from pksai.registry.tests.test_api import bearer
from pksai.registry.tests.test_import import GOOD, write_csv

# One row in a village that does not exist: rejected, listed in the error report.
UNKNOWN_VILLAGE = [*GOOD[2][:2], "7371019999", *GOOD[2][3:]]
UNKNOWN_VILLAGE[0] = "H9"


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    return settings.VAR_DIR


@pytest.fixture
def officer(pilot_areas):
    return make_user("officer", roles=["data_officer"], scope=["73.71"])


def extract(tmp_path: Path, name: str = "extract.csv") -> SimpleUploadedFile:
    path = write_csv(tmp_path / "source.csv", [*GOOD, UNKNOWN_VILLAGE])
    return SimpleUploadedFile(name, path.read_bytes(), content_type="text/csv")


def upload(client, tmp_path, capture, **extra):
    data = {"file": extract(tmp_path), "source": "DTKS-2026-09", **extra}
    with capture(execute=True):
        return client.post("/registry/imports/", data)


def test_upload_page_imports_in_the_background(
    client, officer, tmp_path, var_dir, django_capture_on_commit_callbacks
):
    client.force_login(officer)
    page = client.get("/registry/imports/")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text

    response = upload(client, tmp_path, django_capture_on_commit_callbacks)
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/registry/imports/{batch.pk}/"
    assert batch.status == ImportBatch.Status.DONE and batch.progress == 100
    assert batch.summary() == {
        "read": 4,
        "accepted": 3,
        "rejected": 1,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "retired": 0,
    }
    assert batch.file_name == "extract.csv" and batch.created_by == officer
    # "DTKS-2026-09" names the source and its edition.
    assert (batch.source, batch.edition) == ("DTKS", "2026-09") and len(batch.file_sha256) == 64
    assert Person.objects.filter(batch=batch).count() == 3
    stored = list((var_dir / "imports" / "uploads").iterdir())
    assert len(stored) == 1 and stored[0].suffix == ".csv" and stored[0].name != "extract.csv"
    assert AuditEvent.objects.filter(
        action="create", object_type="registry.importbatch", object_id=str(batch.pk)
    ).exists()

    detail = client.get(response["Location"])
    assert detail.status_code == 200
    assert "<progress" in detail.text and "hx-trigger" not in detail.text
    assert f"/registry/imports/{batch.pk}/errors.csv" in detail.text
    listing = client.get("/registry/imports/")
    assert "extract.csv" in listing.text and f"/registry/imports/{batch.pk}/" in listing.text


def test_progress_partial_polls_until_finished(client, officer):
    client.force_login(officer)
    batch = ImportBatch.objects.create(source="DTKS", file_name="x.csv", created_by=officer)
    running = client.get(f"/registry/imports/{batch.pk}/progress/", headers={"HX-Request": "true"})
    assert running.status_code == 200
    assert 'hx-trigger="every 1s"' in running.text
    assert f'hx-get="/registry/imports/{batch.pk}/progress/"' in running.text
    assert "<html" not in running.text  # a fragment, not a page

    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.DONE, progress=100)
    done = client.get(f"/registry/imports/{batch.pk}/progress/", headers={"HX-Request": "true"})
    assert done.status_code == 200
    assert '<progress value="100"' in done.text
    assert "hx-trigger" not in done.text and "hx-get" not in done.text


def test_error_report_download_is_audited(
    client, officer, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(officer)
    upload(client, tmp_path, django_capture_on_commit_callbacks)
    batch = ImportBatch.objects.get()
    page = client.get(f"/registry/imports/{batch.pk}/")
    assert 'name="purpose"' in page.text
    refused = client.get(f"/registry/imports/{batch.pk}/errors.csv")  # names, NIKs: a purpose
    assert refused.status_code == 302 and refused.url == f"/registry/imports/{batch.pk}/"
    assert not AuditEvent.objects.filter(action="export").exists()
    response = client.get(f"/registry/imports/{batch.pk}/errors.csv", {"purpose": "fix rows"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert "fix rows" in response["X-PKSAI-Watermark"]
    body = response.content.decode()
    assert body.splitlines()[0] == "row,column,value,kind,reason"
    assert "village_code" in body and "7371019999" in body
    event = AuditEvent.objects.get(action="export")
    assert event.object_type == "registry.importbatch" and event.object_id == str(batch.pk)
    assert event.actor_username == "officer"
    assert event.detail["purpose"] == "fix rows" and event.detail["personal_data"]

    clean = ImportBatch.objects.create(source="DTKS", file_name="y.csv", created_by=officer)
    assert client.get(f"/registry/imports/{clean.pk}/errors.csv?purpose=x").status_code == 404


def test_bad_file_type_is_a_form_error(client, officer, var_dir):
    client.force_login(officer)
    response = client.post(
        "/registry/imports/",
        {"file": SimpleUploadedFile("notes.txt", b"hello\n"), "source": "DTKS"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert any(".txt" in e and ".csv" in e for e in errors), errors
    assert 'role="alert"' in response.text and ".txt" in response.text
    assert not ImportBatch.objects.exists()
    assert not list((var_dir / "imports" / "uploads").glob("*"))


def test_unreadable_file_leaves_the_batch_failed(
    client, officer, django_capture_on_commit_callbacks
):
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/registry/imports/",
            {"file": SimpleUploadedFile("broken.csv", b"name,sex\nA,M\n"), "source": "DTKS"},
        )
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED
    assert "household_id, village_code" in batch.message  # the missing required columns
    page = client.get(f"/registry/imports/{batch.pk}/")
    assert page.status_code == 200 and "hx-trigger" not in page.text


def test_others_see_only_their_own_batches_without_view_permission(client, officer):
    theirs = ImportBatch.objects.create(source="DTKS", file_name="a.csv", created_by=officer)
    uploader = make_user("uploader", roles=["focal_person"], scope=["73.71"])
    uploader.user_permissions.add(Permission.objects.get(codename="add_importbatch"))
    mine = ImportBatch.objects.create(  # filed under the uploader's area, as on upload
        source="DTKS", file_name="b.csv", created_by=uploader, area_id="73.71"
    )
    client.force_login(uploader)
    listing = client.get("/registry/imports/")
    assert listing.status_code == 200
    assert "b.csv" in listing.text and "a.csv" not in listing.text
    assert client.get(f"/registry/imports/{mine.pk}/").status_code == 200
    assert client.get(f"/registry/imports/{theirs.pk}/").status_code == 404

    client.force_login(officer)  # holds registry.view_importbatch: every batch of the area
    listing = client.get("/registry/imports/")
    assert "a.csv" in listing.text and "b.csv" in listing.text


def test_social_worker_is_refused_on_page_and_api(client, officer, tmp_path):
    batch = ImportBatch.objects.create(source="DTKS", file_name="a.csv", created_by=officer)
    worker = make_user("worker", roles=["social_worker"], scope=["73.71"])
    client.force_login(worker)
    assert client.get("/registry/imports/").status_code == 403
    post = client.post("/registry/imports/", {"file": extract(tmp_path), "source": "DTKS"})
    assert post.status_code == 403
    # one batch: the same 404 as a missing one (audited), never a hint that it exists
    assert client.get(f"/registry/imports/{batch.pk}/").status_code == 404
    assert client.get(f"/registry/imports/{batch.pk}/errors.csv").status_code == 404
    client.logout()

    headers = bearer(worker)
    api_post = client.post(
        "/api/v1/registry/imports/",
        {"file": extract(tmp_path), "source": "DTKS"},
        headers=headers,
    )
    assert api_post.status_code == 403
    assert client.get(f"/api/v1/registry/imports/{batch.pk}/", headers=headers).status_code == 404
    assert ImportBatch.objects.count() == 1
    denials = AuditEvent.objects.filter(action="permission_denied", actor_username="worker")
    assert denials.count() >= 5
    assert "/registry/imports/" not in client.get("/", headers={}).text


def test_focal_person_is_refused_on_the_api(client, pilot_areas, tmp_path):
    focal = make_user(roles=["focal_person"], scope=["73.71"])
    response = client.post(
        "/api/v1/registry/imports/",
        {"file": extract(tmp_path), "source": "DTKS"},
        headers=bearer(focal),
    )
    assert response.status_code == 403


def test_api_upload_is_accepted_and_reports_status(
    client, officer, tmp_path, django_capture_on_commit_callbacks
):
    headers = bearer(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/registry/imports/",
            {"file": extract(tmp_path), "source": "DTKS-2026-09"},
            headers=headers,
        )
    assert response.status_code == 202, response.content
    created = response.json()
    assert created["status"] == "queued" and created["file_name"] == "extract.csv"

    status = client.get(f"/api/v1/registry/imports/{created['id']}/", headers=headers)
    assert status.status_code == 200
    body = status.json()
    assert body["status"] == "done" and body["progress"] == 100
    assert body["counts"] == {
        "read": 4,
        "accepted": 3,
        "rejected": 1,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "retired": 0,
    }
    url = body["error_report_url"]
    assert url.endswith(f"/api/v1/registry/imports/{created['id']}/errors.csv")
    refused = client.get(url, headers=headers)  # personal data: 400 without a purpose
    assert refused.status_code == 400 and refused.json()["detail"]
    report = client.get(url, {"purpose": "fix rows"}, headers=headers)
    assert report.status_code == 200
    assert "fix rows" in report["X-PKSAI-Watermark"]
    assert b"7371019999" in report.content
    event = AuditEvent.objects.get(action="export", actor_username="officer")
    assert event.detail["purpose"] == "fix rows"


def test_api_rejects_a_bad_file_type(client, officer):
    response = client.post(
        "/api/v1/registry/imports/",
        {"file": SimpleUploadedFile("notes.txt", b"x"), "source": "DTKS"},
        headers=bearer(officer),
    )
    assert response.status_code == 400
    assert ".txt" in " ".join(response.json()["detail"])


@pytest.mark.django_db(transaction=True)
def test_database_backend_runs_in_the_worker(settings, pilot_areas, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    officer = make_user("officer", roles=["data_officer"], scope=["73.71"])
    batch = registry_import_enqueue(upload=extract(tmp_path), source="DTKS", by=officer)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.QUEUED
    assert DBTaskResult.objects.filter(task_path__endswith="run_registry_import").count() == 1

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE
    assert (batch.rows_accepted, batch.rows_rejected, batch.created) == (3, 1, 3)
    # The import ends by scoring what it brought in: a second task, run by the same worker.
    assert batch.scoring == ImportBatch.Scoring.DONE and batch.scored == 3
    results = DBTaskResult.objects.order_by("enqueued_at")
    assert [r.task_path.rsplit(".", 1)[1] for r in results] == [
        "run_registry_import",
        "score_import",
    ]
    assert {r.status for r in results} == {"SUCCESSFUL"}


def test_bad_mapping_is_a_form_error(client, officer, tmp_path, var_dir):
    client.force_login(officer)
    mapping = SimpleUploadedFile("office.yaml", b"columns: {NIK: not_a_column}\n")
    response = client.post(
        "/registry/imports/", {"file": extract(tmp_path), "source": "DTKS", "mapping": mapping}
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["mapping"])
    assert "office.yaml" in errors and "not_a_column" in errors and str(var_dir) not in errors
    assert not ImportBatch.objects.exists()
    assert not list((var_dir / "imports" / "uploads").glob("*"))


def test_openapi_documents_the_upload(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    body = schema["paths"]["/api/v1/registry/imports/"]["post"]["requestBody"]["content"]
    properties = body["multipart/form-data"]["schema"]["properties"]
    assert {"file", "source", "mapping"} <= properties.keys()


def test_uploaded_out_of_school_children_appear_among_vulnerable_children_without_another_step(
    client, officer, tmp_path, var_dir, django_capture_on_commit_callbacks
):
    """Issue 15: a file uploaded on the import page leads, with no other step (no rule set
    activated by hand, no `pksai score`), to its out-of-school children under "Anak rentan"."""
    from pksai.registry.tests.test_import import HEADER

    row = dict(zip(HEADER, GOOD[1], strict=True))
    row.update(
        household_id="H7",
        person_id="3",
        nik="",
        name="Putri Dg Ngai",
        birth_date="2013-02-14",
        school_participation="never",  # never enrolled: out of school
        meals_per_day="1",
    )
    path = write_csv(tmp_path / "school.csv", [*GOOD, list(row.values())])
    with django_capture_on_commit_callbacks(execute=True):
        client.force_login(officer)
        client.post(
            "/registry/imports/",
            {
                "file": SimpleUploadedFile("dtks.csv", path.read_bytes(), content_type="text/csv"),
                "source": "DTKS",
                "edition": "2026-09",
            },
        )
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.DONE and batch.scoring == ImportBatch.Scoring.DONE
    estimates = client.get("/vulnerability/")
    assert estimates.status_code == 200 and "Kota Makassar" in estimates.text
    outreach = client.get("/vulnerability/outreach/7371011001/")
    assert outreach.status_code == 200 and "Putri Dg Ngai" in outreach.text
    putri = Person.objects.get(name="Putri Dg Ngai")
    child = client.get(f"/vulnerability/children/{putri.pk}/")
    assert 'data-rule="not_in_school"' in child.text


def test_a_batch_whose_process_died_does_not_stay_running(client, officer, tmp_path):
    """A killed import (no heartbeat for STALE_AFTER) is shown failed, saying nothing of it
    was written; one still beating stays running."""
    from datetime import timedelta

    from django.utils import timezone

    from pksai.registry.services import STALE_AFTER

    long_ago = timezone.now() - STALE_AFTER - timedelta(minutes=1)
    dead = ImportBatch.objects.create(
        source="DTKS",
        file_name="big.csv",
        file_sha256="0" * 64,
        status=ImportBatch.Status.RUNNING,
        worker_pid=999_999,
        heartbeat_at=long_ago,
        created_by=officer,
    )
    alive = ImportBatch.objects.create(
        source="DTKS",
        file_name="busy.csv",
        file_sha256="1" * 64,
        status=ImportBatch.Status.RUNNING,
        heartbeat_at=timezone.now(),
        created_by=officer,
    )
    client.force_login(officer)
    page = client.get(f"/registry/imports/{dead.pk}/")
    dead.refresh_from_db(), alive.refresh_from_db()
    assert dead.status == ImportBatch.Status.FAILED and dead.finished_at is not None
    assert "nothing of it was written" in dead.message
    assert alive.status == ImportBatch.Status.RUNNING
    assert page.status_code == 200


def test_data_officers_see_the_import_batches_of_their_area(
    client, officer, pilot_areas, tmp_path, django_capture_on_commit_callbacks
):
    """Issue 22: a regional data officer sees the batches filed under their area (and their
    own uploads), not every batch nationwide; a national one sees all."""
    client.force_login(officer)
    upload(client, tmp_path, django_capture_on_commit_callbacks)
    makassar = ImportBatch.objects.get()
    assert makassar.coverage == ["73.71"] and makassar.area_id == "73.71"  # from its rows
    gowa = ImportBatch.objects.create(source="DTKS", file_name="gowa.csv", area_id="73.06")
    spanning = ImportBatch.objects.create(source="DTKS", file_name="all.csv", area_id=None)

    colleague = make_user("colleague", roles=["data_officer"], scope=["73.71"])
    in_gowa = make_user("gowa_officer", roles=["data_officer"], scope=["73.06"])
    national = make_user("national_officer", roles=["data_officer"], national=True)
    expected = {
        colleague: {makassar},
        in_gowa: {gowa},
        national: {makassar, gowa, spanning},
    }
    for user, visible in expected.items():
        client.force_login(user)
        headers = bearer(user)
        listing = client.get("/registry/imports/").text
        for batch in (makassar, gowa, spanning):
            shown = batch in visible
            assert (f"/registry/imports/{batch.pk}/" in listing) is shown, (user, batch)
            page = client.get(f"/registry/imports/{batch.pk}/")
            api = client.get(f"/api/v1/registry/imports/{batch.pk}/", headers=headers)
            assert page.status_code == (200 if shown else 404), (user, batch)
            assert api.status_code == (200 if shown else 404), (user, batch)
    # a refused batch is audited under its own id, like every denial
    refused = AuditEvent.objects.filter(
        action="permission_denied", actor_username="gowa_officer", object_id=str(makassar.pk)
    )
    assert refused.count() == 2


def test_a_batch_is_filed_under_the_smallest_area_holding_its_regencies(pilot_areas):
    from pksai.registry.services import coverage_area, importer_area

    assert coverage_area(["73.71"]) == "73.71"
    assert coverage_area(["73.06", "73.71"]) == "73"  # both in South Sulawesi
    assert coverage_area(["33.72", "73.71"]) is None  # two provinces: national users only
    assert coverage_area([]) is None
    assert importer_area(make_user(roles=["data_officer"], scope=["73.71"])) == "73.71"
    assert importer_area(make_user(roles=["data_officer"], scope=["73.71", "33.72"])) is None
    assert importer_area(make_user(roles=["data_officer"], national=True)) is None


def test_the_error_report_csv_quotes_formula_like_values():
    """The report repeats the rejected cells as read: a value typed as a formula stays text."""
    import polars as pl

    from pksai.core.tests.spreadsheet import HOSTILE, assert_csv_safe
    from pksai.registry.reasons import RENDERED_SCHEMA, report_csv

    rendered = pl.DataFrame(
        [(i + 2, "name", value, "rejected", "-reason") for i, value in enumerate(HOSTILE)],
        schema=RENDERED_SCHEMA,
        orient="row",
    )
    rows = assert_csv_safe(report_csv(rendered), [*HOSTILE, "-reason"])
    assert rows[1][0] == "2"
