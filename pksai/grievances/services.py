"""Complaints from intake to resolution and back to the complainant.

- Intake: ``complaint_submit_public`` (the public form: no account, rate limited per sender by
  ``throttle_hit``), ``complaint_create`` (staff: phone, SMS, walk-in, e-mail, letter; or a
  facilitator from a visit). Both go through ``_create``: a tracking code, the level (district,
  or province when the complaint concerns the district's own staff), the restricted queue for
  misconduct and deductions, the due date from the SLA table, and — for a child-protection
  complaint — an intake report in the case-management intake queue of its area.
- Handling: assign, start, note, resolve (the public resolution and the remedy are sent back
  through the notifier), escalate by hand; ``escalate_overdue`` moves every open complaint past
  its due date one level up (district → province → ministry) in one UPDATE per SLA group.
- Back to the complainant: ``public_status`` (what the status page shows: never personal
  data), ``complaint_rate`` (the complainant rates the resolution, once; the complaint closes).

Every change is on the complaint's history, on the audit log, and bumps its version (optimistic
locking: a stale version is a ConflictError and nothing is written).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from pksai.accounts.models import User
from pksai.accounts.scoping import require_perm, scope_for
from pksai.areas.models import Area
from pksai.audit.services import audit_record
from pksai.cases.models import IntakeReport
from pksai.cases.services import ConflictError
from pksai.core import ratelimit
from pksai.grievances.models import (
    OPEN_STATUSES,
    RESTRICTED_CATEGORIES,
    Category,
    Channel,
    Complaint,
    ComplaintEvent,
    ComplaintSla,
    Level,
    Priority,
    Status,
)
from pksai.webhooks.services import event_emit

log = logging.getLogger(__name__)

ADD = "grievances.add_complaint"
VIEW = "grievances.view_complaint"
HANDLE = "grievances.change_complaint"
VIEW_RESTRICTED = "grievances.view_restricted_complaint"
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read over the phone
MAX_DESCRIPTION = 4000
MIN_DESCRIPTION = 10
DEFAULT_SLA_DAYS = 14
THROTTLE_WINDOW = timedelta(hours=1)
THROTTLE_SCOPE = "complaint_form"


def _per_hour() -> int:
    return int(getattr(settings, "PKSAI_PUBLIC_COMPLAINTS_PER_HOUR", 5))


# --- intake -------------------------------------------------------------------------------


def new_code() -> str:
    """``ADU-XXXX-XXXX``: 31^8 ≈ 8.5 × 10^11 codes, drawn at random (not guessable, not
    sequential, says nothing about the complainant)."""
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"ADU-{chars[:4]}-{chars[4:]}"


def sla_days(category: str, priority: str, on: date | None = None) -> int:
    on = on or timezone.localdate()
    row = (
        ComplaintSla.objects.filter(category=category, priority=priority, valid_from__lte=on)
        .order_by("-valid_from")
        .values_list("days", flat=True)
        .first()
    )
    return row or DEFAULT_SLA_DAYS


def throttle_hit(sender: str, *, now: datetime | None = None) -> bool:
    """Count one public submission from ``sender`` (the client address); False when it is over
    the hourly limit (the submission is then refused and nothing is stored but the count).
    One atomic upsert on a counter row (core/ratelimit.py): exactly the limit passes, however
    many arrive at once on however many servers."""
    now = now or timezone.now()
    ratelimit.prune(THROTTLE_SCOPE, window=THROTTLE_WINDOW, now=now)
    count = ratelimit.hit(THROTTLE_SCOPE, sender, window=THROTTLE_WINDOW, now=now)
    return count <= _per_hour()


@dataclass(frozen=True)
class ComplaintInput:
    """What a complaint says, from any channel."""

    category: str
    description: str
    area_code: str
    priority: str = Priority.NORMAL
    anonymous: bool = False
    name: str = ""
    phone: str = ""
    email: str = ""
    about_staff: bool = False


def _clean(data: ComplaintInput) -> ComplaintInput:
    """Field-by-field checks with messages a member of the public understands."""
    errors: dict[str, list[str]] = {}
    description = data.description.strip()
    if data.category not in Category.values:
        errors["category"] = [_("Choose what the complaint is about.")]
    if data.priority not in Priority.values:
        errors["priority"] = [_("Unknown priority.")]
    if len(description) < MIN_DESCRIPTION:
        errors["description"] = [
            _("Describe what happened (at least %(n)s characters).") % {"n": MIN_DESCRIPTION}
        ]
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = [
            _("The description is too long: at most %(n)s characters.") % {"n": MAX_DESCRIPTION}
        ]
    if not Area.objects.filter(code=data.area_code, level__gte=Area.Level.REGENCY).exists():
        errors["area"] = [_("Choose the regency or city (and district, if you know it).")]
    name, phone, email = (
        ("", "", "")
        if data.anonymous
        else (data.name.strip(), data.phone.strip(), data.email.strip())
    )
    if len(name) > 200:
        errors["name"] = [_("The name is too long: at most 200 characters.")]
    digits = phone.replace(" ", "").replace("-", "")
    if phone and not (digits.lstrip("+").isdigit() and 8 <= len(digits.lstrip("+")) <= 15):
        errors["phone"] = [_("A phone number has 8 to 15 digits, e.g. 0812 3456 7890.")]
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("Enter a valid e-mail address.")]
    if errors:
        raise ValidationError(errors)
    return ComplaintInput(
        category=data.category,
        description=description,
        area_code=data.area_code,
        priority=data.priority,
        anonymous=data.anonymous,
        name=name,
        phone=digits if phone else "",
        email=email,
        about_staff=data.about_staff,
    )


def _event(
    complaint: Complaint,
    by: User | None,
    kind: str,
    text: str = "",
    code: str = "",
    params: dict | None = None,
) -> ComplaintEvent:
    """One history entry: ``text`` holds people's words only; a system sentence goes in as
    ``code`` and ``params`` (ComplaintEvent.message says it in the reader's language)."""
    return ComplaintEvent.objects.create(
        complaint=complaint, actor=by, kind=kind, text=text, code=code, params=params or {}
    )


def _create(
    data: ComplaintInput,
    *,
    channel: str,
    by: User | None,
    links: dict | None = None,
    consent_source: str = "",
    consent_channel: str = "",
) -> Complaint:
    data = _clean(data)
    now = timezone.now()
    level = Level.PROVINCE if data.about_staff else Level.DISTRICT
    restricted = data.category in RESTRICTED_CATEGORIES
    fields = {
        "channel": channel,
        "category": data.category,
        "priority": data.priority,
        "description": data.description,
        "area_id": data.area_code,
        "anonymous": data.anonymous,
        "complainant_name": data.name,
        "complainant_phone": data.phone,
        "complainant_email": data.email,
        "about_staff": data.about_staff,
        "restricted": restricted,
        "level": level,
        "due_at": now + timedelta(days=sla_days(data.category, data.priority)),
        "created_by": by,
        **(links or {}),
    }
    for _attempt in range(5):
        try:
            with transaction.atomic():
                complaint = Complaint.objects.create(code=new_code(), **fields)
            break
        except IntegrityError:  # the code was drawn before: draw again
            continue
    else:  # pragma: no cover - 5 collisions in 8.5 × 10^11
        raise RuntimeError("could not draw a free tracking code")
    _event(
        complaint,
        by,
        ComplaintEvent.Kind.RECEIVED,
        code="received",
        params={"channel": complaint.channel},
    )
    if data.category == Category.CHILD_PROTECTION:
        report = IntakeReport.objects.create(
            source=IntakeReport.Source.COMPLAINT,
            reference=complaint.code,
            area_id=data.area_code,
            summary=data.description,
            reporter_anonymous=data.anonymous,
            reporter_name=data.name,
            reporter_phone=data.phone,
        )
        Complaint.objects.filter(pk=complaint.pk).update(intake_report=report)
        complaint.intake_report = report
        _event(complaint, by, ComplaintEvent.Kind.NOTE, code="sent_to_intake")
    audit_record(
        action="create",
        actor=by,
        obj=complaint,
        detail={"channel": channel, "category": data.category, "restricted": restricted},
    )
    event_emit(kind="complaint.filed", obj=complaint)
    _contact_consent(complaint, by, source=consent_source, channel=consent_channel)
    _notify(complaint, "complaint_received", {"status_link": _status_link(complaint)})
    return complaint


def complaint_receive_message(
    *, data: ComplaintInput, channel: str, message_channel: str
) -> Complaint:
    """A complaint sent as a message to the service number (``grievances.inbound``): no
    account; the sender's number is the contact, and their message their consent to hear back
    about it (recorded as given by their own message)."""
    return _create(
        data, channel=channel, by=None, consent_source="inbound", consent_channel=message_channel
    )


class Throttled(Exception):
    """Too many public submissions from one sender in the last hour."""


def complaint_submit_public(data: ComplaintInput, *, sender: str) -> Complaint:
    """A complaint from the public web form (no account). ``sender`` is the client address;
    over the hourly limit the submission is refused (Throttled) before it is read. Every
    submission counts, refused ones too (the count is written outside the complaint's
    transaction, so a flood of bad input is throttled as well)."""
    if not throttle_hit(sender):
        raise Throttled
    with transaction.atomic():
        return _create(data, channel=Channel.WEB, by=None)


@transaction.atomic
def complaint_create(
    *, by: User, data: ComplaintInput, channel: str, links: dict | None = None
) -> Complaint:
    """A complaint entered by staff (phone, SMS, walk-in, e-mail, letter) or a facilitator
    from a visit, in the user's area; optionally linked to the person, beneficiary, case,
    payment or provider it concerns (``links``: model field → object)."""
    require_perm(by, ADD)
    if channel not in Channel.values or channel == Channel.WEB:
        raise ValidationError({"channel": [_("Choose how the complaint came in.")]})
    if not scope_for(by).covers(data.area_code):
        raise PermissionDenied("complaint area outside the user's scope")
    allowed = {"person", "beneficiary", "case", "entitlement", "provider"}
    links = {k: v for k, v in (links or {}).items() if k in allowed and v is not None}
    return _create(data, channel=channel, by=by, links=links)


# --- handling -----------------------------------------------------------------------------


def _conflict(complaint: Complaint) -> ConflictError:
    return ConflictError(
        _(
            "Complaint %(code)s was changed by someone else since you opened it. Reload it: "
            "your input was not saved and nothing was overwritten."
        )
        % {"code": complaint.code}
    )


def _may_handle(by: User, complaint: Complaint) -> None:
    require_perm(by, HANDLE)
    if not scope_for(by).covers(complaint.area_id):
        raise PermissionDenied("complaint outside the user's scope")
    if complaint.restricted and not by.has_perm(VIEW_RESTRICTED):
        raise PermissionDenied("restricted complaint")


def _write(complaint: Complaint, expected_version: int, **values) -> Complaint:
    """One conditional UPDATE: only if nobody saved since ``expected_version``."""
    updated = Complaint.objects.filter(pk=complaint.pk, version=expected_version).update(
        **values, version=expected_version + 1
    )
    if updated != 1:
        raise _conflict(complaint)
    for field, value in values.items():
        setattr(complaint, field, value)
    complaint.version = expected_version + 1
    return complaint


def _open(complaint: Complaint) -> None:
    if complaint.status not in OPEN_STATUSES:
        raise ValidationError(_("This complaint is already resolved."))


def may_receive(user: User, complaint: Complaint) -> bool:
    """Whether ``user`` could handle ``complaint`` (role, area, restricted queue)."""
    return (
        user.is_active
        and user.has_perm(HANDLE)
        and scope_for(user).covers(complaint.area_id)
        and (not complaint.restricted or user.has_perm(VIEW_RESTRICTED))
    )


@transaction.atomic
def complaint_assign(
    *, by: User, complaint: Complaint, to: User, expected_version: int
) -> Complaint:
    _may_handle(by, complaint)
    _open(complaint)
    if not may_receive(to, complaint):
        raise ValidationError(
            {"assigned_to": [_("This person cannot handle complaints of this area or queue.")]}
        )
    status = Status.ASSIGNED if complaint.status == Status.RECEIVED else complaint.status
    _write(complaint, expected_version, assigned_to=to, status=status)
    _event(complaint, by, ComplaintEvent.Kind.ASSIGNED, to.get_full_name() or to.username)
    audit_record(action="update", actor=by, obj=complaint, detail={"assigned_to": to.pk})
    return complaint


@transaction.atomic
def complaint_start(*, by: User, complaint: Complaint, expected_version: int) -> Complaint:
    """The handler starts investigating."""
    _may_handle(by, complaint)
    _open(complaint)
    _write(
        complaint,
        expected_version,
        status=Status.INVESTIGATING,
        assigned_to=complaint.assigned_to or by,
    )
    _event(
        complaint,
        by,
        ComplaintEvent.Kind.STATUS,
        code="status",
        params={"status": Status.INVESTIGATING.value},
    )
    audit_record(action="update", actor=by, obj=complaint, detail={"status": "investigating"})
    return complaint


@transaction.atomic
def complaint_note(*, by: User, complaint: Complaint, text: str) -> ComplaintEvent:
    _may_handle(by, complaint)
    if not text.strip():
        raise ValidationError({"text": [_("Write the note.")]})
    event = _event(complaint, by, ComplaintEvent.Kind.NOTE, text.strip()[:4000])
    Complaint.objects.filter(pk=complaint.pk).update(version=F("version") + 1)
    audit_record(action="update", actor=by, obj=complaint, detail={"note": event.pk})
    return event


@transaction.atomic
def complaint_escalate(
    *, by: User, complaint: Complaint, reason: str, expected_version: int
) -> Complaint:
    """Send a complaint one level up by hand (a new due date at that level)."""
    _may_handle(by, complaint)
    _open(complaint)
    if complaint.level >= Level.MINISTRY:
        raise ValidationError(_("The complaint is already at the ministry."))
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the complaint goes up a level.")]})
    now = timezone.now()
    level = complaint.level + 1
    _write(
        complaint,
        expected_version,
        level=level,
        escalated_at=now,
        assigned_to=None,
        due_at=now + timedelta(days=sla_days(complaint.category, complaint.priority)),
    )
    _event(
        complaint,
        by,
        ComplaintEvent.Kind.ESCALATED,
        reason.strip(),
        code="escalated",
        params={"level": level},
    )
    audit_record(action="update", actor=by, obj=complaint, detail={"escalated_to": level})
    _notify(complaint, "complaint_escalated", {"level": Level(level).label})
    return complaint


@transaction.atomic
def complaint_resolve(
    *,
    by: User,
    complaint: Complaint,
    resolution: str,
    remedy: str = "",
    internal_notes: str = "",
    expected_version: int,
) -> Complaint:
    """Record the resolution (shown on the public status page: no personal data) and the
    remedy, and tell the complainant through the notifier."""
    _may_handle(by, complaint)
    _open(complaint)
    if len(resolution.strip()) < MIN_DESCRIPTION:
        raise ValidationError(
            {"resolution": [_("Write the resolution the complainant will read.")]}
        )
    _write(
        complaint,
        expected_version,
        status=Status.RESOLVED,
        resolution=resolution.strip()[:MAX_DESCRIPTION],
        remedy=remedy.strip()[:300],
        internal_notes=internal_notes.strip(),
        resolved_at=timezone.now(),
        resolved_by=by,
    )
    _event(complaint, by, ComplaintEvent.Kind.RESOLVED, complaint.resolution)
    audit_record(action="update", actor=by, obj=complaint, detail={"status": "resolved"})
    event_emit(kind="complaint.resolved", obj=complaint)
    _notify(
        complaint,
        "complaint_resolved",
        {"resolution": complaint.resolution, "rating_link": _status_link(complaint)},
    )
    return complaint


def _targets(complaint: Complaint) -> list[str]:
    return [t for t in (complaint.complainant_phone, complaint.complainant_email) if t]


def _status_link(complaint: Complaint) -> str:
    """The public status page: where the complainant follows the complaint and rates it."""
    path = reverse("complaints_public:status", args=[complaint.code])
    return f"{settings.PKSAI_SITE_URL}{path}"


def _contact_consent(
    complaint: Complaint, by: User | None, *, source: str = "", channel: str = ""
) -> None:
    """A complainant who leaves a phone or an e-mail asks to hear back about the complaint:
    that is their consent to be contacted there for it (decision 0033), recorded with the
    date, how (the public form or staff) and the language they used."""
    from pksai.messaging.models import ContactConsent, Purpose
    from pksai.messaging.services import channel_for, consent_give

    for target in _targets(complaint):
        try:
            with transaction.atomic():
                consent_give(
                    address=target,
                    channel=channel if channel and "@" not in target else channel_for(target),
                    purpose=Purpose.COMPLAINT,
                    source=source
                    or (ContactConsent.Source.STAFF if by else ContactConsent.Source.FORM),
                    by=by,
                    language=(get_language() or "id")[:2],
                )
        except ValueError:  # not a number or an address a message can reach
            continue


def _notify(complaint: Complaint, template: str, params: dict[str, object]) -> None:
    """Queue ``template`` to the complainant's phone and e-mail (if they left them) through
    the messaging service — sent by the worker after the transaction commits, only with their
    consent; the attempt is on the complaint's history. A message that cannot be queued never
    undoes the complaint's change (it is logged)."""
    from pksai.messaging.models import Purpose
    from pksai.messaging.services import consented_channel, message_send

    targets = _targets(complaint)
    if not targets:
        return
    _event(complaint, None, ComplaintEvent.Kind.NOTIFIED, ", ".join(_mask(t) for t in targets))
    for target in targets:
        try:
            with transaction.atomic():
                message_send(
                    to=target,
                    channel=consented_channel(address=target, purpose=Purpose.COMPLAINT),
                    template=template,
                    params={"code": complaint.code, **params},
                    area=complaint.area,
                    complaint=complaint,
                )
        except Exception:
            log.exception("complaint %s: message %s not queued", complaint.code, template)


def _mask(target: str) -> str:
    """``0812****7890`` / ``s***@example.org``: the history shows where, not the whole address."""
    if "@" in target:
        local, _at, domain = target.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{target[:4]}****{target[-4:]}"


@transaction.atomic
def escalate_overdue(*, now: datetime | None = None) -> int:
    """Every open complaint past its due date goes one level up (district → province →
    ministry) with a new due date from the SLA of its category and priority: one UPDATE per
    (category, priority) group and one INSERT of history rows. Complaints already at the
    ministry stay there (they show as overdue). Returns how many escalated."""
    now = now or timezone.now()
    overdue = Complaint.objects.filter(
        status__in=OPEN_STATUSES, due_at__lt=now, level__lt=Level.MINISTRY
    )
    # Rows another run (a second scheduler) holds are skipped, not escalated twice.
    ids = list(overdue.select_for_update(skip_locked=True).values_list("pk", "level"))
    if not ids:
        return 0
    locked = Complaint.objects.filter(pk__in=[pk for pk, _level in ids])
    groups = locked.values_list("category", "priority").distinct().order_by()
    for category, priority in list(groups):
        locked.filter(category=category, priority=priority).update(
            level=F("level") + 1,
            escalated_at=now,
            assigned_to=None,
            due_at=now + timedelta(days=sla_days(category, priority, now.date())),
            version=F("version") + 1,
        )
    ComplaintEvent.objects.bulk_create(
        ComplaintEvent(
            complaint_id=pk,
            kind=ComplaintEvent.Kind.ESCALATED,
            code="overdue_escalated",
            params={"level": level + 1},
        )
        for pk, level in ids
    )
    audit_record(
        action="update",
        object_type="grievances.complaint",
        detail={"escalated": [pk for pk, _level in ids], "at": now.isoformat()},
    )
    _notify_escalated([pk for pk, _level in ids])
    return len(ids)


def _notify_escalated(ids: list[int]) -> None:
    """The escalation message to every complainant who left a contact, queued in one bulk
    insert (their consent joined in sets, not looked up one by one)."""
    import polars as pl
    from django.utils import translation

    from pksai.messaging.models import Purpose
    from pksai.messaging.services import consent_join, messages_queue_bulk

    rows = []
    for pk, code, area, level, phone, email in Complaint.objects.filter(pk__in=ids).values_list(
        "pk", "code", "area_id", "level", "complainant_phone", "complainant_email"
    ):
        rows += [(pk, code, area, level, t) for t in (phone, email) if t]
    if not rows:
        return
    frame = pl.DataFrame(
        rows,
        schema={
            "complaint_id": pl.Int64,
            "code": pl.String,
            "area_id": pl.String,
            "level": pl.Int64,
            "to": pl.String,
        },
        orient="row",
    )
    frame = consent_join(frame, purpose=Purpose.COMPLAINT)  # on the channel they consented
    labels = []
    for language in ("id", "en"):
        with translation.override(language):
            labels += [(language, int(v), str(Level(v).label)) for v in Level.values]
    names = pl.DataFrame(
        labels, schema={"language": pl.String, "level": pl.Int64, "_label": pl.String}, orient="row"
    )
    frame = (
        frame.join(names, on=["language", "level"], how="left")
        .with_columns(pl.col("_label").fill_null("").alias("level"))
        .drop("_label")
    )
    ComplaintEvent.objects.bulk_create(
        ComplaintEvent(complaint_id=pk, kind=ComplaintEvent.Kind.NOTIFIED, text=_mask(to))
        for pk, to in frame.select("complaint_id", "to").iter_rows()
    )
    messages_queue_bulk(frame=frame, template="complaint_escalated")


# --- back to the complainant --------------------------------------------------------------


@dataclass(frozen=True)
class PublicStatus:
    """What the status page shows for a tracking code — nothing that identifies anyone."""

    code: str
    category: str
    status: str
    status_code: str
    level: str
    received: date
    resolved: date | None
    resolution: str
    remedy: str
    can_rate: bool
    rating: int | None


def public_status(code: str) -> PublicStatus | None:
    complaint = (
        Complaint.objects.filter(code=code.strip().upper())
        .only(
            "code",
            "category",
            "status",
            "level",
            "created_at",
            "resolved_at",
            "resolution",
            "remedy",
            "rating",
        )
        .first()
    )
    if complaint is None:
        return None
    return PublicStatus(
        code=complaint.code,
        category=complaint.get_category_display(),
        status=complaint.get_status_display(),
        status_code=complaint.status,
        level=complaint.get_level_display(),
        received=timezone.localdate(complaint.created_at),
        resolved=timezone.localdate(complaint.resolved_at) if complaint.resolved_at else None,
        resolution=complaint.resolution,
        remedy=complaint.remedy,
        can_rate=complaint.status == Status.RESOLVED and complaint.rating is None,
        rating=complaint.rating,
    )


@transaction.atomic
def complaint_rate(*, code: str, rating: int, comment: str = "") -> Complaint:
    """The complainant rates the resolution (1–5), once; the complaint is then closed."""
    if rating not in range(1, 6):
        raise ValidationError({"rating": [_("Choose from 1 (very poor) to 5 (very good).")]})
    updated = Complaint.objects.filter(
        Q(code=code.strip().upper()), status=Status.RESOLVED, rating__isnull=True
    ).update(
        rating=rating,
        rating_comment=comment.strip()[:500],
        rated_at=timezone.now(),
        status=Status.CLOSED,
        version=F("version") + 1,
    )
    if updated != 1:
        raise ValidationError(_("This complaint cannot be rated (not resolved, or rated already)."))
    complaint = Complaint.objects.get(code=code.strip().upper())
    _event(complaint, None, ComplaintEvent.Kind.RATED, str(rating))
    audit_record(action="update", obj=complaint, detail={"rating": rating})
    return complaint
