"""Consent ledger, legal grounds, disclosures, requests from data subjects and breaches.

Every write checks the permission, the version the user loaded where a record is edited
(optimistic locking), then writes the change and its audit row in one transaction. The callers
fetched the case, request or breach through the user's scope (selectors.py).

The referral services ask ``sharing_basis_require`` before a referral or a transfer shares a
child's identifying data and ``disclosure_record`` once it is sent (decision 0026).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pksai.accounts.models import Organisation, User
from pksai.accounts.scoping import require_perm, scope_for
from pksai.areas.models import Area
from pksai.audit.services import audit_record
from pksai.cases.models import Case
from pksai.cases.services import ConflictError, compare_and_set
from pksai.cases.workflow import OPEN_STAGES
from pksai.privacy.models import (
    Breach,
    BreachNotice,
    Consent,
    Disclosure,
    LegalBasis,
    LegalGround,
    PrivacyCounter,
    Purpose,
    Relationship,
    RequestKind,
    RequestRule,
    SubjectRequest,
)
from pksai.registry.models import Person

ADD_CONSENT = "privacy.add_consent"
CHANGE_CONSENT = "privacy.change_consent"
ADD_GROUND = "privacy.add_legalground"
CHANGE_GROUND = "privacy.change_legalground"
ADD_REQUEST = "privacy.add_subjectrequest"
CHANGE_REQUEST = "privacy.change_subjectrequest"
EXPORT_REQUEST = "privacy.export_subjectrequest"
ADD_BREACH = "privacy.add_breach"
CHANGE_BREACH = "privacy.change_breach"

REFERRAL = "referral"
TRANSFER = "transfer"
# What a referral may share that identifies the child (referrals.services.SHAREABLE): sex and
# the concern categories alone do not; a transfer hands over the whole case.
IDENTIFYING = frozenset({"name", "birth_date", "nik", "kk_number", "address", "guardians"})
# UU PDP Art. 46(1): "paling lambat 3 x 24 (tiga kali dua puluh empat) jam".
BREACH_NOTICE_HOURS = 3 * 24


class BasisMissing(ValidationError):
    """Identifying data would be shared without an active consent for the purpose or a
    recorded legal ground. ``record_url``: where to record one."""

    def __init__(self, message: str, *, record_url: str) -> None:
        super().__init__(message, code="consent_missing")
        self.record_url = record_url


def _conflict(what: str) -> ConflictError:
    return ConflictError(
        _(
            "Someone else changed this %(what)s since you opened it; nothing was saved. "
            "Reload the page to see their change."
        )
        % {"what": what}
    )


# The purposes and deadlines migration 0002 loads; restored here if a table was emptied (a
# test database flushed between tests) so the services never depend on a reload.
DEFAULT_PURPOSES = {
    REFERRAL: ("Rujukan ke penyedia layanan", "Referral to a service provider"),
    TRANSFER: ("Pemindahan kasus ke daerah lain", "Case transfer to another area"),
    "program": ("Berbagi data dengan program bantuan sosial", "Sharing with a social program"),
}
DEFAULT_RULES = {
    RequestKind.ACCESS: (72, "UU 27/2022 Pasal 32 ayat (2): paling lambat 3 x 24 jam"),
    RequestKind.CORRECTION: (72, "UU 27/2022 Pasal 30 ayat (2): paling lambat 3 x 24 jam"),
    RequestKind.DELETION: (
        72,
        "UU 27/2022 Pasal 40 ayat (2) (penghentian pemrosesan), diterapkan juga pada "
        "penghapusan (Pasal 43): 3 x 24 jam",
    ),
}
LAW_IN_FORCE = date(2022, 10, 17)


def _purpose(code: str) -> Purpose:
    found = Purpose.objects.filter(code=code).first()
    if found is None and code in DEFAULT_PURPOSES:
        name_id, name_en = DEFAULT_PURPOSES[code]
        found, _created = Purpose.objects.get_or_create(
            code=code, defaults={"name_id": name_id, "name_en": name_en}
        )
    if found is None or not found.is_active:
        raise ValidationError({"purpose": [_("Choose the purpose of sharing.")]})
    return found


# --- the consent ledger -------------------------------------------------------------------


def active_consent(
    *, person: Person, purpose: str, organisation: Organisation | None = None, at=None
) -> Consent | None:
    """The most recent consent for ``purpose`` about ``person`` in force now: not withdrawn,
    not expired, given for any receiver or for ``organisation``."""
    today = timezone.localdate(at) if at else timezone.localdate()
    receiver = Q(organisation__isnull=True)
    if organisation is not None:
        receiver |= Q(organisation=organisation)
    return (
        Consent.objects.filter(
            receiver,
            person=person,
            purpose__code=purpose,
            withdrawn_at__isnull=True,
            given_at__lte=at or timezone.now(),
        )
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
        .select_related("purpose")
        .order_by("-given_at", "-pk")
        .first()
    )


def active_legal_ground(*, case: Case, purpose: str) -> LegalGround | None:
    return (
        LegalGround.objects.filter(case=case, purpose__code=purpose, ended_at__isnull=True)
        .order_by("-recorded_at", "-pk")
        .first()
    )


def sharing_basis_require(
    *,
    case: Case,
    purpose: str,
    organisation: Organisation | None,
    share: list[str] | tuple[str, ...] | None,
) -> Consent | LegalGround | None:
    """What allows sending ``share`` (None: the whole case) of ``case``'s child for
    ``purpose``: an active consent, else a recorded legal ground; None when nothing
    identifying is shared; BasisMissing (a ValidationError) otherwise."""
    if share is not None and not IDENTIFYING.intersection(share):
        return None
    consent = active_consent(person=case.child, purpose=purpose, organisation=organisation)
    if consent is not None:
        return consent
    ground = active_legal_ground(case=case, purpose=purpose)
    if ground is not None:
        return ground
    what = _("a referral") if purpose == REFERRAL else _("a transfer")
    raise BasisMissing(
        _(
            "No consent for %(what)s is recorded for this child, and no legal ground: "
            "identifying information cannot be shared. Record the consent of the child or "
            "guardian (or, in an emergency, the legal ground) first."
        )
        % {"what": what},
        record_url=reverse("privacy:case_consents", args=[case.pk]) + f"?purpose={purpose}",
    )


def disclosure_record(
    *, referral, basis: Consent | LegalGround | None, by: User, share: list[str] | None
) -> Disclosure | None:
    """Write down that ``referral`` shared identifying data, and on which basis."""
    if basis is None:
        return None
    fields = sorted(IDENTIFYING.intersection(share)) if share is not None else ["case"]
    return Disclosure.objects.create(
        referral=referral,
        person_id=referral.case.child_id,
        area_id=referral.area_id,
        organisation_id=referral.to_organisation_id,
        fields=fields,
        consent=basis if isinstance(basis, Consent) else None,
        legal_ground=basis if isinstance(basis, LegalGround) else None,
        disclosed_by=by,
    )


@dataclass
class ConsentInput:
    purpose: str
    given_by_name: str
    relationship: str
    given_at: datetime
    how: str = ""
    expires_on: date | None = None
    organisation: Organisation | None = None


@transaction.atomic
def consent_record(*, by: User, case: Case, data: ConsentInput) -> Consent:
    """Record a consent about ``case``'s child (the caller fetched the case in scope)."""
    require_perm(by, ADD_CONSENT)
    errors: dict[str, list[str]] = {}
    if not data.given_by_name.strip():
        errors["given_by_name"] = [_("Say who gave the consent.")]
    if data.relationship not in Relationship.values:
        errors["relationship"] = [_("Say how they are related to the child.")]
    if data.given_at > timezone.now() + timedelta(minutes=5):
        errors["given_at"] = [_("The consent cannot be given in the future.")]
    if data.expires_on is not None and data.expires_on < timezone.localdate(data.given_at):
        errors["expires_on"] = [_("The end date is before the consent was given.")]
    if errors:
        raise ValidationError(errors)
    consent = Consent.objects.create(
        person=case.child,
        case=case,
        area_id=case.area_id,
        purpose=_purpose(data.purpose),
        organisation=data.organisation,
        given_by_name=data.given_by_name.strip(),
        relationship=data.relationship,
        given_at=data.given_at,
        how=data.how.strip(),
        expires_on=data.expires_on,
        recorded_by=by,
    )
    audit_record(
        action="create",
        actor=by,
        obj=consent,
        detail={"case": case.number, "purpose": data.purpose, "person": case.child_id},
    )
    return consent


