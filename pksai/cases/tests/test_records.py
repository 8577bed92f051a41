"""Records kept on a case: custom fields, conferences, notes, visits, attachments, alerts."""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from pksai.audit.models import AuditEvent
from pksai.cases import records, services
from pksai.cases.models import Alert, Attachment, Case, CustomField, PlanAction
from pksai.cases.tests.factories import move, register

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def store(tmp_path, settings):
    settings.ATTACHMENT_ROOT = tmp_path / "attachments"
    settings.ATTACHMENT_MAX_BYTES = 1024
    return settings.ATTACHMENT_ROOT


def upload(data: bytes, name: str):
    f = io.BytesIO(data)
    f.name = name
    f.size = len(data)
    return f


def test_custom_fields_are_validated_typed_and_kept(team):
    CustomField.objects.create(
        form="visit", key="school_contacted", label_id="Sekolah dihubungi", kind="yes_no"
    )
    CustomField.objects.create(
        form="visit",
        key="home_condition",
        label_id="Kondisi rumah",
        label_en="Home condition",
        kind="choice",
        choices="layak\ntidak layak",
        required=True,
    )
    CustomField.objects.create(form="visit", key="people", label_id="Jumlah", kind="number")
    case = register(team)
    worker = team["worker"]
    kwargs = dict(
        case=case,
        by=worker,
        visited_on=timezone.localdate(),
        place="Rumah anak",
        seen="Ibu dan anak",
        observations="Anak tampak sehat",
    )
    with pytest.raises(ValidationError) as err:
        records.visit_record(**kwargs, extra={"people": "dua", "home_condition": "bagus"})
    assert set(err.value.message_dict) == {"people", "home_condition"}
    assert "Home condition: choose one of layak, tidak layak" in str(err.value)
    visit = records.visit_record(
        **kwargs, extra={"people": "3", "home_condition": "layak", "school_contacted": "on"}
    )
    assert visit.extra == {"people": 3, "home_condition": "layak", "school_contacted": True}
    assert case.events.filter(kind="visit").exists()


def test_visit_in_the_future_is_refused(team):
    case = register(team)
    with pytest.raises(ValidationError, match="future"):
        records.visit_record(
            case=case,
            by=team["worker"],
            visited_on=timezone.localdate() + timedelta(days=1),
            place="x",
            seen="y",
            observations="z",
        )


def test_conference_actions_become_plan_actions(team):
    worker = team["worker"]
    case = register(team)
    move(case, "triage", worker, response="at_risk")
    move(case, "complete_assessment", worker)
    case.refresh_from_db()
    conference = records.conference_record(
        case=case,
        by=worker,
        held_on=timezone.localdate(),
        agenda="Rencana pengasuhan",
        decisions="Konseling keluarga dan kembali sekolah",
        participants=[
            records.Participant(user=team["supervisor"], role="supervisor"),
            records.Participant(name="Bu Ani", organisation="SDN 1 Mariso", role="guru"),
        ],
        actions=[
            records.ConferenceAction(
                kind="service",
                description="Konseling keluarga",
                responsible="Psikolog P2TP2A",
                due_date=timezone.localdate() + timedelta(days=14),
            )
        ],
    )
    assert conference.participants.count() == 2
    action = PlanAction.objects.get(case=case)
    assert action.conference == conference and action.description == "Konseling keluarga"
    with pytest.raises(ValidationError, match="participant"):
        records.conference_record(
            case=case,
            by=worker,
            held_on=timezone.localdate(),
            agenda="a",
            decisions="b",
            participants=[records.Participant(name=" ")],
        )


def test_plan_action_status_with_optimistic_locking(team):
    worker = team["worker"]
    case = register(team)
    move(case, "triage", worker, response="at_risk")
    move(case, "complete_assessment", worker)
    case.refresh_from_db()
    action = services.plan_action_add(
        case=case,
        by=worker,
        kind="service",
        description="Akta kelahiran",
        responsible="Dukcapil",
        due_date=timezone.localdate(),
    )
    stale = PlanAction.objects.get(pk=action.pk)
    records.plan_action_update(action=action, by=worker, status="done", expected_version=1)
    with pytest.raises(services.ConflictError):
        records.plan_action_update(action=stale, by=worker, status="cancelled", expected_version=1)
    assert PlanAction.objects.get(pk=action.pk).status == "done"


def test_attachments_are_type_and_size_checked_stored_outside_and_audited(team, store):
    case = register(team)
    worker = team["worker"]
    attachment = records.attachment_add(
        case=case, by=worker, kind="consent", title="", upload=upload(PDF, "../../persetujuan.pdf")
    )
    assert attachment.original_name == "persetujuan.pdf"
    assert attachment.content_type == "application/pdf"
    stored = store / attachment.stored_name
    assert stored.read_bytes() == PDF
    with pytest.raises(ValidationError, match="Only PDF, JPEG and PNG"):
        records.attachment_add(
            case=case, by=worker, kind="photo", title="x", upload=upload(b"MZ\x90", "foto.jpg")
        )
    with pytest.raises(ValidationError, match="too large"):
        records.attachment_add(
            case=case, by=worker, kind="photo", title="x", upload=upload(PNG * 40, "foto.png")
        )
    assert Attachment.objects.count() == 1 and len(list(store.iterdir())) == 1
    with records.attachment_download(attachment=attachment, by=team["supervisor"]) as served:
        assert served.read() == PDF
    assert AuditEvent.objects.filter(
        action="export", object_id=str(attachment.pk), actor=team["supervisor"]
    ).exists()
    records.attachment_void(attachment=attachment, by=worker, reason="salah unggah")
    with pytest.raises(ValidationError, match="voided"):
        records.attachment_download(attachment=attachment, by=worker)
    assert stored.exists()  # nothing is hard-deleted


def test_overdue_cases_alert_owner_and_supervisor_once_with_email(
    team, mailoutbox, django_capture_on_commit_callbacks
):
    team["worker"].email = "sw@example.org"
    team["worker"].save()
    case = register(team)
    mailoutbox.clear()
    Alert.objects.all().delete()
    assert services.alert_overdue() == 0
    Case.objects.filter(pk=case.pk).update(stage_due_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.alert_overdue() == 1
    assert set(Alert.objects.values_list("user__username", flat=True)) == {"sw", "spv"}
    assert services.alert_overdue() == 0  # once per due date
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["sw@example.org"]
    assert case.number in mail.outbox[0].body
