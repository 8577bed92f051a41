"""Queues that match responsibilities: plans and closures awaiting my approval (from the cases'
stages), cases without a supervisor in the coordinator's queue, the home tiles per role, bounded
work queues, and one open case per child (intake page and API)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from pksai.accounts.tests.factories import make_user
from pksai.api.tests.helpers import bearer, english_messages  # noqa: F401  (autouse)
from pksai.audit.models import AuditEvent
from pksai.cases import selectors, services
from pksai.cases.models import Alert, Case, FollowUp, IntakeReport, Note
from pksai.cases.tests.factories import make_child, move, register
from pksai.cases.workflow import Stage

URL = "/api/v1/cases/"


def login(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en"})


def to_plan_review(case, worker):
    for name in ("complete_assessment", "submit_plan"):
        if name == "complete_assessment":
            move(case, "triage", worker, response="at_risk")
        move(case, name, worker)
    case.refresh_from_db()
    assert case.stage == Stage.PLAN_REVIEW
    return case


def unsupervised(team) -> dict:
    """The team registering without choosing a supervisor."""
    return {**team, "supervisor": None}


def section(html: str, anchor: str) -> str:
    return html.split(f'id="{anchor}"')[1].split("</section>")[0]


# --- awaiting my approval ---------------------------------------------------------------


def test_plan_awaits_its_supervisor_only_and_leaves_the_queue_when_decided(team):
    case = to_plan_review(register(team), team["worker"])
    supervisor = team["supervisor"]
    assert list(selectors.awaiting_approval(user=supervisor)) == [case]
    # another supervisor of the same area, a supervisor and a coordinator of another area,
    # and the area's coordinator (the case has a supervisor) do not get it
    other = make_user("spv2", roles=["supervisor"], scope=["73.71"])
    gowa_supervisor = make_user("gspv", roles=["supervisor"], scope=["73.06"])
    gowa_coordinator = make_user("gcoord", roles=["coordinator"], scope=["73.06"])
    for user in (other, gowa_supervisor, gowa_coordinator, team["coordinator"]):
        assert list(selectors.awaiting_approval(user=user)) == []
    with pytest.raises(PermissionDenied):  # a worker approves nothing
        selectors.awaiting_approval(user=team["worker"])

    move(case, "approve_plan", supervisor)
    assert list(selectors.awaiting_approval(user=supervisor)) == []
    move(case, "request_closure", team["worker"])
    assert list(selectors.awaiting_approval(user=supervisor)) == [case]
    move(case, "reject_closure", supervisor, reason="Kunjungan rumah belum dilakukan.")
    assert list(selectors.awaiting_approval(user=supervisor)) == []


def test_a_supervisor_never_sees_their_own_case_to_approve(team):
    case = to_plan_review(register({**team, "worker": team["supervisor"]}), team["supervisor"])
    assert case.owner == team["supervisor"] == case.supervisor
    assert list(selectors.awaiting_approval(user=team["supervisor"])) == []


def test_a_supervisor_moved_out_of_the_area_loses_the_item(team):
    case = to_plan_review(register(team), team["worker"])
    supervisor = team["supervisor"]
    supervisor.scope_areas.set(["73.06"])
    supervisor._pksai_scope = None
    assert case not in selectors.awaiting_approval(user=supervisor)


# --- registered without a supervisor ---------------------------------------------------


def test_without_a_supervisor_the_regency_coordinator_is_told_and_queues_it(team):
    province = make_user("prov", roles=["coordinator"], scope=["73"])
    gowa_coordinator = make_user("gcoord", roles=["coordinator"], scope=["73.06"])
    case = register(unsupervised(team))
    coordinator = team["coordinator"]
    assert case.supervisor is None
    told = set(Alert.objects.filter(case=case).values_list("user__username", flat=True))
    assert told == {"sw", "coord"}  # the owner, and the regency's coordinator only
    assert selectors.case_approvers(case=case) == [coordinator]
    audit = AuditEvent.objects.get(
        action="create", object_type="cases.case", object_id=str(case.pk)
    )
    assert audit.detail["no_supervisor"] == ["coord"]

    assert list(selectors.unassigned(user=coordinator)) == [case]
    assert list(selectors.unassigned(user=province)) == [case]  # in scope, not told
    assert list(selectors.unassigned(user=gowa_coordinator)) == []
    assert list(selectors.unassigned(user=team["supervisor"])) == []  # not a coordinator
    assert list(selectors.awaiting_approval(user=team["supervisor"])) == []

    to_plan_review(case, team["worker"])
    assert list(selectors.awaiting_approval(user=coordinator)) == [case]
    codes = set(Alert.objects.filter(case=case, user=coordinator).values_list("code", flat=True))
    assert codes == {"case_no_supervisor", "plan_awaits_approval"}
    assert not Alert.objects.filter(case=case, user=province).exists()
    assert list(selectors.unassigned(user=coordinator)) == []  # listed once, to approve
    assert list(selectors.awaiting_approval(user=gowa_coordinator)) == []
    move(case, "approve_plan", coordinator)
    assert list(selectors.awaiting_approval(user=coordinator)) == []
    assert list(selectors.unassigned(user=coordinator)) == [case]
    locked = selectors.case_get_for_update(user=coordinator, pk=case.pk)
    services.case_assign(
        case=locked,
        owner=team["worker"],
        supervisor=team["supervisor"],
        by=coordinator,
        expected_version=locked.version,
    )
    assert list(selectors.unassigned(user=coordinator)) == []


def test_without_a_regency_coordinator_the_province_one_is_told(team):
    team["coordinator"].groups.clear()  # the regency has no coordinator
    province = make_user("prov", roles=["coordinator"], scope=["73"])
    case = register(unsupervised(team))
    assert selectors.case_approvers(case=case) == [province]
    assert Alert.objects.filter(case=case, user=province, code="case_no_supervisor").exists()
    # nobody at all: a supervisor must be chosen
    province.groups.clear()
    with pytest.raises(ValidationError) as refused:
        register(unsupervised(team), child=make_child("Lain"))
    assert "supervisor" in refused.value.message_dict
    assert register(team, child=make_child("Lain")).supervisor == team["supervisor"]


def test_intake_without_a_supervisor_says_the_coordinator_chooses(client, team):
    login(client, team["staff"])
    child = make_child("Tanpa Penyelia")
    page = client.get(f"/cases/new/?person={child.pk}")
    assert 'aria-describedby="id_supervisor_helptext"' in page.text
    assert "the coordinator is told and chooses one" in page.text
    response = client.post(
        f"/cases/new/?person={child.pk}",
        {
            "person": child.pk,
            "channel": "phone",
            "concerns": ["neglect"],
            "summary": "Anak ditinggal sendiri.",
        },
        follow=True,
    )
    assert "the coordinator was told" in response.text
    case = Case.objects.get(child=child)
    assert Alert.objects.filter(case=case, user=team["coordinator"]).exists()


# --- the home page and the queue pages ---------------------------------------------------


def test_home_tiles_and_lists_per_role(client, team):
    late = register(team)
    Case.objects.filter(pk=late.pk).update(stage_due_at=timezone.now() - timedelta(hours=3))
    review = to_plan_review(register(team, child=make_child("Rina")), team["worker"])
    unassigned = register(unsupervised(team), child=make_child("Tono"))

    login(client, team["worker"])
    home = client.get("/").text
    work = section(home, "my-work")
    assert 'data-tile="approvals"' not in home and 'id="approvals"' not in home
    assert 'data-tile="overdue"' in home and 'data-tile="week"' in home
    overdue_list = work.split('id="overdue"')[1].split('id="week"')[0]
    assert late.number in overdue_list and review.number not in overdue_list
    assert review.number in work and unassigned.number in work
    assert client.get("/my-queues/approvals/").status_code == 403
    assert client.get("/my-queues/unassigned/").status_code == 403
    assert client.get("/my-queues/nonsense/").status_code == 404
    overdue = client.get("/my-queues/overdue/").text
    assert late.number in overdue and review.number not in overdue

    login(client, team["supervisor"])
    page = client.get("/")
    tile = next(t for t in page.context["tiles"] if t.key == "approvals")
    assert (tile.count, tile.url) == (1, "/my-queues/approvals/")
    approvals = section(page.text, "approvals")
    assert review.number in approvals and f"/cases/{review.pk}/#next-step" in approvals
    assert "Rina" in approvals and late.number not in approvals
    assert 'id="unassigned"' not in page.text  # supervisors do not assign supervisors
    assert 'data-tile="overdue"' not in page.text  # they own no cases: no empty work tiles
    assert review.number in client.get("/my-queues/approvals/").text
    assert AuditEvent.objects.filter(
        action="view", actor=team["supervisor"], detail__queue="approvals"
    ).exists()
    # the home page names the children of its short lists: that read is audited too
    home_reads = AuditEvent.objects.filter(action="view", path="/", object_type="cases.case")
    assert review.pk in home_reads.filter(actor=team["supervisor"]).latest("id").detail["list"]
    shown = home_reads.filter(actor=team["worker"]).latest("id").detail
    assert shown["queue"] == "home" and {late.pk, review.pk, unassigned.pk} <= set(shown["list"])

    login(client, team["coordinator"])
    page = client.get("/")
    assert unassigned.number in section(page.text, "unassigned")
    assert f"/cases/{unassigned.pk}/#assign" in page.text
    assert review.number not in section(page.text, "approvals")  # it has a supervisor
    assert unassigned.number in client.get("/my-queues/unassigned/").text

    gowa = make_user("gspv", roles=["supervisor"], scope=["73.06"])
    login(client, gowa)
    home = client.get("/").text
    assert review.number not in home and "No plan or closure is waiting for you" in home
    assert review.number not in client.get("/my-queues/approvals/").text


def test_registration_staff_see_the_reports_waiting_for_them(client, team):
    login(client, team["worker"])  # a worker gets the tile only when reports wait
    assert all(t.key != "intake" for t in client.get("/").context["tiles"])
    login(client, team["staff"])
    tile = next(t for t in client.get("/").context["tiles"] if t.key == "intake")
    assert (tile.count, tile.url) == (0, "/cases/intake-reports/")
    IntakeReport.objects.create(
        source="complaint", reference="ADU-1", area_id="73.71.01", summary="Laporan warga."
    )
    IntakeReport.objects.create(
        source="complaint", reference="ADU-2", area_id="73.06.01", summary="Di Gowa."
    )
    tile = next(t for t in client.get("/").context["tiles"] if t.key == "intake")
    assert tile.count == 1  # only their area's
    login(client, team["worker"])
    assert [t.count for t in client.get("/").context["tiles"] if t.key == "intake"] == [1]


def test_approving_from_the_home_queue_removes_the_item(client, team):
    review = to_plan_review(register(team), team["worker"])
    login(client, team["supervisor"])
    assert review.number in section(client.get("/").text, "approvals")
    response = client.post(
        f"/cases/{review.pk}/transition/", {"name": "approve_plan", "version": review.version}
    )
    assert response.status_code == 302
    assert review.number not in section(client.get("/").text, "approvals")


def test_home_costs_the_same_queries_whatever_the_caseload(client, team):
    def queries(user) -> int:
        client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        return len(captured)

    for i in range(2):
        to_plan_review(register(team, child=make_child(f"A{i}")), team["worker"])
    worker, supervisor = queries(team["worker"]), queries(team["supervisor"])
    for i in range(8):
        to_plan_review(register(team, child=make_child(f"B{i}")), team["worker"])
        register(unsupervised(team), child=make_child(f"C{i}"))
    assert queries(team["worker"]) == worker
    assert queries(team["supervisor"]) == supervisor
    page = client.get("/")
    assert len(page.context["approvals"]) == 5  # a short list; the tile counts them all
    assert next(t for t in page.context["tiles"] if t.key == "approvals").count == 10


def test_work_queue_pages_merge_cases_and_follow_ups_by_due_date(team):
    worker = team["worker"]
    now = timezone.now()
    a, b, c = (register(team, child=make_child(n)) for n in ("A", "B", "C"))
    Case.objects.filter(pk=a.pk).update(stage_due_at=now + timedelta(days=20))
    Case.objects.filter(pk=b.pk).update(stage_due_at=now - timedelta(days=1))
    Case.objects.filter(pk=c.pk).update(stage_due_at=None)
    follow_up = FollowUp.objects.create(
        case=a, months=1, due_date=timezone.localdate() + timedelta(days=3)
    )
    queue = selectors.my_work(user=worker)
    assert queue.count() == 4
    assert [(i.kind, i.case.pk) for i in queue[0:4]] == [
        ("case", b.pk),
        ("follow_up", a.pk),
        ("case", a.pk),
        ("case", c.pk),  # undated last
    ]
    assert [i.case.pk for i in queue[1:3]] == [a.pk, a.pk]
    assert len(selectors.work_queue(user=worker, limit=2)) == 2
    assert [i.case.pk for i in selectors.my_overdue(user=worker)[:10]] == [b.pk]
    assert [i.follow_up for i in selectors.my_due_this_week(user=worker)[:10]] == [follow_up]
    assert {i.case.pk for i in selectors.my_later(user=worker)[:10]} == {a.pk, c.pk}
    assert selectors.capped_count(Case.objects.all(), cap=2) == 3  # "more than 2"
    assert selectors.work_queue(user=team["other_worker"]) == []
    # the home page's four counts in two queries: the same partition as the queues
    counts = selectors.my_work_counts(user=worker)
    assert counts == {"overdue": 1, "week": 1, "later": 2, "mine": 4}
    assert counts == {
        "overdue": selectors.my_overdue(user=worker).count(),
        "week": selectors.my_due_this_week(user=worker).count(),
        "later": selectors.my_later(user=worker).count(),
        "mine": queue.count(),
    }
    assert selectors.my_work_counts(user=team["other_worker"]) == dict.fromkeys(counts, 0)


# --- one open case per child -------------------------------------------------------------

INTAKE = {
    "channel": "phone",
    "reporter_name": "Pak RT",
    "reporter_phone": "081234567890",
    "concerns": ["neglect"],
    "summary": "Anak ditinggal sendiri tiga hari.",
}


def open_case_warning(html: str) -> str:
    """The open cases listed by the intake page's warning (before "Register anyway")."""
    return html.split('id="open-case"')[1].split("<details")[0]


