"""The complaints API: the staff side (scoped lists, detail with history and audited, staff
entry, assign/start/note/escalate/resolve with 409 on a stale version, reports; 401 without a
token, 403 without the role, 404 out of scope or restricted) and the public side (file a
complaint without an account — JSON, no CSRF token — read its status without any personal
data, rate it; clear 400 messages; 429 on a flood)."""

import json

import pytest
from django.conf import settings
from django.test import Client

from pksai.accounts.tests.factories import make_user
from pksai.api.tests.helpers import bearer, english_messages  # noqa: F401  (autouse)
from pksai.audit.models import AuditEvent
from pksai.cases.models import IntakeReport
from pksai.grievances import services
from pksai.grievances.models import Complaint, Status
from pksai.grievances.services import ComplaintInput

STAFF = "/api/v1/complaints/"
PUBLIC = "/api/v1/public/complaints/"
TEXT = "Tetangga saya kaya tetapi menerima bantuan JSLU setiap bulan."


@pytest.fixture
def staff(pilot_areas, settings, tmp_path):
    return {
        "desk": make_user("desk", roles=["registration_staff"], scope=["73.71"]),
        "coord": make_user("coord", roles=["coordinator"], scope=["73.71"]),
        "gowa": make_user("gowadesk", roles=["registration_staff"], scope=["73.06"]),
        "inspector": make_user("insp", roles=["complaints_officer"], scope=["73.71"]),
        "worker": make_user("sw", roles=["social_worker"], scope=["73.71"]),
        "analyst": make_user("analyst", roles=["national_analyst"], national=True),
        "reader": make_user("auditor", roles=["auditor"], national=True),
    }


def get(client, path, user):
    return client.get(path, headers=bearer(user))


def post(client, path, user, body):
    return client.post(
        path, json.dumps(body), content_type="application/json", headers=bearer(user)
    )


def public_post(path, body, ip="203.0.113.7"):
    """An anonymous browser-less client that enforces CSRF like production (messages asked
    for in English)."""
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR=ip)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client.post(path, json.dumps(body), content_type="application/json")


def filed(category="mistargeting", **kw) -> Complaint:
    return services.complaint_submit_public(
        ComplaintInput(category=category, description=TEXT, area_code="73.71.01", **kw),
        sender="10.1.1.1",
    )


