"""Alerts as live to-dos, and the timeline in the reader's language (cases/alerts.py,
cases/messages.py, core/times.py): one stored row read in Indonesian and in English, an open
alert raised once (also by concurrent workers on PostgreSQL), alerts done when the work is
done, marked read only by their own user, every time in the reader's zone with its name, and
the conversion of the rows written before codes existed (migration 0010)."""

from __future__ import annotations

import importlib
import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from pksai.accounts.models import User
from pksai.api.tests.helpers import bearer
from pksai.cases import selectors, services
from pksai.cases.alerts import alert_overdue, alerts_raise
from pksai.cases.messages import alert_message
from pksai.cases.models import Alert, Case, CaseEvent
from pksai.cases.tests.factories import make_child, move, register
from pksai.core.times import local_label
from pksai.referrals import services as referral_services
from pksai.referrals.models import Referral
from pksai.referrals.tests.factories import make_provider, refer

# 02.35 WIB, 03.35 WITA, 04.35 WIT on 4 December: the deadline of the bug report (the alert
# said 02:35 — the scheduler's WIB, unlabelled — where the WITA worker's queue said 3.35)
DUE = datetime(2026, 12, 3, 19, 35, tzinfo=UTC)
MIGRATION = importlib.import_module("pksai.cases.migrations.0010_alert_event_codes_from_text")


def login(client, user, language="en"):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language


def overdue_case(team, due=DUE):
    case = register(team)
    Case.objects.filter(pk=case.pk).update(stage_due_at=due, overdue_alerted_at=None)
    return case


def alert(user, case, code="case_moved", **params):
    params = {"number": case.number, "stage": "planning", **params}
    return Alert(user=user, case=case, code=code, params=params)


def reading(alert_row, language, zone="Asia/Makassar") -> str:
    with translation.override(language), timezone.override(zone):
        return alert_message(Alert.objects.get(pk=alert_row.pk))


@pytest.fixture
def provider(team):
    return make_provider(focal="dukcapil")


# --- one stored row, the reader's language and zone ----------------------------------------


def test_one_stored_alert_reads_in_indonesian_and_in_english(team):
    case = overdue_case(team)
    with timezone.override("Asia/Jakarta"):  # the scheduler's zone
        assert alert_overdue(now=DUE + timedelta(hours=1)) == 1
    stored = Alert.objects.get(user=team["worker"], code="case_overdue")
    assert stored.text == ""
    assert stored.params == {"number": case.number, "stage": "triage", "due": DUE.isoformat()}
    indonesian, english = reading(stored, "id"), reading(stored, "en")
    assert case.number in indonesian and case.number in english
    assert "teregistrasi, menunggu triase" in indonesian and "4 Des 2026 3.35 WITA" in indonesian
    assert "registered, awaiting triage" in english and "4 Dec 2026 3:35 a.m. WITA" in english
    assert "2:35" not in english and "2.35" not in indonesian  # never the scheduler's clock
    assert reading(stored, "en", zone="Asia/Jayapura").endswith("4 Dec 2026 4:35 a.m. WIT.")


def test_timeline_event_reads_in_the_readers_language_on_the_page_and_in_the_api(client, team):
    case = register(team)
    worker = team["worker"]
    services.emergency_action_record(
        case=case, by=worker, kind="medical", started=True, notes="Dibawa ke puskesmas"
    )
    event = case.events.get(kind="emergency_action")
    assert (event.code, event.params, event.text) == (
        "emergency_action",
        {"kind": "medical"},
        "Dibawa ke puskesmas",
    )
    login(client, worker, "id")
    assert "perawatan medis: Dibawa ke puskesmas" in client.get(f"/cases/{case.pk}/").text
    login(client, worker, "en")
    assert "medical care: Dibawa ke puskesmas" in client.get(f"/cases/{case.pk}/").text
    body = client.get(f"/api/v1/cases/{case.pk}/", headers=bearer(worker)).json()
    item = next(e for e in body["events"] if e["kind"] == "emergency_action")
    assert item["code"] == "emergency_action" and item["params"] == {"kind": "medical"}
    assert item["message"] == "medical care: Dibawa ke puskesmas"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    body = client.get(f"/api/v1/cases/{case.pk}/", headers=bearer(worker)).json()
    item = next(e for e in body["events"] if e["kind"] == "emergency_action")
    assert item["message"] == "perawatan medis: Dibawa ke puskesmas"
    # what a person typed is never translated: a note stays as typed
    registered = case.events.get(kind="registered")
    assert registered.code == "" and registered.message == "Tetangga melaporkan anak dipukul."