@transaction.atomic
def consent_withdraw(
    *, by: User, consent: Consent, expected_version: int, withdrawn_by_name: str, reason: str
) -> Consent:
    """The child or guardian withdraws a consent: nothing more is shared on it (what was
    already sent stays recorded as sent; UU PDP Art. 9 and 40)."""
    require_perm(by, CHANGE_CONSENT)
    if consent.withdrawn_at is not None:
        raise ValidationError(_("This consent was already withdrawn."))
    if not withdrawn_by_name.strip():
        raise ValidationError({"withdrawn_by_name": [_("Say who withdrew the consent.")]})
    consent.withdrawn_at = timezone.now()
    consent.withdrawn_by_name = withdrawn_by_name.strip()
    consent.withdrawal_reason = reason.strip()
    consent.withdrawal_recorded_by = by
    fields = ["withdrawn_at", "withdrawn_by_name", "withdrawal_reason", "withdrawal_recorded_by"]
    if not compare_and_set(consent, fields, expected_version):
        raise _conflict(_("consent"))
    audit_record(
        action="update", actor=by, obj=consent, detail={"withdrawn": True, "reason": reason}
    )
    return consent


@transaction.atomic
def legal_ground_record(
    *, by: User, case: Case, purpose: str, basis: str, explanation: str
) -> LegalGround:
    """A supervisor records the legal ground for sharing without consent."""
    require_perm(by, ADD_GROUND)
    if basis not in LegalBasis.values:
        raise ValidationError({"basis": [_("Choose the legal ground.")]})
    if len(explanation.strip()) < 10:
        raise ValidationError({"explanation": [_("Explain why the ground applies to this child.")]})
    if case.stage not in OPEN_STAGES:
        raise ValidationError(_("A legal ground is recorded while the case is open."))
    ground = LegalGround.objects.create(
        case=case,
        person_id=case.child_id,
        area_id=case.area_id,
        purpose=_purpose(purpose),
        basis=basis,
        explanation=explanation.strip(),
        recorded_by=by,
    )
    audit_record(
        action="create", actor=by, obj=ground, detail={"case": case.number, "basis": basis}
    )
    return ground


