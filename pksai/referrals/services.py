"""Referrals and transfers, their lifecycle, overdue escalation and client satisfaction.

Every write checks who may make it, the lifecycle table (workflow.MOVES) and the version the
user loaded (optimistic locking), then writes the change, the referral's own history, a copy
on the case timeline and the audit row in one transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pksai.accounts.models import Organisation, User
from pksai.accounts.scoping import require_perm, scope_for
from pksai.areas.models import Area
from pksai.audit.services import audit_record
from pksai.cases.alerts import alerts_raise, resolve_alerts, send_mails
from pksai.cases.models import Alert, Case, CaseEvent, PlanAction
from pksai.cases.services import ConflictError, compare_and_set
from pksai.cases.workflow import OPEN_STAGES
from pksai.privacy import services as privacy
from pksai.privacy.models import Consent
from pksai.referrals.models import (
    Referral,
    ReferralCounter,
    ReferralEvent,
    ReferralSla,
    Satisfaction,
    Service,
    Status,
    Urgency,
)
from pksai.referrals.selectors import is_focal_person, overdue_q, sees_case
from pksai.referrals.workflow import AWAITING_ANSWER, IN_HAND, MOVES, PROVIDER
from pksai.webhooks.services import event_emit

SEND = "referrals.add_referral"
CHANGE = "referrals.change_referral"
RESPOND = "referrals.respond_referral"

# What a worker may choose to share with the receiving organisation (minimum necessary).
SHAREABLE: dict[str, object] = {
    "name": gettext_lazy("child's name"),
    "sex": gettext_lazy("sex"),
    "birth_date": gettext_lazy("birth date"),
    "nik": gettext_lazy("NIK"),
    "kk_number": gettext_lazy("family card number"),
    "address": gettext_lazy("address"),
    "guardians": gettext_lazy("parents or guardians (names, phones)"),
    "concerns": gettext_lazy("child-protection concerns"),
}
DEFAULT_SHARE = ("name", "sex", "birth_date")
DEFAULT_SLA = {  # used only if an official deleted the row for an urgency
    Urgency.EMERGENCY: (4, 1),
    Urgency.URGENT: (24, 7),
    Urgency.ROUTINE: (72, 30),
}


def _sla(urgency: str) -> tuple[int, int]:
    row = ReferralSla.objects.filter(urgency=urgency).first()
    return (row.respond_hours, row.deliver_days) if row else DEFAULT_SLA[urgency]


def shared_snapshot(case: Case, share: list[str] | tuple[str, ...]) -> dict:
    """The chosen fields, copied as they are now: the receiver sees this and nothing else."""
    unknown = set(share) - SHAREABLE.keys()
    if unknown:
        raise ValidationError(_("Unknown information to share: %s") % ", ".join(sorted(unknown)))
    child = case.child
    household = child.household
    values: dict[str, object] = {
        "name": child.name,
        "sex": child.get_sex_display(),
        "birth_date": child.birth_date.isoformat(),
        "nik": child.nik,
        "kk_number": household.kk_number,
        "address": ", ".join(
            p for p in (household.address, f"{child.village.name} ({child.village_id})") if p
        ),
        "guardians": "; ".join(
            f"{g.name} ({g.relation}{', ' + g.phone if g.phone else ''})"
            for g in case.guardians.all()
        ),
        "concerns": ", ".join(str(c.get_category_display()) for c in case.concerns.all()),
    }
    return {key: values[key] for key in SHAREABLE if key in share}


def _number(case: Case) -> str:
    """RUJ-<regency>-<year>-<sequence>, counted per regency and year under a row lock."""
    year = timezone.localdate().year
    counter, _created = ReferralCounter.objects.select_for_update().get_or_create(
        regency_id=case.regency_id, year=year
    )
    ReferralCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    counter.refresh_from_db(fields=["last"])
    return f"RUJ-{case.regency_id.replace('.', '')}-{year}-{counter.last:06d}"


def _history(referral: Referral, by: User | None, text: str = "", on_behalf: bool = False) -> None:
    """The referral's own history (what the provider sees) and its copy on the case timeline
    (rendered in the reader's language from a code: cases/messages.py "referral_update")."""
    ReferralEvent.objects.create(
        referral=referral, actor=by, status=referral.status, text=text, on_behalf=on_behalf
    )
    CaseEvent.objects.create(
        case_id=referral.case_id,
        actor=by,
        kind=f"referral_{referral.status}",
        code="referral_update",
        params={
            "referral": referral.pk,
            "number": referral.number,
            "organisation": str(referral.to_organisation),
            "service": (
                {"id": referral.service.name_id, "en": referral.service.name_en}
                if referral.service_id
                else ""
            ),
            "on_behalf": on_behalf,
        },
        text=text,
    )


def _ref(referral: Referral) -> str:
    """What an alert about this referral is keyed by (with its case and code)."""
    return f"referral:{referral.pk}"


# Referral alerts stay open while the referral's status is one of these; then they are done.
LIVE_WHILE = {
    "referral_overdue_answer": AWAITING_ANSWER,
    "referral_overdue_service": IN_HAND,
    "referral_declined": frozenset({Status.DECLINED}),
    "referral_delivered": frozenset({Status.DELIVERED}),
}


def _resolve_referral_alerts(referral: Referral) -> None:
    done = [code for code, statuses in LIVE_WHILE.items() if referral.status not in statuses]
    resolve_alerts(case=referral.case, codes=done, ref=_ref(referral))


def _mail_on_commit(users, subject: str, body: str) -> None:
    """One e-mail per user with an address, once the transaction lands."""
    messages = [(subject, body, email) for email in sorted({u.email for u in users if u.email})]
    if messages:
        transaction.on_commit(lambda: send_mails(messages))


def _focal_persons(organisation: Organisation):
    return User.objects.filter(
        organisation=organisation, groups__name="focal_person", is_active=True
    ).distinct()


def _message_focal_persons(organisation: Organisation, referral: Referral, template: str) -> None:
    """A message to the organisation's focal persons who chose to receive their work by
    message (WhatsApp, SMS; ``pksai.messaging`` consent for work)."""
    from django.conf import settings
    from django.urls import reverse

    from pksai.messaging.services import users_notify

    link = f"{settings.PKSAI_SITE_URL}{reverse('referrals:detail', args=[referral.pk])}"
    service = str(referral.service) if referral.service_id else ""
    users_notify(
        rows=[
            {"user_id": pk, "service": service, "link": link, "referral_id": referral.pk}
            for pk in _focal_persons(organisation).values_list("pk", flat=True)
        ],
        template=template,
    )


def _lock_case(case: Case) -> Case:
    return Case.objects.select_for_update(of=("self",)).select_related("child").get(pk=case.pk)


@transaction.atomic
def referral_send(
    *,
    by: User,
    case: Case,
    organisation: Organisation,
    service: Service | None,
    urgency: str,
    reason: str,
    share: list[str] | tuple[str, ...] = DEFAULT_SHARE,
    plan_action: PlanAction | None = None,
    due_date: date | None = None,
) -> Referral:
    """Refer the child of ``case`` (which the caller fetched through the user's scope) to a
    service provider, usually from a plan action of kind "referral". Identifying information
    is shared only with an active consent for referrals or a recorded legal ground
    (privacy.services.sharing_basis_require: BasisMissing otherwise); the referral records
    which (its Disclosure, shown to the receiver)."""
    require_perm(by, SEND)
    case = _lock_case(case)
    if case.stage not in OPEN_STAGES:
        raise ValidationError(_("Referrals are made while the case is open."))
    if not hasattr(organisation, "provider") or not organisation.is_active:
        raise ValidationError(_("Choose an active service provider from the directory."))
    if service is None:
        raise ValidationError(_("Choose the service the child needs."))
    if plan_action is not None and plan_action.case_id != case.pk:
        raise ValidationError(_("That plan action belongs to another case."))
    if not reason.strip():
        raise ValidationError(_("Say why the child is referred."))
    respond_hours, deliver_days = _sla(urgency)
    now = timezone.now()
    if due_date is not None and due_date < timezone.localdate():
        raise ValidationError(_("The service due date cannot be in the past."))
    basis = privacy.sharing_basis_require(
        case=case, purpose=privacy.REFERRAL, organisation=organisation, share=share
    )
    referral = Referral.objects.create(
        number=_number(case),
        kind=Referral.Kind.REFERRAL,
        case=case,
        plan_action=plan_action,
        area_id=case.area_id,
        to_organisation=organisation,
        service=service,
        urgency=urgency,
        reason=reason.strip(),
        shared=shared_snapshot(case, share),
        consent=isinstance(basis, Consent),
        due_date=due_date or timezone.localdate() + timedelta(days=deliver_days),
        respond_by=now + timedelta(hours=respond_hours),
        sent_by=by,
    )
    privacy.disclosure_record(referral=referral, basis=basis, by=by, share=list(share))
    _history(referral, by, referral.reason)
    _plan_action_follows(referral, by)
    audit_record(
        action="create",
        actor=by,
        obj=referral,
        detail={
            "case": case.number,
            "to": organisation.name,
            "shared": sorted(referral.shared),
            "basis": _basis_label(basis),
        },
    )
    event_emit(kind="referral.sent", obj=referral)
    _message_focal_persons(organisation, referral, "referral_new")
    _mail_on_commit(
        _focal_persons(organisation),
        _("PKSAI: new referral %(n)s") % {"n": referral.number},
        _("A new %(urgency)s referral for %(service)s is waiting for your answer.")
        % {"urgency": referral.get_urgency_display(), "service": service},
    )
    return referral


@transaction.atomic
def transfer_send(
    *,
    by: User,
    case: Case,
    organisation: Organisation,
    urgency: str,
    reason: str,
    share: list[str] | tuple[str, ...] = DEFAULT_SHARE,
) -> Referral:
    """Offer the whole case to another district's secretariat (the family moved, say). Needs
    an active consent for transfers in the consent ledger, or a recorded legal ground: the
    whole case goes to the receiver once they accept."""
    require_perm(by, "cases.approve_case")
    require_perm(by, SEND)
    case = _lock_case(case)
    if case.stage not in OPEN_STAGES:
        raise ValidationError(_("Only an open case can be transferred."))
    if organisation.kind != Organisation.Kind.SECRETARIAT or not organisation.is_active:
        raise ValidationError(_("A case is transferred to a district PKSAI secretariat."))
    if scope_for(by).covers(organisation.area_id) and case.area_id.startswith(organisation.area_id):
        raise ValidationError(_("That secretariat already holds this case's area."))
    if not reason.strip():
        raise ValidationError(_("Say why the case is transferred."))
    if case.referrals.filter(kind=Referral.Kind.TRANSFER, status__in=AWAITING_ANSWER).exists():
        raise ValidationError(_("A transfer of this case is already waiting for an answer."))
    basis = privacy.sharing_basis_require(
        case=case, purpose=privacy.TRANSFER, organisation=organisation, share=None
    )
    respond_hours, _days = _sla(urgency)
    referral = Referral.objects.create(
        number=_number(case),
        kind=Referral.Kind.TRANSFER,
        case=case,
        area_id=case.area_id,
        to_organisation=organisation,
        urgency=urgency,
        reason=reason.strip(),
        shared=shared_snapshot(case, share),
        consent=isinstance(basis, Consent),
        due_date=timezone.localdate() + timedelta(days=max(1, respond_hours // 24)),
        respond_by=timezone.now() + timedelta(hours=respond_hours),
        sent_by=by,
    )
    privacy.disclosure_record(referral=referral, basis=basis, by=by, share=None)
    _history(referral, by, referral.reason)
    audit_record(
        action="create",
        actor=by,
        obj=referral,
        detail={
            "case": case.number,
            "transfer_to": organisation.name,
            "basis": _basis_label(basis),
        },
    )
    event_emit(kind="referral.sent", obj=referral)
    return referral


def _basis_label(basis) -> str:
    """What the audit row says a disclosure rested on."""
    if basis is None:
        return "nothing identifying"
    if isinstance(basis, Consent):
        return f"consent:{basis.pk}"
    return f"legal_ground:{basis.pk}:{basis.basis}"


def _plan_action_follows(referral: Referral, by: User) -> None:
    """The plan action a referral came from shows its progress."""
    action = referral.plan_action
    if action is None:
        return
    status = {
        Status.SENT: PlanAction.Status.IN_PROGRESS,
        Status.ACCEPTED: PlanAction.Status.IN_PROGRESS,
        Status.DELIVERED: PlanAction.Status.DONE,
        Status.DECLINED: PlanAction.Status.PLANNED,
        Status.CANCELLED: PlanAction.Status.PLANNED,
    }.get(referral.status)
    if status and action.status != status and action.status != PlanAction.Status.CANCELLED:
        PlanAction.objects.filter(pk=action.pk).update(status=status, version=F("version") + 1)


def may_answer(user: User, referral: Referral) -> bool:
    """The provider's side: a focal person of the addressed organisation; for a transfer, a
    supervisor or coordinator of the receiving district; or case staff recording a provider's
    answer on its behalf (a provider without users on the system)."""
    if referral.kind == Referral.Kind.TRANSFER:
        return (
            user.has_perm("cases.approve_case")
            and scope_for(user).covers(referral.to_organisation.area_id)
            and not scope_for(user).covers(referral.area_id)
        )
    if user.has_perm(RESPOND) and user.organisation_id == referral.to_organisation_id:
        return True
    return _case_staff(user, referral)


def _case_staff(user: User, referral: Referral) -> bool:
    """Staff who may change referrals and open this referral's case."""
    return not is_focal_person(user) and user.has_perm(CHANGE) and sees_case(user, referral)


def moves_for(user: User, referral: Referral) -> list:
    """The moves this user may make on this referral now (pages and API offer exactly these)."""
    found = []
    for move in MOVES.values():
        if referral.status not in move.source:
            continue
        if referral.kind == Referral.Kind.TRANSFER and move.name in {"start", "deliver", "close"}:
            continue
        allowed = (
            may_answer(user, referral) if move.side == PROVIDER else _case_staff(user, referral)
        )
        if allowed:
            found.append(move)
    return found


@dataclass
class Answer:
    reason: str = ""
    delivered_on: date | None = None
    provided: str = ""
    outcome: str = ""
    owner: User | None = None  # for an accepted transfer: the receiving social worker
    # a birth-certificate service delivered: the certificate's number and date (decision 0039)
    certificate_number: str = ""
    certificate_date: date | None = None


BIRTH_CERTIFICATE = "birth_certificate"  # the Service code of the birth-certificate service


def is_birth_certificate(referral: Referral) -> bool:
    return referral.service is not None and referral.service.code == BIRTH_CERTIFICATE


# The moves an outbound webhook reports (pksai.webhooks, decision 0035).
MOVE_EVENTS = {
    "accept": "referral.answered",
    "decline": "referral.answered",
    "deliver": "referral.delivered",
}


def referral_move(
    *, referral: Referral, by: User, name: str, expected_version: int, answer: Answer | None = None
) -> Referral:
    """Make one lifecycle move. The caller fetched ``referral`` through the user's scope."""
    answer = answer or Answer()
    move = MOVES.get(name)
    if move is None:
        raise ValidationError(f"unknown move {name!r}")
    with transaction.atomic():
        locked = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("to_organisation", "case", "plan_action", "service")
            .get(pk=referral.pk)
        )
        if locked.version != expected_version:
            raise ConflictError(
                _(
                    "Someone else updated referral %(n)s since you opened it; nothing was "
                    "saved. Reload the page to see their change."
                )
                % {"n": locked.number}
            )
        if move not in moves_for(by, locked):
            if locked.status not in move.source:
                raise ValidationError(
                    _("This referral is %(status)s: that step is not possible now.")
                    % {"status": locked.get_status_display()}
                )
            raise PermissionDenied(f"may not {name} referral {locked.number}")
        now = timezone.now()
        text = ""
        fields = ["status", "updated_at"]
        if "reason" in move.needs and not answer.reason.strip():
            raise ValidationError(_("Give a reason."))
        match name:
            case "acknowledge":
                locked.acknowledged_at = now
                fields.append("acknowledged_at")
            case "accept" | "decline":
                locked.responded_at, locked.responded_by = now, by
                fields += ["responded_at", "responded_by"]
                if locked.acknowledged_at is None:
                    locked.acknowledged_at = now
                    fields.append("acknowledged_at")
                if name == "decline":
                    locked.decline_reason = text = answer.reason.strip()
                    fields.append("decline_reason")
            case "start":
                locked.service_started_at = now
                fields.append("service_started_at")
            case "deliver":
                if answer.delivered_on is None or not answer.provided.strip():
                    raise ValidationError(_("Give the date and what was provided."))
                if answer.delivered_on > timezone.localdate():
                    raise ValidationError(_("The delivery date cannot be in the future."))
                if answer.delivered_on < timezone.localtime(locked.sent_at).date():
                    raise ValidationError(_("The delivery date is before the referral was sent."))
                if answer.certificate_number.strip() or answer.certificate_date:
                    if not is_birth_certificate(locked):
                        raise ValidationError(
                            _("A certificate number is recorded for a birth certificate only.")
                        )
                    if answer.certificate_date is None or not answer.certificate_number.strip():
                        raise ValidationError(
                            _("Give the birth certificate's number and date of issue.")
                        )
                    if answer.certificate_date > timezone.localdate():
                        raise ValidationError(
                            _("The birth certificate's date cannot be in the future.")
                        )
                locked.delivered_on = answer.delivered_on
                locked.provided = answer.provided.strip()
                locked.outcome = answer.outcome.strip()
                fields += ["delivered_on", "provided", "outcome"]
                text = locked.provided + (f" — {locked.outcome}" if locked.outcome else "")
                if locked.service_started_at is None:
                    locked.service_started_at = now
                    fields.append("service_started_at")
            case "close":
                locked.closed_at = now
                fields.append("closed_at")
            case "cancel":
                locked.cancel_reason = text = answer.reason.strip()
                fields.append("cancel_reason")
        locked.status = move.target
        locked.updated_at = now
        if not compare_and_set(locked, fields, expected_version):
            raise ConflictError(_("Someone else updated this referral; nothing was saved."))
        on_behalf = move.side == PROVIDER and by.organisation_id != locked.to_organisation_id
        _history(locked, by, text, on_behalf=on_behalf and locked.kind == Referral.Kind.REFERRAL)
        _plan_action_follows(locked, by)
        _resolve_referral_alerts(locked)
        if locked.kind == Referral.Kind.TRANSFER and name == "accept":
            _complete_transfer(locked, by, answer.owner)
        if name == "deliver" and is_birth_certificate(locked):
            from pksai.dci.models import BirthRegistration
            from pksai.dci.services import birth_registration_record

            birth_registration_record(
                person=locked.case.child,
                source=BirthRegistration.Source.REFERRAL,
                outcome=BirthRegistration.Outcome.FOUND,
                by=by,
                certificate_number=answer.certificate_number,
                registered_on=answer.certificate_date,
                referral=locked,
            )
        if name in {"decline", "deliver"}:
            _tell_worker(locked)
        if locked.status == Status.DELIVERED and locked.kind == Referral.Kind.REFERRAL:
            _satisfaction_to_family(locked, by)
        audit_record(
            action="update",
            actor=by,
            obj=locked,
            detail={"move": name, "status": locked.status, "case": locked.case.number},
        )
        if name in MOVE_EVENTS:
            event_emit(kind=MOVE_EVENTS[name], obj=locked)
    return locked


def _satisfaction_to_family(referral: Referral, by: User) -> None:
    """After a service is delivered, the family gets the one-time satisfaction link by
    message — when a guardian's phone is on the case and they agreed to be contacted about
    referrals (``pksai.messaging`` consent, purpose ``referral``). No consent, no link."""
    import polars as pl
    from django.conf import settings
    from django.urls import reverse

    from pksai.messaging.models import Purpose
    from pksai.messaging.services import consent_join, messages_queue_bulk

    phones = [p for p in referral.case.guardians.values_list("phone", flat=True) if p]
    if not phones:
        return
    frame = consent_join(pl.DataFrame({"to": phones}), purpose=Purpose.REFERRAL)
    frame = frame.filter(pl.col("consent") == "ok").unique("to")
    if frame.is_empty():
        return
    _record, token = _satisfaction_link_create(by=by, case=referral.case, referral=referral)
    link = f"{settings.PKSAI_SITE_URL}{reverse('referrals:satisfaction_public', args=[token])}"
    messages_queue_bulk(
        frame=frame.with_columns(
            pl.lit(str(referral.to_organisation)).alias("provider"),
            pl.lit(link).alias("link"),
            pl.lit(referral.pk).alias("referral_id"),
            pl.lit(referral.case_id).alias("case_id"),
            pl.lit(referral.case.area_id).alias("area_id"),
        ),
        template="referral_satisfaction",
    )


def _complete_transfer(referral: Referral, by: User, owner: User | None) -> None:
    """The receiving secretariat takes the case: its area, a new owner and supervisor there.
    History, records and follow-ups travel with it; the sending team no longer sees it."""
    area = referral.to_organisation.area
    try:  # the consent may have been withdrawn since the offer: the case does not move then
        privacy.sharing_basis_require(
            case=referral.case,
            purpose=privacy.TRANSFER,
            organisation=referral.to_organisation,
            share=None,
        )
    except privacy.BasisMissing:
        raise ValidationError(
            _(
                "The consent for this transfer was withdrawn after it was sent: the case cannot "
                "move. The sending team must record a new consent or a legal ground first."
            )
        ) from None
    if owner is None or not owner.has_perm("cases.change_case"):
        raise ValidationError(_("Choose the social worker who takes the case."))
    if not scope_for(owner).covers(area.code):
        raise ValidationError(_("The new owner does not work in the receiving district."))
    case = Case.objects.select_for_update(of=("self",)).get(pk=referral.case_id)
    previous = case.area_id
    regency = Area.objects.get(code=".".join(area.code.split(".")[:2]))
    Case.objects.filter(pk=case.pk).update(
        area=area,
        regency=regency,
        owner=owner,
        supervisor=by,
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    Referral.objects.filter(case=case).update(area=area)
    Satisfaction.objects.filter(case=case).update(area=area)
    referral.status, referral.closed_at = Status.CLOSED, timezone.now()
    Referral.objects.filter(pk=referral.pk).update(
        status=Status.CLOSED, closed_at=referral.closed_at, version=F("version") + 1
    )
    referral.version += 1
    CaseEvent.objects.create(
        case=case,
        actor=by,
        kind="transferred",
        text=f"{previous} → {area.code} {referral.to_organisation}; {owner.get_username()}",
    )
    # the sending team no longer sees the case: their alerts about it are done
    resolve_alerts(case=case, keep_users={owner.pk, by.pk})
    alerts_raise(
        [Alert(user=owner, case=case, code="case_transferred", params={"number": case.number})],
        mail=False,
    )


def _tell_worker(referral: Referral) -> None:
    params = {
        "referral": referral.pk,
        "number": referral.number,
        "organisation": str(referral.to_organisation),
    }
    if referral.status == Status.DECLINED:
        code, params["reason"] = "referral_declined", referral.decline_reason
    else:
        code = "referral_delivered"
    alert = Alert(
        user_id=referral.case.owner_id,
        case=referral.case,
        code=code,
        params=params,
        ref=_ref(referral),
    )
    alerts_raise([alert], mail=False)


def alert_overdue_referrals(*, now=None) -> int:
    """Escalate overdue referrals to the case's supervisor (and tell the owner), once per
    deadline: once when the answer is late, again if an accepted service passes its due date.
    Returns how many referrals were escalated. Run by `pksai scheduler`; safe in several
    processes at once (rows read under ``FOR UPDATE SKIP LOCKED`` and marked escalated in the
    same transaction). Overdue alerts of referrals no longer overdue are marked done first
    (moves mark them done too: referral_move)."""
    now = now or timezone.now()
    _resolve_met_deadlines(now)
    due = (
        Referral.objects.filter(overdue_q(now))
        .filter(
            Q(escalated_at__isnull=True) | Q(status__in=IN_HAND, escalated_at__lt=F("responded_at"))
        )
        .select_related("case", "case__owner", "case__supervisor", "to_organisation")
        .only(
            "number",
            "status",
            "sent_at",
            "due_date",
            "case__id",
            "case__number",
            "case__owner__email",
            "case__owner__timezone",
            "case__supervisor__email",
            "case__supervisor__timezone",
            "to_organisation__name",
        )
        .select_for_update(skip_locked=True, of=("self",))
    )
    with transaction.atomic():
        referrals = list(due)
        if not referrals:
            return 0
        alerts = []
        for r in referrals:
            params = {"referral": r.pk, "number": r.number, "organisation": str(r.to_organisation)}
            if r.status in AWAITING_ANSWER:
                code, params["sent"] = "referral_overdue_answer", r.sent_at.isoformat()
            else:
                code, params["due"] = "referral_overdue_service", r.due_date.isoformat()
            alerts += [
                Alert(user=user, case=r.case, code=code, params=params, ref=_ref(r))
                for user in (r.case.supervisor, r.case.owner)
                if user is not None
            ]
        alerts_raise(alerts)
        Referral.objects.filter(pk__in=[r.pk for r in referrals]).update(escalated_at=now)
        _remind_focal_persons(referrals)
    return len(referrals)


def _remind_focal_persons(referrals: list[Referral]) -> None:
    """The overdue reminder to the receiving organisations' focal persons who chose to get
    their work by message: one query for them, one bulk insert."""
    from django.conf import settings
    from django.urls import reverse

    from pksai.messaging.services import users_notify

    orgs: dict[int, list[Referral]] = {}
    for r in referrals:
        orgs.setdefault(r.to_organisation_id, []).append(r)
    focal = User.objects.filter(
        organisation_id__in=list(orgs), groups__name="focal_person", is_active=True
    ).values_list("pk", "organisation_id")
    services_of = dict(
        Referral.objects.filter(pk__in=[r.pk for r in referrals])
        .select_related("service")
        .values_list("pk", "service__name_id")
    )
    rows = [
        {
            "user_id": user,
            "service": services_of.get(r.pk) or "",
            "link": f"{settings.PKSAI_SITE_URL}{reverse('referrals:detail', args=[r.pk])}",
            "referral_id": r.pk,
        }
        for user, org in focal.distinct()
        for r in orgs.get(org, [])
    ]
    users_notify(rows=rows, template="referral_overdue")


def _resolve_met_deadlines(now) -> None:
    """Overdue alerts whose referral is no longer overdue in that way are done."""
    open_alerts = list(
        Alert.objects.filter(
            code__in=["referral_overdue_answer", "referral_overdue_service"],
            resolved_at__isnull=True,
        ).values_list("pk", "code", "params")
    )
    if not open_alerts:
        return
    ids = {params.get("referral") for _pk, _code, params in open_alerts}
    overdue = dict(
        Referral.objects.filter(pk__in=ids).filter(overdue_q(now)).values_list("pk", "status")
    )
    done = [
        pk
        for pk, code, params in open_alerts
        if overdue.get(params.get("referral")) not in LIVE_WHILE[code]
    ]
    Alert.objects.filter(pk__in=done).update(resolved_at=now)


# --- client satisfaction ------------------------------------------------------------------


class LinkRefused(Exception):
    """A one-time satisfaction link that is unknown, expired or already used."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _satisfaction_target(case: Case, referral: Referral | None, moment: str) -> None:
    if referral is not None:
        if referral.case_id != case.pk:
            raise ValidationError(_("That referral belongs to another case."))
        if referral.delivered_on is None:
            raise ValidationError(_("Satisfaction is asked after the service is delivered."))
    elif moment == Satisfaction.Moment.SERVICE:
        raise ValidationError(_("Choose the delivered service the answer is about."))
    elif case.stage not in {"closure_review", "follow_up", "closed"}:
        raise ValidationError(_("Satisfaction at closure is asked when the case is closing."))


@transaction.atomic
def satisfaction_record(
    *,
    by: User,
    case: Case,
    referral: Referral | None,
    respondent: str,
    score: int,
    comment: str = "",
) -> Satisfaction:
    """Staff type the client's answer (given in person or by phone)."""
    require_perm(by, CHANGE)
    moment = Satisfaction.Moment.SERVICE if referral else Satisfaction.Moment.CLOSURE
    _satisfaction_target(case, referral, moment)
    if not 1 <= int(score) <= 5:
        raise ValidationError(_("Satisfaction is a number from 1 to 5."))
    record = Satisfaction.objects.create(
        case=case,
        referral=referral,
        area_id=case.area_id,
        moment=moment,
        respondent=respondent,
        score=int(score),
        comment=comment.strip(),
        created_by=by,
        entered_by=by,
        answered_at=timezone.now(),
    )
    CaseEvent.objects.create(
        case=case, actor=by, kind="satisfaction", text=f"{record.score}/5 {record.comment}"
    )
    audit_record(action="create", actor=by, obj=record, detail={"case": case.number})
    return record


@transaction.atomic
def satisfaction_link(
    *, by: User, case: Case, referral: Referral | None, days: int = 30
) -> tuple[Satisfaction, str]:
    """A one-time link for the child or guardian to answer without an account. The token is
    returned once (to pass on by SMS or WhatsApp); only its digest is stored."""
    require_perm(by, CHANGE)
    return _satisfaction_link_create(by=by, case=case, referral=referral, days=days)


def _satisfaction_link_create(
    *, by: User, case: Case, referral: Referral | None, days: int = 30
) -> tuple[Satisfaction, str]:
    moment = Satisfaction.Moment.SERVICE if referral else Satisfaction.Moment.CLOSURE
    _satisfaction_target(case, referral, moment)
    token = secrets.token_urlsafe(24)
    record = Satisfaction.objects.create(
        case=case,
        referral=referral,
        area_id=case.area_id,
        moment=moment,
        created_by=by,
        token_digest=_digest(token),
        link_expires_at=timezone.now() + timedelta(days=days),
    )
    CaseEvent.objects.create(case=case, actor=by, kind="satisfaction_link", text="")
    audit_record(action="create", actor=by, obj=record, detail={"case": case.number, "link": True})
    return record, token


def satisfaction_by_link(token: str) -> Satisfaction:
    """The open question behind a link, else LinkRefused."""
    record = (
        Satisfaction.objects.filter(token_digest=_digest(token))
        .select_related("referral__service", "referral__to_organisation")
        .first()
    )
    if record is None:
        raise LinkRefused(_("This link is not valid."))
    if record.answered_at is not None:
        raise LinkRefused(_("This link has already been used. Thank you for your answer."))
    if record.link_expires_at and record.link_expires_at < timezone.now():
        raise LinkRefused(_("This link has expired."))
    return record


def satisfaction_answer(*, token: str, respondent: str, score: int, comment: str) -> Satisfaction:
    """The child or guardian answers through the link: once, then the link refuses."""
    if not 1 <= int(score) <= 5:
        raise ValidationError(_("Choose a number from 1 to 5."))
    if respondent not in Satisfaction.Respondent.values:
        raise ValidationError(_("Say who is answering."))
    with transaction.atomic():
        record = satisfaction_by_link(token)
        answered = Satisfaction.objects.filter(pk=record.pk, answered_at__isnull=True).update(
            score=int(score),
            comment=comment.strip()[:2000],
            respondent=respondent,
            answered_at=timezone.now(),
        )
        if answered != 1:  # a second tab submitted first
            raise LinkRefused(_("This link has already been used. Thank you for your answer."))
        record.refresh_from_db()
        CaseEvent.objects.create(
            case_id=record.case_id,
            actor=None,
            kind="satisfaction",
            text=f"{record.score}/5 {record.comment}",
        )
        audit_record(action="update", actor=None, obj=record, detail={"answered_by_link": True})
    return record