@pytest.mark.parametrize(
    ("zone", "indonesian", "english"),
    [
        ("Asia/Jakarta", "4 Des 2026 2.35 WIB", "4 Dec 2026 2:35 a.m. WIB"),
        ("Asia/Makassar", "4 Des 2026 3.35 WITA", "4 Dec 2026 3:35 a.m. WITA"),
        ("Asia/Jayapura", "4 Des 2026 4.35 WIT", "4 Dec 2026 4:35 a.m. WIT"),
    ],
)
def test_a_time_is_shown_in_the_readers_zone_with_its_name(zone, indonesian, english):
    with timezone.override(zone):
        with translation.override("id"):
            assert local_label(DUE) == indonesian
            assert local_label(DUE.isoformat()) == indonesian  # as stored in params
            assert local_label(date(2026, 12, 3)) == "3 Des 2026"  # a day has no zone
        with translation.override("en"):
            assert local_label(DUE) == english
    assert local_label(None) == "" and local_label("") == ""


@pytest.mark.parametrize(
    ("zone", "label"),
    [
        ("Asia/Jakarta", "2:35 a.m. WIB"),
        ("Asia/Makassar", "3:35 a.m. WITA"),
        ("", "3:35 a.m. WITA"),
    ],
)
def test_alert_and_queue_show_one_deadline_in_the_users_zone(client, team, zone, label):
    """A user's own zone, or (empty) that of their first scope area (Makassar: WITA)."""
    worker = team["worker"]
    User.objects.filter(pk=worker.pk).update(timezone=zone)
    overdue_case(team)
    with timezone.override("Asia/Jakarta"):  # the scheduler runs in the server's zone
        alert_overdue(now=DUE + timedelta(hours=1))
    login(client, User.objects.get(pk=worker.pk))
    home = client.get("/").text
    assert home.count(f"4 Dec 2026 {label}") >= 2  # the queue's due and the alert's
    alerts = client.get("/cases/alerts/").text
    assert f"4 Dec 2026 {label}" in alerts


# --- raised once -------------------------------------------------------------------------


