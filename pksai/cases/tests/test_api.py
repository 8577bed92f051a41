from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pksai.accounts.tests.factories import make_user
from pksai.api.tests.helpers import bearer, english_messages  # noqa: F401  (autouse)
from pksai.audit.models import AuditEvent
from pksai.cases.models import Case
from pksai.cases.tests.factories import assess, make_child, move, register

URL = "/api/v1/cases/"


def post(client, path, user, body):
    return client.post(path, body, content_type="application/json", headers=bearer(user))


@pytest.fixture
def cases(team):
    """An ordinary and a restricted case in Makassar, and a case in Gowa."""
    gowa_child = make_child("Anak Gowa", village="73.06.01.2001")
    gowa_supervisor = make_user("gspv", roles=["supervisor"], scope=["73.06"])
    return {
        "open": register(team, child=make_child("Budi")),
        "restricted": register(team, concerns=["conflict_with_law"], child=make_child("Rahasia")),
        "gowa": register(
            {
                "staff": team["gowa_worker"],
                "worker": team["gowa_worker"],
                "supervisor": gowa_supervisor,
            },
            child=gowa_child,
        ),
    }


def names(client, user, query=""):
    body = client.get(URL + query, headers=bearer(user)).json()
    return {c["number"]: c["child_name"] for c in body["items"]}


def test_anonymous_is_refused(client, cases):
    assert client.get(URL).status_code == 401


def test_list_is_scoped_masked_and_audited(client, team, cases):
    open_, restricted, gowa = cases["open"], cases["restricted"], cases["gowa"]
    assert names(client, team["worker"]) == {open_.number: "Budi", restricted.number: "Rahasia"}
    # Another worker of the area does not see the restricted case at all.
    assert names(client, team["other_worker"]) == {open_.number: "Budi"}
    # A supervisor not assigned to it lists it with the name masked.
    other_supervisor = make_user("spv2", roles=["supervisor"], scope=["73.71"])
    assert names(client, other_supervisor) == {open_.number: "Budi", restricted.number: "•••"}
    assert names(client, team["gowa_worker"]) == {gowa.number: "Anak Gowa"}
    event = AuditEvent.objects.filter(action="view", object_type="cases.case").latest("id")
    assert event.actor_username == "gw" and event.detail["ids"] == [gowa.pk]


def test_list_row_and_filters(client, team, cases):
    Case.objects.filter(pk=cases["open"].pk).update(
        stage_due_at=timezone.now() - timedelta(hours=1)
    )
    body = client.get(URL + "?overdue=true", headers=bearer(team["worker"])).json()
    assert body["count"] == 1
    row = body["items"][0]
    assert row["number"] == cases["open"].number
    assert row["overdue"] is True and row["stage"] == "triage" and row["owner"] == "sw"
    assert row["concerns"] == ["physical_violence"] and row["version"] == 1
    assert row["restricted"] is False and row["response"] == ""
    assert names(client, team["worker"], "?q=Rahasia") == {cases["restricted"].number: "Rahasia"}
    assert names(client, team["worker"], "?stage=assessment") == {}


def test_list_queries_do_not_grow_with_the_rows(client, team):
    headers = bearer(team["supervisor"])
    register(team, child=make_child("Anak"))
    client.get(URL, headers=headers)  # the token's last use is written once a minute
    with CaptureQueriesContext(connection) as one:
        client.get(URL, headers=headers)
    for i in range(10):
        register(team, child=make_child(f"Anak {i}"), concerns=["neglect", "out_of_school"])
    with CaptureQueriesContext(connection) as eleven:
        assert len(client.get(URL, headers=headers).json()["items"]) == 11
    assert len(eleven) == len(one)


