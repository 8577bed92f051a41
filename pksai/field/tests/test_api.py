"""The field API (issue 19, decision 0031): idempotent creates under client ids, reads and
pulls, the field-level merge with its conflict inbox, scope, permissions and audit."""

import uuid
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from pksai.accounts.tests.factories import make_user
from pksai.api.tests.helpers import bearer, english_messages  # noqa: F401  (autouse)
from pksai.audit.models import AuditEvent
from pksai.cases.models import Domain, IntakeReport, Note, Visit
from pksai.cases.selectors import intake_reports
from pksai.cases.tests.factories import make_child, register
from pksai.field.models import ClientRecord, FieldConflict

API = "/api/v1/field/"


def post(client, path, user, body):
    return client.post(API + path, body, content_type="application/json", headers=bearer(user))


def patch(client, path, user, body):
    return client.patch(API + path, body, content_type="application/json", headers=bearer(user))


def get(client, path, user):
    return client.get(API + path, headers=bearer(user))


def new_id() -> str:
    return str(uuid.uuid4())


def a_visit(case, **extra):
    return {
        "client_id": new_id(),
        "case": case.pk,
        "visited_on": str(timezone.localdate()),
        "place": "Rumah",
        "seen": "Ibu dan anak",
        "observations": "Anak sehat.",
        **extra,
    }


def denied(pk) -> bool:
    return AuditEvent.objects.filter(action="permission_denied", object_id=str(pk)).exists()


@pytest.mark.django_db
def test_a_retried_create_returns_the_same_record_and_creates_nothing(client, team, case):
    body = {"client_id": new_id(), "case": case.pk, "text": "Catatan dari lapangan."}
    first = post(client, "notes/", team["worker"], body)
    assert first.status_code == 201, first.content
    again = post(client, "notes/", team["worker"], body)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Note.objects.filter(case=case).count() == 1
    assert ClientRecord.objects.get().object_id == first.json()["id"]
    assert first.json()["client_id"] == body["client_id"]
    assert first.json()["version"] == 1


@pytest.mark.django_db
def test_a_client_id_of_another_kind_or_user_is_refused(client, team, case):
    body = {"client_id": new_id(), "case": case.pk, "text": "Catatan."}
    assert post(client, "notes/", team["worker"], body).status_code == 201
    other_kind = post(client, "visits/", team["worker"], a_visit(case, client_id=body["client_id"]))
    assert other_kind.status_code == 409
    assert "client id" in other_kind.json()["detail"]
    other_user = post(client, "notes/", team["other_worker"], body)
    assert other_user.status_code == 409
    assert Note.objects.count() == 1 and Visit.objects.count() == 0


@pytest.mark.django_db
def test_read_one_and_pull_since(client, team, case):
    ids = [
        post(
            client,
            "notes/",
            team["worker"],
            {"client_id": new_id(), "case": case.pk, "text": f"n{i}"},
        ).json()["id"]
        for i in range(3)
    ]
    one = get(client, f"notes/{ids[0]}/", team["worker"])
    assert one.status_code == 200 and one.json()["text"] == "n0"
    assert AuditEvent.objects.filter(action="view", object_id=str(ids[0])).exists()
    page = get(client, f"notes/?case={case.pk}&limit=2", team["worker"]).json()
    assert [n["id"] for n in page["items"]] == ids[:2]
    assert page["more"] is True
    rest = get(client, "notes/?" + urlencode(page["cursor"]), team["worker"]).json()
    assert [n["id"] for n in rest["items"]] == ids[2:]
    assert rest["more"] is False
    later = get(client, "notes/?" + urlencode(rest["cursor"]), team["worker"]).json()
    assert (later["items"], later["cursor"]) == ([], rest["cursor"])
    # a pull is audited with the ids it gave
    listed = AuditEvent.objects.filter(action="view", object_type="field.notes")
    assert [ids[:2], ids[2:], []] == [e.detail["ids"] for e in listed.order_by("id")]


