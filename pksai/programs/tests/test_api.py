"""/api/v1/programs/: denials first (anonymous, roles, other regencies), then programs and
quotas, nominations, a selection round run, verified, approved and enrolled through the API,
the sub-program choice and the triage protocol's refusal."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pksai.accounts.tests.factories import make_user
from pksai.api.tests.helpers import bearer, english_messages  # noqa: F401  (autouse)
from pksai.audit.models import AuditEvent
from pksai.cases import selectors as case_selectors
from pksai.cases.tests.factories import make_child, move, register
from pksai.programs import services
from pksai.programs.models import Beneficiary, Nomination, Program, Quota, SelectionRound
from pksai.programs.tests.factories import make_person, nominate_disabled

URL = "/api/v1/programs/"


def get(client, path, user):
    return client.get(URL + path, headers=bearer(user))


def post(client, path, user, body=None):
    return client.post(
        URL + path, body or {}, content_type="application/json", headers=bearer(user)
    )


@pytest.fixture
def people(team):
    """Program officers of Makassar and Gowa, and six JSPACA nominees in Makassar (five
    eligible: quota 3) and one in Gowa."""
    officer = make_user("po", roles=["program_officer"], scope=["73.71"])
    approver = make_user("po2", roles=["program_officer"], scope=["73.71"])  # four eyes
    gowa_officer = make_user("gpo", roles=["program_officer"], scope=["73.06"])
    jspaca = Program.objects.get(code="jspaca")
    Quota.objects.create(program=jspaca, year=2026, area_id="73.71", places=3)
    Quota.objects.create(program=jspaca, year=2026, area_id="73.06", places=4)
    makassar = [
        nominate_disabled(officer, "A Multiple", disability_type="multiple"),
        nominate_disabled(officer, "B Device", assistive_device_needed=True),
        nominate_disabled(officer, "C Physical", decile=1),
        nominate_disabled(officer, "D Visual", disability_type="visual"),
        nominate_disabled(officer, "E Hearing", disability_type="hearing", decile=5),
        nominate_disabled(officer, "X Income", fixed_income=True),
    ]
    gowa = nominate_disabled(gowa_officer, "Gowa Person", village="73.06.01.2001")
    return {
        **team,
        "officer": officer,
        "approver": approver,
        "gowa_officer": gowa_officer,
        "makassar": makassar,
        "gowa": gowa,
        "jspaca": jspaca,
    }


def run_round(officer, **kw):
    return services.round_run(
        by=officer,
        program=Program.objects.get(code="jspaca"),
        year=2026,
        area_code="73.71",
        seed=42,
        **kw,
    ).round


# --- denials first ----------------------------------------------------------------------


def test_anonymous_is_refused(client, people):
    selection = run_round(people["officer"])
    assert client.get(URL).status_code == 401
    assert client.get(URL + "nominations/").status_code == 401
    assert client.get(f"{URL}rounds/{selection.pk}/").status_code == 401
    response = client.post(
        URL + "rounds/",
        {"program": "jspaca", "year": 2026, "area": "73.71"},
        content_type="application/json",
    )
    assert response.status_code == 401
    assert not SelectionRound.objects.exclude(pk=selection.pk).exists()


def test_a_social_worker_cannot_run_approve_or_enrol(client, people):
    worker = people["worker"]
    body = {"program": "jspaca", "year": 2026, "area": "73.71", "seed": 1}
    assert post(client, "rounds/", worker, body).status_code == 403
    assert not SelectionRound.objects.exists()
    selection = run_round(people["officer"], sample_share=Decimal("0"))
    decree = {"decree_number": "12/HUK/2026", "decree_date": "2026-03-02"}
    assert post(client, f"rounds/{selection.pk}/approve/", worker, decree).status_code == 403
    enrol = {"start_date": "2026-04-01"}
    assert post(client, f"rounds/{selection.pk}/enrol/", worker, enrol).status_code == 403
    entry = selection.entries.filter(selected=True).first()
    verify = f"rounds/{selection.pk}/entries/{entry.pk}/verify/"
    assert post(client, verify, worker, {"result": "confirmed"}).status_code == 403
    selection.refresh_from_db()
    assert selection.status == SelectionRound.Status.RANKED
    assert AuditEvent.objects.filter(action="permission_denied", actor_username="sw").count() >= 3
    # nominating is the worker's; enrolling and the lists of rounds and beneficiaries are not
    nomination = people["makassar"][0]
    assert get(client, f"nominations/{nomination.pk}/", worker).status_code == 200
    refused = post(client, f"nominations/{nomination.pk}/enrol/", worker, enrol)
    assert refused.status_code == 403
    assert get(client, "rounds/", worker).status_code == 403
    assert get(client, "beneficiaries/", worker).status_code == 403
    assert not Beneficiary.objects.exists()


def test_a_gowa_officer_gets_404_for_makassar_rounds_and_nominations(client, people):
    gowa = people["gowa_officer"]
    selection = run_round(people["officer"])
    nomination = people["makassar"][0]
    entry = selection.entries.first()
    for path in (
        f"rounds/{selection.pk}/",
        f"rounds/{selection.pk}/entries/",
        f"nominations/{nomination.pk}/",
    ):
        assert get(client, path, gowa).status_code == 404, path
    decree = {"decree_number": "1/HUK/2026", "decree_date": "2026-03-02"}
    for path, body in (
        (f"rounds/{selection.pk}/approve/", decree),
        (f"rounds/{selection.pk}/enrol/", {"start_date": "2026-04-01"}),
        (f"rounds/{selection.pk}/entries/{entry.pk}/verify/", {"result": "confirmed"}),
        (f"rounds/{selection.pk}/entries/{entry.pk}/exclude/", {"reason": "x"}),
        (f"nominations/{nomination.pk}/choose/", {"subprogram": "pks_ampk", "reason": "x"}),
        (f"nominations/{nomination.pk}/enrol/", {"start_date": "2026-04-01"}),
    ):
        assert post(client, path, gowa, body).status_code == 404, path
    # nor may they run a round for Makassar or nominate a Makassar person
    body = {"program": "jspaca", "year": 2026, "area": "73.71", "places": 2}
    assert post(client, "rounds/", gowa, body).status_code == 403
    person = {"program": "jslu", "year": 2026, "person": nomination.person_id, "source": "office"}
    assert post(client, "nominations/", gowa, person).status_code == 404
    # their lists hold only Gowa
    listed = get(client, "nominations/", gowa).json()
    assert [n["id"] for n in listed["items"]] == [people["gowa"].pk]
    assert get(client, "rounds/", gowa).json()["count"] == 0
    assert [q["area_code"] for q in get(client, "quotas/", gowa).json()] == ["73.06"]
    assert AuditEvent.objects.filter(
        action="permission_denied",
        object_type="programs.selectionround",
        object_id=str(selection.pk),
    ).exists()


# --- programs and quotas ----------------------------------------------------------------


def test_programs_with_subprograms_and_current_benefits(client, people):
    body = get(client, "", people["worker"]).json()
    programs = {p["code"]: p for p in body}
    assert {"pksa", "jslu", "jspaca", "pkh"} <= set(programs)
    pksa = programs["pksa"]
    assert [s["code"] for s in pksa["subprograms"]] == [
        "pks_abh",
        "pks_abt",
        "pks_adk",
        "pks_ampk",
        "pks_anjal",
    ]
    subs = {s["code"]: s for s in pksa["subprograms"]}
    assert subs["pks_abt"]["benefit"]["amount"] == 1_100_000  # its own rule
    assert subs["pks_abt"]["benefit"]["yearly_total"] == 1_500_000  # with the nutrition pack
    assert subs["pks_ampk"]["benefit"]["program"] == "pksa"  # the parent's rule
    jspaca = programs["jspaca"]
    assert jspaca["benefit"]["amount"] == 300_000 and jspaca["benefit"]["frequency"] == "monthly"
    assert jspaca["benefit"]["yearly_total"] == 3_600_000
    assert programs["pkh"]["benefit"] is None and programs["pkh"]["subprograms"] == []
    quotas = get(client, "quotas/?year=2026&program=jspaca", people["officer"]).json()
    assert [(q["area_code"], q["places"]) for q in quotas] == [("73.71", 3)]
    assert get(client, "quotas/?program=jslu", people["officer"]).json() == []


# --- nominations ------------------------------------------------------------------------


def test_nomination_list_is_scoped_filtered_and_audited(client, people):
    officer = people["officer"]
    body = get(client, "nominations/?program=jspaca&year=2026", officer).json()
    assert body["count"] == 6
    row = next(n for n in body["items"] if n["person"]["name"] == "B Device")
    assert row["program"] == "jspaca" and row["area_code"] == "73.71.01.1001"
    assert row["dependency"] == "total" and row["assistive_device_needed"] is True
    assert row["source"] == "office" and row["created_by"] == "po"
    event = AuditEvent.objects.filter(action="view", object_type="programs.nomination").latest("id")
    assert event.actor_username == "po" and len(event.detail["ids"]) == 6
    assert event.detail["filters"] == {"program": "jspaca", "year": "2026"}
    assert get(client, "nominations/?area=73.06", officer).json()["count"] == 0
    assert get(client, "nominations/?area=73.71.01", officer).json()["count"] == 6
    assert get(client, "nominations/?program=jslu", officer).json()["count"] == 0
    # a second record of the same person (same name, birth date and village) is flagged
    twin = make_person("B Device", disability_type="physical", disability_severity="severe")
    services.nominate(by=officer, program=people["jspaca"], year=2026, person=twin, source="office")
    flagged = get(client, "nominations/?flag=duplicate", officer).json()["items"]
    assert sorted(n["person"]["id"] for n in flagged) == sorted(
        [people["makassar"][1].person_id, twin.pk]
    )
    assert get(client, "nominations/?flag=nonsense", officer).status_code == 422


def test_nomination_detail_is_audited(client, people):
    nomination = people["makassar"][0]
    run_round(people["officer"])
    response = get(client, f"nominations/{nomination.pk}/", people["officer"])
    assert response.status_code == 200
    body = response.json()
    assert body["person"]["name"] == "A Multiple"
    # second: the device needed gives B Device more disability points
    assert [(r["rank"], r["eligible"], r["selected"]) for r in body["rounds"]] == [(2, True, True)]
    assert body["beneficiary_id"] is None
    assert AuditEvent.objects.filter(
        action="view", object_type="programs.nomination", object_id=str(nomination.pk)
    ).exists()
    assert get(client, "nominations/999999/", people["officer"]).status_code == 404


def test_nominate_creates_once_and_updates_the_profile(client, people):
    officer = people["officer"]
    person = make_person("Nenek Tua", birth=date(1950, 6, 1), sex="F")
    body = {
        "program": "jslu",
        "year": 2026,
        "person": person.pk,
        "source": "office",
        "dependency": "partial",
        "fixed_income": False,
        "notes": "Tinggal sendiri.",
    }
    created = post(client, "nominations/", officer, body)
    assert created.status_code == 201, created.json()
    row = created.json()
    assert row["program"] == "jslu" and row["dependency"] == "partial"
    assert row["fixed_income"] is False and row["bedridden"] is None and row["version"] == 1
    again = post(
        client,
        "nominations/",
        officer,
        {
            "program": "jslu",
            "year": 2026,
            "person": person.pk,
            "source": "office",
            "bedridden": True,
        },
    )
    assert again.status_code == 200
    assert again.json()["id"] == row["id"] and again.json()["bedridden"] is True
    assert again.json()["dependency"] == "partial"  # what was not sent stays
    assert Nomination.objects.filter(person=person).count() == 1
    # a sub-program is chosen later, never nominated for; unknown programs are refused
    sub = post(client, "nominations/", officer, {**body, "program": "pks_ampk"})
    assert sub.status_code == 400 and "Unknown program pks_ampk." in sub.json()["detail"]
    assert post(client, "nominations/", officer, {**body, "person": 999999}).status_code == 404
    assert post(client, "nominations/", officer, {**body, "source": "x"}).status_code == 422


# --- a selection round through the API --------------------------------------------------


def test_round_run_verify_exclude_approve_and_enrol(client, people):
    officer = people["officer"]
    body = {
        "program": "jspaca",
        "year": 2026,
        "area": "7371",
        "seed": 42,
        "sample_share": "0.4",
    }
    response = post(client, "rounds/", officer, body)
    assert response.status_code == 201, response.json()
    selection = response.json()
    assert selection["area_code"] == "73.71" and selection["status"] == "ranked"
    assert (selection["places"], selection["nominees"], selection["eligible"]) == (3, 6, 5)
    assert selection["selected"] == 3 and selection["sample"] == 1
    assert selection["pending_verification"] == 1 and selection["rules"] == "program:jspaca v1"
    assert selection["tier_labels"][0].startswith("Type and condition of disability")
    assert selection["conditions"]["no_fixed_income"] == "No fixed income"
    pk = selection["id"]
    assert [r["id"] for r in get(client, "rounds/?program=jspaca", officer).json()["items"]] == [pk]

    entries = get(client, f"rounds/{pk}/entries/", officer).json()
    assert entries["count"] == 6
    ranked = [(e["rank"], e["person_name"], e["selected"]) for e in entries["items"]]
    assert [r[2] for r in ranked] == [True, True, True, False, False, False]
    assert ranked[-1] == (None, "X Income", False)
    assert entries["items"][-1]["failed"] == ["no_fixed_income"]
    assert len(entries["items"][0]["tiers"]) == 3
    event = AuditEvent.objects.filter(action="view", object_type="programs.roundentry").latest("id")
    assert len(event.detail["ids"]) == 6
    assert get(client, f"rounds/{pk}/entries/?selected=true", officer).json()["count"] == 3

    decree = {"decree_number": "12/HUK/2026", "decree_date": "2026-03-02"}
    approver = people["approver"]  # four eyes: not the officer who ran the round
    refused = post(client, f"rounds/{pk}/approve/", approver, decree)
    assert refused.status_code == 400
    assert refused.json()["detail"] == [
        "1 nominees of the verification sample are not verified yet."
    ]
    sampled = get(client, f"rounds/{pk}/entries/?in_sample=true", officer).json()["items"]
    [entry] = sampled
    verified = post(
        client,
        f"rounds/{pk}/entries/{entry['id']}/verify/",
        officer,
        {"result": "not_confirmed", "notes": "Pindah ke luar kota"},
    )
    assert verified.status_code == 200 and verified.json()["verification"] == "not_confirmed"
    excluded = post(
        client, f"rounds/{pk}/entries/{entry['id']}/exclude/", officer, {"reason": "Pindah"}
    )
    assert excluded.status_code == 200
    assert excluded.json()["excluded"]["selected"] is False
    successor = excluded.json()["successor"]
    assert successor["rank"] == 4 and successor["selected"] and successor["override"] == "include"
    assert post(client, f"rounds/{pk}/approve/", officer, decree).status_code == 403
    approved = post(client, f"rounds/{pk}/approve/", approver, decree)
    assert approved.status_code == 200
    header = approved.json()
    assert header["status"] == "approved" and header["decree_number"] == "12/HUK/2026"
    assert header["approved_by"] == "po2" and header["excluded"] == 1 and header["selected"] == 3
    again = post(
        client, f"rounds/{pk}/entries/{successor['id']}/exclude/", officer, {"reason": "x"}
    )
    assert again.status_code == 400  # the approved list no longer changes

    enrolled = post(client, f"rounds/{pk}/enrol/", officer, {"start_date": "2026-04-01"})
    assert enrolled.status_code == 200 and enrolled.json() == {"enrolled": 3, "waiting": []}
    assert post(client, f"rounds/{pk}/enrol/", officer, {"start_date": "2026-04-01"}).json() == {
        "enrolled": 0,
        "waiting": [],
    }
    assert get(client, f"rounds/{pk}/", officer).json()["enrolled"] == 3
    beneficiaries = get(client, "beneficiaries/?program=jspaca&status=active", officer).json()
    assert beneficiaries["count"] == 3
    row = beneficiaries["items"][0]
    assert row["benefit"]["amount"] == 300_000 and row["round_id"] == pk
    assert row["start_date"] == "2026-04-01" and row["person"]["village_code"].startswith("73.71")
    names = {b["person"]["name"] for b in beneficiaries["items"]}
    assert entry["person_name"] not in names and successor["person_name"] in names
    event = AuditEvent.objects.filter(action="view", object_type="programs.beneficiary").latest(
        "id"
    )
    assert len(event.detail["ids"]) == 3
    assert get(client, "beneficiaries/?status=exited", officer).json()["count"] == 0
    assert get(client, "beneficiaries/", people["gowa_officer"]).json()["count"] == 0


def test_round_input_is_checked(client, people):
    officer = people["officer"]
    base = {"program": "jspaca", "year": 2026, "area": "73.71"}
    unknown = post(client, "rounds/", officer, {**base, "area": "73.71.99"})
    assert unknown.status_code == 400 and unknown.json()["detail"] == ["Unknown area 73.71.99."]
    no_quota = post(client, "rounds/", officer, {**base, "year": 2027})
    assert no_quota.status_code == 400
    assert "No quota for" in no_quota.json()["detail"][0]
    assert post(client, "rounds/", officer, {**base, "sample_share": "1.5"}).status_code == 422
    nobody = post(client, "rounds/", officer, {**base, "program": "jslu", "places": 5})
    assert nobody.status_code == 400
    assert nobody.json()["detail"] == ["Nobody is nominated for this program, year and area."]


def test_list_queries_do_not_grow_with_the_rows(client, people):
    officer = people["officer"]
    headers = bearer(officer)

    def queries(path):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL + path, headers=headers).status_code == 200
        return len(captured)

    client.get(URL, headers=headers)  # the token's last use is written once a minute
    few = (queries("nominations/"), queries(f"rounds/{run_round(officer).pk}/entries/"))
    for i in range(4):
        nominate_disabled(officer, f"Later {i}")
    more = (queries("nominations/"), queries(f"rounds/{run_round(officer).pk}/entries/"))
    assert few == more


# --- sub-programs and the triage protocol -----------------------------------------------


def test_choose_a_subprogram_with_the_reason_then_enrol(client, people):
    officer = people["officer"]
    child = make_child("Rudi", birth=date(2015, 3, 1), sex="M")
    case = register(people, concerns=("street_child", "physical_violence"), child=child)
    move(case, "triage", people["worker"], response="at_risk")
    nominated = post(
        client,
        "nominations/",
        people["worker"],
        {"program": "pksa", "year": 2026, "person": child.pk, "source": "case", "case": case.pk},
    )
    assert nominated.status_code == 201, nominated.json()
    pk = nominated.json()["id"]
    assert nominated.json()["case_id"] == case.pk
    services.round_run(
        by=officer,
        program=Program.objects.get(code="pksa"),
        year=2026,
        area_code="73.71",
        places=5,
        seed=1,
    )
    assert get(client, f"nominations/{pk}/", officer).json()["matches"] == [
        "pks_anjal",
        "pks_ampk",
    ]
    no_reason = post(client, f"nominations/{pk}/choose/", officer, {"subprogram": "pks_ampk"})
    assert no_reason.status_code == 400
    assert no_reason.json()["detail"] == [
        "The nominee matches several sub-programs: say why this one was chosen."
    ]
    not_sub = post(client, f"nominations/{pk}/choose/", officer, {"subprogram": "jslu"})
    assert not_sub.status_code == 400
    early = post(client, f"nominations/{pk}/enrol/", officer, {"start_date": "2026-04-01"})
    assert early.status_code == 400 and early.json()["detail"] == [
        "Choose the sub-program for Rudi first."
    ]
    reason = "Kekerasan fisik di rumah: perlindungan khusus lebih dulu."
    chosen = post(
        client, f"nominations/{pk}/choose/", officer, {"subprogram": "pks_ampk", "reason": reason}
    )
    assert chosen.status_code == 200
    assert chosen.json()["chosen"] == "pks_ampk" and chosen.json()["choice_reason"] == reason
    enrolled = post(client, f"nominations/{pk}/enrol/", officer, {"start_date": "2026-04-01"})
    assert enrolled.status_code == 201
    body = enrolled.json()
    assert body["program"] == "pks_ampk" and body["benefit"]["program"] == "pksa"
    assert body["nomination_id"] == pk and body["status"] == "active"
    assert get(client, f"nominations/{pk}/", officer).json()["beneficiary_id"] == body["id"]
    assert get(client, "beneficiaries/?program=pksa", officer).json()["count"] == 1


def test_immediate_response_first_refuses_enrolment(client, people):
    officer, worker = people["officer"], people["worker"]
    case = register(people, concerns=("physical_violence",))
    move(case, "triage", worker, response="immediate")
    case = case_selectors.case_get(user=worker, pk=case.pk)
    assert case.emergency_pending
    message = (
        "Immediate response first: record an emergency action as started before enrolling "
        "the child in social assistance."
    )
    from_case = post(
        client,
        "nominations/",
        worker,
        {
            "program": "pksa",
            "year": 2026,
            "person": case.child_id,
            "source": "case",
            "case": case.pk,
        },
    )
    assert from_case.status_code == 400 and from_case.json()["detail"] == [message]
    nomination = services.nominate(
        by=officer,
        program=Program.objects.get(code="pksa"),
        year=2026,
        person=case.child,
        source=Nomination.Source.OFFICE,
    )
    chosen = post(
        client, f"nominations/{nomination.pk}/choose/", officer, {"subprogram": "pks_ampk"}
    )
    assert chosen.status_code == 200
    refused = post(
        client, f"nominations/{nomination.pk}/enrol/", officer, {"start_date": "2026-04-01"}
    )
    assert refused.status_code == 400 and refused.json()["detail"] == [message]
    assert not Beneficiary.objects.exists()


def test_openapi_lists_the_program_endpoints(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/programs/",
        "/api/v1/programs/quotas/",
        "/api/v1/programs/nominations/",
        "/api/v1/programs/nominations/{pk}/choose/",
        "/api/v1/programs/rounds/{pk}/entries/{entry_id}/verify/",
        "/api/v1/programs/rounds/{pk}/approve/",
        "/api/v1/programs/beneficiaries/",
    ):
        assert path in paths, path