def test_detail_with_timeline_transitions_and_audit(client, team, cases):
    case = cases["open"]
    response = client.get(f"{URL}{case.pk}/", headers=bearer(team["worker"]))
    assert response.status_code == 200
    body = response.json()
    assert body["child"]["name"] == "Budi" and body["child"]["village_code"] == "73.71.01.1001"
    assert body["reporter"] == {"name": "", "phone": "", "relation": ""}
    assert [e["kind"] for e in body["events"]] == ["registered"]
    assert body["events"][0]["actor"] == "reg"
    assert [t["name"] for t in body["transitions"]] == ["triage"]
    assert body["supervisor"] == "spv" and body["created_by"] == "reg"
    assert AuditEvent.objects.filter(
        action="view", object_type="cases.case", object_id=str(case.pk), actor_username="sw"
    ).exists()
    # The supervisor may also void; a registration clerk may not move the case at all.
    moves = client.get(f"{URL}{case.pk}/", headers=bearer(team["supervisor"])).json()
    assert [t["name"] for t in moves["transitions"]] == ["triage", "void"]
    clerk = client.get(f"{URL}{case.pk}/", headers=bearer(team["staff"])).json()
    assert clerk["transitions"] == []


def test_anonymous_reporter_is_omitted(client, team):
    case = register(team, reporter_anonymous=True, reporter_name="Tetangga")
    body = client.get(f"{URL}{case.pk}/", headers=bearer(team["worker"])).json()
    assert body["reporter"] is None and body["reporter_anonymous"] is True


def test_worker_outside_the_area_gets_404(client, team, cases):
    case = cases["open"]
    gowa = team["gowa_worker"]
    assert client.get(f"{URL}{case.pk}/", headers=bearer(gowa)).status_code == 404
    response = post(
        client,
        f"{URL}{case.pk}/transitions/",
        gowa,
        {"name": "triage", "expected_version": 1, "response": "at_risk"},
    )
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.stage == "triage" and case.version == 1


def test_restricted_case_is_404_for_an_unassigned_worker_of_the_area(client, team, cases):
    case = cases["restricted"]
    other = team["other_worker"]
    assert client.get(f"{URL}{case.pk}/", headers=bearer(other)).status_code == 404
    response = post(
        client, f"{URL}{case.pk}/transitions/", other, {"name": "triage", "expected_version": 1}
    )
    assert response.status_code == 404
    assert client.get(f"{URL}{case.pk}/", headers=bearer(team["worker"])).status_code == 200
    assert client.get(f"{URL}{case.pk}/", headers=bearer(team["coordinator"])).status_code == 200


