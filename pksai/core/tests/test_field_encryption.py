"""Encrypted fields and the keyed NIK hash (decision 0024, issue 22 point 8).

Acceptance: a database dump taken while the app runs holds no NIK, reporter phone or note in
clear text; exact NIK search still works after `pksai rotate-keys`. The data is made through
the real services (registry import, case registration, a note, a visit, public complaints), the
dump is the real one (pg_dump on PostgreSQL, the SQLite connection's iterdump), and the searches
go through the API and the case list page."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from datetime import date

import pytest
from django.conf import settings
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from pksai.accounts.services import api_token_issue
from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.cases import records, services
from pksai.cases.models import Case, CaseEvent, IntakeReport, Note, Visit
from pksai.core import crypto
from pksai.grievances.models import Complaint
from pksai.grievances.services import ComplaintInput, complaint_submit_public
from pksai.registry.models import Person
from pksai.registry.selectors import nik_q
from pksai.registry.services import registry_import
from pksai.registry.tests.test_import import GOOD, write_csv

NIKS = [row[9] for row in GOOD if row[9]]
AISYAH_NIK = "7371014507150003"
REPORTER = "Pak Rahmat Pelapor"
REPORTER_PHONE = "081277774321"
GUARDIAN_PHONE = "081122223339"
NOTE = "Anak bercerita dipukul di rumah bibinya setiap malam"
OBSERVATIONS = "Memar baru di lengan kiri, anak tampak takut"
COMPLAINANT = "Ibu Sartika Pengadu"
COMPLAINANT_PHONE = "081355559876"
CP_REPORTER_PHONE = "085712340000"
SECRETS = [*NIKS, REPORTER, REPORTER_PHONE, GUARDIAN_PHONE, NOTE, OBSERVATIONS]
SECRETS += [COMPLAINANT, COMPLAINANT_PHONE, CP_REPORTER_PHONE]


def _new_keys() -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    return (
        crypto.parse_keys(crypto.new_key(), name="field"),
        crypto.parse_keys(crypto.new_key(), name="hash"),
    )


def dump() -> str:
    """The whole database as a backup would hold it, read by a separate client on PostgreSQL."""
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        # as a backup is taken: by the owner of the tables where there are two roles
        user = settings.PKSAI_DB_OWNER or s.get("USER") or "postgres"
        password = settings.PKSAI_DB_OWNER_PASSWORD if settings.PKSAI_DB_OWNER else s["PASSWORD"]
        env = {**os.environ, "PGPASSWORD": password or ""}
        ran = subprocess.run(  # noqa: S603
            [
                "/usr/bin/pg_dump",
                "--data-only",
                "--no-owner",
                "-h",
                s.get("HOST") or "127.0.0.1",
                "-p",
                str(s.get("PORT") or 5432),
                "-U",
                user,
                s["NAME"],
            ],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=120,
        )
        return ran.stdout
    connection.ensure_connection()
    return "\n".join(connection.connection.iterdump())


def bearer(user) -> dict[str, str]:
    _token, raw = api_token_issue(user=user, name="t", by=None)
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def sensitive(pilot_areas, tmp_path):
    """Everything sensitive, written through the services."""
    registry_import(path=write_csv(tmp_path / "e.csv", GOOD), source="DTKS")
    staff = make_user("reg", roles=["registration_staff"], scope=["73.71"])
    worker = make_user("sw", roles=["social_worker"], scope=["73.71"])
    supervisor = make_user("spv", roles=["supervisor"], scope=["73.71"])
    aisyah = Person.objects.get(nik_q(AISYAH_NIK))
    case = services.case_register(
        by=staff,
        child=aisyah,
        channel="phone",
        summary="Tetangga melaporkan anak dipukul.",
        concerns=["physical_violence"],
        owner=worker,
        supervisor=supervisor,
        consent_given=True,
        reporter_name=REPORTER,
        reporter_phone=REPORTER_PHONE,
        guardians=[{"name": "Ibu Aminah", "relation": "ibu", "phone": GUARDIAN_PHONE}],
    )
    note = records.note_add(case=case, by=worker, text=NOTE)
    records.visit_record(
        case=case,
        by=worker,
        visited_on=date(2026, 11, 2),
        place="rumah",
        seen="anak, ibu",
        observations=OBSERVATIONS,
    )
    complaint_submit_public(
        ComplaintInput(
            category="mistargeting",
            description="Tetangga saya kaya tetapi menerima bantuan setiap bulan.",
            area_code="73.71.01",
            name=COMPLAINANT,
            phone=COMPLAINANT_PHONE,
        ),
        sender="10.0.0.9",
    )
    complaint_submit_public(
        ComplaintInput(
            category="child_protection",
            description="Seorang anak di lorong kami sering dikunci di luar rumah malam hari.",
            area_code="73.71.01",
            name="Pak Warga",
            phone=CP_REPORTER_PHONE,
        ),
        sender="10.0.0.10",
    )
    return {"case": case, "note": note, "worker": worker, "aisyah": aisyah}


def test_seal_and_open():
    ring = crypto.keyring()
    sealed = crypto.seal("0812-1", ring)
    assert sealed.startswith(ring.current_prefix) and "0812" not in sealed
    assert crypto.seal("0812-1", ring) != sealed  # a fresh nonce every time
    assert crypto.open_(sealed, ring) == "0812-1"
    assert crypto.seal("", ring) == "" and crypto.open_("", ring) == ""
    assert crypto.open_("written before encryption", ring) == "written before encryption"
    altered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(crypto.FieldKeyError):
        crypto.open_(altered, ring)
    other = crypto.Keyring(*_new_keys())
    with pytest.raises(crypto.FieldKeyError, match="not among PKSAI_FIELD_KEYS"):
        crypto.open_(sealed, other)


def test_nik_hash_is_keyed_and_exact():
    ring = crypto.keyring()
    assert crypto.nik_hash(AISYAH_NIK, ring) == crypto.nik_hash("7371 0145 0715 0003", ring)
    assert len(crypto.nik_hash(AISYAH_NIK, ring)) == 32
    assert crypto.nik_hash(AISYAH_NIK[:12], ring) == ""  # a part of a NIK hashes to nothing
    other = crypto.Keyring(ring.field_keys, _new_keys()[1])
    assert crypto.nik_hash(AISYAH_NIK, other) != crypto.nik_hash(AISYAH_NIK, ring)


def test_keys_outside_the_database_are_required_without_debug(tmp_path):
    """With DEBUG off and no key in the environment or var/, the settings refuse to load."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PKSAI_FIELD_KEYS", "PKSAI_NIK_HASH_KEY", "DEBUG"}
    }
    env.update(PKSAI_VAR_DIR=str(tmp_path), SECRET_KEY="x" * 50)
    ran = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup()"],
        env={**env, "DJANGO_SETTINGS_MODULE": "pksai.settings"},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode != 0
    assert "No PKSAI_FIELD_KEYS" in ran.stderr
    env["PKSAI_FIELD_KEYS"], env["PKSAI_NIK_HASH_KEY"] = crypto.new_key(), "c2hvcnQ"  # 5 bytes
    ran = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup()"],
        env={**env, "DJANGO_SETTINGS_MODULE": "pksai.settings"},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode != 0 and "must be 32 bytes" in ran.stderr


