"""The case intake queue page: a child-protection complaint waits there for registration
staff of its area; they mark it registered with the case number, or dismiss it."""

import pytest

from pksai.audit.models import AuditEvent
from pksai.cases.models import IntakeReport
from pksai.cases.tests.factories import register
from pksai.grievances import services
from pksai.grievances.services import ComplaintInput

REPORT = "Seorang anak sering dipukul dan tidak bersekolah di RT 03."


def login(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en"})


def child_protection(anonymous=False, area="73.71.01"):
    return services.complaint_submit_public(
        ComplaintInput(
            category="child_protection",
            description=REPORT,
            area_code=area,
            anonymous=anonymous,
            name="" if anonymous else "Ibu Ani",
            phone="" if anonymous else "081211112222",
        ),
        sender=f"10.5.{IntakeReport.objects.count()}.1",
    )


@pytest.mark.django_db
def test_a_child_protection_complaint_appears_in_the_intake_queue(client, team):
    complaint = child_protection()
    login(client, team["staff"])
    cases = client.get("/cases/").content.decode()
    assert "1 intake report waiting" in cases and "/cases/intake-reports/" in cases
    page = client.get("/cases/intake-reports/")
    body = page.content.decode()
    assert page.status_code == 200
    assert complaint.code in body and REPORT in body and "Ibu Ani" in body
    assert "/cases/new/" in body
    assert AuditEvent.objects.filter(
        action="view", actor=team["staff"], object_type="cases.intakereport"
    ).exists()


@pytest.mark.django_db
def test_mark_registered_with_the_case_number(client, team):
    report = child_protection(anonymous=True).intake_report
    case = register(team)
    login(client, team["staff"])
    url = f"/cases/intake-reports/{report.pk}/register/"
    response = client.post(url, {"case_number": "KAS-NONE"})
    assert response.status_code == 400
    assert "No case with this number in your area." in response.content.decode()
    response = client.post(url, {"case_number": case.number}, follow=True)
    assert "registered as case" in response.content.decode()
    report.refresh_from_db()
    assert (report.status, report.case, report.handled_by) == ("registered", case, team["staff"])
    assert "No reports waiting." in response.content.decode()
    assert client.post(url, {"case_number": case.number}).status_code == 404  # handled


@pytest.mark.django_db
def test_dismiss_with_a_reason(client, team):
    report = child_protection().intake_report
    login(client, team["staff"])
    url = f"/cases/intake-reports/{report.pk}/dismiss/"
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    report.refresh_from_db()
    assert report.status == "pending"
    response = client.post(url, {"reason": "Sudah ditangani sebagai kasus lain."}, follow=True)
    assert "dismissed" in response.content.decode()
    report.refresh_from_db()
    assert (report.status, report.dismiss_reason) == (
        "dismissed",
        "Sudah ditangani sebagai kasus lain.",
    )


@pytest.mark.django_db
def test_other_areas_and_roles_are_denied(client, team):
    report = child_protection().intake_report
    from pksai.accounts.tests.factories import make_user

    gowa = make_user("gowadesk", roles=["registration_staff"], scope=["73.06"])
    login(client, gowa)
    assert REPORT not in client.get("/cases/intake-reports/").content.decode()
    assert (
        client.post(f"/cases/intake-reports/{report.pk}/dismiss/", {"reason": "x"}).status_code
        == 404
    )
    login(client, make_user("analyst", roles=["national_analyst"], national=True))
    assert client.get("/cases/intake-reports/").status_code == 403  # no cases.add_case
    report.refresh_from_db()
    assert report.status == "pending"


@pytest.mark.django_db
def test_register_as_a_case_prefills_the_intake_form_and_marks_the_report(client, team):
    report = child_protection().intake_report
    login(client, team["staff"])
    form = client.get(f"/cases/new/?intake_report={report.pk}").content.decode()
    assert REPORT in form and "Ibu Ani" in form and report.reference in form
    response = client.post(
        f"/cases/new/?intake_report={report.pk}",
        {
            "channel": "community",
            "reporter_name": "Ibu Ani",
            "concerns": ["physical_violence"],
            "summary": REPORT,
            "consent_given": "on",
            "child_name": "Rina",
            "child_birth_date": "2016-03-02",
            "child_sex": "F",
            "child_village": "73.71.01.1001",
            "create_new": "1",
            "owner": "sw",
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    report.refresh_from_db()
    assert report.status == "registered" and report.case.summary == REPORT
    # a report of another area, or handled already, cannot be used
    assert client.get(f"/cases/new/?intake_report={report.pk}").status_code == 404
