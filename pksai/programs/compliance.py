"""PKSA conditionalities and yearly re-confirmation.

Compliance is recorded per beneficiary, condition and month (by the facilitator or program
staff). The compliance review counts unmet months in the last twelve (one grouped query) and
*proposes* the consequence of the ladder (warning → benefit reduction → exit, as data); nothing
happens to the benefit until an officer confirms. Re-confirmation lists the beneficiaries whose
eligibility was last confirmed more than a year ago; an officer re-confirms them or records
their exit (died, moved, no longer eligible, aged out, graduated) with the date.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from pksai.accounts.models import User
from pksai.accounts.scoping import require_perm, scope_for, scoped
from pksai.areas.codes import area_q
from pksai.audit.services import audit_record
from pksai.programs.models import (
    Beneficiary,
    ComplianceRecord,
    Conditionality,
    ConsequenceStep,
    Program,
    Sanction,
    Suspension,
)
from pksai.webhooks.services import event_emit

MANAGE = "programs.change_beneficiary"
SUSPEND = "programs.add_suspension"


def _in_program(program: Program) -> Q:
    return Q(program=program) | Q(program__parent=program)


def _may_manage(by: User, beneficiary: Beneficiary) -> None:
    require_perm(by, MANAGE)
    if not scope_for(by).covers(beneficiary.area_id):
        raise PermissionDenied("beneficiary outside the user's scope")


@transaction.atomic
def compliance_record(
    *,
    by: User,
    beneficiary: Beneficiary,
    condition: Conditionality,
    month: date,
    met: bool,
    notes: str = "",
) -> ComplianceRecord:
    """Record (or correct) whether a condition was met in a month. The beneficiary's
    facilitator or program staff of the area."""
    if beneficiary.facilitator_id != by.pk:
        _may_manage(by, beneficiary)
    program = beneficiary.program
    if condition.program_id not in {program.pk, program.parent_id}:
        raise ValidationError(_("That condition is not one of this program's."))
    month = month.replace(day=1)
    if month > timezone.localdate() or month < beneficiary.start_date.replace(day=1):
        raise ValidationError(_("The month must lie between the start date and now."))
    record, created = ComplianceRecord.objects.update_or_create(
        beneficiary=beneficiary,
        condition=condition,
        month=month,
        defaults={
            "area_id": beneficiary.area_id,
            "met": met,
            "notes": notes.strip()[:300],
            "recorded_by": by,
        },
    )
    if not created:  # a correction: versioned like every change (the field app merges on it)
        ComplianceRecord.objects.filter(pk=record.pk).update(version=F("version") + 1)
        record.refresh_from_db(fields=["version"])
    audit_record(
        action="create" if created else "update",
        actor=by,
        obj=record,
        detail={"condition": condition.code, "month": f"{month:%Y-%m}", "met": met},
    )
    return record


@transaction.atomic
def compliance_record_update(
    *, by: User, record: ComplianceRecord, met: bool, notes: str, expected_version: int
) -> ComplianceRecord:
    """Correct whether the condition was met (and the notes), refused (ConflictError) if the
    record was saved since ``expected_version``. Same people as recording it."""
    from pksai.cases.services import ConflictError, compare_and_set

    beneficiary = record.beneficiary
    if beneficiary.facilitator_id != by.pk:
        _may_manage(by, beneficiary)
    record.met, record.notes, record.recorded_by = met, notes.strip()[:300], by
    record.recorded_at = timezone.now()
    fields = ["met", "notes", "recorded_by", "recorded_at"]
    if not compare_and_set(record, fields, expected_version):
        raise ConflictError(
            _(
                "The compliance record was changed by someone else since you opened it. "
                "Reload it: your input was not saved and nothing was overwritten."
            )
        )
    audit_record(
        action="update",
        actor=by,
        obj=record,
        detail={"condition": record.condition.code, "month": f"{record.month:%Y-%m}", "met": met},
    )
    return record


@transaction.atomic
def compliance_review(*, by: User, program: Program, area_code: str, as_of: date | None = None):
    """Propose the ladder's consequence for every active beneficiary of the program in the
    area whose unmet months (last 12) reached a step not proposed before. One grouped query
    and one bulk insert. Returns how many were proposed."""
    require_perm(by, MANAGE)
    if not scope_for(by).covers(area_code):
        raise PermissionDenied("area outside the user's scope")
    as_of = as_of or timezone.localdate()
    since = (as_of.replace(day=1) - timedelta(days=365)).replace(day=1)
    steps = list(ConsequenceStep.objects.filter(program=program).order_by("misses"))
    if not steps:
        return 0
    counts = (
        Beneficiary.objects.filter(_in_program(program), status=Beneficiary.Status.ACTIVE)
        .filter(area_q("area", area_code))
        .annotate(
            misses=Count(
                "compliance", filter=Q(compliance__met=False, compliance__month__gte=since)
            )
        )
        .filter(misses__gte=steps[0].misses)
        .values_list("pk", "area_id", "misses")
    )
    proposals = []
    for pk, area_id, misses in counts:  # only those who missed: a short list
        step = [s for s in steps if s.misses <= misses][-1]
        proposals.append(Sanction(beneficiary_id=pk, area_id=area_id, step=step, misses=misses))
    before = Sanction.objects.count()
    Sanction.objects.bulk_create(proposals, ignore_conflicts=True)
    proposed = Sanction.objects.count() - before
    audit_record(
        action="create",
        actor=by,
        object_type="programs.sanction",
        detail={"program": program.code, "area": area_code, "proposed": proposed},
    )
    return proposed


@transaction.atomic
def sanction_decide(*, by: User, sanction: Sanction, confirm: bool, reason: str = "") -> Sanction:
    """An officer confirms (the consequence takes effect) or dismisses (with a reason)."""
    beneficiary = Beneficiary.objects.select_for_update().get(pk=sanction.beneficiary_id)
    _may_manage(by, beneficiary)
    if sanction.status != Sanction.Status.PROPOSED:
        raise ValidationError(_("This consequence was already decided."))
    if not confirm and not reason.strip():
        raise ValidationError(_("Say why the consequence is dismissed."))
    step = sanction.step
    sanction.status = Sanction.Status.CONFIRMED if confirm else Sanction.Status.DISMISSED
    sanction.decided_at, sanction.decided_by = timezone.now(), by
    sanction.reason = reason.strip()
    decided = Sanction.objects.filter(pk=sanction.pk, status=Sanction.Status.PROPOSED).update(
        status=sanction.status,
        decided_at=sanction.decided_at,
        decided_by=by,
        reason=sanction.reason,
    )
    if decided != 1:  # another officer decided first: nothing is applied twice
        raise ValidationError(_("This consequence was already decided."))
    if confirm:
        if step.action == ConsequenceStep.Action.REDUCTION:
            beneficiary.reduction_percent = step.reduction_percent
            beneficiary.version += 1
            beneficiary.save(update_fields=["reduction_percent", "version"])
        elif step.action == ConsequenceStep.Action.EXIT:
            _exit(
                beneficiary,
                Beneficiary.ExitReason.NOT_ELIGIBLE,
                timezone.localdate(),
                _("Conditionalities not met (%(n)s months).") % {"n": sanction.misses},
            )
    audit_record(
        action="update",
        actor=by,
        obj=sanction,
        detail={"action": step.action, "confirmed": confirm, "reason": reason},
    )
    return sanction


def _exit(beneficiary: Beneficiary, reason: str, on: date, notes: str) -> None:
    beneficiary.status = Beneficiary.Status.EXITED
    beneficiary.exit_reason, beneficiary.exit_date = reason, on
    beneficiary.exit_notes = notes[:300]
    beneficiary.version += 1
    beneficiary.save(update_fields=["status", "exit_reason", "exit_date", "exit_notes", "version"])
    event_emit(kind="beneficiary.exited", obj=beneficiary)


def reconfirmation_due(*, user, program: Program, as_of: date | None = None) -> QuerySet:
    """Active beneficiaries in scope whose eligibility was last confirmed (or who started)
    more than a year ago: the yearly re-confirmation campaign's list."""
    as_of = as_of or timezone.localdate()
    try:
        year_ago = as_of.replace(year=as_of.year - 1)
    except ValueError:  # 29 February
        year_ago = as_of.replace(year=as_of.year - 1, day=28)
    return (
        scoped(Beneficiary.objects.all(), user, perm="programs.view_beneficiary")
        .filter(_in_program(program), status=Beneficiary.Status.ACTIVE)
        .annotate(confirmed=Coalesce("reconfirmed_on", "start_date"))
        .filter(confirmed__lte=year_ago)
        .select_related("person", "program", "facilitator")
        .order_by("confirmed", "id")
    )