def intake(child, **more) -> dict:
    return {**INTAKE, "person": child.pk, **more}


def test_intake_shows_the_open_case_and_refuses_a_silent_second_one(client, team):
    child = make_child("Dewi")
    first = register(team, child=child)
    login(client, team["staff"])
    url = f"/cases/new/?person={child.pk}"
    page = client.get(url)
    assert page.status_code == 200
    warning = open_case_warning(page.text)
    assert first.number in warning and "awaiting triage" in warning
    assert "Open that case" in warning and f"/cases/{first.pk}/" in warning
    assert f'name="add_to_case" value="{first.pk}"' in warning

    refused = client.post(url, intake(child))
    assert refused.status_code == 409 and first.number in refused.text
    assert Case.objects.filter(child=child).count() == 1

    no_reason = client.post(url, intake(child, register_anyway="1"))
    assert no_reason.status_code == 409
    assert "Say why this child needs a second case." in no_reason.text
    assert Case.objects.filter(child=child).count() == 1

    anyway = client.post(
        url, intake(child, register_anyway="1", duplicate_reason="Adik kembar, laporan lain.")
    )
    assert anyway.status_code == 302
    second = Case.objects.filter(child=child).exclude(pk=first.pk).get()
    event = second.events.get(kind="duplicate_registered")
    assert event.text == "Adik kembar, laporan lain." and event.params["numbers"] == first.number
    assert event.message == f"{first.number}: Adik kembar, laporan lain."
    audit = AuditEvent.objects.get(
        action="create", object_type="cases.case", object_id=str(second.pk)
    ).detail
    assert audit["open_cases"] == [first.number] and audit["reason"].startswith("Adik")


