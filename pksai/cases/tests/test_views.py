"""Case pages: intake with the duplicate check, scope and confidentiality, conflicts, queues."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from pksai.accounts.tests.factories import make_user
from pksai.areas.tests.factories import make_areas
from pksai.audit.models import AuditEvent
from pksai.cases.models import Case
from pksai.cases.selectors import MASK
from pksai.cases.tests.factories import make_child, move, register
from pksai.registry.models import Person
from pksai.registry.selectors import nik_q


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
            "g0_name": "Ibu Siti",
            "g0_relation": "ibu",
            "g0_lives_with_child": "on",
            "owner": "sw",
            "supervisor": "spv",
        },
    )
    assert response.status_code == 302, response.text
    case = Case.objects.get()
    assert case.child.source == "CASE" and case.owner == team["worker"]
    assert [(g.name, g.relation, g.lives_with_child) for g in case.guardians.all()] == [
        ("Ibu Siti", "ibu", True)
    ]
    existing = make_child("Siti", nik="7371014505140001")
    response = client.post("/cases/new/", {**INTAKE, "child_nik": "7371014505140001"})
    assert response.status_code == 400 and "may already be recorded" in response.text
    response = client.post(
        "/cases/new/", {**INTAKE, "child_nik": "7371014505140001", "person": existing.pk}
    )
    assert response.status_code == 302
    assert Case.objects.filter(child=existing).count() == 1
    assert Person.objects.filter(nik_q("7371014505140001")).count() == 1


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


def test_search_by_nik_or_name_does_not_find_masked_rows(client, team):
    child = make_child("Rahasia Anak", nik="7371014505140009")
    secret = register(team, concerns=["sexual_violence"], child=child)
    open_case = register(team, child=make_child("Budi Santoso Putra"))
    client.force_login(make_user("spv2", roles=["supervisor"], scope=["73.71"]))
    assert secret.number in client.get("/cases/").text  # listed, masked
    assert secret.number not in client.get("/cases/?q=7371014505140009").text
    assert secret.number not in client.get("/cases/?q=rahasia").text
    # words of the name in any order, any case; the case number by a part of it
    assert open_case.number in client.get("/cases/?q=putra+budi").text
    assert open_case.number in client.get(f"/cases/?q={open_case.number[-6:]}").text
    assert open_case.number not in client.get("/cases/?q=budi+siti").text
    client.force_login(team["coordinator"])  # may open restricted cases: finds it
    assert secret.number in client.get("/cases/?q=7371014505140009").text


def test_intake_with_an_unknown_nik_alone_asks_for_the_child(client, team):
    login(client, team["staff"])
    response = client.post("/cases/new/", {**INTAKE, "child_nik": "7371019999990001"})
    assert response.status_code == 400
    assert "Needed to record a child who is not in the registry yet." in response.text
    assert not Case.objects.exists() and not Person.objects.exists()


def test_intake_refuses_an_owner_from_another_area(client, team):
    make_areas([("73.71.01.1002", "Lette")])
    make_user("sw3", roles=["social_worker"], scope=["73.71.01.1002"])
    login(client, team["staff"])
    # offered (works inside the staff's regency) but not in the child's village
    assert "sw3" in client.get("/cases/new/").text
    response = client.post(
        "/cases/new/",
        {
            **INTAKE,
            "child_name": "Budi",
            "child_birth_date": "2015-03-02",
            "child_sex": "M",
            "child_village": "73.71.01.1001",
            "owner": "sw3",
        },
    )
    assert response.status_code == 400
    assert "sw3 does not work in the child&#x27;s village." in response.text
    assert not Case.objects.exists() and not Person.objects.exists()  # nothing half-written


def test_report_a_case_link_from_the_child_page(client, team):
    child = make_child("Ani")
    login(client, team["staff"])
    page = client.get(f"/vulnerability/children/{child.pk}/")
    assert page.status_code == 200
    assert f"/cases/new/?person={child.pk}" in page.text
    form = client.get(f"/cases/new/?person={child.pk}")
    assert form.context["form"].initial["channel"] == "outreach"


def test_case_page_context_and_home_title(client, team):
    case = register(team)
    login(client, team["worker"])
    page = client.get(f"/cases/{case.pk}/")
    assert page.context["version"] == case.version and page.context["can_change"]
    assert page.context["case"] == case
    home = client.get("/").text
    title = home[home.index("<title>") : home.index("</title>")]
    assert case.number not in title and "<section" not in title


def test_list_filters(client, team):
    late = register(team)
    Case.objects.filter(pk=late.pk).update(stage_due_at=timezone.now() - timedelta(hours=2))
    other = register(team, concerns=["out_of_school"])
    Case.objects.filter(pk=other.pk).update(owner=team["other_worker"])
    login(client, team["coordinator"])

    def numbers(query: str) -> set[str]:
        page = client.get("/cases/" + query)
        assert page.status_code == 200
        return {c.number for c in page.context["page"].object_list}

    both = {late.number, other.number}
    assert numbers("") == both
    assert numbers("?area=7371011001") == numbers("?area=73.71.01") == both
    assert numbers("?area=73.06") == set() == numbers("?area=nonsense")
    assert numbers("?overdue=1") == {late.number}
    assert numbers("?concern=out_of_school") == {other.number}
    assert numbers("?owner=sw2") == {other.number}
    assert numbers("?stage=triage&response=at_risk") == set()


def test_refused_enrolment_keeps_the_input_and_missing_permission_is_403(client, team):
    case = register(team)
    move(case, "triage", team["worker"], response="immediate")
    move(case, "complete_assessment", team["worker"])
    case.refresh_from_db()
    login(client, team["worker"])
    response = client.post(
        f"/cases/{case.pk}/plan-actions/",
        {
            "action-kind": "enrolment",
            "action-description": "Daftarkan ke PKSA",
            "action-responsible": "Dinsos",
            "action-due_date": "2030-01-15",
        },
    )
    assert response.status_code == 400
    assert "Immediate response first" in response.text and "Daftarkan ke PKSA" in response.text
    assert not case.plan_actions.exists()
    # registration staff may open the case but not change it: 403, and the refusal audited
    client.force_login(team["staff"])
    refused = client.post(
        f"/cases/{case.pk}/summary/", {"summary": "Diubah", "version": case.version}
    )
    assert refused.status_code == 403
    assert AuditEvent.objects.filter(action="permission_denied", actor=team["staff"]).exists()
    case.refresh_from_db()
    assert case.summary != "Diubah"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram similarity: PostgreSQL")
def test_misspelt_name_finds_similar_children_on_postgresql(client, team):
    case = register(team, child=make_child("Siti Aminah"))
    register(team, child=make_child("Budi Santoso"))
    login(client, team["worker"])
    listing = client.get("/cases/?q=Siti Aminnah").text
    assert case.number in listing and "Budi Santoso" not in listing