@pytest.mark.django_db
def test_encrypted_fields_cannot_be_searched_in_sql(pilot_areas):
    with pytest.raises(FieldError, match="encrypted"):
        list(Person.objects.filter(nik=AISYAH_NIK))
    with pytest.raises(FieldError):
        list(Note.objects.filter(text__icontains="pukul"))
    assert list(Person.objects.filter(nik="")) == []  # blank or not stays askable


@pytest.mark.django_db(transaction=True)
def test_a_dump_holds_no_sensitive_clear_text_and_nik_search_survives_rotation(client, sensitive):
    case, worker = sensitive["case"], sensitive["worker"]
    assert Complaint.objects.get(complainant_phone__isnull=False, category="mistargeting")
    assert IntakeReport.objects.get().reporter_phone == CP_REPORTER_PHONE
    assert CaseEvent.objects.filter(case=case, kind="note").get().text == NOTE

    # a NIK searched is audited by its keyed hash, never in clear
    officer = make_user("data", roles=["data_officer"], scope=["73"])
    found = client.get(f"/api/v1/registry/people/?nik={AISYAH_NIK}", headers=bearer(officer))
    assert [p["name"] for p in found.json()["items"]] == ["Nur Aisyah"]
    assert found.json()["items"][0]["nik"] == AISYAH_NIK
    searched = AuditEvent.objects.filter(object_type="registry.person").latest("id")
    assert searched.detail["filters"]["nik"].startswith("nik-hmac:")

    before = dump()
    assert "Nur Aisyah" in before  # the dump is real: names are not sealed
    leaked = [s for s in SECRETS if s in before]
    assert leaked == []
    assert crypto.keyring().current_prefix in before

    old_field, old_hash = tuple(settings.PKSAI_FIELD_KEYS), tuple(settings.PKSAI_NIK_HASH_KEYS)
    new_field, new_hash = _new_keys()
    with override_settings(
        PKSAI_FIELD_KEYS=new_field + old_field, PKSAI_NIK_HASH_KEYS=new_hash + old_hash
    ):
        # while both keys are listed, search works before and after the rotation
        assert Person.objects.filter(nik_q(AISYAH_NIK)).count() == 1
        out = io.StringIO()
        call_command("rotate_keys", stdout=out)
        n = len(NIKS)
        # the command speaks the system's language (Bahasa Indonesia)
        assert f"registry.person.nik: {n} dienkripsi ulang, {n} hash diubah" in out.getvalue()
        assert "cases.note.text: 1 dienkripsi ulang" in out.getvalue()

    with override_settings(PKSAI_FIELD_KEYS=new_field, PKSAI_NIK_HASH_KEYS=new_hash):
        new_prefix = crypto.keyring().current_prefix
        after = dump()
        assert [s for s in SECRETS if s in after] == []
        sealed_ids = set(re.findall(r"enc1:([A-Za-z0-9_-]{8}):", after))
        assert sealed_ids == {crypto.keyring().current_id}, "every value under the new key"
        assert new_prefix in after

        # exact NIK search after the rotation: API, and the case list page
        found = client.get(f"/api/v1/registry/people/?nik={AISYAH_NIK}", headers=bearer(officer))
        assert [p["nik"] for p in found.json()["items"]] == [AISYAH_NIK]
        partial = client.get(
            f"/api/v1/registry/people/?nik={AISYAH_NIK[:10]}", headers=bearer(officer)
        )
        assert partial.json()["items"] == []
        client.force_login(worker)
        page = client.get("/cases/", {"q": AISYAH_NIK})
        assert case.number in page.content.decode()
        shown = client.get(f"/cases/{case.pk}/")
        assert REPORTER_PHONE in shown.content.decode()
        assert Note.objects.get(pk=sensitive["note"].pk).text == NOTE
        assert Visit.objects.get(case=case).observations == OBSERVATIONS

    # the old keys alone open nothing any more
    with override_settings(PKSAI_FIELD_KEYS=old_field, PKSAI_NIK_HASH_KEYS=old_hash):
        with pytest.raises(crypto.FieldKeyError):
            Note.objects.get(pk=sensitive["note"].pk)
        with pytest.raises(crypto.FieldKeyError):
            Case.objects.get(pk=case.pk)
        assert not Person.objects.filter(nik_q(AISYAH_NIK)).exists()


