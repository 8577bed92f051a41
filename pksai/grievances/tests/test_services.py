"""Complaint handling: intake rules (level, restricted queue, case intake), escalation when
overdue, who sees what, optimistic locking, the public status (no personal data), the
rate limit and the messages for bad input, and the notifier."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from pksai.accounts.tests.factories import make_user
from pksai.api.tests.helpers import english_messages  # noqa: F401  (messages asserted in English)
from pksai.cases import selectors as case_selectors
from pksai.cases.intake import intake_report_dismiss
from pksai.cases.models import IntakeReport
from pksai.cases.services import ConflictError
from pksai.grievances import selectors, services
from pksai.grievances.models import Complaint, ComplaintEvent, Level, Status
from pksai.grievances.services import ComplaintInput

TEXT = "Tetangga saya kaya tetapi menerima bantuan JSLU setiap bulan."


def complaint(category="mistargeting", area="73.71.01", **kw) -> ComplaintInput:
    return ComplaintInput(category=category, description=TEXT, area_code=area, **kw)


@pytest.fixture
def staff(pilot_areas):
    return {
        "desk": make_user("desk", roles=["registration_staff"], scope=["73.71"]),
        "coord": make_user("coord", roles=["coordinator"], scope=["73.71"]),
        "gowa": make_user("gowadesk", roles=["registration_staff"], scope=["73.06"]),
        "province": make_user("prov", roles=["complaints_officer"], scope=["73"]),
        "inspector": make_user("insp", roles=["complaints_officer"], scope=["73.71"]),
        "ministry": make_user("kemensos", roles=["complaints_officer"], national=True),
        "worker": make_user("sw", roles=["social_worker"], scope=["73.71"]),
    }


@pytest.mark.django_db
def test_an_overdue_complaint_escalates_level_by_level(staff, settings, tmp_path):
    c = services.complaint_submit_public(complaint(), sender="10.0.0.1")
    assert (c.level, c.status, c.channel) == (Level.DISTRICT, Status.RECEIVED, "web")
    assert c.due_at - c.created_at == pytest.approx(timedelta(days=14), abs=timedelta(seconds=5))
    assert services.escalate_overdue() == 0  # not due yet
    later = c.due_at + timedelta(minutes=1)
    assert services.escalate_overdue(now=later) == 1
    c.refresh_from_db()
    assert (c.level, c.escalated_at, c.version) == (Level.PROVINCE, later, 2)
    assert c.due_at == later + timedelta(days=14)
    assert c.events.filter(kind=ComplaintEvent.Kind.ESCALATED).count() == 1
    # the province officer's level queue has it now; the district's does not
    assert list(selectors.complaint_queue(user=staff["province"])) == [c]
    assert c not in selectors.complaint_queue(user=staff["desk"])
    assert c in selectors.complaint_queue(user=staff["desk"], queue="escalated")
    services.escalate_overdue(now=c.due_at + timedelta(minutes=1))
    c.refresh_from_db()
    assert c.level == Level.MINISTRY
    assert list(selectors.complaint_queue(user=staff["ministry"])) == [c]
    # at the ministry it stays, shown as overdue
    assert services.escalate_overdue(now=c.due_at + timedelta(days=1)) == 0
    # a resolved complaint never escalates
    other = services.complaint_submit_public(complaint(), sender="10.0.0.2")
    services.complaint_resolve(
        by=staff["desk"], complaint=other, resolution="Data diperbaiki.", expected_version=1
    )
    assert services.escalate_overdue(now=other.due_at + timedelta(days=1)) == 0


@pytest.mark.django_db
def test_a_complaint_about_district_staff_starts_at_the_province(staff):
    c = services.complaint_create(
        by=staff["desk"], data=complaint("service_quality", about_staff=True), channel="phone"
    )
    assert c.level == Level.PROVINCE and not c.restricted


@pytest.mark.django_db
def test_misconduct_is_invisible_to_ordinary_district_staff(staff):
    c = services.complaint_submit_public(
        complaint("misconduct", about_staff=True), sender="10.0.0.3"
    )
    assert c.restricted
    for who in ("desk", "coord", "gowa"):
        user = staff[who]
        assert c not in selectors.complaint_list(user=user)
        with pytest.raises(Http404):
            selectors.complaint_get(user=user, pk=c.pk)
        with pytest.raises(PermissionDenied):
            services.complaint_start(by=user, complaint=c, expected_version=c.version)
    with pytest.raises(PermissionDenied):
        selectors.complaint_list(user=staff["worker"])  # takes complaints, does not read them
    for who in ("inspector", "province", "ministry"):
        assert selectors.complaint_get(user=staff[who], pk=c.pk) == c
    assert list(selectors.complaint_queue(user=staff["inspector"], queue="restricted")) == [c]
    # and it cannot be assigned to someone who may not see it
    with pytest.raises(ValidationError):
        services.complaint_assign(
            by=staff["inspector"], complaint=c, to=staff["coord"], expected_version=c.version
        )


@pytest.mark.django_db
def test_a_child_protection_complaint_waits_in_the_case_intake_queue(staff):
    c = services.complaint_submit_public(
        ComplaintInput(
            category="child_protection",
            description="Seorang anak sering dipukul dan tidak bersekolah di RT 03.",
            area_code="73.71.01",
            anonymous=True,
        ),
        sender="10.0.0.4",
    )
    report = c.intake_report
    assert report.status == IntakeReport.Status.PENDING and report.reference == c.code
    assert list(case_selectors.intake_reports(user=staff["desk"])) == [report]
    assert not case_selectors.intake_reports(user=staff["gowa"]).exists()
    with pytest.raises(PermissionDenied):
        intake_report_dismiss(by=staff["gowa"], report=report, reason="bukan wilayah")
    intake_report_dismiss(by=staff["desk"], report=report, reason="sama dengan kasus 12")
    assert not case_selectors.intake_reports(user=staff["desk"]).exists()


@pytest.mark.django_db
def test_a_stale_version_is_a_conflict_and_nothing_is_written(staff):
    c = services.complaint_create(by=staff["desk"], data=complaint(), channel="walk_in")
    services.complaint_assign(by=staff["coord"], complaint=c, to=staff["desk"], expected_version=1)
    stale = Complaint.objects.get(pk=c.pk)
    stale.version = 1
    with pytest.raises(ConflictError, match="changed by someone else"):
        services.complaint_resolve(
            by=staff["desk"], complaint=stale, resolution="Sudah dicek.", expected_version=1
        )
    assert Complaint.objects.get(pk=c.pk).status == Status.ASSIGNED


@pytest.mark.django_db
def test_the_public_status_shows_the_resolution_and_nothing_personal(
    staff, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.PKSAI_MESSAGING_LOG = tmp_path / "messages.log"
    with django_capture_on_commit_callbacks(execute=True):
        c = services.complaint_submit_public(
            complaint(name="Ibu Sari Wulandari", phone="0812 3456 7890", email="sari@example.org"),
            sender="10.0.0.5",
        )
        services.complaint_resolve(
            by=staff["desk"],
            complaint=c,
            resolution="Penerima diverifikasi ulang dan dikeluarkan dari daftar JSLU.",
            remedy="Data diperbaiki",
            internal_notes="Rumah dikunjungi 3 Nov; tetangga Pak Budi.",
            expected_version=c.version,
        )
    status = services.public_status(c.code.lower())
    assert status.status_code == "resolved" and status.can_rate
    assert "dikeluarkan" in status.resolution
    shown = json.dumps(status.__dict__, default=str)
    for private in ("Sari", "0812", "example.org", "Budi", TEXT[:20], "73.71"):
        assert private not in shown
    # the complainant was told twice (received, resolved) on each address they left, through
    # the messaging service's log channel (their consent recorded by the form), masked on the
    # history
    lines = [json.loads(x) for x in settings.PKSAI_MESSAGING_LOG.read_text().splitlines()]
    assert [line["to"] for line in lines] == ["+6281234567890", "sari@example.org"] * 2
    assert all(c.code in line["body"] for line in lines)
    assert "dikeluarkan" in lines[2]["body"] and f"/pengaduan/status/{c.code}/" in lines[2]["body"]
    assert c.messages.filter(status="sent").count() == 4
    notified = c.events.filter(kind=ComplaintEvent.Kind.NOTIFIED).values_list("text", flat=True)
    assert list(notified)[0] == "0812****7890, s***@example.org"
    services.complaint_rate(code=c.code, rating=4, comment="cepat")
    c.refresh_from_db()
    assert (c.status, c.rating) == (Status.CLOSED, 4)
    with pytest.raises(ValidationError):
        services.complaint_rate(code=c.code, rating=5)
    assert services.public_status("ADU-0000-0000") is None


@pytest.mark.django_db
def test_bad_input_gets_clear_messages_and_floods_are_throttled(staff, settings):
    settings.PKSAI_PUBLIC_COMPLAINTS_PER_HOUR = 3
    bad = ComplaintInput(
        category="bribe",
        description="x" * 5000,
        area_code="99.99",
        phone="call me",
        email="not-an-address",
    )
    with pytest.raises(ValidationError) as refused:
        services.complaint_submit_public(bad, sender="10.0.0.9")
    errors = refused.value.message_dict
    assert set(errors) == {"category", "description", "area", "phone", "email"}
    assert "at most 4000 characters" in errors["description"][0]
    assert not Complaint.objects.exists()
    services.complaint_submit_public(complaint(), sender="10.0.0.9")
    services.complaint_submit_public(complaint(), sender="10.0.0.9")  # the refused one counted
    with pytest.raises(services.Throttled):
        services.complaint_submit_public(complaint(), sender="10.0.0.9")
    assert Complaint.objects.count() == 2
    services.complaint_submit_public(complaint(), sender="10.0.0.10")  # another sender
    # an hour later the sender may write again
    later = timezone.now() + timedelta(hours=1, minutes=1)
    assert services.throttle_hit("10.0.0.9", now=later)


@pytest.mark.django_db
def test_staff_entry_needs_the_role_and_the_area(staff):
    with pytest.raises(PermissionDenied):
        services.complaint_create(by=staff["gowa"], data=complaint(), channel="phone")
    # a facilitator enters a complaint from a visit (but cannot read the queue)
    c = services.complaint_create(by=staff["worker"], data=complaint(), channel="facilitator")
    assert c.created_by == staff["worker"]
    with pytest.raises(ValidationError):
        services.complaint_create(by=staff["desk"], data=complaint(), channel="web")


@pytest.mark.django_db
def test_history_is_said_in_the_readers_language_not_the_writers(pilot_areas):
    """System sentences in a complaint's history are stored as codes: an English reader and an
    Indonesian reader of the same escalation each read it in their own language, with the
    officer's reason as written."""
    from django.utils import translation

    from pksai.grievances.models import ComplaintEvent

    event = ComplaintEvent(kind="escalated", code="escalated", params={"level": 2}, text="Lambat")
    overdue = ComplaintEvent(kind="escalated", code="overdue_escalated", params={"level": 3})
    received = ComplaintEvent(kind="received", code="received", params={"channel": "walk_in"})
    with translation.override("en"):
        assert event.message == "province: Lambat"
        assert overdue.message == "Overdue: sent to the ministry level."
        assert received.message == "walk-in"
    with translation.override("id"):
        assert event.message.endswith(": Lambat") and event.message != "province: Lambat"
        assert overdue.message != "Overdue: sent to the ministry level."
        assert received.message != "walk-in"