def test_transition_happy_path(client, team, cases):
    case = cases["open"]
    response = post(
        client,
        f"{URL}{case.pk}/transitions/",
        team["worker"],
        {"name": "triage", "expected_version": 1, "response": "immediate"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["stage"], body["response"], body["version"]) == ("assessment", "immediate", 2)
    case.refresh_from_db()
    assert case.stage == "assessment" and case.events.filter(kind="triage").exists()


def test_stale_version_is_409_and_nothing_changes(client, team, cases):
    case = cases["open"]
    services_move = move(case, "triage", team["worker"], response="at_risk")
    assert services_move.version == 2
    response = post(
        client,
        f"{URL}{case.pk}/transitions/",
        team["supervisor"],
        {"name": "void", "expected_version": 1, "reason": "Laporan ganda"},
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.json()["detail"]
    case.refresh_from_db()
    assert (case.stage, case.version) == ("assessment", 2)
    assert not case.events.filter(kind="void").exists()
    stale_edit = client.patch(
        f"{URL}{case.pk}/",
        {"summary": "Versi lama", "expected_version": 1},
        content_type="application/json",
        headers=bearer(team["worker"]),
    )
    assert stale_edit.status_code == 409
    case.refresh_from_db()
    assert case.summary == "Tetangga melaporkan anak dipukul."


def test_refused_moves_are_400_or_403(client, team, cases):
    case = cases["open"]
    path = f"{URL}{case.pk}/transitions/"
    wrong_stage = post(
        client, path, team["supervisor"], {"name": "approve_plan", "expected_version": 1}
    )
    assert wrong_stage.status_code == 400 and "cannot do" in wrong_stage.json()["detail"][0]
    no_reason = post(client, path, team["supervisor"], {"name": "void", "expected_version": 1})
    assert no_reason.status_code == 400
    not_allowed = post(
        client, path, team["worker"], {"name": "void", "expected_version": 1, "reason": "x"}
    )
    assert not_allowed.status_code == 403
    missing_version = post(client, path, team["worker"], {"name": "triage"})
    assert missing_version.status_code == 422
    case.refresh_from_db()
    assert case.stage == "triage" and case.version == 1


def test_edit_summary(client, team, cases):
    case = cases["open"]
    response = client.patch(
        f"{URL}{case.pk}/",
        {"summary": "Anak dipukul ayahnya.", "expected_version": 1},
        content_type="application/json",
        headers=bearer(team["worker"]),
    )
    assert response.status_code == 200 and response.json()["version"] == 2
    case.refresh_from_db()
    assert case.summary == "Anak dipukul ayahnya."


def test_register_via_api(client, team):
    child = make_child("Siti")
    body = {
        "child_id": child.pk,
        "channel": "school",
        "summary": "Guru melihat memar di lengan anak.",
        "concerns": ["physical_violence", "out_of_school"],
        "reporter_name": "Bu Guru",
        "reporter_relation": "guru",
        "consent_given": True,
        "owner": "sw",
        "supervisor": "spv",
    }
    response = post(client, URL, team["staff"], body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["stage"] == "triage" and created["owner"] == "sw"
    assert created["concerns"] == ["out_of_school", "physical_violence"]
    case = Case.objects.get(pk=created["id"])
    assert (case.child, case.supervisor, case.created_by) == (
        child,
        team["supervisor"],
        team["staff"],
    )
    assert case.events.get().kind == "registered"
    assert AuditEvent.objects.filter(action="create", object_id=str(case.pk)).exists()

    gowa_child = make_child("Jauh", village="73.06.01.2001")
    assert post(client, URL, team["staff"], {**body, "child_id": gowa_child.pk}).status_code == 404
    outsider = post(client, URL, team["staff"], {**body, "owner": "gw"})
    assert outsider.status_code == 400 and "gw" in str(outsider.json()["detail"])
    assert post(client, URL, team["staff"], {**body, "concerns": ["bogus"]}).status_code == 422
    assert post(client, URL, team["staff"], {**body, "concerns": []}).status_code == 422
    other_child = make_child("Lain")  # one open case per child (test_queues: the 409)
    restricted = post(
        client,
        URL,
        team["staff"],
        {**body, "child_id": other_child.pk, "concerns": ["sexual_violence"]},
    )
    assert restricted.json()["restricted"] is True
    assert Case.objects.count() == 2


def test_emergency_and_plan_actions_and_queue(client, team, cases):
    worker = team["worker"]
    case = cases["open"]
    move(case, "triage", worker, response="immediate")
    action = post(client, f"{URL}{case.pk}/emergency-actions/", worker, {"kind": "shelter"})
    assert action.status_code == 201 and action.json()["started_at"] is None
    move(case, "complete_assessment", worker)
    enrol = {
        "kind": "enrolment",
        "description": "PKSA",
        "responsible": "Dinas Sosial",
        "due_date": timezone.localdate().isoformat(),
    }
    refused = post(client, f"{URL}{case.pk}/plan-actions/", worker, enrol)
    assert refused.status_code == 400 and "Immediate response first" in refused.json()["detail"][0]
    started = post(
        client, f"{URL}{case.pk}/emergency-actions/{action.json()['id']}/start/", worker, {}
    )
    assert started.status_code == 200 and started.json()["started_at"] is not None
    added = post(client, f"{URL}{case.pk}/plan-actions/", worker, enrol)
    assert added.status_code == 201 and added.json()["status"] == "planned"

    detail = client.get(f"{URL}{case.pk}/", headers=bearer(worker)).json()
    assert detail["emergency_pending"] is False
    assert [a["kind"] for a in detail["emergency_actions"]] == ["shelter"]
    assert [a["description"] for a in detail["plan_actions"]] == ["PKSA"]

    queue = client.get(f"{URL}queue/", headers=bearer(worker)).json()
    assert [(i["kind"], i["number"]) for i in queue] == [
        ("case", cases["restricted"].number),
        ("case", case.number),
    ]
    # the queue names children: the read is audited like every list (issue 22)
    read = AuditEvent.objects.filter(action="view", actor=worker, path=f"{URL}queue/").get()
    assert read.detail == {"list": [cases["restricted"].pk, case.pk], "queue": "work"}
    # Another worker's emergency action id under this case is not found.
    other = register(team, child=make_child("Lain"))
    other_action = post(client, f"{URL}{other.pk}/emergency-actions/", worker, {"kind": "medical"})
    wrong = post(
        client, f"{URL}{case.pk}/emergency-actions/{other_action.json()['id']}/start/", worker, {}
    )
    assert wrong.status_code == 404
    # ... and the attempt is audited under the action's own id (issue 22)
    assert AuditEvent.objects.filter(
        action="permission_denied",
        object_type="cases.emergencyaction",
        object_id=str(other_action.json()["id"]),
    ).exists()


def test_follow_up_completion(client, team, cases):
    worker, supervisor = team["worker"], team["supervisor"]
    case = cases["open"]
    for name, by, kw in [
        ("triage", worker, {"response": "at_risk"}),
        ("complete_assessment", worker, {}),
        ("submit_plan", worker, {}),
        ("approve_plan", supervisor, {}),
        ("request_closure", worker, {}),
        ("approve_closure", supervisor, {}),
    ]:
        move(case, name, by, **kw)
    detail = client.get(f"{URL}{case.pk}/", headers=bearer(worker)).json()
    assert [f["months"] for f in detail["follow_ups"]] == [1, 3, 6]
    first = detail["follow_ups"][0]["id"]
    done = post(
        client, f"{URL}{case.pk}/follow-ups/{first}/complete/", worker, {"notes": "Anak sehat."}
    )
    assert done.status_code == 200 and done.json()["done_at"] is not None
    queue = client.get(f"{URL}queue/", headers=bearer(worker)).json()
    assert [i["follow_up_months"] for i in queue if i["kind"] == "follow_up"] == [3, 6]


def test_assign(client, team, cases):
    case = cases["open"]
    path = f"{URL}{case.pk}/assign/"
    assert (
        post(client, path, team["worker"], {"owner": "sw2", "expected_version": 1}).status_code
        == 403
    )
    outsider = post(client, path, team["supervisor"], {"owner": "gw", "expected_version": 1})
    assert outsider.status_code == 400
    response = post(client, path, team["supervisor"], {"owner": "sw2", "expected_version": 1})
    assert response.status_code == 200 and response.json()["owner"] == "sw2"
    stale = post(client, path, team["supervisor"], {"owner": "sw", "expected_version": 1})
    assert stale.status_code == 409
    case.refresh_from_db()
    assert case.owner == team["other_worker"]


def test_openapi_lists_the_case_endpoints(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/cases/{pk}/transitions/" in paths
    assert "409" in paths["/api/v1/cases/{pk}/transitions/"]["post"]["responses"]


def test_restricted_fields_only_for_owner_supervisor_and_coordinator(client, team):
    case = register(
        team,
        reporter_name="Pak Budi",
        guardians=[{"name": "Ibu Siti", "relation": "ibu", "phone": "0811"}],
    )
    assess(case, team["worker"])
    own = client.get(f"{URL}{case.pk}/", headers=bearer(team["worker"])).json()
    assert own["reporter"]["name"] == "Pak Budi"
    assert own["guardians"] == [
        {"name": "Ibu Siti", "relation": "ibu", "phone": "0811", "lives_with_child": True}
    ]
    assert own["assessments"][0]["kind"] == "comprehensive"
    assert own["assessments"][0]["domains"]["safety"]["rating"] == "high"
    other = client.get(f"{URL}{case.pk}/", headers=bearer(team["other_worker"])).json()
    assert other["reporter"] is None and other["guardians"][0]["phone"] == ""
    coordinator = client.get(f"{URL}{case.pk}/", headers=bearer(team["coordinator"])).json()
    assert coordinator["reporter"]["name"] == "Pak Budi"