@transaction.atomic
def legal_ground_end(*, by: User, ground: LegalGround, expected_version: int) -> LegalGround:
    require_perm(by, CHANGE_GROUND)
    if ground.ended_at is not None:
        raise ValidationError(_("This legal ground was already ended."))
    ground.ended_at, ground.ended_by = timezone.now(), by
    if not compare_and_set(ground, ["ended_at", "ended_by"], expected_version):
        raise _conflict(_("legal ground"))
    audit_record(action="update", actor=by, obj=ground, detail={"ended": True})
    return ground


# --- numbers ------------------------------------------------------------------------------


def _number(kind: str, prefix: str) -> str:
    year = timezone.localdate().year
    counter, _created = PrivacyCounter.objects.select_for_update().get_or_create(
        kind=kind, year=year
    )
    PrivacyCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    counter.refresh_from_db(fields=["last"])
    return f"{prefix}-{year}-{counter.last:05d}"


# --- requests from data subjects ----------------------------------------------------------


def request_rule(kind: str, received_at: datetime) -> RequestRule:
    """The deadline rule in force on the day a request was received."""
    rules = RequestRule.objects.filter(kind=kind)
    if kind in DEFAULT_RULES and not rules.exists():
        hours, reference = DEFAULT_RULES[kind]
        RequestRule.objects.get_or_create(
            kind=kind,
            valid_from=LAW_IN_FORCE,
            defaults={"hours": hours, "legal_reference": reference},
        )
    rule = (
        rules.filter(valid_from__lte=timezone.localdate(received_at))
        .order_by("-valid_from")
        .first()
    )
    if rule is None:
        raise ValidationError(_("No deadline rule is set for this kind of request."))
    return rule


