"""Intake: the reported child is an existing registry person (found by the duplicate check)
or a new person recorded from the report, with source "CASE"."""

from __future__ import annotations

import uuid
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pksai.accounts.models import User
from pksai.accounts.scoping import require_perm, scope_for
from pksai.areas.models import Area
from pksai.audit.services import audit_record
from pksai.cases.models import IntakeReport
from pksai.registry.identities import ensure_source, link_by_nik, refresh_identities
from pksai.registry.models import Household, Identity, Person, Source

SOURCE = "CASE"


@transaction.atomic
def child_create(
    *, by: User, name: str, sex: str, birth_date: date | None, village: str, nik: str = ""
) -> Person:
    """Record a child who is not in the registry, in their own household of source CASE
    (a later registry import may bring the official record; the duplicate check finds it)."""
    require_perm(by, "cases.add_case")
    given = {
        "child_name": name.strip(),
        "child_sex": sex,
        "child_birth_date": birth_date,
        "child_village": village,
    }
    missing = [field for field, value in given.items() if not value]
    if missing:
        needed = _("Needed to record a child who is not in the registry yet.")
        raise ValidationError({field: [needed] for field in missing})
    if not Area.objects.filter(code=village, level=Area.Level.VILLAGE).exists():
        raise ValidationError({"child_village": [_("Unknown village code.")]})
    if not scope_for(by).covers(village):
        raise PermissionDenied("village outside the user's area scope")
    if birth_date > timezone.localdate():
        raise ValidationError({"child_birth_date": [_("The birth date cannot be in the future.")]})
    if nik and not (len(nik) == 16 and nik.isdigit()):
        raise ValidationError({"child_nik": [_("A NIK has 16 digits.")]})
    key = uuid.uuid4().hex[:20]
    household = Household.objects.create(
        source=SOURCE, registry_id=key, village_id=village, row_hash="-"
    )
    person = Person.objects.create(
        household=household,
        source=SOURCE,
        household_key=key,
        person_key="1",
        village_id=village,
        nik=nik,
        name=name.strip(),
        sex=sex,
        birth_date=birth_date,
        relationship="child",
        row_hash="-",
    )
    ensure_source(SOURCE, kind=Source.Kind.CASE_INTAKE)
    person.identity = Identity.objects.create(primary=person)
    person.save(update_fields=["identity"])
    # The same child may already be in the registry under a trusted NIK: one identity.
    if nik:
        refresh_identities(link_by_nik([person.pk]))
        person.refresh_from_db(fields=["identity"])
    audit_record(action="create", actor=by, obj=person, detail={"source": SOURCE})
    return person


# --- the intake queue: reports from outside case work --------------------------------------


def _pending_report(by: User, report_pk: int):
    require_perm(by, "cases.add_case")
    report = IntakeReport.objects.select_for_update().get(pk=report_pk)
    if not scope_for(by).covers(report.area_id):
        raise PermissionDenied("intake report outside the user's area scope")
    if report.status != IntakeReport.Status.PENDING:
        raise ValidationError(_("This report was already handled."))
    return report


@transaction.atomic
def intake_report_register(*, by: User, report, case):
    """Mark a waiting report as registered: ``case`` was opened for it (from the intake form,
    where the child is found or recorded)."""
    report = _pending_report(by, report.pk)
    if not scope_for(by).covers(case.area_id):
        raise PermissionDenied("case outside the user's area scope")
    report.status, report.case = IntakeReport.Status.REGISTERED, case
    report.handled_at, report.handled_by = timezone.now(), by
    report.version += 1
    report.save(update_fields=["status", "case", "handled_at", "handled_by", "version"])
    audit_record(action="update", actor=by, obj=report, detail={"case": case.pk})
    return report


@transaction.atomic
def intake_report_dismiss(*, by: User, report, reason: str):
    """Dismiss a waiting report (a duplicate of a case already open, not about a child...)
    with the reason."""
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the report is dismissed.")]})
    report = _pending_report(by, report.pk)
    report.status, report.dismiss_reason = IntakeReport.Status.DISMISSED, reason.strip()[:300]
    report.handled_at, report.handled_by = timezone.now(), by
    report.version += 1
    fields = ["status", "dismiss_reason", "handled_at", "handled_by", "version"]
    report.save(update_fields=fields)
    audit_record(action="update", actor=by, obj=report, detail={"dismissed": report.dismiss_reason})
    return report


# --- reports from the field app ------------------------------------------------------------


def _clean_field_report(by: User, area: str, summary: str) -> None:
    if not summary.strip():
        raise ValidationError({"summary": [_("Say what was seen or reported.")]})
    if not Area.objects.filter(code=area).exists():
        raise ValidationError({"area": [_("Unknown area code.")]})
    if not scope_for(by).covers(area):
        raise PermissionDenied("area outside the user's area scope")


@transaction.atomic
def intake_report_submit(
    *,
    by: User,
    area: str,
    summary: str,
    reporter_anonymous: bool = False,
    reporter_name: str = "",
    reporter_phone: str = "",
) -> IntakeReport:
    """A frontline worker reports a child at risk from the field (source FIELD): the report
    waits in the intake queue of its area, where registration staff find or record the child
    (``child_create``) and register it as a case, or dismiss it — as for complaints."""
    require_perm(by, "cases.add_case")
    _clean_field_report(by, area, summary)
    report = IntakeReport.objects.create(
        source=IntakeReport.Source.FIELD,
        area_id=area,
        summary=summary.strip(),
        reporter_anonymous=reporter_anonymous,
        reporter_name="" if reporter_anonymous else reporter_name.strip()[:200],
        reporter_phone="" if reporter_anonymous else reporter_phone.strip()[:40],
        reported_by=by,
    )
    audit_record(action="create", actor=by, obj=report, detail={"source": report.source})
    return report


@transaction.atomic
def intake_report_update(
    *, by: User, report: IntakeReport, summary: str, expected_version: int
) -> IntakeReport:
    """The reporter adds to her report's account while it still waits in the queue, refused
    (ConflictError) if it was saved since ``expected_version``."""
    from pksai.cases.services import ConflictError, compare_and_set

    require_perm(by, "cases.add_case")
    if report.reported_by_id != by.pk:
        raise PermissionDenied("only the worker who sent a field report corrects it")
    if report.status != IntakeReport.Status.PENDING:
        raise ValidationError(_("This report was already handled."))
    _clean_field_report(by, report.area_id, summary)
    report.summary = summary.strip()
    report.updated_at = timezone.now()
    if not compare_and_set(report, ["summary", "updated_at"], expected_version):
        raise ConflictError(
            _(
                "The report was changed by someone else since you opened it. Reload it: your "
                "input was not saved and nothing was overwritten."
            )
        )
    audit_record(action="update", actor=by, obj=report, detail={"summary": True})
    return report
