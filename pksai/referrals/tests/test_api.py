"""/api/v1/referrals/: scoped reads (a focal person sees only what a referral shares), the
lifecycle through the API, 409 on a stale version, sending referrals and transfers."""

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pksai.accounts.models import Organisation, User
from pksai.accounts.tests.factories import make_user
from pksai.api.tests.helpers import bearer, english_messages  # noqa: F401  (autouse)
from pksai.audit.models import AuditEvent
from pksai.cases.models import PlanAction
from pksai.cases.tests.factories import make_child, register
from pksai.privacy.tests.factories import give_consent
from pksai.referrals.models import Referral, Status
from pksai.referrals.tests.factories import case_in_planning, make_provider, refer

URL = "/api/v1/referrals/"


def get(client, path, user):
    return client.get(path, headers=bearer(user))


def post(client, path, user, body):
    return client.post(path, body, content_type="application/json", headers=bearer(user))


def focal(username: str = "dukcapil") -> User:
    return User.objects.get(username=username)


def move(client, referral, user, name, **body):
    version = Referral.objects.get(pk=referral.pk).version
    return post(client, f"{URL}{referral.pk}/moves/{name}/", user, {"version": version, **body})


# --- denials first ----------------------------------------------------------------------


def test_anonymous_is_refused(client, team, dukcapil):
    referral = refer(team, dukcapil)
    assert client.get(URL).status_code == 401
    assert client.get(f"{URL}{referral.pk}/").status_code == 401
    assert client.get(f"{URL}providers/").status_code == 401


def test_focal_person_gets_404_for_the_case_the_child_and_other_organisations(
    client, team, dukcapil, puskesmas
):
    referral = refer(team, dukcapil)
    other = refer(team, puskesmas, service="health_check")
    me = focal()
    case, child = referral.case, referral.case.child
    assert get(client, f"/api/v1/cases/{case.pk}/", me).status_code == 404
    assert get(client, f"/api/v1/registry/people/{child.pk}/", me).status_code == 404
    assert get(client, f"{URL}{other.pk}/", me).status_code == 404
    assert get(client, f"{URL}{referral.pk}/", focal("pkm")).status_code == 404
    # nor can they act on another organisation's referral or send one
    assert move(client, other, me, "accept").status_code == 404
    assert Referral.objects.get(pk=other.pk).status == Status.SENT
    send = {
        "case": case.pk,
        "organisation": dukcapil.organisation_id,
        "service": "birth_certificate",
        "urgency": "routine",
        "reason": "x",
    }
    assert post(client, URL, me, send).status_code == 404
    # refusals of existing records are audited
    assert AuditEvent.objects.filter(
        action="permission_denied", object_type="referrals.referral", object_id=str(other.pk)
    ).exists()


def test_focal_persons_list_shows_only_their_organisation(client, team, dukcapil, puskesmas):
    mine = refer(team, dukcapil)
    refer(team, puskesmas, service="health_check")
    body = get(client, URL, focal()).json()
    assert body["count"] == 1
    row = body["items"][0]
    assert row["number"] == mine.number and row["view"] == "shared"
    assert "case" not in row
    assert row["to_organisation"]["name"] == "Dinas Dukcapil Kota Makassar"
    assert row["child_name"] == "Anak" and row["service"]["code"] == "birth_certificate"
    event = AuditEvent.objects.filter(action="view", object_type="referrals.referral").latest("id")
    assert event.actor_username == "dukcapil" and event.detail["ids"] == [mine.pk]


def test_focal_persons_detail_holds_only_what_was_shared(client, team, dukcapil):
    referral = refer(team, dukcapil, share=["name", "birth_date"])
    response = get(client, f"{URL}{referral.pk}/", focal())
    assert response.status_code == 200
    body = response.json()
    assert body["view"] == "shared"
    assert body["shared"] == {"name": "Anak", "birth_date": "2014-05-01"}
    for key in ("case", "plan_action_id", "sent_by", "area_code", "satisfaction", "consent"):
        assert key not in body
    assert [e["actor"] for e in body["events"]] == [None]
    assert [m["name"] for m in body["moves"]] == ["acknowledge", "accept", "decline"]
    assert body["moves"][2]["needs"] == ["reason"]
    # Nothing of the case: its number appears only as the prefix of the referral number.
    case = referral.case
    without_number = json.dumps({k: v for k, v in body.items() if k != "number"})
    assert case.number not in without_number
    assert '"case"' not in response.text and '"sw"' not in response.text
    assert AuditEvent.objects.filter(
        action="view", object_type="referrals.referral", object_id=str(referral.pk)
    ).exists()