def test_adding_the_report_to_the_open_case(client, team):
    child = make_child("Dewi")
    case = register(team, child=child)
    report = IntakeReport.objects.create(
        source="complaint", reference="ADU-1", area_id="73.71.01", summary="Laporan warga."
    )
    login(client, team["staff"])
    response = client.post(
        f"/cases/new/?person={child.pk}&intake_report={report.pk}",
        intake(child, concerns=["neglect", "out_of_school"], add_to_case=case.pk),
    )
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert Case.objects.filter(child=child).count() == 1
    event = case.events.get(kind="report_added")
    assert event.text == INTAKE["summary"] and event.actor == team["staff"]
    with translation.override("en"):
        assert event.message == f"reported through phone / hotline: {INTAKE['summary']}"
    assert set(case.concerns.values_list("category", flat=True)) == {
        "physical_violence",
        "neglect",
        "out_of_school",
    }
    assert "081234567890" in Note.objects.get(case=case).text  # restricted field: a note
    assert Alert.objects.filter(case=case, user=team["worker"], code="report_added").exists()
    report.refresh_from_db()
    assert (report.status, report.case) == ("registered", case)
    page = client.get(f"/cases/{case.pk}/")
    assert "Another report added" in page.text
    # the case closed meanwhile: refused with the reason, and no second case slips in
    move(case, "void", team["supervisor"], reason="Laporan ganda.")
    late = client.post(f"/cases/new/?person={child.pk}", intake(child, add_to_case=case.pk))
    assert late.status_code == 400 and "no longer open" in late.text
    assert Case.objects.filter(child=child).count() == 1


