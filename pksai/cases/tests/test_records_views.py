"""The records pages of a case: forms, refusals that keep the input, scope, downloads, PDF."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from pksai.audit.models import AuditEvent
from pksai.cases.models import Assessment, CasePlan, CustomField, Domain, PlanAction
from pksai.cases.pdf import case_summary_pdf
from pksai.cases.tests.factories import make_child, move, register
from pksai.core.tests.pdf_text import pdf_text

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def login(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en"})


@pytest.fixture
def case(team):
    return register(team)


def test_assessment_draft_then_complete_with_custom_field(client, team, case):
    CustomField.objects.create(
        form="assessment",
        key="adat_village",
        label_id="Desa adat",
        label_en="Customary village",
        kind="yes_no",
    )
    login(client, team["worker"])
    url = f"/cases/{case.pk}/assessments/new/"
    page = client.get(url)
    assert page.status_code == 200 and "Customary village" in page.text
    response = client.post(
        url,
        {
            "kind": "comprehensive",
            "risk": "high",
            "d_safety_rating": "high",
            "x_adat_village": "on",
        },
    )
    assert response.status_code == 302
    draft = Assessment.objects.get(case=case)
    assert draft.completed_at is None and draft.extra == {"adat_village": True}
    # completing without rating every domain: refused, input kept
    edit = f"/cases/{case.pk}/assessments/{draft.pk}/"
    response = client.post(
        edit,
        {
            "kind": "comprehensive",
            "risk": "high",
            "d_safety_rating": "high",
            "d_safety_notes": "Ayah memukul",
            "complete": "on",
            "version": draft.version,
        },
    )
    assert response.status_code == 400
    assert "Rate the domain" in response.text and "Ayah memukul" in response.text
    ratings = {f"d_{k}_rating": "medium" for k in Domain.values}
    response = client.post(
        edit,
        {"kind": "comprehensive", "risk": "high", "complete": "on", "version": 1, **ratings},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.completed_at is not None


def test_stale_assessment_save_is_409_and_keeps_the_input(client, team, case):
    login(client, team["worker"])
    client.post(f"/cases/{case.pk}/assessments/new/", {"kind": "initial", "risk": "low"})
    assessment = Assessment.objects.get(case=case)
    url = f"/cases/{case.pk}/assessments/{assessment.pk}/"
    first = client.post(url, {"kind": "initial", "risk": "medium", "summary": "A", "version": 1})
    assert first.status_code == 302
    second = client.post(
        url, {"kind": "initial", "risk": "high", "summary": "Teks kedua", "version": 1}
    )
    assert second.status_code == 409
    assert "changed by someone else" in second.text and "Teks kedua" in second.text
    assessment.refresh_from_db()
    assert (assessment.summary, assessment.risk) == ("A", "medium")


def test_plan_goals_and_conference_actions(client, team, case):
    worker = team["worker"]
    move(case, "triage", worker, response="at_risk")
    move(case, "complete_assessment", worker)
    login(client, worker)
    response = client.post(f"/cases/{case.pk}/plan/", {"goals": "Aman\nSekolah", "version": 0})
    assert response.status_code == 302
    assert CasePlan.objects.get(case=case).goal_list == ["Aman", "Sekolah"]
    stale = client.post(f"/cases/{case.pk}/plan/", {"goals": "Lain", "version": 0})
    assert stale.status_code == 409 and "Lain" in stale.text
    today = timezone.localdate().isoformat()
    response = client.post(
        f"/cases/{case.pk}/conferences/new/",
        {
            "held_on": today,
            "agenda": "Rencana",
            "decisions": "Rujuk ke psikolog",
            "users": [str(team["supervisor"].pk)],
            "p0_name": "Bu Ani",
            "p0_organisation": "SDN 1",
            "p0_role": "guru",
            "a0_kind": "service",
            "a0_description": "Konseling",
            "a0_responsible": "Psikolog",
            "a0_due_date": today,
        },
    )
    assert response.status_code == 302
    action = PlanAction.objects.get(case=case)
    assert action.conference.participants.count() == 2
    response = client.post(
        f"/cases/{case.pk}/plan/actions/{action.pk}/status/", {"status": "done", "version": 1}
    )
    action.refresh_from_db()
    assert action.status == "done"


def test_visit_note_attachment_and_audited_download(client, team, case, tmp_path, settings):
    settings.ATTACHMENT_ROOT = tmp_path
    login(client, team["worker"])
    today = timezone.localdate().isoformat()
    assert (
        client.post(
            f"/cases/{case.pk}/visits/new/",
            {"visited_on": today, "place": "Rumah", "seen": "Ibu", "observations": "Baik"},
        ).status_code
        == 302
    )
    assert client.post(f"/cases/{case.pk}/notes/new/", {"text": "Catatan"}).status_code == 302
    bad = client.post(
        f"/cases/{case.pk}/attachments/new/",
        {"kind": "photo", "title": "x", "file": SimpleUploadedFile("a.exe", b"MZ\x90\x00")},
    )
    assert bad.status_code == 400 and "Only PDF, JPEG and PNG" in bad.text
    good = client.post(
        f"/cases/{case.pk}/attachments/new/",
        {"kind": "consent", "title": "Persetujuan", "file": SimpleUploadedFile("p.pdf", PDF)},
    )
    assert good.status_code == 302
    attachment = case.attachments.get()
    url = f"/cases/{case.pk}/attachments/{attachment.pk}/"
    page = client.get(f"/cases/{case.pk}/")
    assert f'formaction="{url}"' in page.text and 'id="export-purpose-attachments"' in page.text
    refused = client.get(url)  # personal data: no file without a stated purpose
    assert refused.status_code == 302 and refused.url.endswith("#attachments")
    assert not AuditEvent.objects.filter(action="export", object_id=str(attachment.pk)).exists()
    response = client.get(url, {"purpose": "case conference"})
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert "purpose: case conference" in response["X-PKSAI-Watermark"]
    assert response["Cache-Control"] == "private, no-store"
    event = AuditEvent.objects.get(action="export", object_id=str(attachment.pk))
    assert event.detail["purpose"] == "case conference" and event.detail["download"] == "p.pdf"
    # outside the area: 404, and no file
    client.force_login(team["gowa_worker"])
    assert client.get(url).status_code == 404
    assert client.get(url, {"purpose": "x"}).status_code == 404
    assert client.get(f"/cases/{case.pk}/summary.pdf").status_code == 404
    assert client.post(f"/cases/{case.pk}/notes/new/", {"text": "x"}).status_code == 404


def test_summary_pdf_leaves_out_restricted_fields_for_other_readers(client, team):
    child = make_child("Siti Aminah", nik="7371014505140001")
    case = register(team, child=child, reporter_name="Pak Budi Pelapor")
    login(client, team["worker"])
    refused = client.get(f"/cases/{case.pk}/summary.pdf")  # personal data: purpose required
    assert refused.status_code == 302
    assert not AuditEvent.objects.filter(action="export", object_id=str(case.pk)).exists()
    response = client.get(f"/cases/{case.pk}/summary.pdf?purpose=case+conference")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert "purpose: case conference" in response["X-PKSAI-Watermark"]
    event = AuditEvent.objects.get(action="export", object_id=str(case.pk))
    assert event.detail["purpose"] == "case conference" and event.detail["personal_data"]

    def text(user) -> str:
        return pdf_text(case_summary_pdf(case=case, user=user))

    owner, other = text(team["worker"]), text(team["other_worker"])
    assert "Siti Aminah" in owner and "Siti Aminah" in other
    assert "7371014505140001" in owner and "Pak Budi Pelapor" in owner
    assert "7371014505140001" not in other and "Pak Budi Pelapor" not in other
    assert "7371014505140001" in text(team["coordinator"])