def test_focal_person_session_works_too(client, team, dukcapil):
    referral = refer(team, dukcapil)
    client.force_login(focal())
    assert client.get(f"{URL}{referral.pk}/").json()["view"] == "shared"
    assert client.get(f"/api/v1/cases/{referral.case_id}/").status_code == 404


def test_worker_of_another_district_gets_404(client, team, dukcapil):
    referral = refer(team, dukcapil)
    gowa = team["gowa_worker"]
    assert get(client, f"{URL}{referral.pk}/", gowa).status_code == 404
    assert get(client, URL, gowa).json()["count"] == 0
    assert move(client, referral, gowa, "cancel", reason="x").status_code == 404
    # the Makassar provider does not serve Gowa: not in the Gowa worker's directory
    assert get(client, f"{URL}providers/{dukcapil.pk}/", gowa).status_code == 404
    assert get(client, f"{URL}providers/", gowa).json()["count"] == 0


def test_focal_person_has_no_directory(client, team, dukcapil):
    assert get(client, f"{URL}providers/", focal()).status_code == 403
    # one provider: the same 404 as a missing one (audited), as on the page (issue 22)
    assert get(client, f"{URL}providers/{dukcapil.pk}/", focal()).status_code == 404
    assert AuditEvent.objects.filter(
        action="permission_denied", object_type="referrals.provider", object_id=str(dukcapil.pk)
    ).exists()


def test_move_not_theirs_is_403_and_impossible_now_is_400(client, team, dukcapil):
    referral = refer(team, dukcapil)
    refused = move(client, referral, focal(), "cancel", reason="Bukan wewenang kami")
    assert refused.status_code == 403
    early = move(
        client,
        referral,
        focal(),
        "deliver",
        delivered_on=timezone.localdate().isoformat(),
        provided="Akta",
    )
    assert early.status_code == 400 and "not possible now" in early.json()["detail"][0]
    no_reason = move(client, referral, focal(), "decline")
    assert no_reason.status_code == 400 and no_reason.json()["detail"] == ["Give a reason."]
    assert move(client, referral, focal(), "teleport").status_code == 400
    assert Referral.objects.get(pk=referral.pk).status == Status.SENT


def test_stale_version_is_409_and_nothing_changes(client, team, dukcapil):
    referral = refer(team, dukcapil)
    me = focal()
    assert move(client, referral, me, "acknowledge").status_code == 200
    stale = post(client, f"{URL}{referral.pk}/moves/accept/", me, {"version": 1})
    assert stale.status_code == 409
    assert "nothing was saved" in stale.json()["detail"]
    assert Referral.objects.get(pk=referral.pk).status == Status.ACKNOWLEDGED


# --- grants ---------------------------------------------------------------------------