@transaction.atomic
def beneficiary_reconfirm(*, by: User, beneficiary: Beneficiary, on: date | None = None):
    _may_manage(by, beneficiary)
    if beneficiary.status != Beneficiary.Status.ACTIVE:
        raise ValidationError(_("Only active beneficiaries are re-confirmed."))
    beneficiary.reconfirmed_on = on or timezone.localdate()
    beneficiary.version += 1
    beneficiary.save(update_fields=["reconfirmed_on", "version"])
    audit_record(
        action="update",
        actor=by,
        obj=beneficiary,
        detail={"reconfirmed": str(beneficiary.reconfirmed_on)},
    )
    return beneficiary


@transaction.atomic
def beneficiary_exit(
    *, by: User, beneficiary: Beneficiary, reason: str, on: date, notes: str = ""
) -> Beneficiary:
    """End a beneficiary's participation: why (died, moved, no longer eligible, aged out,
    graduated) and when."""
    _may_manage(by, beneficiary)
    if beneficiary.status != Beneficiary.Status.ACTIVE:
        raise ValidationError(_("This beneficiary has already left the program."))
    if reason not in Beneficiary.ExitReason.values:
        raise ValidationError(_("Choose why the beneficiary leaves the program."))
    if on < beneficiary.start_date or on > timezone.localdate():
        raise ValidationError(_("The exit date must lie between the start date and today."))
    _exit(beneficiary, reason, on, notes)
    audit_record(
        action="update",
        actor=by,
        obj=beneficiary,
        detail={"exit": reason, "date": on.isoformat(), "notes": notes},
    )
    return beneficiary


