"""Taking data offline (/api/v1/field/bundle, decision 0032): the worker's own open cases,
her beneficiaries, a village's outreach list in her scope — few queries, audited, masked as
the pages are, refused outside her role or area, and small enough for a phone."""

import csv
import json
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.cases.tests.factories import make_child
from pksai.field import selectors
from pksai.field.tests.factories import field_beneficiaries, field_cases
from pksai.registry.services import registry_import
from pksai.vulnerability.services import score_people
from pksai.vulnerability.tests.conftest import HEADER

BUNDLE = "/api/v1/field/bundle"
# The budget stated in docs/field-app.md: 50 cases + 50 beneficiaries in at most 200 KB.
DATA_BUDGET = 200 * 1024


@pytest.fixture
def team(pilot_areas):
    return {
        "worker": make_user("sw", roles=["social_worker"], scope=["73.71"]),
        "other": make_user("sw2", roles=["social_worker"], scope=["73.71"]),
        "supervisor": make_user("spv", roles=["supervisor"], scope=["73.71"]),
        "staff": make_user("reg", roles=["registration_staff"], scope=["73.71"]),
        "focal": make_user("fp", roles=["focal_person"], scope=["73.71"]),
        "gowa": make_user("gw", roles=["social_worker"], scope=["73.06"]),
    }


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_her_open_cases_only_with_phones_visits_assessment_and_next_step(team):
    mine = field_cases(
        worker=team["worker"], supervisor=team["supervisor"], staff=team["staff"], count=2
    )
    field_cases(worker=team["other"], supervisor=team["supervisor"], staff=team["staff"], count=1)

    answer = client_for(team["worker"]).get(BUNDLE, {"what": "cases", "device": "HP Fitri"})

    assert answer.status_code == 200
    assert "no-store" in answer["Cache-Control"]
    body = answer.json()
    assert body["kind"] == "cases" and body["user"] == team["worker"].pk
    assert body["wipe_days"] == 14
    assert sorted(item["id"] for item in body["items"]) == sorted(c.pk for c in mine)
    item = body["items"][0]
    assert item["stage"] == "triage" and item["version"] >= 1
    assert item["child"]["name"].startswith("Anak Lapangan")
    assert item["concerns"] == ["neglect", "physical_violence"]
    assert {g["phone"] for g in item["guardians"]} == {"", item["guardians"][0]["phone"]}
    assert item["guardians"][0]["phone"].startswith("0812")  # the owner sees phones
    assert item["assessment"] == {
        "kind": "comprehensive",
        "risk": "high",
        "done": item["assessment"]["done"],
    }
    assert [v["on"] for v in item["visits"]] == ["2026-11-15", "2026-11-08", "2026-11-01"]
    assert item["visits"][0]["notes"].startswith("Anak tampak sehat")
    assert item["next"] == {"text": "Kunjungan rumah bersama guru kelas", "due": "2026-12-20"}
    # the case's own text, which the device may change offline (on this version)
    assert item["summary"] == "Tetangga melaporkan anak dipukul."


@pytest.mark.django_db
def test_taking_offline_is_audited_with_what_how_many_and_the_device(team):
    cases = field_cases(
        worker=team["worker"], supervisor=team["supervisor"], staff=team["staff"], count=2
    )
    client_for(team["worker"]).get(BUNDLE, {"what": "cases", "device": "  HP   Fitri  "})

    event = AuditEvent.objects.get(object_type="field.bundle")
    assert event.action == "export" and event.actor == team["worker"]
    assert event.object_id == "cases"
    assert event.detail["count"] == 2
    assert sorted(event.detail["ids"]) == sorted(c.pk for c in cases)
    assert event.detail["device"] == "HP Fitri"
    assert event.detail["purpose"] == "field_offline"


@pytest.mark.django_db
def test_closed_and_voided_cases_stay_behind(team):
    case, kept = field_cases(
        worker=team["worker"], supervisor=team["supervisor"], staff=team["staff"], count=2
    )
    case.stage = "closed"
    case.save(update_fields=["stage"])
    items = selectors.field_cases(user=team["worker"])
    assert [item["id"] for item in items] == [kept.pk]


@pytest.mark.django_db
def test_a_restricted_case_is_masked_for_whoever_may_not_open_it(team):
    """The bundle uses the pages' masking: a restricted case owned by a worker who later lost
    the right to see it (a coordinator's case list masks it) gives no name, birth, phone."""
    (case,) = field_cases(
        worker=team["worker"], supervisor=team["supervisor"], staff=team["staff"], count=1
    )
    case.restricted = True
    case.save(update_fields=["restricted"])
    full = selectors._case_item(case, team["worker"])
    assert full["child"]["name"].startswith("Anak") and full["guardians"]
    masked = selectors._case_item(case, team["other"])
    assert masked["child"] == {"name": "•••", "sex": "", "birth": None}
    assert masked["guardians"] == [] and masked["visits"][0]["notes"] == ""
    assert full["summary"] and "summary" not in masked  # no summary edit offered then


@pytest.mark.django_db
def test_her_active_beneficiaries_with_last_visit(team):
    mine = field_beneficiaries(worker=team["worker"], count=3)
    field_beneficiaries(worker=team["other"], count=2)
    mine[0].status = "exited"
    mine[0].save(update_fields=["status"])

    body = client_for(team["worker"]).get(BUNDLE, {"what": "beneficiaries"}).json()

    assert sorted(i["id"] for i in body["items"]) == sorted(b.pk for b in mine[1:])
    item = body["items"][0]
    assert item["last_visit"] == "2026-10-15" and item["visits"] == 2
    assert item["program"] and item["place"] == "Bontorannu"


