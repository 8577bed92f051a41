"""The retention job and legal holds — access, check, do; every change audited.

``retention_run`` anonymises, kind by kind, the records whose retention period (the rule in
force, ``RetentionRule``) has ended and that no legal hold keeps: in chunks of ids, each chunk
one transaction that locks its rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite
serialises writers), writes them into the ledger and blanks them with one UPDATE per table.
A second run at the same time skips the rows the first holds and, once it commits, no longer
finds them due: the job is idempotent and several schedulers may run it. Files (attachments,
nominee photos) are removed from the shared storage after the commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pksai.accounts.scoping import require_perm, scope_for
from pksai.areas.models import Area
from pksai.audit.services import audit_record
from pksai.cases.models import Case
from pksai.core import files
from pksai.retention.kinds import (
    ATTACHMENTS,
    SPECS,
    Holds,
    KindSpec,
    case_children,
    cases_held,
    ledger_label,
    not_anonymised,
    person_held,
    record_people,
)
from pksai.retention.kinds import anonymise_people as _anonymise_people
from pksai.retention.models import (
    AnonymisedRecord,
    Kind,
    LegalHold,
    RetentionClock,
    RetentionRule,
    RetentionRun,
)

logger = logging.getLogger(__name__)

CHUNK = 2000  # records per transaction
ADD_HOLD = "retention.add_legalhold"
CHANGE_HOLD = "retention.change_legalhold"


# --- the schedule ----------------------------------------------------------------------------


def rules_in_force(*, on: date | None = None) -> dict[str, RetentionRule]:
    """The rule of each kind valid on ``on`` (today): the latest ``valid_from`` not after it."""
    on = on or timezone.localdate()
    found: dict[str, RetentionRule] = {}
    for rule in RetentionRule.objects.filter(valid_from__lte=on).order_by("kind", "-valid_from"):
        found.setdefault(rule.kind, rule)
    return found


def cutoff_for(rule: RetentionRule, now: datetime) -> datetime:
    """Records whose clock started before this instant are due."""
    return now - relativedelta(months=rule.months)


def active_holds() -> Holds:
    """What the active holds keep. A hold on a person keeps every registry row of the same
    human (their identity); a hold on a complaint keeps the intake report it became."""
    from pksai.grievances.models import Complaint
    from pksai.registry.models import Person

    holds = Holds()
    person_ids: set[int] = set()
    for target, case_id, person_id, complaint_id, area_id in LegalHold.objects.filter(
        released_at__isnull=True
    ).values_list("target", "case_id", "person_id", "complaint_id", "area_id"):
        match target:
            case LegalHold.Target.CASE:
                holds.case_ids.add(case_id)
            case LegalHold.Target.PERSON:
                person_ids.add(person_id)
            case LegalHold.Target.COMPLAINT:
                holds.complaint_ids.add(complaint_id)
            case _:
                holds.area_codes.add(area_id)
    if person_ids:
        identities = Person.objects.filter(pk__in=person_ids, identity__isnull=False).values(
            "identity_id"
        )
        holds.person_ids = person_ids | set(
            Person.objects.filter(identity__in=identities).values_list("pk", flat=True)
        )
    if holds.complaint_ids:
        holds.intake_ids = set(
            Complaint.objects.filter(
                pk__in=holds.complaint_ids, intake_report__isnull=False
            ).values_list("intake_report_id", flat=True)
        )
    return holds


@dataclass(frozen=True)
class Due:
    kind: str
    label: str
    rule: RetentionRule | None
    cutoff: datetime | None
    due: int  # would be anonymised now
    held: int  # ended, but a legal hold keeps them


def retention_due(*, user=None, now: datetime | None = None) -> list[Due]:
    """Per kind: the rule in force, the cutoff, how many records are due and how many a hold
    keeps — in ``user``'s area scope (everything when None: the command line). Counts only."""
    now = now or timezone.now()
    rules = rules_in_force(on=timezone.localdate(now))
    holds = active_holds()
    rows = []
    for kind in Kind:
        spec = SPECS[kind]
        rule = rules.get(kind)
        if rule is None or rule.action != RetentionRule.Action.ANONYMISE:
            rows.append(Due(kind, str(kind.label), rule, None, 0, 0))
            continue
        cutoff = cutoff_for(rule, now)
        pending = spec.pending(cutoff)
        if user is not None:
            pending = pending.filter(scope_for(user).q(spec.area_field))
        held = pending.filter(spec.held(holds))
        rows.append(
            Due(
                kind,
                str(kind.label),
                rule,
                cutoff,
                pending.exclude(spec.held(holds)).count(),
                held.count(),
            )
        )
    return rows