@pytest.mark.django_db
def test_an_update_on_the_current_version_applies_everything(client, team, case):
    visit = post(client, "visits/", team["worker"], a_visit(case)).json()
    r = patch(
        client,
        f"visits/{visit['id']}/",
        team["worker"],
        {"version": 1, "changes": {"place": "Sekolah", "seen": "Guru"}},
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["applied"] == ["place", "seen"] and body["conflicts"] == []
    assert body["record"]["version"] == 2 and body["record"]["place"] == "Sekolah"


@pytest.mark.django_db
def test_edits_of_different_fields_on_one_version_both_land(client, team, case):
    visit = post(client, "visits/", team["worker"], a_visit(case)).json()
    loaded = {"place": visit["place"], "seen": visit["seen"]}
    a = patch(
        client,
        f"visits/{visit['id']}/",
        team["worker"],
        {"version": 1, "changes": {"place": "Sekolah"}, "base": loaded},
    )
    b = patch(
        client,
        f"visits/{visit['id']}/",
        team["supervisor"],
        {"version": 1, "changes": {"seen": "Guru"}, "base": loaded},
    )
    assert a.status_code == b.status_code == 200
    assert b.json()["applied"] == ["seen"] and b.json()["conflicts"] == []
    saved = Visit.objects.get()
    assert (saved.place, saved.seen, saved.version) == ("Sekolah", "Guru", 3)
    assert not FieldConflict.objects.exists()


@pytest.mark.django_db
def test_the_same_field_changed_twice_is_a_conflict_and_nothing_is_overwritten(client, team, case):
    visit = post(client, "visits/", team["worker"], a_visit(case)).json()
    base = {"observations": "Anak sehat."}
    first = patch(
        client,
        f"visits/{visit['id']}/",
        team["supervisor"],
        {"version": 1, "changes": {"observations": "Anak demam."}, "base": base},
    )
    assert first.status_code == 200
    second = patch(
        client,
        f"visits/{visit['id']}/",
        team["worker"],
        {"version": 1, "changes": {"observations": "Anak batuk."}, "base": base},
    )
    assert second.status_code == 409
    body = second.json()
    assert body["applied"] == []
    [conflict] = body["conflicts"]
    assert (conflict["base"], conflict["theirs"], conflict["mine"]) == (
        "Anak sehat.",
        "Anak demam.",
        "Anak batuk.",
    )
    assert conflict["field_label"] == "observations"
    assert Visit.objects.get().observations == "Anak demam."  # not overwritten
    stored = FieldConflict.objects.get()
    assert (stored.by, stored.resolved_at) == (team["worker"], None)
    # the conflict inbox: the worker's own, and her supervisor's (team, in scope)
    mine = get(client, "conflicts/", team["worker"]).json()
    assert [c["id"] for c in mine] == [stored.pk]
    assert [c["id"] for c in get(client, "conflicts/", team["supervisor"]).json()] == [stored.pk]
    assert get(client, "conflicts/", team["other_worker"]).json() == []
    assert get(client, "conflicts/", team["gowa_worker"]).json() == []


@pytest.mark.django_db
def test_one_field_lands_and_another_conflicts_in_one_change(client, team, case):
    visit = post(client, "visits/", team["worker"], a_visit(case)).json()
    base = {"place": "Rumah", "observations": "Anak sehat."}
    patch(
        client,
        f"visits/{visit['id']}/",
        team["supervisor"],
        {"version": 1, "changes": {"observations": "Anak demam."}, "base": base},
    )
    r = patch(
        client,
        f"visits/{visit['id']}/",
        team["worker"],
        {"version": 1, "changes": {"place": "Posyandu", "observations": "Batuk."}, "base": base},
    )
    assert r.status_code == 200
    assert r.json()["applied"] == ["place"]
    assert [c["field"] for c in r.json()["conflicts"]] == ["observations"]
    saved = Visit.objects.get()
    assert (saved.place, saved.observations) == ("Posyandu", "Anak demam.")


@pytest.mark.django_db
def test_a_change_already_made_is_nothing_to_do(client, team, case):
    visit = post(client, "visits/", team["worker"], a_visit(case)).json()
    base = {"place": "Rumah"}
    patch(
        client,
        f"visits/{visit['id']}/",
        team["supervisor"],
        {"version": 1, "changes": {"place": "Sekolah"}, "base": base},
    )
    r = patch(
        client,
        f"visits/{visit['id']}/",
        team["worker"],
        {"version": 1, "changes": {"place": "Sekolah"}, "base": base},
    )
    assert r.status_code == 200
    assert (r.json()["applied"], r.json()["unchanged"], r.json()["conflicts"]) == (
        [],
        ["place"],
        [],
    )
    assert Visit.objects.get().version == 2


@pytest.mark.django_db
def test_resolving_a_conflict_applies_through_the_versioned_service(client, team, case):
    note = post(
        client, "notes/", team["worker"], {"client_id": new_id(), "case": case.pk, "text": "Awal."}
    ).json()
    base = {"text": "Awal."}
    patch(
        client,
        f"notes/{note['id']}/",
        team["supervisor"],
        {"version": 1, "changes": {"text": "Versi supervisor."}, "base": base},
    )
    r = patch(
        client,
        f"notes/{note['id']}/",
        team["worker"],
        {"version": 1, "changes": {"text": "Versi pekerja."}, "base": base},
    )
    conflict = r.json()["conflicts"][0]
    stale = post(
        client,
        f"conflicts/{conflict['id']}/resolve/",
        team["worker"],
        {"choice": "mine", "version": 1},
    )
    assert stale.status_code == 409  # the chooser must have seen the current version
    assert Note.objects.get().text == "Versi supervisor."
    ok = post(
        client,
        f"conflicts/{conflict['id']}/resolve/",
        team["worker"],
        {"choice": "mine", "version": 2},
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["choice"] == "mine"
    saved = Note.objects.get()
    assert (saved.text, saved.version) == ("Versi pekerja.", 3)
    again = post(
        client,
        f"conflicts/{conflict['id']}/resolve/",
        team["worker"],
        {"choice": "theirs", "version": 3},
    )
    assert again.status_code == 400
    assert get(client, "conflicts/", team["worker"]).json() == []


@pytest.mark.django_db
def test_others_conflicts_are_404_and_audited(client, team, case):
    note = post(
        client, "notes/", team["worker"], {"client_id": new_id(), "case": case.pk, "text": "Awal."}
    ).json()
    patch(
        client,
        f"notes/{note['id']}/",
        team["supervisor"],
        {"version": 1, "changes": {"text": "B"}, "base": {"text": "Awal."}},
    )
    conflict = patch(
        client,
        f"notes/{note['id']}/",
        team["worker"],
        {"version": 1, "changes": {"text": "C"}, "base": {"text": "Awal."}},
    ).json()["conflicts"][0]
    r = post(
        client,
        f"conflicts/{conflict['id']}/resolve/",
        team["other_worker"],
        {"choice": "theirs", "version": 2},
    )
    assert r.status_code == 404
    assert denied(conflict["id"])
    assert FieldConflict.objects.get().resolved_at is None


@pytest.mark.django_db
def test_out_of_scope_is_404_audited_and_creates_nothing(client, team, case):
    note = post(
        client,
        "notes/",
        team["worker"],
        {"client_id": new_id(), "case": case.pk, "text": "Rahasia."},
    ).json()
    gowa = team["gowa_worker"]
    assert get(client, f"notes/{note['id']}/", gowa).status_code == 404
    assert denied(note["id"])
    r = patch(client, f"notes/{note['id']}/", gowa, {"version": 1, "changes": {"text": "x"}})
    assert r.status_code == 404
    body = {"client_id": new_id(), "case": case.pk, "text": "Dari Gowa."}
    assert post(client, "notes/", gowa, body).status_code == 404
    assert denied(case.pk)
    assert Note.objects.count() == 1 and ClientRecord.objects.count() == 1
    assert get(client, "notes/", gowa).json()["items"] == []


@pytest.mark.django_db
def test_a_restricted_case_is_404_for_a_worker_not_assigned(client, team):
    secret = register(team, concerns=["conflict_with_law"], child=make_child("Rahasia"))
    body = {"client_id": new_id(), "case": secret.pk, "text": "x"}
    assert post(client, "notes/", team["other_worker"], body).status_code == 404
    assert post(client, "notes/", team["worker"], body).status_code == 201


@pytest.mark.django_db
def test_a_role_without_the_permission_gets_403(client, team, case):
    body = {"client_id": new_id(), "case": case.pk, "text": "x"}
    r = post(client, "notes/", team["staff"], body)  # registration staff: may view, not write
    assert r.status_code == 403
    assert not ClientRecord.objects.exists() and not Note.objects.exists()
    officer = make_user("po", roles=["program_officer"], scope=["73.71"])
    assert get(client, "notes/", officer).status_code == 403
    data_officer = make_user("do", roles=["data_officer"], scope=["73.71"])
    assert get(client, "conflicts/", data_officer).status_code == 403


@pytest.mark.django_db
def test_a_note_is_corrected_only_by_its_author_or_a_supervisor(client, team, case):
    note = post(
        client, "notes/", team["worker"], {"client_id": new_id(), "case": case.pk, "text": "Awal."}
    ).json()
    r = patch(
        client,
        f"notes/{note['id']}/",
        team["other_worker"],
        {"version": 1, "changes": {"text": "Bukan milikku."}},
    )
    assert r.status_code == 403
    assert Note.objects.get().text == "Awal."


@pytest.mark.django_db
def test_visits_keep_the_location_only_while_gps_is_allowed(client, team, case, settings):
    recorded = (timezone.now() - timedelta(hours=2)).isoformat()
    located = a_visit(case, recorded_at=recorded, latitude=-5.14, longitude=119.41, accuracy_m=8)
    r = post(client, "visits/", team["worker"], located)
    assert r.status_code == 201
    assert (r.json()["latitude"], r.json()["longitude"], r.json()["accuracy_m"]) == (
        -5.14,
        119.41,
        8.0,
    )
    assert r.json()["recorded_at"] is not None
    settings.PKSAI_FIELD_GPS = False
    r = post(client, "visits/", team["worker"], {**located, "client_id": new_id()})
    assert r.status_code == 201
    assert (r.json()["latitude"], r.json()["longitude"]) == (None, None)
    bad = post(client, "visits/", team["worker"], a_visit(case, latitude=91, longitude=0))
    assert bad.status_code == 422


@pytest.mark.django_db
def test_assessment_domains_merge_field_by_field(client, team, case):
    body = {
        "client_id": new_id(),
        "case": case.pk,
        "kind": "comprehensive",
        "risk": "medium",
        "domains": {"safety": {"rating": "high", "notes": "Rumah tidak aman."}},
    }
    created = post(client, "assessments/", team["worker"], body)
    assert created.status_code == 201, created.content
    a = created.json()
    base = {"domains.safety": a["domains"]["safety"], "domains.health": {"rating": "", "notes": ""}}
    one = patch(
        client,
        f"assessments/{a['id']}/",
        team["worker"],
        {
            "version": 1,
            "changes": {"domains.safety": {"rating": "medium", "notes": "Lebih baik."}},
            "base": base,
        },
    )
    two = patch(
        client,
        f"assessments/{a['id']}/",
        team["supervisor"],
        {"version": 1, "changes": {"domains.health": {"rating": "low", "notes": ""}}, "base": base},
    )
    assert one.status_code == two.status_code == 200, two.content
    domains = two.json()["record"]["domains"]
    assert domains["safety"]["rating"] == "medium" and domains["health"]["rating"] == "low"
    complete = {f"domains.{d}": {"rating": "low", "notes": ""} for d in Domain.values}
    done = patch(
        client,
        f"assessments/{a['id']}/",
        team["worker"],
        {"version": 3, "changes": {**complete, "complete": True}},
    )
    assert done.status_code == 200 and done.json()["record"]["complete"] is True
    # a completed assessment is kept as it is (the service's rule, not the API's)
    refused = patch(
        client,
        f"assessments/{a['id']}/",
        team["worker"],
        {"version": 4, "changes": {"summary": "lagi"}},
    )
    assert refused.status_code == 400


@pytest.mark.django_db
def test_conferences_created_and_corrected(client, team, case):
    body = {
        "client_id": new_id(),
        "case": case.pk,
        "held_on": str(timezone.localdate()),
        "agenda": "Rencana",
        "decisions": "Rujuk ke psikolog",
        "participants": [{"name": "Ibu Ani", "organisation": "Puskesmas", "role": "bidan"}],
    }
    r = post(client, "conferences/", team["worker"], body)
    assert r.status_code == 201, r.content
    assert r.json()["participants"][0]["name"] == "Ibu Ani"
    u = patch(
        client,
        f"conferences/{r.json()['id']}/",
        team["worker"],
        {"version": 1, "changes": {"decisions": "Rujuk ke psikolog dan sekolah"}},
    )
    assert u.status_code == 200 and u.json()["record"]["version"] == 2


@pytest.mark.django_db
def test_field_reports_go_to_the_intake_queue(client, team):
    body = {
        "client_id": new_id(),
        "area": "73.71.01.1001",
        "summary": "Anak perempuan ±8 tahun tidur di pasar.",
    }
    r = post(client, "intake-reports/", team["worker"], body)
    assert r.status_code == 201, r.content
    report = IntakeReport.objects.get()
    assert (report.source, report.reported_by) == ("field", team["worker"])
    assert list(intake_reports(user=team["staff"])) == [report]
    u = patch(
        client,
        f"intake-reports/{report.pk}/",
        team["worker"],
        {"version": 1, "changes": {"summary": "Anak perempuan 8 tahun, pasar Terong."}},
    )
    assert u.status_code == 200
    gowa = post(client, "intake-reports/", team["gowa_worker"], {**body, "client_id": new_id()})
    assert gowa.status_code == 403  # an area outside her scope
    assert get(client, f"intake-reports/{report.pk}/", team["other_worker"]).status_code == 404


@pytest.mark.django_db
def test_a_bad_update_is_refused_and_changes_nothing(client, team, case):
    visit = post(client, "visits/", team["worker"], a_visit(case)).json()
    url = f"visits/{visit['id']}/"
    assert (
        patch(client, url, team["worker"], {"version": 1, "changes": {"by": 1}}).status_code == 400
    )
    assert (
        patch(client, url, team["worker"], {"version": 9, "changes": {"place": "x"}}).status_code
        == 400
    )
    future = str(date.today() + timedelta(days=3))  # noqa: DTZ011
    assert (
        patch(
            client, url, team["worker"], {"version": 1, "changes": {"visited_on": future}}
        ).status_code
        == 400
    )
    patch(client, url, team["supervisor"], {"version": 1, "changes": {"place": "y"}})
    no_base = patch(client, url, team["worker"], {"version": 1, "changes": {"place": "z"}})
    assert no_base.status_code == 400
    assert Visit.objects.get().place == "y"


@pytest.mark.django_db
def test_two_devices_edit_the_same_case_field_offline(client, team, case):
    """Issue 19's acceptance: both loaded version 1; the first sync lands, the second sees a
    conflict with both values and nothing was overwritten."""
    loaded = get(client, f"cases/{case.pk}/", team["worker"]).json()
    base = {"summary": loaded["summary"]}
    first = patch(
        client,
        f"cases/{case.pk}/",
        team["supervisor"],
        {"version": loaded["version"], "changes": {"summary": "Versi A"}, "base": base},
    )
    assert first.status_code == 200, first.content
    second = patch(
        client,
        f"cases/{case.pk}/",
        team["worker"],
        {"version": loaded["version"], "changes": {"summary": "Versi B"}, "base": base},
    )
    assert second.status_code == 409
    [conflict] = second.json()["conflicts"]
    assert (conflict["theirs"], conflict["mine"]) == ("Versi A", "Versi B")
    case.refresh_from_db()
    assert case.summary == "Versi A"
    # the conflict waits for the worker and her supervisor
    assert [c["field"] for c in get(client, "conflicts/", team["worker"]).json()] == ["summary"]
    assert len(get(client, "conflicts/", team["supervisor"]).json()) == 1
