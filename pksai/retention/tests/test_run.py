"""The retention run on the demo's records: every monitoring measure counts the same before
and after, while the anonymised records' names, NIK, phones, notes, timeline words and
attachment files are gone; legal holds keep their records; a second run changes nothing."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.core.management import call_command
from django.utils import timezone

from pksai.accounts.models import User
from pksai.areas.tests.factories import make_areas
from pksai.audit.models import AuditEvent
from pksai.cases.intake import intake_report_dismiss
from pksai.cases.models import (
    Attachment,
    Case,
    CaseEvent,
    Guardian,
    IntakeReport,
    Note,
)
from pksai.core import files
from pksai.grievances.models import Complaint, ComplaintEvent
from pksai.monitoring.measures import MEASURES, measure_counts
from pksai.payments.models import BatchLine
from pksai.programs.compliance import beneficiary_exit
from pksai.programs.models import Beneficiary, Nomination
from pksai.registry.models import Person
from pksai.retention.kinds import person_free
from pksai.retention.models import ANONYMISED, AnonymisedRecord, Kind, LegalHold, RetentionRun
from pksai.retention.services import legal_hold_place, retention_due, retention_run

LATER = relativedelta(years=11)  # past every shipped period (the longest: 120 months)


def _all_measures(user) -> dict:
    """Every measure, by every grouping it allows, all time and this year."""
    year = timezone.localdate().replace(month=1, day=1)
    out = {}
    for code, measure in MEASURES.items():
        for group in measure.groups():
            out[code, group, "all"] = measure_counts(code, user=user, group=group)
            out[code, group, "year"] = measure_counts(code, user=user, group=group, start=year)
    return out


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.ATTACHMENT_ROOT = str(tmp_path / "attachments")
    sites = ("73.71", "73.06", "33.72", "33.10", "35.04")
    make_areas(
        [
            ("31", "DKI Jakarta"),
            ("73", "Sulawesi Selatan"),
            ("73.71", "Kota Makassar"),
            ("73.06", "Kabupaten Gowa"),
            ("33", "Jawa Tengah"),
            ("33.72", "Kota Surakarta"),
            ("33.10", "Kabupaten Klaten"),
            ("35", "Jawa Timur"),
            ("35.04", "Kabupaten Tulungagung"),
        ]
        + [(f"{r}.01", f"Kecamatan {r}") for r in sites]
        + [(f"{r}.01.2001", f"Desa {r}") for r in sites]
    )
    call_command("demo", "--households", "60", "--force", stdout=io.StringIO())
    return tmp_path


def _prepare(now):
    """Records of every kind whose purpose has ended: exits, rows retired from the registry,
    a dismissed intake report, an attachment on a closed case."""
    officer = User.objects.get(username="national.program_officer")
    today = timezone.localdate()
    active = Beneficiary.objects.filter(status="active", start_date__lte=today)
    for beneficiary in active.order_by("pk")[:4]:
        beneficiary_exit(
            by=officer,
            beneficiary=beneficiary,
            reason="moved",
            on=today,
            notes=f"Pindah ke rumah {beneficiary.person.name}",
        )
    free = Person.objects.filter(person_free(timezone.localdate())).exclude(source="CASE")
    retired = list(free.order_by("pk").values_list("pk", flat=True)[:12])
    Person.objects.filter(pk__in=retired).update(
        in_registry=False, retired_edition="2099", updated_at=timezone.now()
    )
    registration = User.objects.get(username="makassar.registration_staff")
    report = IntakeReport.objects.create(
        source=IntakeReport.Source.COMPLAINT,
        area_id=Case.objects.filter(regency_id="73.71").first().area_id,
        summary="Anak Budi Santoso dipukul tetangga",
        reporter_name="Siti Pelapor",
        reporter_phone="081234567890",
    )
    intake_report_dismiss(by=registration, report=report, reason="Laporan ganda dari Siti")
    closed = Case.objects.filter(stage="closed").order_by("pk").first()
    stored = files.save_bytes("attachments", "retention-test.pdf", b"%PDF-1.4 Budi Santoso")
    Attachment.objects.create(
        case=closed,
        kind="document",
        title="Akta Budi Santoso",
        original_name="akta-budi.pdf",
        content_type="application/pdf",
        size=21,
        sha256="0" * 64,
        stored_name=stored,
        uploaded_by=registration,
    )
    Note.objects.create(case=closed, text="Budi tinggal dengan neneknya", by=registration)
    return {"retired": retired, "intake": report.pk, "closed": closed.pk, "stored": stored}


def test_anonymising_keeps_every_measure_and_removes_identities(
    demo, django_capture_on_commit_callbacks
):
    analyst = User.objects.get(username="national.national_analyst")
    admin = User.objects.get(username="national.administrator")
    now = timezone.now() + LATER
    made = _prepare(now)
    # a hold on one closed case, and one on a whole regency (Gowa)
    held_case = Case.objects.filter(stage__in=("closed", "void")).exclude(pk=made["closed"])
    held_case = held_case.exclude(regency_id="73.06").order_by("pk").first()
    legal_hold_place(by=admin, target="case", case=held_case, reason="Sidang anak")
    legal_hold_place(by=admin, target="area", area_code="73.06", reason="Audit BPK Gowa")
    held_summary = held_case.summary
    gowa_summaries = dict(
        Case.objects.filter(regency_id="73.06", stage__in=("closed", "void")).values_list(
            "pk", "summary"
        )
    )
    before = _all_measures(analyst)
    due = {row.kind: row for row in retention_due(now=now)}
    for kind in Kind:
        assert due[kind].due > 0, kind
    assert due[Kind.CASE_CLOSED].held >= 1 + len(gowa_summaries)

    with django_capture_on_commit_callbacks(execute=True):  # files go after the commit
        run = retention_run(trigger=RetentionRun.Trigger.COMMAND, by=admin, now=now)

    assert _all_measures(analyst) == before
    for kind in Kind:
        assert run.counts[kind] == due[kind].due, kind
    assert run.held[Kind.CASE_CLOSED] == due[Kind.CASE_CLOSED].held
    # cases: the reporter, the guardians, the timeline's words, notes, the attachment's file
    done = set(
        AnonymisedRecord.objects.filter(kind="cases.case", run=run).values_list(
            "object_id", flat=True
        )
    )
    assert made["closed"] in done and held_case.pk not in done
    assert not done & set(gowa_summaries)
    cases = Case.objects.filter(pk__in=done)
    assert set(cases.values_list("summary", flat=True)) == {ANONYMISED}
    assert set(cases.values_list("reporter_name", "reporter_phone")) == {("", "")}
    assert not Guardian.objects.filter(case__in=done).exclude(name=ANONYMISED).exists()
    assert not Guardian.objects.filter(case__in=done).exclude(phone="").exists()
    assert not CaseEvent.objects.filter(case__in=done).exclude(text="").exists()
    assert set(Note.objects.filter(case__in=done).values_list("text", flat=True)) == {ANONYMISED}
    attachment = Attachment.objects.get(stored_name=made["stored"])
    assert attachment.title == ANONYMISED and attachment.voided_at is not None
    assert not files.exists("attachments", made["stored"])
    # held records are untouched
    assert Case.objects.get(pk=held_case.pk).summary == held_summary
    assert (
        dict(Case.objects.filter(pk__in=gowa_summaries).values_list("pk", "summary"))
        == gowa_summaries
    )
    # complaints, intake reports, registry rows, exits, payment lines
    complaints = Complaint.objects.filter(
        pk__in=AnonymisedRecord.objects.filter(kind="grievances.complaint").values("object_id")
    )
    assert complaints.exists()
    assert set(
        complaints.values_list("complainant_name", "complainant_phone", "complainant_email")
    ) == {("", "", "")}
    assert not ComplaintEvent.objects.filter(complaint__in=complaints).exclude(text="").exists()
    report = IntakeReport.objects.get(pk=made["intake"])
    assert (report.summary, report.reporter_name, report.reporter_phone) == (ANONYMISED, "", "")
    assert report.dismiss_reason == ""
    people = Person.objects.filter(pk__in=made["retired"])
    assert set(people.values_list("name", "nik", "nik_hash")) == {(ANONYMISED, "", "")}
    exited = Beneficiary.objects.filter(status="exited")
    assert set(exited.values_list("exit_notes", flat=True)) == {""}
    assert not Nomination.objects.filter(
        pk__in=exited.values("nomination_id"), notes__gt=""
    ).exists()
    lines = BatchLine.objects.filter(
        pk__in=AnonymisedRecord.objects.filter(kind="payments.batchline").values("object_id")
    )
    assert lines.exists()
    assert set(lines.values_list("name", "nik", "address")) == {(ANONYMISED, "", "")}
    # recorded and audited
    assert AuditEvent.objects.filter(
        object_type="retention.retentionrun", object_id=str(run.pk), action="update"
    ).exists()

    again = retention_run(trigger=RetentionRun.Trigger.COMMAND, now=now + timedelta(days=1))
    assert again.total == 0
    assert _all_measures(analyst) == before


def test_released_hold_lets_the_next_run_anonymise(demo):
    admin = User.objects.get(username="national.administrator")
    now = timezone.now() + LATER
    case = Case.objects.filter(stage="closed").order_by("pk").first()
    hold = legal_hold_place(by=admin, target="person", person=case.child, reason="Perkara")
    first = retention_run(trigger=RetentionRun.Trigger.COMMAND, now=now)
    assert Case.objects.get(pk=case.pk).summary != ANONYMISED
    assert first.held[Kind.CASE_CLOSED] >= 1
    from pksai.retention.services import legal_hold_release

    legal_hold_release(by=admin, hold=hold, reason="Perkara selesai")
    assert LegalHold.objects.get(pk=hold.pk).released_by == admin
    second = retention_run(trigger=RetentionRun.Trigger.COMMAND, now=now)
    assert second.counts[Kind.CASE_CLOSED] >= 1
    assert Case.objects.get(pk=case.pk).summary == ANONYMISED