# --- the job ---------------------------------------------------------------------------------


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            files.delete(ATTACHMENTS, name)
        except OSError:  # a storage hiccup must not undo the anonymisation; retried never
            logger.warning("retention: could not remove %s", name, exc_info=True)


def _anonymise_kind(spec: KindSpec, *, cutoff: datetime, holds: Holds, run, now, chunk) -> int:
    done = 0
    today = timezone.localdate(now)
    while True:
        with transaction.atomic():
            locked = list(
                spec.pending(cutoff)
                .exclude(spec.held(holds))
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("pk")
                .values_list("pk", flat=True)[:chunk]
            )
            if not locked:
                return done
            # Asked again now that the rows are ours: a run that held them while this
            # statement started has committed them into the ledger, which the first statement's
            # snapshot could not see (PostgreSQL re-checks a locked row, not a subquery).
            ids = list(
                spec.model.objects.filter(pk__in=locked)
                .filter(not_anonymised(spec.model, since=spec.since))
                .values_list("pk", flat=True)
            )
            if not ids:
                continue
            AnonymisedRecord.objects.bulk_create(
                [
                    AnonymisedRecord(kind=ledger_label(spec.model), object_id=i, run=run, at=now)
                    for i in ids
                ],
                update_conflicts=True,
                unique_fields=["kind", "object_id"],
                update_fields=["run", "at"],
            )
            removed = spec.anonymise(ids, now)
            if spec.kind == Kind.CASE_CLOSED:
                # children recorded at intake, once nothing else needs their row
                children = case_children(ids, today, holds)
                if children:
                    record_people(children, run, now)
                    _anonymise_people(children, now)
            if removed:
                transaction.on_commit(partial(_delete_files, removed))
        done += len(ids)


def retention_run(
    *, trigger: str, by=None, now: datetime | None = None, chunk: int = CHUNK
) -> RetentionRun:
    """Anonymise every record whose retention period has ended and that no legal hold keeps;
    record the run (counts per kind, and the due records holds kept) and audit it."""
    now = now or timezone.now()
    run = RetentionRun.objects.create(trigger=trigger, by=by)
    rules = rules_in_force(on=timezone.localdate(now))
    holds = active_holds()
    counts: dict[str, int] = {}
    held: dict[str, int] = {}
    used: dict[str, list] = {}
    for kind in Kind:
        rule = rules.get(kind)
        if rule is None or rule.action != RetentionRule.Action.ANONYMISE:
            continue
        spec = SPECS[kind]
        cutoff = cutoff_for(rule, now)
        used[kind] = [rule.pk, rule.months, cutoff.isoformat()]
        held[kind] = spec.pending(cutoff).filter(spec.held(holds)).count()
        counts[kind] = _anonymise_kind(
            spec, cutoff=cutoff, holds=holds, run=run, now=now, chunk=chunk
        )
    with transaction.atomic():
        RetentionRun.objects.filter(pk=run.pk).update(
            finished_at=timezone.now(), counts=counts, held=held, rules=used
        )
        run.refresh_from_db()
        audit_record(
            action="update",
            actor=by,
            obj=run,
            detail={"anonymised": counts, "held": held, "rules": used, "trigger": trigger},
        )
    return run


def retention_erase(*, by, person, reference: str = "") -> RetentionRun:
    """A granted deletion request (UU PDP): anonymise now, whatever the schedule, every registry
    row of the person (all sources: the same identity) and every ended case about them — the
    same blanking the schedule applies, so aggregate counts stay. Refused while a legal hold
    keeps any of them, while a case about them is still open, or while they receive a benefit
    (those records are still needed). Recorded as a run started by a request, and audited."""
    from pksai.cases.workflow import OPEN_STAGES
    from pksai.programs.models import Beneficiary
    from pksai.registry.models import Person

    rows = (
        Person.objects.filter(identity_id=person.identity_id)
        if person.identity_id
        else Person.objects.filter(pk=person.pk)
    )
    people = list(rows.values_list("pk", flat=True))
    cases = Case.objects.filter(child_id__in=people)
    holds = active_holds()
    if rows.filter(person_held(holds)).exists() or cases.filter(cases_held(holds)).exists():
        raise ValidationError(
            _("A legal hold keeps this person's records: release it first, or refuse the request.")
        )
    if cases.filter(stage__in=OPEN_STAGES).exists():
        raise ValidationError(_("A case about this person is still open."))
    if Beneficiary.objects.filter(person_id__in=people, status="active").exists():
        raise ValidationError(
            _("This person still receives a benefit: end the enrolment before deleting.")
        )
    now = timezone.now()
    run = RetentionRun.objects.create(trigger=RetentionRun.Trigger.REQUEST, by=by)
    counts: dict[str, int] = {}
    removed: list[str] = []
    for kind, model, ids, blank in (
        (
            Kind.CASE_CLOSED,
            Case,
            list(cases.values_list("pk", flat=True)),
            SPECS[Kind.CASE_CLOSED].anonymise,
        ),
        (Kind.REGISTRY_RETIRED, Person, people, _anonymise_people),
    ):
        if not ids:
            continue
        AnonymisedRecord.objects.bulk_create(
            [AnonymisedRecord(kind=ledger_label(model), object_id=i, run=run, at=now) for i in ids],
            update_conflicts=True,
            unique_fields=["kind", "object_id"],
            update_fields=["run", "at"],
        )
        removed += blank(ids, now) or []
        counts[kind] = len(ids)
    RetentionRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), counts=counts)
    run.refresh_from_db()
    audit_record(
        action="update",
        actor=by,
        obj=run,
        detail={"anonymised": counts, "trigger": "request", "reference": reference},
    )
    if removed:
        transaction.on_commit(partial(_delete_files, removed))
    return run


