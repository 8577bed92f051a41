"""Case pages: intake with the duplicate check, scope and confidentiality, conflicts, queues."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pksai.audit.models import AuditEvent
from pksai.cases.models import Case
from pksai.cases.selectors import MASK
from pksai.cases.tests.factories import make_child, register
from pksai.registry.models import Person


def login(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en"})


INTAKE = {
    "channel": "phone",
    "reporter_name": "Pak RT",
    "concerns": ["physical_violence"],
    "summary": "Anak dipukul ayahnya.",
    "consent_given": "on",
}


def test_intake_creates_a_new_child_and_links_an_existing_one_by_nik(client, team):
    login(client, team["staff"])
    response = client.post(
        "/cases/new/",
        {
            **INTAKE,
            "child_name": "Budi Santoso",
            "child_birth_date": "2015-03-02",
            "child_sex": "M",
            "child_village": "73.71.01.1001",
            "owner": "sw",
            "supervisor": "spv",
        },
    )
    assert response.status_code == 302, response.text
    case = Case.objects.get()
    assert case.child.source == "CASE" and case.owner == team["worker"]
    existing = make_child("Siti", nik="7371014505140001")
    response = client.post("/cases/new/", {**INTAKE, "child_nik": "7371014505140001"})
    assert response.status_code == 400 and "may already be recorded" in response.text
    response = client.post(
        "/cases/new/", {**INTAKE, "child_nik": "7371014505140001", "person": existing.pk}
    )
    assert response.status_code == 302
    assert Case.objects.filter(child=existing).count() == 1
    assert Person.objects.filter(nik="7371014505140001").count() == 1


def test_intake_prefilled_from_outreach_and_refused_outside_scope(client, team):
    child = make_child("Ani")
    login(client, team["staff"])
    page = client.get(f"/cases/new/?person={child.pk}")
    assert page.status_code == 200 and "Ani" in page.text
    gowa_child = make_child("Gowa", village="73.06.01.2001")
    assert client.get(f"/cases/new/?person={gowa_child.pk}").status_code == 404


def test_detail_404_outside_area_and_every_view_audited(client, team):
    case = register(team)
    login(client, team["worker"])
    assert client.get(f"/cases/{case.pk}/").status_code == 200
    assert AuditEvent.objects.filter(
        action="view", object_type="cases.case", object_id=str(case.pk)
    ).exists()
    client.force_login(team["gowa_worker"])
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    response = client.post(
        f"/cases/{case.pk}/transition/",
        {"name": "triage", "version": case.version, "response": "at_risk"},
    )
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.stage == "triage"


def test_restricted_case_hidden_from_unassigned_worker_and_masked_for_supervisor(client, team):
    secret = register(team, concerns=["conflict_with_law"], child=make_child("Rahasia Anak"))
    other_supervisor_area = team["coordinator"]  # sees it in full
    client.force_login(team["other_worker"])
    assert client.get(f"/cases/{secret.pk}/").status_code == 404
    assert secret.number not in client.get("/cases/").text
    # a supervisor who is not this case's supervisor sees the row masked, without a link
    from pksai.accounts.tests.factories import make_user

    client.force_login(make_user("spv2", roles=["supervisor"], scope=["73.71"]))
    listing = client.get("/cases/").text
    assert secret.number in listing and MASK in listing and "Rahasia Anak" not in listing
    assert client.get("/cases/?q=Rahasia").text.count(secret.number) == 0
    client.force_login(other_supervisor_area)
    assert "Rahasia Anak" in client.get("/cases/").text


def test_two_conflicting_saves_second_refused_and_nothing_lost(client, team):
    case = register(team)
    login(client, team["worker"])
    version = case.version
    first = client.post(
        f"/cases/{case.pk}/summary/", {"summary": "Versi pertama", "version": version}
    )
    assert first.status_code == 302
    second = client.post(
        f"/cases/{case.pk}/summary/", {"summary": "Versi kedua", "version": version}
    )
    assert second.status_code == 409
    assert "changed by someone else" in second.text and "Versi kedua" in second.text
    case.refresh_from_db()
    assert case.summary == "Versi pertama"


def test_transitions_through_the_page(client, team):
    case = register(team)
    login(client, team["worker"])
    response = client.post(
        f"/cases/{case.pk}/transition/",
        {"name": "triage", "version": case.version, "response": "immediate"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == "assessment" and case.response == "immediate"
    page = client.get(f"/cases/{case.pk}/")
    assert "record an emergency action as started" in page.text
    refused = client.post(
        f"/cases/{case.pk}/transition/", {"name": "complete_assessment", "version": case.version}
    )
    assert refused.status_code == 400 and "comprehensive assessment first" in refused.text


def test_overdue_triage_first_in_queue_and_in_supervisor_counts(client, team):
    later = register(team, concerns=["out_of_school"])
    late = register(team)
    Case.objects.filter(pk=late.pk).update(stage_due_at=timezone.now() - timedelta(hours=2))
    login(client, team["worker"])
    home = client.get("/").text
    assert home.index(late.number) < home.index(later.number)
    assert "overdue" in home
    login(client, team["supervisor"])
    page = client.get("/")
    row = next(r for r in page.context["team"] if r["owner__username"] == "sw")
    assert (row["open"], row["overdue"]) == (2, 1)


def test_list_page_runs_a_constant_number_of_queries(client, team):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/cases/").status_code == 200
        return len(ctx)

    for _ in range(5):
        register(team, concerns=["neglect", "out_of_school"])
    login(client, team["supervisor"])
    five = queries()
    for _ in range(45):
        register(team, concerns=["neglect"])
    fifty = queries()
    assert Case.objects.count() == 50 and five == fifty