@dataclass
class RequestInput:
    kind: str
    person: Person
    requester_name: str
    requester_relationship: str
    requester_contact: str
    channel: str
    details: str
    received_at: datetime


@transaction.atomic
def subject_request_create(*, by: User, data: RequestInput) -> SubjectRequest:
    """Record a request (the caller found the person in the user's scope); its deadline comes
    from the rule in force when it was received."""
    require_perm(by, ADD_REQUEST)
    errors: dict[str, list[str]] = {}
    if data.kind not in RequestKind.values:
        errors["kind"] = [_("Choose the kind of request.")]
    if not data.requester_name.strip():
        errors["requester_name"] = [_("Say who made the request.")]
    if not data.requester_contact.strip():
        errors["requester_contact"] = [_("Say how to reach the requester.")]
    if not data.details.strip():
        errors["details"] = [_("Say what is asked.")]
    if data.received_at > timezone.now() + timedelta(minutes=5):
        errors["received_at"] = [_("A request cannot be received in the future.")]
    if errors:
        raise ValidationError(errors)
    if not scope_for(by).covers(data.person.village_id):
        raise ValidationError(_("The person lives outside your area."))
    rule = request_rule(data.kind, data.received_at)
    request = SubjectRequest.objects.create(
        number=_number("request", "PDP"),
        kind=data.kind,
        area_id=data.person.village_id,
        person=data.person,
        requester_name=data.requester_name.strip(),
        requester_relationship=data.requester_relationship,
        requester_contact=data.requester_contact.strip(),
        channel=data.channel,
        details=data.details.strip(),
        received_at=data.received_at,
        due_at=data.received_at + timedelta(hours=rule.hours),
        rule=rule,
        recorded_by=by,
    )
    audit_record(
        action="create",
        actor=by,
        obj=request,
        detail={"kind": data.kind, "person": data.person.pk},
    )
    return request


def open_cases_of(person: Person) -> list[Case]:
    return list(
        Case.objects.filter(child__identity_id=person.identity_id, stage__in=OPEN_STAGES)
        if person.identity_id
        else Case.objects.filter(child=person, stage__in=OPEN_STAGES)
    )


@transaction.atomic
def subject_request_decide(
    *,
    by: User,
    request: SubjectRequest,
    expected_version: int,
    outcome: str,
    decision: str,
    refusal_ground: str = "",
) -> SubjectRequest:
    """Answer a request: ``done`` (given, corrected, deleted) or ``refused`` with the ground.
    A deletion cannot be granted while a child-protection case about the person is open: the
    case must go on (UU PDP Art. 15(1) and 20(2)(c)–(e)); it is refused on that ground."""
    require_perm(by, CHANGE_REQUEST)
    if not request.is_open:
        raise ValidationError(_("This request was already answered."))
    if outcome not in {SubjectRequest.Status.DONE, SubjectRequest.Status.REFUSED}:
        raise ValidationError(_("Say whether the request is granted or refused."))
    if not decision.strip():
        raise ValidationError({"decision": [_("Write the answer given to the requester.")]})
    if outcome == SubjectRequest.Status.REFUSED and not refusal_ground.strip():
        raise ValidationError({"refusal_ground": [_("Give the legal ground for refusing.")]})
    if outcome == SubjectRequest.Status.DONE and request.kind == RequestKind.DELETION:
        open_cases = open_cases_of(request.person)
        if open_cases:
            raise ValidationError(
                _(
                    "Case %(n)s about this child is open: its data cannot be deleted while the "
                    "child is protected. Refuse the deletion on that legal ground, or decide "
                    "again when the case is closed."
                )
                % {"n": open_cases[0].number}
            )
    if outcome == SubjectRequest.Status.DONE and request.kind == RequestKind.DELETION:
        from pksai.retention.services import retention_erase

        # the deletion itself: the person's records anonymised now (refused with the reason
        # while a legal hold, an open case or a running benefit still needs them)
        retention_erase(
            by=by, person=request.person, reference=f"privacy.subjectrequest:{request.pk}"
        )
    request.status = outcome
    request.decision = decision.strip()
    request.refusal_ground = refusal_ground.strip() if outcome == "refused" else ""
    request.handled_by = by
    request.decided_at = timezone.now()
    fields = ["status", "decision", "refusal_ground", "handled_by", "decided_at"]
    if not compare_and_set(request, fields, expected_version):
        raise _conflict(_("request"))
    audit_record(
        action="update",
        actor=by,
        obj=request,
        detail={
            "outcome": outcome,
            "kind": request.kind,
            "late": request.decided_at > request.due_at,
        },
    )
    return request