# --- suspensions --------------------------------------------------------------------------


def _suspension_scope(by: User, beneficiary: Beneficiary, perm: str) -> None:
    require_perm(by, perm)
    if not scope_for(by).covers(beneficiary.area_id):
        raise PermissionDenied("beneficiary outside the user's scope")


@transaction.atomic
def suspension_start(
    *, by: User, beneficiary: Beneficiary, start: date, reason: str, end: date | None = None
) -> Suspension:
    """Suspend a beneficiary's benefit from ``start`` (to ``end``, or until ended). The
    suspended days are left out of the cycles generated from now on and are never paid later;
    a cycle already generated is not changed. Suspensions of one beneficiary never overlap."""
    _suspension_scope(by, beneficiary, SUSPEND)
    beneficiary = Beneficiary.objects.select_for_update().get(pk=beneficiary.pk)
    if not reason.strip():
        raise ValidationError(_("Give the reason for the suspension."))
    if end is not None and end < start:
        raise ValidationError(_("A suspension cannot end before it starts."))
    if start < beneficiary.start_date:
        raise ValidationError(_("The suspension starts before the benefit does."))
    if beneficiary.status == Beneficiary.Status.EXITED:
        raise ValidationError(_("This beneficiary has left the program."))
    overlapping = beneficiary.suspensions.filter(
        Q(end__isnull=True) | Q(end__gte=start),
        **({"start__lte": end} if end is not None else {}),
    )
    if overlapping.exists():
        raise ValidationError(_("The beneficiary is already suspended during that time."))
    suspension = Suspension.objects.create(
        beneficiary=beneficiary,
        area_id=beneficiary.area_id,
        start=start,
        end=end,
        reason=reason.strip()[:300],
        created_by=by,
    )
    audit_record(
        action="create",
        actor=by,
        obj=suspension,
        detail={"beneficiary": beneficiary.pk, "start": str(start), "end": str(end or "")},
    )
    return suspension


@transaction.atomic
def suspension_end(*, by: User, suspension: Suspension, last_day: date) -> Suspension:
    """End an open suspension: the benefit is paid again from the day after ``last_day``."""
    _suspension_scope(by, suspension.beneficiary, "programs.change_suspension")
    suspension = Suspension.objects.select_for_update().get(pk=suspension.pk)
    if suspension.end is not None:
        raise ValidationError(_("This suspension has already ended."))
    if last_day < suspension.start:
        raise ValidationError(_("A suspension cannot end before it starts."))
    suspension.end, suspension.ended_by = last_day, by
    suspension.save(update_fields=["end", "ended_by"])
    audit_record(action="update", actor=by, obj=suspension, detail={"end": str(last_day)})
    return suspension