def test_restricted_open_case_is_named_not_opened_and_can_still_receive_the_report(client, team):
    child = make_child("Rahasia")
    case = register(team, child=child, concerns=["sexual_violence"])
    login(client, team["staff"])
    url = f"/cases/new/?person={child.pk}"
    refused = client.post(url, intake(child))
    assert refused.status_code == 409 and case.number in refused.text
    assert f'href="/cases/{case.pk}/"' not in refused.text and "is restricted" in refused.text
    added = client.post(url, intake(child, add_to_case=case.pk))
    assert added.status_code == 302 and added["Location"] == "/cases/"
    assert case.events.filter(kind="report_added").exists()


def test_a_linked_identity_finds_the_open_case_of_another_registry_row(client, team):
    recorded = make_child("Budi")  # recorded at intake, later linked to the registry's row
    case = register(team, child=recorded)
    official = make_child("Budi Santoso")
    official.identity = recorded.identity
    official.save(update_fields=["identity"])
    login(client, team["staff"])
    refused = client.post(f"/cases/new/?person={official.pk}", intake(official))
    assert refused.status_code == 409 and case.number in refused.text
    assert not Case.objects.filter(child=official).exists()
    # a closed or voided case is no reason to warn
    move(case, "void", team["supervisor"], reason="Laporan ganda.")
    assert client.post(f"/cases/new/?person={official.pk}", intake(official)).status_code == 302