@pytest.mark.django_db
def test_refusals_signed_out_wrong_role_and_village_out_of_scope(team):
    assert Client().get(BUNDLE, {"what": "cases"}).status_code == 401
    focal = client_for(team["focal"])
    assert focal.get(BUNDLE, {"what": "cases"}).status_code == 403
    assert focal.get(BUNDLE, {"what": "beneficiaries"}).status_code == 403
    assert client_for(team["worker"]).get(BUNDLE, {"what": "everything"}).status_code == 422

    before = AuditEvent.objects.filter(action="permission_denied").count()
    gowa = client_for(team["gowa"])
    assert gowa.get(BUNDLE, {"what": "outreach", "village": "73.71.01.1001"}).status_code == 404
    assert gowa.get(BUNDLE, {"what": "outreach", "village": "99.99.99.9999"}).status_code == 404
    refused = AuditEvent.objects.filter(action="permission_denied").order_by("pk")
    assert refused.count() == before + 1  # the village that exists, as scoping does
    assert refused.last().object_id == "73.71.01.1001" and refused.last().actor == team["gowa"]
    assert not AuditEvent.objects.filter(object_type="field.bundle").exists()


@pytest.mark.django_db
def test_a_village_outreach_list_in_scope(team, tmp_path):
    path = tmp_path / "kids.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for n in range(3):
            common = [f"H{n}", "7371011001", f"Jl. Tiga No. {n}", "2", "no", "yes", "3", "5"]
            writer.writerow(
                [*common, "1", f"Nenek {n}", "F", "1950-01-01", "head", "none", "not_working"]
            )  # noqa: E501
            writer.writerow(
                [*common, "2", f"Cucu {n}", "F", "2012-04-04", "grandchild", "both", "school"]
            )  # noqa: E501
    assert registry_import(path=path, source="TEST").rows_rejected == 0
    score_people(as_of=date(2026, 11, 1))

    body = (
        client_for(team["worker"]).get(BUNDLE, {"what": "outreach", "village": "7371011001"}).json()
    )

    assert body["village"] == "73.71.01.1001" and body["village_name"] == "Bontorannu"
    assert sorted(i["name"] for i in body["items"]) == ["Cucu 0", "Cucu 1", "Cucu 2"]
    item = body["items"][0]
    assert item["risk"] == "high" and item["head"].startswith("Nenek") and item["why"]
    assert all("_" not in why for why in item["why"])  # labels, not rule codes
    event = AuditEvent.objects.get(object_type="field.bundle")
    assert event.object_id == "outreach" and event.detail["village"] == "73.71.01.1001"


@pytest.mark.django_db
def test_fifty_cases_and_fifty_beneficiaries_in_few_queries_and_within_the_budget(
    team, django_assert_max_num_queries
):
    field_cases(worker=team["worker"], supervisor=team["supervisor"], staff=team["staff"], count=50)
    field_beneficiaries(worker=team["worker"], count=50)
    client = client_for(team["worker"])
    client.get(reverse("core:home"))  # the session and its user are warm

    # session, user, zone, permissions, scope, the reads (6 for cases, 1 for beneficiaries),
    # roles and the audit row, savepoints, the session's renewal: the same for 2 cases
    with django_assert_max_num_queries(19):
        cases = client.get(BUNDLE, {"what": "cases", "device": "HP"})
    with django_assert_max_num_queries(14):
        beneficiaries = client.get(BUNDLE, {"what": "beneficiaries", "device": "HP"})

    assert len(cases.json()["items"]) == 50 and len(beneficiaries.json()["items"]) == 50
    size = len(cases.content) + len(beneficiaries.content)
    assert size <= DATA_BUDGET, f"{size} bytes for 50 + 50 (budget {DATA_BUDGET})"
    # and the JSON is compact: no pretty-printing spent on the phone's storage
    assert (
        json.dumps(cases.json(), separators=(",", ":"), ensure_ascii=False).encode()
        == cases.content
    )


@pytest.mark.django_db
def test_the_query_count_does_not_grow_with_the_caseload(team, django_assert_num_queries):
    worker = team["worker"]
    field_cases(worker=worker, supervisor=team["supervisor"], staff=team["staff"], count=2)
    selectors.field_cases(user=worker)  # the user's permissions and scope are known now
    with django_assert_num_queries(6):  # cases, concerns, guardians, assessments, plan, visits
        selectors.field_cases(user=worker)
    field_cases(worker=worker, supervisor=team["supervisor"], staff=team["staff"], count=5)
    with django_assert_num_queries(6):
        assert len(selectors.field_cases(user=worker)) == 7


@pytest.mark.django_db
def test_a_child_in_two_of_her_cases_is_listed_per_case(team):
    child = make_child("Anak Dua Kasus")
    from pksai.cases import services

    for reason in ("", "Kasus baru: kejadian lain"):
        services.case_register(
            by=team["staff"],
            child=child,
            channel="phone",
            summary="Laporan.",
            concerns=["neglect"],
            owner=team["worker"],
            supervisor=team["supervisor"],
            consent_given=True,
            **({"duplicate_reason": reason} if reason else {}),
        )
    names = [i["child"]["name"] for i in selectors.field_cases(user=team["worker"])]
    assert names == ["Anak Dua Kasus", "Anak Dua Kasus"]
