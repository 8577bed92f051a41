"""Requests from data subjects (deadlines from rules as data, the access export, deletion
refused while a case is open) and the breach register (3 × 24-hour notices)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from pksai.audit.models import AuditEvent
from pksai.cases.services import ConflictError
from pksai.cases.tests.factories import make_child, register
from pksai.core.tests.pdf_text import pdf_text
from pksai.privacy import services
from pksai.privacy.models import BreachNotice, RequestRule, SubjectRequest
from pksai.privacy.tests.factories import give_consent

pytestmark = pytest.mark.django_db


def _request(officer, person, kind="access", hours_ago=1, **kw):
    data = {
        "kind": kind,
        "person": person,
        "requester_name": "Ibu Sari",
        "requester_relationship": "mother",
        "requester_contact": "0812 1111 2222",
        "channel": "in_person",
        "details": "Ingin melihat data anak.",
        "received_at": timezone.now() - timedelta(hours=hours_ago),
    } | kw
    return services.subject_request_create(by=officer, data=services.RequestInput(**data))


def test_deadline_comes_from_the_rule_in_force_when_received(team, officer):
    child = make_child("Rina", nik="7371010101140001")
    first = _request(officer, child, hours_ago=2)
    assert first.due_at == first.received_at + timedelta(hours=72)
    assert first.number.startswith("PDP-")
    RequestRule.objects.create(
        kind="access", hours=24, legal_reference="tes", valid_from=timezone.localdate()
    )
    later = _request(officer, child, hours_ago=0)
    assert later.due_at == later.received_at + timedelta(hours=24)
    first.refresh_from_db()
    assert first.due_at == first.received_at + timedelta(hours=72)  # kept its deadline
    with pytest.raises(ValidationError):
        _request(officer, child, received_at=timezone.now() + timedelta(days=1))
    with pytest.raises(PermissionDenied):
        _request(team["worker"], child)


def test_queue_marks_overdue_and_is_scoped(client, team, officer, gowa_officer):
    child = make_child("Rina")
    late = _request(officer, child, kind="correction", hours_ago=100)
    fresh = _request(officer, child, hours_ago=1)
    assert late.is_overdue and not fresh.is_overdue
    client.force_login(officer)
    client.post("/i18n/setlang/", {"language": "en"})
    page = client.get("/privacy/requests/?queue=overdue")
    assert page.status_code == 200 and late.number in page.text
    assert fresh.number not in page.text and "overdue" in page.text
    row = AuditEvent.objects.filter(action="view", object_type="privacy.subjectrequest").last()
    assert row.detail["list"] == [late.pk]
    client.force_login(gowa_officer)
    assert client.get(f"/privacy/requests/{late.pk}/").status_code == 404
    assert client.get(f"/api/v1/privacy/requests/{late.pk}/").status_code == 404
    assert AuditEvent.objects.filter(
        action="permission_denied", actor=gowa_officer, object_id=str(late.pk)
    ).exists()
    client.force_login(team["worker"])  # a social worker has no request queue
    assert client.get("/privacy/requests/").status_code == 403


def test_request_pages_record_and_answer(client, team, officer):
    child = make_child("Rina", nik="7371010101140001")
    client.force_login(officer)
    client.post("/i18n/setlang/", {"language": "en"})
    assert client.get("/privacy/requests/new/").status_code == 200
    unknown = client.post(
        "/privacy/requests/new/",
        {
            "kind": "correction",
            "nik": "9999999999999999",
            "requester_name": "Ibu Sari",
            "requester_relationship": "mother",
            "requester_contact": "0812",
            "channel": "letter",
            "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "details": "Tanggal lahir salah.",
        },
    )
    assert unknown.status_code == 400 and "Nobody with this NIK" in unknown.text
    made = client.post(
        "/privacy/requests/new/",
        {
            "kind": "correction",
            "nik": child.nik,
            "requester_name": "Ibu Sari",
            "requester_relationship": "mother",
            "requester_contact": "0812",
            "channel": "letter",
            "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "details": "Tanggal lahir salah.",
        },
    )
    assert made.status_code == 302
    req = SubjectRequest.objects.get()
    assert req.person == child and req.area_id == child.village_id
    page = client.get(f"/privacy/requests/{req.pk}/")
    assert page.status_code == 200 and "Tanggal lahir salah." in page.text
    assert client.post(f"/privacy/requests/{req.pk}/start/", {"version": 1}).status_code == 302
    req.refresh_from_db()
    assert req.status == "in_progress"
    stale = client.post(
        f"/privacy/requests/{req.pk}/decide/",
        {"version": 1, "outcome": "done", "decision": "Diperbaiki."},
    )
    assert stale.status_code == 409
    no_ground = client.post(
        f"/privacy/requests/{req.pk}/decide/",
        {"version": req.version, "outcome": "refused", "decision": "Ditolak."},
    )
    assert no_ground.status_code == 400 and "legal ground" in no_ground.text
    done = client.post(
        f"/privacy/requests/{req.pk}/decide/",
        {
            "version": req.version,
            "outcome": "done",
            "decision": "Tanggal lahir dikoreksi pada sumber data (DTSEN).",
        },
    )
    assert done.status_code == 302
    req.refresh_from_db()
    assert req.status == "done" and req.handled_by == officer and req.decided_at
    row = AuditEvent.objects.get(action="update", object_id=str(req.pk), detail__outcome="done")
    assert row.detail["late"] is False


def test_deletion_is_refused_while_a_case_is_open(team, officer):
    case = register(team)
    req = _request(officer, case.child, kind="deletion")
    with pytest.raises(ValidationError, match=case.number):
        services.subject_request_decide(
            by=officer, request=req, expected_version=1, outcome="done", decision="Dihapus."
        )
    refused = services.subject_request_decide(
        by=officer,
        request=req,
        expected_version=1,
        outcome="refused",
        decision="Data tidak dapat dihapus selama kasus perlindungan anak berjalan.",
        refusal_ground="Kasus perlindungan anak aktif (UU 35/2014; UU 27/2022 Pasal 20(2))",
    )
    assert refused.status == "refused"
    with pytest.raises(ValidationError):  # answered once
        services.subject_request_decide(
            by=officer, request=refused, expected_version=2, outcome="done", decision="x"
        )


def test_access_request_export_is_a_stated_purpose_audited_pdf(client, team, officer, dukcapil):
    from pksai.referrals.tests.factories import refer

    referral = refer(team, dukcapil)
    child = referral.case.child
    req = _request(officer, child)
    client.force_login(officer)
    client.post("/i18n/setlang/", {"language": "en"})
    assert client.get(f"/privacy/requests/{req.pk}/export/").status_code == 200
    empty = client.post(f"/privacy/requests/{req.pk}/export/", {"purpose": " "})
    assert empty.status_code == 400
    response = client.post(
        f"/privacy/requests/{req.pk}/export/", {"purpose": "Jawaban permintaan akses"}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in (child.name, referral.case.number, referral.number, "Ibu Sari", "Dukcapil"):
        assert expected in text, expected
    assert "Jawaban permintaan akses" in text  # the watermark
    row = AuditEvent.objects.get(action="export", object_id=str(req.pk))
    assert row.detail["personal_data"] and row.detail["purpose"] == "Jawaban permintaan akses"
    # only an access request is answered with an export
    other = _request(officer, child, kind="correction")
    assert client.post(f"/privacy/requests/{other.pk}/export/", {"purpose": "x"}).status_code == 400


def test_breach_notices_due_three_times_24_hours_after_discovery(client, team, officer):
    discovered = timezone.now() - timedelta(hours=80)
    breach = services.breach_record(
        by=officer,
        data=services.BreachInput(
            area_code="73.71",
            discovered_at=discovered,
            discovered_by="Petugas",
            what_happened="Laptop hilang.",
            data_kinds="nama, NIK",
            people_affected=120,
        ),
    )
    notices = {n.kind: n for n in breach.notices.all()}
    assert set(notices) == {"subjects", "agency", "public"}
    assert all(n.due_at == discovered + timedelta(hours=72) for n in notices.values())
    assert all(n.is_overdue for n in notices.values())
    agency = notices["agency"]
    with pytest.raises(ValidationError):  # only the public notice may be not required
        services.breach_notice_mark(
            by=officer, notice=agency, expected_version=1, status="not_required", note="x"
        )
    with pytest.raises(ConflictError):
        services.breach_notice_mark(
            by=officer, notice=agency, expected_version=7, status="done", note="Surat"
        )
    with pytest.raises(ValidationError):  # closing needs every step and the containment
        services.breach_close(by=officer, breach=breach, expected_version=1)
    client.force_login(officer)
    client.post("/i18n/setlang/", {"language": "en"})
    listing = client.get("/privacy/breaches/")
    assert listing.status_code == 200 and breach.number in listing.text
    assert "notice overdue" in listing.text
    page = client.get(f"/privacy/breaches/{breach.pk}/")
    assert page.status_code == 200 and "overdue" in page.text
    marked = client.post(
        f"/privacy/breaches/{breach.pk}/notices/{agency.pk}/",
        {"version": 1, "status": "done", "note": "Surat ke Lembaga PDP"},
    )
    assert marked.status_code == 302
    agency.refresh_from_db()
    assert agency.status == "done" and agency.done_by == officer
    assert AuditEvent.objects.get(object_id=str(agency.pk), action="update").detail["late"]
    public = notices["public"]
    ok = client.post(
        f"/api/v1/privacy/breaches/{breach.pk}/notices/{public.pk}",
        {"version": 1, "status": "not_required", "note": "Tidak berdampak luas"},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == "not_required"
    subjects = notices["subjects"]
    services.breach_notice_mark(
        by=officer, notice=subjects, expected_version=1, status="done", note="SMS"
    )
    breach.refresh_from_db()
    services.breach_update(
        by=officer,
        breach=breach,
        expected_version=breach.version,
        containment="Akun dinonaktifkan.",
        people_affected=118,
    )
    closed = services.breach_close(by=officer, breach=breach, expected_version=breach.version)
    assert closed.status == "closed" and BreachNotice.objects.filter(status="pending").count() == 0


def test_breach_register_is_scoped(client, team, officer, gowa_officer):
    with pytest.raises(ValidationError):  # outside the officer's area
        services.breach_record(
            by=officer,
            data=services.BreachInput(
                area_code="73.06",
                discovered_at=timezone.now(),
                discovered_by="x",
                what_happened="x",
                data_kinds="x",
                people_affected=1,
            ),
        )
    breach = services.breach_record(
        by=officer,
        data=services.BreachInput(
            area_code="73.71",
            discovered_at=timezone.now(),
            discovered_by="x",
            what_happened="x",
            data_kinds="x",
            people_affected=1,
        ),
    )
    client.force_login(gowa_officer)
    assert client.get(f"/privacy/breaches/{breach.pk}/").status_code == 404
    assert client.get("/api/v1/privacy/breaches/").json()["items"] == []
    client.force_login(team["coordinator"])  # coordinators see and report breaches
    assert client.get(f"/privacy/breaches/{breach.pk}/").status_code == 200
    assert client.get("/privacy/breaches/new/").status_code == 200


def test_reminder_of_due_requests_once(team, officer, django_capture_on_commit_callbacks):
    from django.core import mail

    officer.email = "dpo@example.org"
    officer.save()
    child = make_child("Rina")
    due = _request(officer, child, hours_ago=60)
    _request(officer, child, hours_ago=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.remind_due_requests() == 1
    assert services.remind_due_requests() == 0
    due.refresh_from_db()
    assert due.reminded_at is not None
    assert any(due.number in m.body for m in mail.outbox)


def test_consent_api(client, team):
    from pksai.referrals.tests.factories import case_in_planning

    case = case_in_planning(team)
    give_consent(case, team["worker"], purpose="transfer")
    client.force_login(team["worker"])
    listed = client.get(f"/api/v1/privacy/cases/{case.pk}/consents/")
    assert listed.status_code == 200
    assert [c["purpose"] for c in listed.json()["consents"]] == ["transfer"]
    made = client.post(
        f"/api/v1/privacy/cases/{case.pk}/consents/",
        {
            "purpose": "referral",
            "given_by_name": "Pak Amir",
            "relationship": "father",
            "given_at": timezone.now().isoformat(),
            "expires_on": (timezone.localdate() + timedelta(days=90)).isoformat(),
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    consent = made.json()
    withdrawn = client.post(
        f"/api/v1/privacy/cases/{case.pk}/consents/{consent['id']}/withdraw",
        {"version": consent["version"], "withdrawn_by_name": "Pak Amir"},
        content_type="application/json",
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["active"] is False
    client.force_login(team["gowa_worker"])
    assert client.get(f"/api/v1/privacy/cases/{case.pk}/consents/").status_code == 404


def test_a_granted_deletion_anonymises_the_person_and_their_ended_cases(team, officer):
    from pksai.cases.models import Case
    from pksai.registry.models import Person
    from pksai.registry.selectors import nik_q
    from pksai.retention.models import RetentionRun
    from pksai.retention.services import legal_hold_place, legal_hold_release

    child = make_child("Rina Lestari", nik="7371010101140009")
    case = register(team, child=child, reporter_name="Pak RT", reporter_phone="0812 3456 7890")
    Case.objects.filter(pk=case.pk).update(stage="closed")  # ended (the workflow is elsewhere)
    req = _request(officer, child, kind="deletion")

    # a legal hold on the child keeps everything: the deletion is refused, nothing changes
    hold = legal_hold_place(by=officer, target="person", person=child, reason="Perkara pidana")
    with pytest.raises(ValidationError, match="legal hold|penahanan|tahan"):
        services.subject_request_decide(
            by=officer, request=req, expected_version=1, outcome="done", decision="Dihapus."
        )
    assert Person.objects.get(pk=child.pk).name == "Rina Lestari"
    assert SubjectRequest.objects.get(pk=req.pk).status != "done"

    legal_hold_release(by=officer, hold=hold, reason="Perkara selesai")
    done = services.subject_request_decide(
        by=officer, request=req, expected_version=1, outcome="done", decision="Dihapus."
    )
    assert done.status == "done"
    person = Person.objects.get(pk=child.pk)
    assert person.name != "Rina Lestari" and person.nik == ""
    assert not Person.objects.filter(nik_q("7371010101140009")).exists()
    case.refresh_from_db()
    assert case.reporter_name != "Pak RT" and case.reporter_phone == ""
    assert case.stage == "closed" and case.area_id == "73.71.01.1001"  # counts keep their row
    run = RetentionRun.objects.get(trigger="request")
    assert run.by == officer and run.counts == {"case_closed": 1, "registry_retired": 1}
    assert AuditEvent.objects.filter(
        object_type="retention.retentionrun", detail__trigger="request"
    ).exists()