def retention_claim(*, now: datetime | None = None) -> bool:
    """True for the one scheduler that claims the next run (one conditional UPDATE: of
    several schedulers, exactly one sees its row change); the clock then moves on
    ``PKSAI_RETENTION_EVERY_HOURS``. 0 hours: never scheduled."""
    hours = settings.RETENTION_EVERY_HOURS
    if hours <= 0:
        return False
    now = now or timezone.now()
    RetentionClock.objects.get_or_create(pk=1, defaults={"next_at": now})
    claimed = RetentionClock.objects.filter(pk=1, next_at__lte=now).update(
        next_at=now + timedelta(hours=hours)
    )
    return claimed == 1


def retention_schedule(*, now: datetime | None = None) -> bool:
    """The scheduler's part: when the clock is due, hand a run to the worker. True if one
    was queued."""
    if not retention_claim(now=now):
        return False
    from pksai.retention.tasks import run_retention

    transaction.on_commit(
        partial(run_retention.enqueue, trigger=RetentionRun.Trigger.SCHEDULER.value)
    )
    return True


# --- legal holds -------------------------------------------------------------------------------


@transaction.atomic
def legal_hold_place(
    *,
    by,
    target: str,
    reason: str,
    case=None,
    person=None,
    complaint=None,
    area_code: str = "",
) -> LegalHold:
    """Hold a case, a person, a complaint or an area in ``by``'s scope: its records are not
    anonymised until the hold is released. The caller found the record through the user's
    scope; this checks it again."""
    require_perm(by, ADD_HOLD)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the records must be kept.")]})
    area = {
        LegalHold.Target.CASE: getattr(case, "area_id", None),
        LegalHold.Target.PERSON: getattr(person, "village_id", None),
        LegalHold.Target.COMPLAINT: getattr(complaint, "area_id", None),
        LegalHold.Target.AREA: area_code or None,
    }.get(target)
    if area is None or not Area.objects.filter(code=area).exists():
        raise ValidationError(_("Choose what to hold."))
    if not scope_for(by).covers(area):
        raise PermissionDenied("hold outside the user's area scope")
    hold = LegalHold.objects.create(
        target=target,
        case=case if target == LegalHold.Target.CASE else None,
        person=person if target == LegalHold.Target.PERSON else None,
        complaint=complaint if target == LegalHold.Target.COMPLAINT else None,
        area_id=area,
        reason=reason,
        created_by=by,
    )
    audit_record(
        action="create",
        actor=by,
        obj=hold,
        detail={"target": target, "held": hold.target_label, "area": area},
    )
    return hold


@transaction.atomic
def legal_hold_release(*, by, hold: LegalHold, reason: str) -> LegalHold:
    """Release an active hold (its records become due again at the next run). Two releases
    at once: the second finds it released (one conditional UPDATE)."""
    require_perm(by, CHANGE_HOLD)
    if not scope_for(by).covers(hold.area_id):
        raise PermissionDenied("hold outside the user's area scope")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the hold ends.")]})
    now = timezone.now()
    released = LegalHold.objects.filter(pk=hold.pk, released_at__isnull=True).update(
        released_at=now, released_by=by, release_reason=reason
    )
    if released != 1:
        raise ValidationError(_("This hold was already released."))
    hold.refresh_from_db()
    audit_record(
        action="update",
        actor=by,
        obj=hold,
        detail={"released": True, "reason": reason, "held": hold.target_label},
    )
    return hold