def test_an_open_case_in_another_regency_is_named_with_its_office_only(client, team):
    here = make_child("Sari")
    there = make_child("Sari", village="73.06.01.2001")
    there.identity = here.identity
    there.save(update_fields=["identity"])
    gowa = {
        "staff": make_user("greg", roles=["registration_staff"], scope=["73.06"]),
        "worker": team["gowa_worker"],
        "supervisor": make_user("gspv", roles=["supervisor"], scope=["73.06"]),
    }
    elsewhere = register(gowa, child=there)
    login(client, team["staff"])
    refused = client.post(f"/cases/new/?person={here.pk}", intake(here))
    assert refused.status_code == 409
    warning = open_case_warning(refused.text)
    assert elsewhere.number in warning and "outside your area" in warning
    assert "add_to_case" not in warning and "owner" not in warning  # no way in
    # adding to it anyway is refused (out of area)
    assert (
        client.post(
            f"/cases/new/?person={here.pk}", intake(here, add_to_case=elsewhere.pk)
        ).status_code
        == 404
    )


def test_api_refuses_a_duplicate_with_409_unless_a_reason_is_given(client, team):
    child = make_child("Dewi")
    first = register(team, child=child)
    body = {
        "child_id": child.pk,
        "channel": "phone",
        "summary": "Laporan kedua.",
        "concerns": ["neglect"],
        "owner": "sw",
    }
    headers = bearer(team["staff"])
    refused = client.post(URL, body, content_type="application/json", headers=headers)
    assert refused.status_code == 409
    data = refused.json()
    assert first.number in data["detail"] and "duplicate_reason" in data["detail"]
    assert data["open_cases"] == [
        {
            "number": first.number,
            "id": first.pk,
            "stage": "triage",
            "owner": "sw",
            "regency": "Kota Makassar",
        }
    ]
    assert Case.objects.filter(child=child).count() == 1
    forced = client.post(
        URL,
        {**body, "duplicate_reason": "Kasus berbeda: saudara kandung dengan NIK yang sama."},
        content_type="application/json",
        headers=headers,
    )
    assert forced.status_code == 201, forced.content
    assert Case.objects.filter(child=child).count() == 2
    # a linked identity counts too
    other_row = make_child("Dewi L.")
    other_row.identity = child.identity
    other_row.save(update_fields=["identity"])
    linked = client.post(
        URL, {**body, "child_id": other_row.pk}, content_type="application/json", headers=headers
    )
    assert linked.status_code == 409 and len(linked.json()["open_cases"]) == 2


def test_api_registration_without_a_supervisor_tells_the_coordinator(client, team):
    child = make_child("Ana")
    response = client.post(
        URL,
        {"child_id": child.pk, "channel": "phone", "summary": "x", "concerns": ["neglect"]},
        content_type="application/json",
        headers=bearer(team["staff"]),
    )
    assert response.status_code == 201
    case = Case.objects.get(pk=response.json()["id"])
    assert Alert.objects.filter(case=case, user=team["coordinator"]).exists()
    assert case in selectors.unassigned(user=team["coordinator"])
