"""Resumable uploads of attachments (tus-like): interrupted and resumed, one attachment with
the right checksum; a wrong checksum refused; stale uploads cleaned."""

import hashlib
import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from pksai.api.tests.helpers import bearer, english_messages  # noqa: F401  (autouse)
from pksai.cases.models import Attachment, Note
from pksai.cases.records import attachment_open
from pksai.field import services
from pksai.field.kinds import KINDS
from pksai.field.models import ClientRecord, FieldUpload

API = "/api/v1/field/"
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def start(client, user, case, data=PDF, **extra):
    body = {
        "client_id": str(uuid.uuid4()),
        "case": case.pk,
        "kind": "document",
        "title": "Surat sekolah",
        "filename": "surat.pdf",
        "content_type": "application/pdf",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        **extra,
    }
    return client.post(
        API + "uploads/", body, content_type="application/json", headers=bearer(user)
    ), body


def chunk(client, user, upload_id, offset, data):
    return client.patch(
        f"{API}uploads/{upload_id}/",
        data,
        content_type="application/offset+octet-stream",
        headers={**bearer(user), "Upload-Offset": str(offset)},
    )


@pytest.mark.django_db
def test_an_interrupted_upload_resumes_and_makes_one_attachment(client, team, case):
    r, body = start(client, team["worker"], case)
    assert r.status_code == 201, r.content
    upload = r.json()
    assert (upload["offset"], upload["complete"]) == (0, False)
    # the same client id again (the answer was lost): the same upload
    again, _ = start(client, team["worker"], case, client_id=body["client_id"])
    assert (again.status_code, again.json()["id"]) == (200, upload["id"])
    first = chunk(client, team["worker"], upload["id"], 0, PDF[:4000])
    assert first.status_code == 200 and first.json()["offset"] == 4000
    # the connection dropped: the device asks where to resume
    assert (
        client.get(f"{API}uploads/{upload['id']}/", headers=bearer(team["worker"])).json()["offset"]
        == 4000
    )
    # a chunk at the wrong offset is refused with 409
    assert chunk(client, team["worker"], upload["id"], 0, PDF[:10]).status_code == 409
    last = chunk(client, team["worker"], upload["id"], 4000, PDF[4000:])
    assert last.status_code == 200, last.content
    done = last.json()
    assert done["complete"] is True
    attachment = Attachment.objects.get()
    assert done["attachment"]["id"] == attachment.pk
    assert attachment.sha256 == body["sha256"] and attachment.size == len(PDF)
    with attachment_open(attachment) as f:
        assert f.read() == PDF
    # retrying the last chunk creates nothing more
    assert chunk(client, team["worker"], upload["id"], 4000, PDF[4000:]).status_code == 400
    assert Attachment.objects.count() == 1
    # the attachment is a field record like the others, under the upload's client id
    got = client.get(f"{API}attachments/{attachment.pk}/", headers=bearer(team["worker"]))
    assert got.json()["client_id"] == body["client_id"]
    renamed = client.patch(
        f"{API}attachments/{attachment.pk}/",
        {"version": 1, "changes": {"title": "Surat keterangan sekolah"}},
        content_type="application/json",
        headers=bearer(team["worker"]),
    )
    assert renamed.status_code == 200 and renamed.json()["record"]["version"] == 2


@pytest.mark.django_db
def test_a_wrong_checksum_is_refused_and_the_upload_starts_again(client, team, case):
    r, _ = start(client, team["worker"], case, sha256="0" * 64)
    upload = r.json()
    refused = chunk(client, team["worker"], upload["id"], 0, PDF)
    assert refused.status_code == 400
    assert "SHA-256" in refused.json()["detail"][0]
    assert not Attachment.objects.exists()
    assert FieldUpload.objects.get().offset == 0
    assert services._pieces(FieldUpload.objects.get()) == []


@pytest.mark.django_db
def test_uploads_are_scoped_capped_and_checked(client, team, case, settings):
    r, _ = start(client, team["gowa_worker"], case)
    assert r.status_code == 404
    settings.ATTACHMENT_MAX_BYTES = 1000
    r, _ = start(client, team["worker"], case)
    assert r.status_code == 400
    settings.ATTACHMENT_MAX_BYTES = 10 * 2**20
    r, _ = start(client, team["worker"], case)
    upload = r.json()
    assert (
        client.get(
            f"{API}uploads/{upload['id']}/", headers=bearer(team["other_worker"])
        ).status_code
        == 404
    )
    assert chunk(client, team["other_worker"], upload["id"], 0, PDF).status_code == 404
    too_long = chunk(client, team["worker"], upload["id"], 0, PDF + b"x")
    assert too_long.status_code == 400


@pytest.mark.django_db
def test_stale_incomplete_uploads_are_cleaned(client, team, case):
    r, _ = start(client, team["worker"], case)
    upload = r.json()
    chunk(client, team["worker"], upload["id"], 0, PDF[:100])
    stored = FieldUpload.objects.get()
    assert services._pieces(stored)
    assert services.uploads_cleanup() == 0  # fresh
    FieldUpload.objects.update(updated_at=timezone.now() - timedelta(hours=100))
    assert services.uploads_cleanup() == 1
    assert not FieldUpload.objects.exists()
    assert services._pieces(stored) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_retries_create_one_record(team, case):
    client_id = uuid.uuid4()
    barrier = threading.Barrier(2)
    results, errors = [], []
    kind = KINDS["notes"]

    def create():
        from pksai.cases import records
        from pksai.cases.selectors import case_get_for_update

        try:
            barrier.wait()

            def make():
                locked = case_get_for_update(user=team["worker"], pk=case.pk)
                return records.note_add(case=locked, by=team["worker"], text="dua kali")

            results.append(
                services.record_create(
                    kind=kind, by=team["worker"], client_id=client_id, create=make
                )
            )
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(created for _, created in results) == [False, True]
    assert len({obj.pk for obj, _ in results}) == 1
    assert Note.objects.count() == 1 and ClientRecord.objects.count() == 1