@transaction.atomic
def subject_request_start(
    *, by: User, request: SubjectRequest, expected_version: int
) -> SubjectRequest:
    require_perm(by, CHANGE_REQUEST)
    if request.status != SubjectRequest.Status.RECEIVED:
        raise ValidationError(_("This request is already being handled."))
    request.status, request.handled_by = SubjectRequest.Status.IN_PROGRESS, by
    if not compare_and_set(request, ["status", "handled_by"], expected_version):
        raise _conflict(_("request"))
    audit_record(action="update", actor=by, obj=request, detail={"status": "in_progress"})
    return request


def remind_due_requests(*, now=None, within_hours: int = 24) -> int:
    """Tell the data protection officers of each request's area about open requests due within
    ``within_hours`` or overdue, once per request (marked in the same transaction, rows read
    under FOR UPDATE SKIP LOCKED: safe in several schedulers). Returns how many."""
    from pksai.cases.alerts import send_mails

    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            SubjectRequest.objects.filter(
                status__in=SubjectRequest.OPEN,
                due_at__lte=now + timedelta(hours=within_hours),
                reminded_at__isnull=True,
            ).select_for_update(skip_locked=True)
        )
        if not due:
            return 0
        officers = list(
            User.objects.filter(
                is_active=True,
                groups__permissions__codename="change_subjectrequest",
                groups__permissions__content_type__app_label="privacy",
            )
            .exclude(email="")
            .distinct()
        )
        mails = []
        for officer in officers:
            mine = [r for r in due if scope_for(officer).covers(r.area_id)]
            if mine:
                mails.append(
                    (
                        _("PKSAI: requests from data subjects due"),
                        "\n".join(f"{r.number} {r.due_at:%Y-%m-%d %H:%M} UTC" for r in mine),
                        officer.email,
                    )
                )
        SubjectRequest.objects.filter(pk__in=[r.pk for r in due]).update(reminded_at=now)
        if mails:
            transaction.on_commit(lambda: send_mails(mails))
    return len(due)


# --- breaches -----------------------------------------------------------------------------


@dataclass
class BreachInput:
    area_code: str
    discovered_at: datetime
    discovered_by: str
    what_happened: str
    data_kinds: str
    people_affected: int
    containment: str = ""