def test_focal_person_accepts_and_delivers_and_the_case_timeline_shows_it(client, team, dukcapil):
    referral = refer(team, dukcapil)
    me = focal()
    accepted = move(client, referral, me, "accept")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted" and accepted.json()["view"] == "shared"
    assert [m["name"] for m in accepted.json()["moves"]] == ["start", "deliver"]
    delivered = move(
        client,
        referral,
        me,
        "deliver",
        delivered_on=timezone.localdate().isoformat(),
        provided="Akta kelahiran No. 7371-LT-01",
        outcome="Diserahkan kepada ibu.",
    )
    assert delivered.status_code == 200, delivered.content
    body = delivered.json()
    assert body["status"] == "delivered" and body["provided"].startswith("Akta kelahiran")
    assert body["moves"] == []  # closing is the worker's
    case = get(client, f"/api/v1/cases/{referral.case_id}/", team["worker"]).json()
    kinds = [e["kind"] for e in case["events"]]
    assert "referral_accepted" in kinds and "referral_delivered" in kinds
    delivered_event = next(e for e in case["events"] if e["kind"] == "referral_delivered")
    assert "7371-LT-01" in delivered_event["text"] and delivered_event["actor"] == "dukcapil"
    assert PlanAction.objects.get(pk=referral.plan_action_id).status == "done"
    # the worker closes it
    closed = move(client, referral, team["worker"], "close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


def test_case_staff_see_the_case_and_who_did_what(client, team, dukcapil):
    referral = refer(team, dukcapil)
    move(client, referral, focal(), "decline", reason="Orang tua harus membawa KK asli.")
    body = get(client, f"{URL}{referral.pk}/", team["worker"]).json()
    assert body["view"] == "full"
    assert body["case"] == {
        "id": referral.case_id,
        "number": referral.case.number,
        "stage": "planning",
        "owner": "sw",
        "child_name": "Anak",
    }
    assert body["plan_action_id"] == referral.plan_action_id and body["sent_by"] == "sw"
    assert body["responded_by"] == "dukcapil" and body["area_code"] == "73.71.01.1001"
    assert [(e["status"], e["actor"]) for e in body["events"]] == [
        ("sent", "sw"),
        ("declined", "dukcapil"),
    ]
    assert body["decline_reason"] == "Orang tua harus membawa KK asli."
    assert [m["name"] for m in body["moves"]] == ["close"]
    row = get(client, URL, team["worker"]).json()["items"][0]
    assert row["view"] == "full" and row["case"]["number"] == referral.case.number


def test_a_restricted_cases_referral_is_404_for_who_cannot_open_the_case(client, team, dukcapil):
    case = case_in_planning(team)
    from pksai.cases.models import Case

    Case.objects.filter(pk=case.pk).update(restricted=True)
    case.refresh_from_db()
    referral = refer(team, dukcapil, case=case)
    other = team["other_worker"]  # same area, not assigned: cannot open the restricted case
    assert get(client, f"/api/v1/cases/{case.pk}/", other).status_code == 404
    # the referral follows the case: not there for who cannot open it
    assert get(client, f"{URL}{referral.pk}/", other).status_code == 404
    assert get(client, URL, other).json()["items"] == []
    assert get(client, URL, team["worker"]).json()["items"][0]["view"] == "full"
    assert get(client, f"{URL}{referral.pk}/", focal()).json()["view"] == "shared"


def test_list_filters_and_constant_queries(client, team, dukcapil):
    first = refer(team, dukcapil)
    worker = team["worker"]
    headers = bearer(worker)
    client.get(URL, headers=headers)
    with CaptureQueriesContext(connection) as one:
        client.get(URL, headers=headers)
    for _ in range(4):
        refer(team, dukcapil)
    with CaptureQueriesContext(connection) as five:
        assert len(client.get(URL, headers=headers).json()["items"]) == 5
    assert len(five) == len(one)
    move(client, first, focal(), "accept")
    assert get(client, f"{URL}?status=accepted", worker).json()["count"] == 1
    assert get(client, f"{URL}?status=open", worker).json()["count"] == 5
    assert get(client, f"{URL}?status=delivered", worker).json()["count"] == 0
    assert get(client, f"{URL}?q={first.number}", worker).json()["count"] == 1
    assert get(client, f"{URL}?overdue=true", worker).json()["count"] == 0
    Referral.objects.filter(pk=first.pk).update(due_date=timezone.localdate().replace(year=2020))
    overdue = get(client, f"{URL}?overdue=true", worker).json()
    assert [r["number"] for r in overdue["items"]] == [first.number]
    assert overdue["items"][0]["overdue"] is True


def test_send_a_referral_via_api(client, team, dukcapil, puskesmas):
    case = case_in_planning(team)
    worker = team["worker"]
    action = PlanAction.objects.create(
        case=case,
        kind="referral",
        description="Akta",
        responsible="Dukcapil",
        due_date=timezone.localdate(),
    )
    body = {
        "case": case.pk,
        "plan_action": action.pk,
        "organisation": dukcapil.organisation_id,
        "service": "birth_certificate",
        "urgency": "urgent",
        "reason": "Anak belum memiliki akta kelahiran.",
        "share": ["name", "sex", "nik"],
    }
    # no consent in the ledger yet: identifying data are not shared
    refused = post(client, URL, worker, body)
    assert refused.status_code == 400 and Referral.objects.filter(case=case).count() == 0
    give_consent(case, worker)
    response = post(client, URL, worker, body)
    assert response.status_code == 201, response.content
    sent = response.json()
    assert sent["view"] == "full" and sent["status"] == "sent"
    assert sorted(sent["shared"]) == ["name", "nik", "sex"]
    assert sent["plan_action_id"] == action.pk and sent["consent"] is True
    assert PlanAction.objects.get(pk=action.pk).status == "in_progress"
    # refused: a provider that does not serve the case's area, an unknown share key, a plan
    # action of another case, a registration clerk, the Gowa worker
    gowa = make_provider("RSUD Gowa", area="73.06", sector="hospital")
    far = post(client, URL, worker, {**body, "organisation": gowa.organisation_id})
    assert far.status_code == 400
    assert post(client, URL, worker, {**body, "share": ["diagnosis"]}).status_code == 422
    other_case = register(team, child=make_child("Lain"))
    other_action = PlanAction.objects.create(
        case=other_case, kind="referral", description="x", responsible="y", due_date="2030-01-01"
    )
    wrong = post(client, URL, worker, {**body, "plan_action": other_action.pk})
    assert wrong.status_code == 400
    assert post(client, URL, team["staff"], body).status_code == 403
    assert post(client, URL, team["gowa_worker"], body).status_code == 404
    assert Referral.objects.filter(case=case).count() == 1


def test_transfer_via_api_and_accept_by_the_receiving_district(client, team):
    case = case_in_planning(team)
    gowa = Organisation.objects.create(
        name="Sekretariat PKSAI Gowa", kind="secretariat", area_id="73.06"
    )
    gowa_spv = make_user("gspv", roles=["supervisor"], scope=["73.06"])
    body = {
        "case": case.pk,
        "organisation": gowa.pk,
        "urgency": "urgent",
        "reason": "Keluarga pindah ke Gowa.",
    }
    assert post(client, f"{URL}transfers/", team["supervisor"], body).status_code == 400
    give_consent(case, team["worker"], purpose="transfer")
    assert post(client, f"{URL}transfers/", team["worker"], body).status_code == 403
    response = post(client, f"{URL}transfers/", team["supervisor"], body)
    assert response.status_code == 201, response.content
    transfer = response.json()
    assert transfer["kind"] == "transfer" and transfer["view"] == "full"
    seen = get(client, f"{URL}{transfer['id']}/", gowa_spv).json()
    assert seen["view"] == "shared" and "case" not in seen
    accept = post(
        client,
        f"{URL}{transfer['id']}/moves/accept/",
        gowa_spv,
        {"version": seen["version"], "owner": "gw"},
    )
    assert accept.status_code == 200, accept.content
    assert accept.json()["view"] == "full" and accept.json()["status"] == "closed"
    assert get(client, f"/api/v1/cases/{case.pk}/", team["worker"]).status_code == 404


def test_satisfaction_after_delivery(client, team, dukcapil):
    referral = refer(team, dukcapil)
    answer = {"respondent": "guardian", "score": 5, "comment": "Cepat."}
    early = post(client, f"{URL}{referral.pk}/satisfaction/", team["worker"], answer)
    assert early.status_code == 400
    move(client, referral, focal(), "accept")
    move(
        client,
        referral,
        focal(),
        "deliver",
        delivered_on=timezone.localdate().isoformat(),
        provided="Akta",
    )
    assert post(client, f"{URL}{referral.pk}/satisfaction/", focal(), answer).status_code == 403
    out_of_range = {**answer, "score": 6}
    assert (
        post(client, f"{URL}{referral.pk}/satisfaction/", team["worker"], out_of_range).status_code
        == 422
    )
    response = post(client, f"{URL}{referral.pk}/satisfaction/", team["worker"], answer)
    assert response.status_code == 201, response.content
    assert response.json()["score"] == 5 and response.json()["moment"] == "service"
    detail = get(client, f"{URL}{referral.pk}/", team["worker"]).json()
    assert [s["score"] for s in detail["satisfaction"]] == [5]


def test_service_catalogue_and_directory(client, team, dukcapil, puskesmas):
    services = get(client, f"{URL}services/", team["worker"]).json()
    birth = next(s for s in services if s["code"] == "birth_certificate")
    assert birth == {
        "code": "birth_certificate",
        "name": "Birth certificate",
        "sector": "civil_registry",
    }
    worker = team["worker"]
    listed = get(client, f"{URL}providers/", worker).json()
    assert [p["name"] for p in listed["items"]] == [
        "Dinas Dukcapil Kota Makassar",
        "Puskesmas Mariso",
    ]
    row = listed["items"][1]
    assert row["sector"] == "health_centre" and row["area_code"] == "73.71.01"
    assert row["services"] == ["health_check", "immunisation"] and row["focal_persons"] == 1
    assert row["area_name"] == "Mariso"
    assert get(client, f"{URL}providers/?sector=civil_registry", worker).json()["count"] == 1
    assert get(client, f"{URL}providers/?service=immunisation", worker).json()["count"] == 1
    assert get(client, f"{URL}providers/?q=mariso", worker).json()["count"] == 1
    assert get(client, f"{URL}providers/?area=73.71.01.1001", worker).json()["count"] == 2
    one = get(client, f"{URL}providers/{dukcapil.pk}/", worker).json()
    assert one["name"] == "Dinas Dukcapil Kota Makassar" and one["focal_persons"] == 1
    assert one["services"] == ["birth_certificate"]


def test_openapi_lists_the_referral_endpoints(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/referrals/{pk}/moves/{name}/" in paths
    assert "409" in paths["/api/v1/referrals/{pk}/moves/{name}/"]["post"]["responses"]
    assert "/api/v1/referrals/providers/" in paths