@pytest.mark.django_db
def test_migration_seals_values_written_in_clear(pilot_areas):
    """A database from before encryption: clear values (written here with SQL, as the old code
    wrote them) are sealed and the NIK hashes filled by the migrations' sealer."""
    from django.apps import apps

    from pksai.cases.tests.factories import make_child
    from pksai.core.rotation import migration_sealer

    child = make_child(nik=AISYAH_NIK)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE registry_person SET nik = %s, nik_hash = '' WHERE id = %s",
            [AISYAH_NIK, child.pk],
        )
    assert Person.objects.get(pk=child.pk).nik == AISYAH_NIK  # clear text still reads
    assert not Person.objects.filter(nik_q(AISYAH_NIK)).exists()
    migration_sealer("registry")(apps, None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT nik, nik_hash FROM registry_person WHERE id = %s", [child.pk])
        stored, hashed = cursor.fetchone()
    assert stored.startswith(crypto.keyring().current_prefix) and AISYAH_NIK not in stored
    assert hashed == crypto.nik_hash(AISYAH_NIK)
    assert Person.objects.get(nik_q(AISYAH_NIK)).nik == AISYAH_NIK
    migration_sealer("registry")(apps, None)  # again: nothing changes
    with connection.cursor() as cursor:
        cursor.execute("SELECT nik FROM registry_person WHERE id = %s", [child.pk])
        assert cursor.fetchone()[0] == stored