@transaction.atomic
def breach_record(*, by: User, data: BreachInput) -> Breach:
    """Register a breach and its three notification steps, each due 3 × 24 hours after the
    discovery (UU PDP Art. 46(1); the public notice of Art. 46(3) only where required)."""
    require_perm(by, ADD_BREACH)
    errors: dict[str, list[str]] = {}
    area = Area.objects.filter(code=data.area_code).first()
    if area is None or not scope_for(by).covers(data.area_code):
        errors["area"] = [_("Choose an area inside your own.")]
    if data.discovered_at > timezone.now() + timedelta(minutes=5):
        errors["discovered_at"] = [_("A breach cannot be discovered in the future.")]
    for field, value, message in (
        ("discovered_by", data.discovered_by, _("Say who discovered it.")),
        ("what_happened", data.what_happened, _("Say what happened.")),
        ("data_kinds", data.data_kinds, _("Say which personal data are concerned.")),
    ):
        if not value.strip():
            errors[field] = [message]
    if data.people_affected < 0:
        errors["people_affected"] = [_("The number of people cannot be negative.")]
    if errors:
        raise ValidationError(errors)
    breach = Breach.objects.create(
        number=_number("breach", "INS"),
        area=area,
        discovered_at=data.discovered_at,
        discovered_by=data.discovered_by.strip(),
        what_happened=data.what_happened.strip(),
        data_kinds=data.data_kinds.strip(),
        people_affected=data.people_affected,
        containment=data.containment.strip(),
        recorded_by=by,
    )
    due = data.discovered_at + timedelta(hours=BREACH_NOTICE_HOURS)
    BreachNotice.objects.bulk_create(
        [BreachNotice(breach=breach, kind=kind, due_at=due) for kind in BreachNotice.Kind.values]
    )
    audit_record(
        action="create",
        actor=by,
        obj=breach,
        detail={"people_affected": data.people_affected, "area": data.area_code},
    )
    return breach


@transaction.atomic
def breach_update(
    *, by: User, breach: Breach, expected_version: int, containment: str, people_affected: int
) -> Breach:
    require_perm(by, CHANGE_BREACH)
    if people_affected < 0:
        raise ValidationError({"people_affected": [_("The number cannot be negative.")]})
    breach.containment, breach.people_affected = containment.strip(), people_affected
    if not compare_and_set(breach, ["containment", "people_affected"], expected_version):
        raise _conflict(_("breach"))
    audit_record(action="update", actor=by, obj=breach, detail={"people": people_affected})
    return breach


@transaction.atomic
def breach_notice_mark(
    *,
    by: User,
    notice: BreachNotice,
    expected_version: int,
    status: str,
    note: str,
    done_at: datetime | None = None,
) -> BreachNotice:
    """Mark a notification step done (when, how, to whom) or, for the public notice only,
    not required (with the reason)."""
    require_perm(by, CHANGE_BREACH)
    if notice.status != BreachNotice.Status.PENDING:
        raise ValidationError(_("This step is already marked."))
    if status == BreachNotice.Status.NOT_REQUIRED and notice.kind != BreachNotice.Kind.PUBLIC:
        raise ValidationError(
            _("Only the public notice may be not required: the law asks for the others.")
        )
    if status not in {BreachNotice.Status.DONE, BreachNotice.Status.NOT_REQUIRED}:
        raise ValidationError(_("Choose done or not required."))
    if not note.strip():
        raise ValidationError({"note": [_("Say how and to whom, or why it is not required.")]})
    done_at = done_at or timezone.now()
    if done_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"done_at": [_("The time cannot be in the future.")]})
    if done_at < notice.breach.discovered_at:
        raise ValidationError({"done_at": [_("The time is before the breach was discovered.")]})
    notice.status, notice.note, notice.done_at, notice.done_by = status, note.strip(), done_at, by
    if not compare_and_set(notice, ["status", "note", "done_at", "done_by"], expected_version):
        raise _conflict(_("notification step"))
    audit_record(
        action="update",
        actor=by,
        obj=notice,
        detail={
            "breach": notice.breach.number,
            "step": notice.kind,
            "status": status,
            "late": done_at > notice.due_at,
        },
    )
    return notice


@transaction.atomic
def breach_close(*, by: User, breach: Breach, expected_version: int) -> Breach:
    require_perm(by, CHANGE_BREACH)
    if breach.notices.filter(status=BreachNotice.Status.PENDING).exists():
        raise ValidationError(_("Mark every notification step first."))
    if not breach.containment.strip():
        raise ValidationError(_("Describe the containment and recovery first."))
    breach.status, breach.closed_at = Breach.Status.CLOSED, timezone.now()
    if not compare_and_set(breach, ["status", "closed_at"], expected_version):
        raise _conflict(_("breach"))
    audit_record(action="update", actor=by, obj=breach, detail={"closed": True})
    return breach
