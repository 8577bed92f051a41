"""Services for what is recorded on a case: assessments, the plan, case conferences, notes,
visits and attachments.

Same shape as services.py: the caller fetched the case through the user's scope
(selectors.case_get / case_get_for_update); each function checks the permission and the stage,
writes the record, its timeline event and its audit row in one transaction. Assessments, plans
and plan actions carry a version: a save based on an old version is refused (ConflictError) and
changes nothing.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from pksai.accounts.models import User
from pksai.accounts.scoping import require_perm
from pksai.audit.personal_exports import PersonalExport
from pksai.audit.services import audit_record
from pksai.cases.custom_fields import clean_extra
from pksai.cases.models import (
    Assessment,
    Attachment,
    Case,
    CaseConference,
    CasePlan,
    ConferenceParticipant,
    CustomField,
    Domain,
    Note,
    PlanAction,
    Rating,
    Visit,
)
from pksai.cases.services import (
    IMMEDIATE_FIRST,
    ConflictError,
    _event,
    compare_and_set,
    plan_action_add,
)
from pksai.cases.workflow import OPEN_STAGES, Stage
from pksai.core import files

CHANGE = "cases.change_case"


def _open(case: Case) -> None:
    if case.stage not in OPEN_STAGES:
        raise ValidationError(_("The case is closed: reopen it first."))


def _stale(what: str) -> ConflictError:
    return ConflictError(
        _(
            "%(what)s was changed by someone else since you opened it. Reload it: your input "
            "was not saved and nothing was overwritten."
        )
        % {"what": what}
    )


def _compare_and_set(obj, fields: list[str], expected_version: int, what: str) -> None:
    if not compare_and_set(obj, fields, expected_version):
        raise _stale(what)


# --- Assessments ------------------------------------------------------------------


def _clean_domains(domains: dict[str, dict], *, complete: bool) -> dict[str, dict]:
    cleaned: dict[str, dict] = {}
    errors: dict[str, list[str]] = {}
    for key, value in domains.items():
        if key not in Domain.values:
            errors[key] = [_("Unknown domain.")]
            continue
        rating = (value or {}).get("rating", "") or ""
        notes = ((value or {}).get("notes", "") or "").strip()
        if rating and rating not in Rating.values:
            errors[key] = [_("Rate low, medium or high.")]
            continue
        if rating or notes:
            cleaned[key] = {"rating": rating, "notes": notes}
    if complete:
        for key, label in Domain.choices:
            if not cleaned.get(key, {}).get("rating"):
                errors.setdefault(key, []).append(
                    _("Rate the domain “%(domain)s” to complete the assessment.")
                    % {"domain": label}
                )
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def assessment_save(
    *,
    case: Case,
    by: User,
    kind: str,
    domains: dict[str, dict],
    risk: str,
    summary: str = "",
    extra: dict | None = None,
    complete: bool = False,
    assessment: Assessment | None = None,
    expected_version: int | None = None,
) -> Assessment:
    """Create an assessment, or update ``assessment`` if nobody saved since
    ``expected_version``. Completing requires a rating in every domain; a completed assessment
    is no longer edited (a new one is made)."""
    require_perm(by, CHANGE)
    _open(case)
    if kind not in Assessment.Kind.values:
        raise ValidationError(_("Choose the kind of assessment."))
    if risk not in Rating.values:
        raise ValidationError({"risk": [_("Give the overall risk: low, medium or high.")]})
    cleaned = _clean_domains(domains, complete=complete)
    extra_values = clean_extra(CustomField.Form.ASSESSMENT, extra or {})
    now = timezone.now() if complete else None
    if assessment is None:
        assessment = Assessment.objects.create(
            case=case,
            kind=kind,
            domains=cleaned,
            risk=risk,
            summary=summary,
            extra=extra_values,
            completed_at=now,
            created_by=by,
            updated_by=by,
        )
        action = "create"
    else:
        if assessment.case_id != case.pk:
            raise ValidationError("assessment of another case")
        if assessment.completed_at is not None:
            raise ValidationError(_("A completed assessment is kept as it is: start a new one."))
        if expected_version is None:
            raise ValidationError("expected_version is required to change an assessment")
        assessment.kind, assessment.domains, assessment.risk = kind, cleaned, risk
        assessment.summary, assessment.extra = summary, extra_values
        assessment.completed_at, assessment.updated_by = now, by
        assessment.updated_at = timezone.now()
        fields = ["kind", "domains", "risk", "summary", "extra", "completed_at", "updated_by"]
        _compare_and_set(assessment, [*fields, "updated_at"], expected_version, _("The assessment"))
        action = "update"
    if complete:
        _event(
            case,
            by,
            "assessment",
            code="assessment_completed",
            params={"kind": assessment.kind, "risk": assessment.risk},
        )
    audit_record(
        action=action,
        actor=by,
        obj=assessment,
        detail={"case": case.number, "completed": complete, "risk": risk},
    )
    return assessment


def has_completed_assessment(case: Case, kind: str = Assessment.Kind.COMPREHENSIVE) -> bool:
    return case.assessments.filter(kind=kind, completed_at__isnull=False).exists()


# --- The plan ---------------------------------------------------------------------

PLAN_STAGES = frozenset({Stage.PLANNING, Stage.IMPLEMENTATION})


@transaction.atomic
def plan_save(*, case: Case, by: User, goals: str, expected_version: int | None = None) -> CasePlan:
    """Write the plan's goals. The first save creates the plan; later saves need the version
    the user loaded. Goals are edited while planning or implementing, not while the plan
    awaits approval."""
    require_perm(by, CHANGE)
    if case.stage not in PLAN_STAGES:
        raise ValidationError(_("The plan is written while planning or implementing."))
    goals = "\n".join(line.strip() for line in goals.splitlines() if line.strip())
    if not goals:
        raise ValidationError({"goals": [_("Write at least one goal.")]})
    plan = CasePlan.objects.filter(case=case).first()
    if plan is None:
        if expected_version not in (None, 0):
            raise _stale(_("The case plan"))
        plan = CasePlan.objects.create(case=case, goals=goals, updated_by=by)
        action = "create"
    else:
        if expected_version is None:
            raise _stale(_("The case plan"))
        plan.goals, plan.updated_by, plan.updated_at = goals, by, timezone.now()
        fields = ["goals", "updated_by", "updated_at"]
        _compare_and_set(plan, fields, expected_version, _("The case plan"))
        action = "update"
    _event(case, by, "plan", goals)
    audit_record(action=action, actor=by, obj=plan, detail={"case": case.number})
    return plan


@transaction.atomic
def plan_action_update(
    *, action: PlanAction, by: User, status: str, expected_version: int
) -> PlanAction:
    """Change an action's status (planned, in progress, done, cancelled), refused if someone
    changed the action since it was loaded."""
    require_perm(by, CHANGE)
    _open(action.case)
    if status not in PlanAction.Status.values:
        raise ValidationError(_("Unknown status."))
    if status in {PlanAction.Status.PLANNED, PlanAction.Status.IN_PROGRESS} and (
        action.kind == PlanAction.Kind.ENROLMENT and action.case.emergency_pending
    ):
        raise ValidationError(IMMEDIATE_FIRST)
    previous = action.status
    action.status = status
    _compare_and_set(action, ["status"], expected_version, _("The plan action"))
    _event(
        action.case,
        by,
        "plan_action_status",
        code="plan_action_status",
        params={"action": action.description, "status": action.status},
    )
    audit_record(action="update", actor=by, obj=action, detail={"status": status, "from": previous})
    return action


# --- Case conferences -------------------------------------------------------------


@dataclass(frozen=True)
class Participant:
    name: str = ""
    organisation: str = ""
    role: str = ""
    user: User | None = None


@dataclass(frozen=True)
class ConferenceAction:
    kind: str
    description: str
    responsible: str
    due_date: date


@transaction.atomic
def conference_record(
    *,
    case: Case,
    by: User,
    held_on: date,
    agenda: str,
    decisions: str,
    participants: list[Participant],
    actions: list[ConferenceAction] = (),
) -> CaseConference:
    """Record a case conference. Its follow-up actions become plan actions (so they need the
    case to be planning or implementing, and obey the emergency-first rule)."""
    require_perm(by, CHANGE)
    _open(case)
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": [_("The date cannot be in the future.")]})
    if not agenda.strip() or not decisions.strip():
        raise ValidationError(_("Write the agenda and the decisions."))
    people = [p for p in participants if p.user is not None or p.name.strip()]
    if not people:
        raise ValidationError({"participants": [_("List at least one participant.")]})
    conference = CaseConference.objects.create(
        case=case, held_on=held_on, agenda=agenda, decisions=decisions, recorded_by=by
    )
    ConferenceParticipant.objects.bulk_create(
        ConferenceParticipant(
            conference=conference,
            user=p.user,
            name=p.name.strip() or (p.user.get_full_name() or p.user.get_username()),
            organisation=p.organisation.strip()
            or (str(p.user.organisation) if p.user and p.user.organisation_id else ""),
            role=p.role.strip(),
        )
        for p in people
    )
    _event(
        case,
        by,
        "conference",
        decisions,
        code="conference_held",
        params={"date": held_on.isoformat()},
    )
    audit_record(action="create", actor=by, obj=conference, detail={"case": case.number})
    for a in actions:
        created = plan_action_add(
            case=case,
            by=by,
            kind=a.kind,
            description=a.description,
            responsible=a.responsible,
            due_date=a.due_date,
        )
        PlanAction.objects.filter(pk=created.pk).update(conference=conference)
    return conference


@transaction.atomic
def conference_update(
    *, conference: CaseConference, by: User, agenda: str, decisions: str, expected_version: int
) -> CaseConference:
    """Correct a conference's agenda and decisions, refused (ConflictError) if someone saved
    it since ``expected_version``."""
    require_perm(by, CHANGE)
    _open(conference.case)
    if not agenda.strip() or not decisions.strip():
        raise ValidationError(_("Write the agenda and the decisions."))
    conference.agenda, conference.decisions = agenda, decisions
    conference.updated_at = timezone.now()
    fields = ["agenda", "decisions", "updated_at"]
    _compare_and_set(conference, fields, expected_version, _("The case conference"))
    audit_record(action="update", actor=by, obj=conference, detail={"case": conference.case.number})
    return conference


# --- Notes and visits -------------------------------------------------------------


@transaction.atomic
def note_add(*, case: Case, by: User, text: str) -> Note:
    require_perm(by, CHANGE)
    if not text.strip():
        raise ValidationError({"text": [_("Write the note.")]})
    note = Note.objects.create(case=case, text=text.strip(), by=by)
    _event(case, by, "note", note.text)
    audit_record(action="create", actor=by, obj=note, detail={"case": case.number})
    return note


@transaction.atomic
def note_update(*, note: Note, by: User, text: str, expected_version: int) -> Note:
    """Correct a note, refused (ConflictError) if someone saved it since ``expected_version``.
    Only its author, or a supervisor of the case, corrects it."""
    require_perm(by, CHANGE)
    if note.by_id != by.pk and not by.has_perm("cases.approve_case"):
        raise PermissionDenied("only the author or a supervisor corrects a note")
    if not text.strip():
        raise ValidationError({"text": [_("Write the note.")]})
    note.text = text.strip()
    note.updated_at = timezone.now()
    _compare_and_set(note, ["text", "updated_at"], expected_version, _("The note"))
    _event(note.case, by, "note", note.text)
    audit_record(action="update", actor=by, obj=note, detail={"case": note.case.number})
    return note


def _clean_visit(case: Case, visited_on: date, place: str, seen: str, observations: str) -> None:
    if case.stage == Stage.VOID:
        raise ValidationError(_("The case is void."))
    if visited_on > timezone.localdate():
        raise ValidationError({"visited_on": [_("The date cannot be in the future.")]})
    if not (place.strip() and seen.strip() and observations.strip()):
        raise ValidationError(_("Give the place, who was seen and what was observed."))


@dataclass(frozen=True)
class Location:
    """Where a device was when the visit was recorded (WGS84 degrees, accuracy in metres)."""

    latitude: float
    longitude: float
    accuracy_m: float | None = None

    def clean(self) -> Location:
        if not (-90 <= self.latitude <= 90 and -180 <= self.longitude <= 180):
            raise ValidationError({"location": [_("The location is not on Earth.")]})
        if self.accuracy_m is not None and self.accuracy_m < 0:
            raise ValidationError({"location": [_("The accuracy cannot be negative.")]})
        return self


@transaction.atomic
def visit_record(
    *,
    case: Case,
    by: User,
    visited_on: date,
    place: str,
    seen: str,
    observations: str,
    extra: dict | None = None,
    recorded_at=None,
    location: Location | None = None,
) -> Visit:
    """Log a home or monitoring visit (any stage except void; after closure, visits are the
    post-service monitoring). From the field app: when the device recorded it and, only while
    settings.PKSAI_FIELD_GPS is on, where it was (otherwise the location is dropped)."""
    require_perm(by, CHANGE)
    _clean_visit(case, visited_on, place, seen, observations)
    if recorded_at is not None and recorded_at > timezone.now() + timedelta(minutes=10):
        raise ValidationError({"recorded_at": [_("The time cannot be in the future.")]})
    if location is not None:
        location = location.clean() if settings.PKSAI_FIELD_GPS else None
    visit = Visit.objects.create(
        case=case,
        visited_on=visited_on,
        place=place.strip(),
        seen=seen.strip(),
        observations=observations.strip(),
        extra=clean_extra(CustomField.Form.VISIT, extra or {}),
        by=by,
        recorded_at=recorded_at,
        latitude=location.latitude if location else None,
        longitude=location.longitude if location else None,
        accuracy_m=location.accuracy_m if location else None,
    )
    _event(
        case,
        by,
        "visit",
        visit.observations,
        code="visit_made",
        params={"date": visited_on.isoformat(), "place": visit.place, "seen": visit.seen},
    )
    audit_record(
        action="create",
        actor=by,
        obj=visit,
        detail={"case": case.number, "located": location is not None},
    )
    return visit


@transaction.atomic
def visit_update(
    *,
    visit: Visit,
    by: User,
    visited_on: date,
    place: str,
    seen: str,
    observations: str,
    expected_version: int,
) -> Visit:
    """Correct a visit's date, place, who was seen and observations (the author or a
    supervisor), refused (ConflictError) if someone saved it since ``expected_version``."""
    require_perm(by, CHANGE)
    if visit.by_id != by.pk and not by.has_perm("cases.approve_case"):
        raise PermissionDenied("only the author or a supervisor corrects a visit")
    _clean_visit(visit.case, visited_on, place, seen, observations)
    visit.visited_on, visit.place = visited_on, place.strip()
    visit.seen, visit.observations = seen.strip(), observations.strip()
    visit.updated_at = timezone.now()
    fields = ["visited_on", "place", "seen", "observations", "updated_at"]
    _compare_and_set(visit, fields, expected_version, _("The visit"))
    audit_record(action="update", actor=by, obj=visit, detail={"case": visit.case.number})
    return visit


# --- Attachments ------------------------------------------------------------------

# Accepted types, recognised by their first bytes (the file name and browser's claim are
# not trusted): PDF documents and JPEG/PNG photos or scans.
SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)


ATTACHMENTS = "attachments"  # the shared storage they live in (pksai.core.files)


def _sniff(head: bytes) -> tuple[str, str] | None:
    for magic, content_type, suffix in SIGNATURES:
        if head.startswith(magic):
            return content_type, suffix
    return None


@transaction.atomic
def attachment_add(*, case: Case, by: User, kind: str, title: str, upload) -> Attachment:
    """Store an uploaded file (a Django UploadedFile or any file object with ``name``)."""
    require_perm(by, CHANGE)
    if kind not in Attachment.Kind.values:
        raise ValidationError(_("Choose what kind of document this is."))
    limit = settings.ATTACHMENT_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ValidationError(
            {"file": [_("The file is too large (at most %(mb)s MB).") % {"mb": limit // 2**20}]}
        )
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            {"file": [_("The file is too large (at most %(mb)s MB).") % {"mb": limit // 2**20}]}
        )
    if not data:
        raise ValidationError({"file": [_("The file is empty.")]})
    sniffed = _sniff(data[:16])
    if sniffed is None:
        raise ValidationError({"file": [_("Only PDF, JPEG and PNG files are accepted.")]})
    content_type, suffix = sniffed
    stored_name = files.save_bytes(ATTACHMENTS, uuid.uuid4().hex + suffix, data)
    original = Path(getattr(upload, "name", "") or "file").name[:255]
    try:
        attachment = Attachment.objects.create(
            case=case,
            kind=kind,
            title=(title.strip() or original)[:200],
            original_name=original,
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            stored_name=stored_name,
            uploaded_by=by,
        )
        _event(case, by, "attachment", attachment.title)
        audit_record(
            action="create",
            actor=by,
            obj=attachment,
            detail={"case": case.number, "size": len(data), "type": content_type},
        )
    except Exception:
        files.delete(ATTACHMENTS, stored_name)
        raise
    return attachment


@transaction.atomic
def attachment_update(
    *, attachment: Attachment, by: User, kind: str, title: str, expected_version: int
) -> Attachment:
    """Change what an attachment is called and what kind of document it is (never its file),
    refused (ConflictError) if someone saved it since ``expected_version``."""
    require_perm(by, CHANGE)
    if attachment.voided_at is not None:
        raise ValidationError(_("This attachment was voided."))
    if kind not in Attachment.Kind.values:
        raise ValidationError(_("Choose what kind of document this is."))
    attachment.kind = kind
    attachment.title = (title.strip() or attachment.original_name)[:200]
    attachment.updated_at = timezone.now()
    fields = ["kind", "title", "updated_at"]
    _compare_and_set(attachment, fields, expected_version, _("The attachment"))
    audit_record(action="update", actor=by, obj=attachment, detail={"case": attachment.case.number})
    return attachment


def attachment_open(attachment: Attachment) -> File:
    """The stored file, opened for reading; Http404 when it is missing from the storage."""
    if not files.exists(ATTACHMENTS, attachment.stored_name):
        raise Http404("attachment file missing")
    return files.open_file(ATTACHMENTS, attachment.stored_name)


def attachment_download(
    *, attachment: Attachment, by: User, export: PersonalExport | None = None
) -> File:
    """The file to send (opened from the shared storage), after auditing the download. The
    caller got ``attachment`` through a case the user may open (selectors.attachment_get).
    The views pass ``export`` (the stated purpose, pksai.audit.personal_exports), which the
    audit row then records."""
    require_perm(by, "cases.view_case")
    if attachment.voided_at is not None:
        raise ValidationError(_("This attachment was voided."))
    detail = {"case": attachment.case.number, "download": attachment.original_name}
    if export is not None:
        export.audit(obj=attachment, detail=detail)
    else:
        audit_record(action="export", actor=by, obj=attachment, detail=detail)
    return attachment_open(attachment)


@transaction.atomic
def attachment_void(*, attachment: Attachment, by: User, reason: str) -> Attachment:
    """Withdraw a wrong upload. The file is kept (nothing is hard-deleted) but no longer served."""
    require_perm(by, CHANGE)
    if not reason.strip():
        raise ValidationError(_("Give a reason."))
    if attachment.voided_at is None:
        attachment.voided_at = timezone.now()
        attachment.void_reason = reason.strip()[:300]
        attachment.version += 1
        attachment.save(update_fields=["voided_at", "void_reason", "version", "updated_at"])
        _event(attachment.case, by, "attachment_void", f"{attachment.title}: {reason}")
        audit_record(action="update", actor=by, obj=attachment, detail={"void": reason})
    return attachment