def test_the_same_open_alert_is_raised_once(team):
    worker, case = team["worker"], register(team)
    assert Alert.objects.filter(user=worker, code="case_assigned_triage").count() == 1
    services._alert(worker, case, "case_assigned_triage", number=case.number)
    assert alerts_raise([alert(worker, case, stage="triage"), alert(worker, case)]) != []  # 1
    assert alerts_raise([alert(worker, case, stage="triage")]) == []
    assert Alert.objects.filter(user=worker, code="case_assigned_triage").count() == 1
    assert Alert.objects.filter(user=worker, code="case_moved").count() == 1
    # another thing inside the case (a referral) is another alert
    alerts_raise([Alert(user=worker, case=case, code="case_moved", ref="referral:1")])
    assert Alert.objects.filter(user=worker, code="case_moved").count() == 2
    # once read (or done), the same thing may be raised again
    Alert.objects.filter(user=worker).update(read_at=timezone.now())
    services._alert(worker, case, "case_assigned_triage", number=case.number)
    assert Alert.objects.filter(user=worker, code="case_assigned_triage").count() == 2
    # the database refuses a second open copy whoever writes it
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(user=worker, case=case, code="case_assigned_triage")
    # rows without a code (old text) are not constrained
    Alert.objects.create(user=worker, case=case, text="lama")
    Alert.objects.create(user=worker, case=case, text="lama")


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_raise_one_alert_on_postgresql(team):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises writing transactions)")
    worker, case = team["worker"], register(team)
    errors: list[BaseException] = []

    def run(before=None, after=None, barrier=None):
        try:
            if barrier:
                barrier.wait()
            if before:
                before.wait(10)
            with transaction.atomic():
                alerts_raise([alert(worker, case, stage="planning")])
                if after:  # hold the transaction open while the other one inserts
                    after.set()
                    time.sleep(0.5)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    # Neither sees the other's row when it checks (the first has not committed): the second
    # insert waits on the unique index, then inserts nothing.
    inserted = threading.Event()
    threads = [
        threading.Thread(target=run, kwargs={"after": inserted}),
        threading.Thread(target=run, kwargs={"before": inserted}),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert Alert.objects.filter(user=worker, code="case_moved").count() == 1
    # and many at once
    Alert.objects.filter(user=worker, code="case_moved").update(read_at=timezone.now())
    barrier = threading.Barrier(6)
    threads = [threading.Thread(target=run, kwargs={"barrier": barrier}) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert Alert.objects.filter(user=worker, code="case_moved", read_at__isnull=True).count() == 1


# --- live: done when the work is done ----------------------------------------------------


def _to_plan_review(team):
    case = register(team)
    worker = team["worker"]
    move(case, "triage", worker, response="at_risk")
    move(case, "complete_assessment", worker)
    move(case, "submit_plan", worker)
    return case


def test_approving_the_plan_resolves_the_approval_alert(team):
    case, supervisor = _to_plan_review(team), team["supervisor"]
    waiting = Alert.objects.get(user=supervisor, code="plan_awaits_approval")
    assert waiting.resolved_at is None and list(supervisor.alerts.unread()) == [waiting]
    # the worker's triage alert was done when the case moved on
    assert Alert.objects.get(user=team["worker"], code="case_assigned_triage").resolved_at
    move(case, "approve_plan", supervisor)
    waiting.refresh_from_db()
    assert waiting.resolved_at is not None
    assert not supervisor.alerts.unread().exists()
    told = Alert.objects.get(user=team["worker"], code="case_moved")
    assert told.params["stage"] == "implementation" and told.resolved_at is None


def test_returning_the_plan_resolves_it_and_a_new_submission_raises_it_again(team):
    case, supervisor = _to_plan_review(team), team["supervisor"]
    move(case, "reject_plan", supervisor, reason="Tambahkan tujuan sekolah.")
    assert not supervisor.alerts.unread().filter(code="plan_awaits_approval").exists()
    move(case, "submit_plan", team["worker"])
    approvals = Alert.objects.filter(user=supervisor, code="plan_awaits_approval")
    assert approvals.count() == 2 and approvals.filter(resolved_at__isnull=True).count() == 1


def test_closing_the_case_resolves_all_its_open_alerts(team):
    case = _to_plan_review(team)
    old = Alert.objects.create(user=team["worker"], case=case, text="Kasus lama (teks)")
    before = set(Alert.objects.filter(case=case).values_list("pk", flat=True))
    move(case, "void", team["supervisor"], reason="Laporan ganda.")
    assert not Alert.objects.filter(pk__in=before, resolved_at__isnull=True).exists()
    old.refresh_from_db()
    assert old.resolved_at is not None
    # the owner is told the case was voided — the only open alert left
    told = Alert.objects.get(case=case, resolved_at__isnull=True)
    assert (told.user, told.code, told.params["stage"]) == (team["worker"], "case_moved", "void")


def test_overdue_alert_is_done_when_the_deadline_is_met_or_the_stage_moves(team):
    case, worker = overdue_case(team), team["worker"]
    now = DUE + timedelta(hours=1)
    assert alert_overdue(now=now) == 1
    assert alert_overdue(now=now) == 0  # once per deadline
    overdue = Alert.objects.filter(case=case, code="case_overdue")
    assert overdue.filter(resolved_at__isnull=True).count() == 2  # owner and supervisor
    # the deadline was extended: the next run marks them done
    Case.objects.filter(pk=case.pk).update(stage_due_at=now + timedelta(days=1))
    alert_overdue(now=now)
    assert not overdue.filter(resolved_at__isnull=True).exists()
    # a new deadline passes: a new alert replaces the old one; moving the stage ends it
    Case.objects.filter(pk=case.pk).update(stage_due_at=now + timedelta(hours=2))
    assert alert_overdue(now=now + timedelta(hours=3)) == 1
    assert overdue.filter(resolved_at__isnull=True).count() == 2
    move(case, "triage", worker, response="at_risk")
    assert not overdue.filter(resolved_at__isnull=True).exists()


def test_reassigning_resolves_what_the_previous_owner_had_to_do(team):
    case, worker, other = register(team), team["worker"], team["other_worker"]
    locked = selectors.case_get_for_update(user=team["supervisor"], pk=case.pk)
    services.case_assign(
        case=locked, owner=other, by=team["supervisor"], expected_version=locked.version
    )
    assert not worker.alerts.unread().filter(case=case).exists()
    assert Alert.objects.get(user=other, case=case, code="case_assigned").resolved_at is None


def _act(referral, by, name, **answer):
    return referral_services.referral_move(
        referral=referral,
        by=by,
        name=name,
        expected_version=Referral.objects.get(pk=referral.pk).version,
        answer=referral_services.Answer(**answer),
    )


def test_referral_alerts_are_done_when_it_is_answered_or_closed(team, provider):
    worker, supervisor = team["worker"], team["supervisor"]
    focal = User.objects.get(username="dukcapil")
    late = refer(team, provider)
    Referral.objects.filter(pk=late.pk).update(respond_by=timezone.now() - timedelta(hours=1))
    assert referral_services.alert_overdue_referrals() == 1
    overdue = Alert.objects.filter(code="referral_overdue_answer", ref=f"referral:{late.pk}")
    assert set(overdue.values_list("user__username", flat=True)) == {"sw", "spv"}
    with translation.override("en"):
        assert overdue.first().url == f"/referrals/{late.pk}/"
    _act(late, focal, "accept")
    assert not overdue.filter(resolved_at__isnull=True).exists()

    declined = refer(team, provider, case=late.case)
    _act(declined, focal, "decline", reason="KK asli belum dibawa.")
    told = Alert.objects.get(user=worker, code="referral_declined")
    assert told.params["reason"] == "KK asli belum dibawa." and told.resolved_at is None
    with translation.override("en"):
        assert alert_message(told).startswith(f"Referral {declined.number} was declined by")
    _act(declined, worker, "close")
    told.refresh_from_db()
    assert told.resolved_at is not None
    assert not supervisor.alerts.unread().filter(ref=f"referral:{declined.pk}").exists()


# --- the alerts page: mark read, only one's own -------------------------------------------


def _three_alerts(team):
    worker, other = team["worker"], team["other_worker"]
    first, second = register(team), register(team, child=make_child("Budi"))
    Alert.objects.all().delete()
    mine = alerts_raise(
        [alert(worker, first), alert(worker, second), alert(worker, first, "case_transferred")]
    )
    assert len(mine) == 3
    alerts_raise([alert(other, first)])
    return (
        list(Alert.objects.filter(user=worker).order_by("pk")),
        Alert.objects.get(user=other),
    )


def test_mark_one_and_mark_all_read_touch_only_my_alerts(client, team):
    mine, others = _three_alerts(team)
    login(client, team["worker"])
    # one (and another user's, which is ignored)
    response = client.post("/cases/alerts/", {"alert": [mine[0].pk, others.pk]})
    assert response.status_code == 302
    assert Alert.objects.filter(pk=mine[0].pk, read_at__isnull=False).exists()
    assert Alert.objects.filter(user=team["worker"], read_at__isnull=True).count() == 2
    assert Alert.objects.get(pk=others.pk).read_at is None
    # all, back to where the user was
    response = client.post("/cases/alerts/", {"all": "1", "next": "/?x=1"})
    assert response.status_code == 302 and response["Location"] == "/?x=1"
    assert not Alert.objects.filter(user=team["worker"], read_at__isnull=True).exists()
    assert Alert.objects.get(pk=others.pk).read_at is None
    # never elsewhere
    response = client.post("/cases/alerts/", {"all": "1", "next": "https://evil.example/"})
    assert response["Location"] == "/cases/alerts/"


def test_marking_read_needs_a_login_and_the_csrf_token(team):
    mine, _others = _three_alerts(team)
    anonymous = Client()
    assert anonymous.post("/cases/alerts/", {"all": "1"}).status_code == 302  # to the login
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(team["worker"])
    assert guarded.post("/cases/alerts/", {"all": "1"}).status_code == 403
    assert Alert.objects.filter(user=team["worker"], read_at__isnull=True).count() == 3


def test_alerts_page_groups_by_case_and_shows_done_ones_as_done(client, team):
    mine, _others = _three_alerts(team)
    Alert.objects.filter(pk=mine[2].pk).update(resolved_at=timezone.now())
    login(client, team["worker"])
    unread = client.get("/cases/alerts/").text
    assert f'data-alert="{mine[2].pk}"' not in unread  # done: not a to-do any more
    assert unread.count('class="alert-group"') == 2 and unread.count("alert-unread") == 2
    assert "Mark all as read" in unread and 'name="csrfmiddlewaretoken"' in unread
    everything = client.get("/cases/alerts/?show=all").text
    assert f'data-alert="{mine[2].pk}"' in everything and "alert-done" in everything
    first_case = Case.objects.get(pk=mine[0].case_id)
    assert f"Case {first_case.number}" in everything
    assert f'href="/cases/{first_case.pk}/"' in everything
    assert "other_worker" not in everything and "sw2" not in everything


def test_alerts_page_reads_the_same_number_of_queries_for_more_alerts(client, team):
    login(client, team["worker"])
    client.get("/cases/alerts/")
    _three_alerts(team)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/cases/alerts/?show=all").status_code == 200
        return len(ctx)

    few = queries()
    for i in range(12):
        case = register(team, child=make_child(f"Anak {i}"))
        alerts_raise([alert(team["worker"], case)])
    assert queries() == few


def test_api_lists_my_alerts_with_code_params_and_message_and_marks_them_read(client, team):
    mine, others = _three_alerts(team)
    worker = team["worker"]
    User.objects.filter(pk=worker.pk).update(timezone="Asia/Jayapura")
    case = overdue_case(team)
    alert_overdue(now=DUE + timedelta(hours=1))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get("/api/v1/alerts/", headers=bearer(worker)).json()
    items = {item["id"]: item for item in body["items"]}
    assert set(items) == set(Alert.objects.filter(user=worker).values_list("pk", flat=True))
    late = next(
        item
        for item in items.values()
        if item["code"] == "case_overdue" and item["case_id"] == case.pk
    )
    assert late["params"]["due"] == DUE.isoformat()
    assert late["message"].endswith("was due 4 Dec 2026 4:35 a.m. WIT.")  # the caller's zone
    assert late["url"] == f"/cases/{late['case_id']}/"
    marked = client.post(
        "/api/v1/alerts/read/",
        {"ids": [others.pk]},
        content_type="application/json",
        headers=bearer(worker),
    )
    assert marked.json() == {"marked": 0}
    marked = client.post(
        "/api/v1/alerts/read/",
        {"all": True},
        content_type="application/json",
        headers=bearer(worker),
    )
    assert marked.json() == {"marked": len(items)}
    assert client.get("/api/v1/alerts/", headers=bearer(worker)).json()["items"] == []
    assert Alert.objects.get(pk=others.pk).read_at is None
    assert client.get("/api/v1/alerts/").status_code == 401


# --- rows written before codes existed (migration 0010) --------------------------------------


def test_legacy_rows_are_converted_and_stale_alerts_marked_done(team, provider):
    worker, supervisor = team["worker"], team["supervisor"]
    focal = User.objects.get(username="dukcapil")
    case = _to_plan_review(team)
    n = case.number
    referral = refer(team, provider)
    referral_case = referral.case
    _act(referral, focal, "decline", reason="KK asli belum dibawa.")
    Alert.objects.all().delete()
    CaseEvent.objects.exclude(code="").delete()
    legacy = {
        "approval_old": Alert.objects.create(
            user=supervisor, case=case, text=f"Kasus {n} menunggu persetujuan Anda."
        ),
        "approval": Alert.objects.create(
            user=supervisor, case=case, text=f"Kasus {n} menunggu persetujuan Anda."
        ),
        "moved": Alert.objects.create(user=worker, case=case, text=f"Case {n}: implementation."),
        "overdue": Alert.objects.create(
            user=worker,
            case=case,
            text=f"Kasus {n} terlambat: tenggat tahap “teregistrasi, menunggu triase” adalah "
            "2026-12-04 02:35.",
        ),
        "yours": Alert.objects.create(
            user=worker,
            case=case,
            text=f"Kasus {n} kini menjadi tanggung jawab Anda. Belum selesai: tindakan darurat "
            "belum dimulai; rencana kasus menunggu persetujuan; Konseling keluarga (2026-12-10)",
        ),
        "declined": Alert.objects.create(
            user=worker,
            case=referral_case,
            text=f"Rujukan {referral.number} ditolak oleh {provider.organisation.name}: "
            "KK asli belum dibawa.",
        ),
        "unknown": Alert.objects.create(user=worker, case=case, text="Sesuatu yang lain."),
    }
    emergency = CaseEvent.objects.create(
        case=case, kind="emergency_action", text="perawatan medis: Dibawa ke puskesmas"
    )
    visit = CaseEvent.objects.create(
        case=case,
        kind="visit",
        text="Kunjungan tanggal 2026-11-30 di Rumah nenek, menemui Ibu: Anak tampak sehat.",
    )
    service = referral.service
    sent_text = (
        f"{referral.number} → {provider.organisation.name} ({service.name_id}): Perlu akta "
        "(dicatat oleh petugas kasus atas nama penyedia layanan)"
    )
    referral_event = CaseEvent.objects.create(
        case=referral_case, kind="referral_declined", text=sent_text
    )
    note = CaseEvent.objects.create(case=case, kind="note", text="perawatan medis: catatan")

    MIGRATION.forwards(apps, None)

    rows = {key: Alert.objects.get(pk=row.pk) for key, row in legacy.items()}
    assert rows["approval"].code == "plan_awaits_approval"
    assert rows["approval"].read_at is None and rows["approval"].resolved_at is None
    assert rows["approval_old"].read_at is not None  # the same to-do twice: one stays
    assert rows["moved"].code == "case_moved" and rows["moved"].resolved_at  # not that stage
    assert rows["overdue"].params == {"number": n, "stage": "triage", "due": DUE.isoformat()}
    assert rows["overdue"].resolved_at  # the case left triage
    assert rows["yours"].code == "case_assigned" and rows["yours"].params["actions"] == [
        ["Konseling keluarga", "2026-12-10"]
    ]
    assert rows["yours"].params["emergency"] and rows["yours"].params["stage"] == "plan_review"
    assert rows["declined"].code == "referral_declined"
    assert rows["declined"].ref == f"referral:{referral.pk}"
    assert rows["declined"].params["reason"] == "KK asli belum dibawa."
    assert rows["declined"].resolved_at is None  # still declined, not closed
    assert rows["unknown"].code == "" and rows["unknown"].resolved_at is None
    with translation.override("en"), timezone.override("Asia/Makassar"):
        assert alert_message(rows["overdue"]).endswith("was due 4 Dec 2026 3:35 a.m. WITA.")
        assert alert_message(rows["unknown"]) == "Sesuatu yang lain."
        emergency_now = CaseEvent.objects.get(pk=emergency.pk)
        assert emergency_now.message == "medical care: Dibawa ke puskesmas"
        visit_now = CaseEvent.objects.get(pk=visit.pk)
        assert visit_now.params == {"date": "2026-11-30", "place": "Rumah nenek", "seen": "Ibu"}
        assert visit_now.text == "Anak tampak sehat."
        converted = CaseEvent.objects.get(pk=referral_event.pk)
        assert converted.code == "referral_update" and converted.params["on_behalf"]
        assert converted.text == "Perlu akta"
        assert converted.message.endswith("(recorded by case staff for the provider): Perlu akta")
    assert CaseEvent.objects.get(pk=note.pk).code == ""  # typed by a person: as it was
    # the rows no one had read can be raised afresh only after they are read
    assert alerts_raise([Alert(user=supervisor, case=case, code="plan_awaits_approval")]) == []

    MIGRATION.backwards(apps, None)  # reversible: the sentences come back
    assert CaseEvent.objects.get(pk=emergency.pk).text == "perawatan medis: Dibawa ke puskesmas"
    assert CaseEvent.objects.get(pk=referral_event.pk).text == sent_text
    assert CaseEvent.objects.get(pk=visit.pk).text == visit.text