# --- public side -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_public_files_a_complaint_and_reads_its_status_without_personal_data(staff, client):
    response = public_post(
        PUBLIC,
        {
            "category": "mistargeting",
            "description": TEXT,
            "area": "7371",
            "name": "Ibu Sari Wulandari",
            "phone": "0812 3456 7890",
            "email": "sari@example.org",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"code", "status"} and body["code"].startswith("ADU-")
    complaint = Complaint.objects.get(code=body["code"])
    assert (complaint.channel, complaint.area_id) == ("web", "73.71")
    assert complaint.complainant_name == "Ibu Sari Wulandari"

    status = Client().get(PUBLIC + body["code"].lower())
    assert status.status_code == 200
    assert status.json()["status_code"] == "received" and not status.json()["can_rate"]
    services.complaint_resolve(
        by=staff["desk"],
        complaint=complaint,
        resolution="Penerima diverifikasi ulang dan dikeluarkan dari daftar.",
        remedy="Data diperbaiki",
        internal_notes="Tetangga Pak Budi, dikunjungi.",
        expected_version=complaint.version,
    )
    status = Client().get(PUBLIC + body["code"])
    shown = status.json()
    assert set(shown) == {
        "code",
        "category",
        "status",
        "status_code",
        "level",
        "received",
        "resolved",
        "resolution",
        "remedy",
        "can_rate",
        "rating",
    }
    assert shown["status_code"] == "resolved" and "dikeluarkan" in shown["resolution"]
    for private in ("Sari", "0812", "example.org", "Budi", TEXT[:20], "73.71", "desk"):
        assert private not in status.content.decode()

    rated = public_post(f"{PUBLIC}{body['code']}/rating", {"rating": 5, "comment": "cepat"})
    assert rated.status_code == 200 and rated.json()["rating"] == 5
    assert Complaint.objects.get(pk=complaint.pk).status == Status.CLOSED
    again = public_post(f"{PUBLIC}{body['code']}/rating", {"rating": 1})
    assert again.status_code == 400
    assert Client().get(PUBLIC + "ADU-0000-0000").status_code == 404
    assert public_post(PUBLIC + "ADU-0000-0000/rating", {"rating": 3}).status_code == 404


@pytest.mark.django_db
def test_the_public_side_refuses_bad_input_clearly_and_throttles_floods(staff, settings):
    settings.PKSAI_PUBLIC_COMPLAINTS_PER_HOUR = 3
    bad = public_post(
        PUBLIC,
        {"category": "bribe", "description": "x" * 5000, "area": "99.99", "phone": "call me"},
    )
    assert bad.status_code == 400
    errors = bad.json()["errors"]
    assert set(errors) == {"category", "description", "area", "phone"}
    assert "at most 4000 characters" in errors["description"][0]
    malformed = Client(REMOTE_ADDR="203.0.113.7").post(
        PUBLIC, "{not json", content_type="application/json"
    )
    assert malformed.status_code in (400, 422)
    good = {"category": "exclusion", "description": TEXT, "area": "73.71", "anonymous": True}
    assert public_post(PUBLIC, good).status_code == 201
    assert public_post(PUBLIC, good).status_code == 201  # the refused one counted: 3 of 3
    flood = public_post(PUBLIC, good)
    assert flood.status_code == 429 and "Too many" in flood.json()["detail"]
    assert Complaint.objects.count() == 2
    assert public_post(PUBLIC, good, ip="203.0.113.8").status_code == 201  # another sender


@pytest.mark.django_db
def test_the_public_side_offers_nothing_else(staff):
    complaint = filed()
    anonymous = Client()
    assert anonymous.get(PUBLIC).status_code == 405  # no list
    assert anonymous.get(STAFF).status_code == 401
    assert anonymous.get(f"{STAFF}{complaint.pk}/").status_code == 401


# --- staff side --------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_lists_and_reads_complaints_in_scope_only(staff, client):
    mine = filed()
    restricted = filed("misconduct", about_staff=True)
    listed = get(client, STAFF, staff["desk"])
    assert listed.status_code == 200
    rows = listed.json()["items"]
    assert [r["code"] for r in rows] == [mine.code]
    assert "complainant_name" not in rows[0] and "description" not in rows[0]
    assert get(client, STAFF + "?queue=restricted", staff["desk"]).json()["items"] == []
    assert get(client, STAFF + "?queue=bogus", staff["desk"]).status_code == 422
    assert get(client, STAFF, staff["gowa"]).json()["items"] == []
    officer = get(client, STAFF + "?queue=restricted", staff["inspector"]).json()["items"]
    assert [r["code"] for r in officer] == [restricted.code]
    by_status = get(client, STAFF + "?status=resolved", staff["inspector"]).json()["items"]
    assert by_status == []

    detail = get(client, f"{STAFF}{mine.pk}/", staff["desk"])
    assert detail.status_code == 200
    assert detail.json()["description"] == TEXT
    assert [e["kind"] for e in detail.json()["events"]] == ["received"]
    assert AuditEvent.objects.filter(
        action="view", object_type="grievances.complaint", object_id=str(mine.pk)
    ).exists()
    # out of area, restricted, or no role to read
    assert get(client, f"{STAFF}{mine.pk}/", staff["gowa"]).status_code == 404
    assert get(client, f"{STAFF}{restricted.pk}/", staff["desk"]).status_code == 404
    assert get(client, f"{STAFF}{restricted.pk}/", staff["inspector"]).status_code == 200
    assert get(client, STAFF, staff["worker"]).status_code == 403
    assert get(client, STAFF, staff["reader"]).status_code == 403


@pytest.mark.django_db
def test_staff_entry_and_handling_with_a_stale_version_refused(staff, client):
    body = {
        "channel": "phone",
        "category": "child_protection",
        "description": "Seorang anak sering dipukul dan tidak bersekolah di RT 03.",
        "area": "73.71.01",
        "name": "Pak Rahman",
        "phone": "081234567890",
    }
    created = post(client, STAFF, staff["desk"], body)
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    complaint = Complaint.objects.get(pk=pk)
    assert complaint.created_by == staff["desk"] and complaint.channel == "phone"
    assert IntakeReport.objects.get(reference=complaint.code).area_id == "73.71.01"
    # a facilitator enters one from a visit (and gets the receipt, not the detail)
    visit = post(client, STAFF, staff["worker"], body | {"channel": "facilitator"})
    assert visit.status_code == 201 and set(visit.json()) >= {"id", "code", "version"}
    # refused: web is the public form's; another area; a link out of scope
    assert post(client, STAFF, staff["desk"], body | {"channel": "web"}).status_code == 422
    assert post(client, STAFF, staff["gowa"], body).status_code == 403
    assert post(client, STAFF, staff["desk"], body | {"case": 999999}).status_code == 400
    assert post(client, STAFF, staff["reader"], body).status_code == 403

    v = created.json()["version"]
    assigned = post(client, f"{STAFF}{pk}/assign/", staff["coord"], {"to": "desk", "version": v})
    assert assigned.status_code == 200 and assigned.json()["assigned_to"] == "desk"
    stale = post(client, f"{STAFF}{pk}/start/", staff["desk"], {"version": v})
    assert stale.status_code == 409 and "changed by someone else" in stale.json()["detail"]
    v = assigned.json()["version"]
    started = post(client, f"{STAFF}{pk}/start/", staff["desk"], {"version": v})
    assert started.status_code == 200 and started.json()["status"] == "investigating"
    noted = post(client, f"{STAFF}{pk}/notes/", staff["desk"], {"text": "Ditelepon kembali."})
    assert noted.status_code == 201
    v = noted.json()["version"]
    assert (
        post(
            client, f"{STAFF}{pk}/escalate/", staff["desk"], {"reason": " ", "version": v}
        ).status_code
        == 400
    )
    up = post(
        client, f"{STAFF}{pk}/escalate/", staff["desk"], {"reason": "Butuh provinsi", "version": v}
    )
    assert up.status_code == 200 and up.json()["level"] == 2
    v = up.json()["version"]
    assert (
        post(
            client,
            f"{STAFF}{pk}/resolve/",
            staff["gowa"],
            {"resolution": "Sudah ditangani dengan baik.", "version": v},
        ).status_code
        == 404
    )
    done = post(
        client,
        f"{STAFF}{pk}/resolve/",
        staff["desk"],
        {"resolution": "Anak dirujuk ke UPTD PPA.", "remedy": "Pendampingan", "version": v},
    )
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    kinds = [e["kind"] for e in done.json()["events"]]
    assert kinds[0] == "received" and {
        "assigned",
        "status",
        "note",
        "escalated",
        "resolved",
    } <= set(kinds)
    assert (
        post(
            client, f"{STAFF}{pk}/start/", staff["desk"], {"version": done.json()["version"]}
        ).status_code
        == 400
    )


@pytest.mark.django_db
def test_report_endpoints_are_scoped_aggregates(staff, client):
    filed()
    filed("exclusion")
    filed("misconduct", about_staff=True)
    url = STAFF + "reports/volume?group=category"
    coord = get(client, url, staff["coord"])
    assert coord.status_code == 200
    assert coord.json()["total"]["received"] == 2  # the restricted one is not counted
    assert get(client, url, staff["inspector"]).json()["total"]["received"] == 3
    analyst = get(client, url + "&area=73.06", staff["analyst"]).json()
    assert analyst["total"]["received"] == 0 and analyst["filters"]["area"] == "73.06"
    levels = get(client, STAFF + "reports/levels", staff["inspector"]).json()
    assert [r["key"] for r in levels["rows"]] == ["1", "2", "3"]
    assert levels["rows"][1]["open"] == 1  # the misconduct complaint started at the province
    for name in ("resolution", "satisfaction"):
        assert get(client, STAFF + f"reports/{name}", staff["coord"]).status_code == 200
    assert get(client, STAFF + "reports/people", staff["coord"]).status_code == 422
    assert get(client, url + "&area=xx", staff["coord"]).status_code == 400
    assert get(client, url, staff["desk"]).status_code == 403
