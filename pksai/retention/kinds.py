"""What each kind of record is, when its purpose has ended, what a legal hold keeps, and what
anonymising it changes — one set-based UPDATE per table for a chunk of ids, never a call per
record.

Anonymising blanks or replaces the fields that identify or describe a person (names, NIK,
phones, addresses, what was reported, notes, free text) and keeps every column the monitoring
measures and reports read: the area, the dates, the stage or status, sex and birth date (age
groups), the program, amounts, ratings, codes. Rows are never deleted, so every count stays.
Fields are set to '' / NULL / a fixed marker, never compared: the job finds what is done in
its own ledger (``AnonymisedRecord``), so it works the same when the fields are encrypted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import (
    CharField,
    Exists,
    F,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from pksai.areas.codes import area_q
from pksai.cases.models import (
    Alert,
    Assessment,
    Attachment,
    Case,
    CaseConference,
    CaseEvent,
    CasePlan,
    ConferenceParticipant,
    EmergencyAction,
    FollowUp,
    Guardian,
    IntakeReport,
    Note,
    PlanAction,
    Visit,
)
from pksai.cases.workflow import Stage
from pksai.grievances.models import Complaint, ComplaintEvent
from pksai.grievances.models import Status as ComplaintStatus
from pksai.payments.models import (
    BatchLine,
    DeliveryPreference,
    FundPlan,
    SavingsAccount,
)
from pksai.privacy.models import Consent, LegalGround
from pksai.programs.models import (
    Beneficiary,
    ComplianceRecord,
    FacilitationVisit,
    Nomination,
    RoundEntry,
    Sanction,
    Suspension,
)
from pksai.referrals.models import Referral, ReferralEvent, Satisfaction
from pksai.registry.models import Household, Person
from pksai.retention.models import ANONYMISED, AnonymisedRecord, Kind

ENDED_STAGES = (Stage.CLOSED, Stage.VOID)
RESOLVED = (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED)
# the intake form's source for children not in the registry (cases.intake.SOURCE)
CASE_SOURCE = "CASE"
ATTACHMENTS = "attachments"  # shared storage kind of case attachments and nominee photos


def _bump(model: type[Model]) -> dict:
    """A form loaded before the anonymisation cannot save over it (optimistic locking)."""
    names = {f.name for f in model._meta.concrete_fields}
    return {"version": F("version") + 1} if "version" in names else {}


@dataclass
class Holds:
    """What the active legal holds keep, resolved once per run: ids and area prefixes."""

    case_ids: set[int] = field(default_factory=set)
    person_ids: set[int] = field(default_factory=set)  # every row of each held human
    complaint_ids: set[int] = field(default_factory=set)
    area_codes: set[str] = field(default_factory=set)
    intake_ids: set[int] = field(default_factory=set)  # of held complaints

    def area(self, area_field: str) -> Q:
        q = Q(pk__in=[])
        for code in self.area_codes:
            q |= area_q(area_field, code)
        return q


def ledger_label(model: type[Model]) -> str:
    return model._meta.label_lower


def not_anonymised(model: type[Model], *, since: str | None = None) -> Q:
    """Rows of ``model`` the ledger does not hold as anonymised (``since``: a row changed after
    it was anonymised — a registry row written again by an import — counts as not)."""
    done = AnonymisedRecord.objects.filter(kind=ledger_label(model), object_id=OuterRef("pk"))
    if since:
        done = done.filter(at__gte=OuterRef(since))
    return ~Q(Exists(done))


@dataclass(frozen=True)
class KindSpec:
    kind: str
    model: type[Model]
    area_field: str  # scopes the counts on the retention page
    ended: Callable[[datetime], QuerySet]  # records whose retention period ended by cutoff
    held: Callable[[Holds], Q]
    anonymise: Callable[[list[int], datetime], list[str]]  # → attachment files to remove
    since: str | None = None

    def pending(self, cutoff: datetime) -> QuerySet:
        """Due or held: ended by ``cutoff`` and not yet anonymised."""
        return self.ended(cutoff).filter(not_anonymised(self.model, since=self.since))


# --- people: a registry row may be blanked once nothing still needs it ----------------------


def person_free(today: date) -> Q:
    """Registry rows no current work needs: no case of theirs keeps its data, no enrolment is
    active or keeps its data, no complaint points at them, no nomination of this or last
    year."""
    cases = Case.objects.filter(child=OuterRef("pk")).filter(not_anonymised(Case))
    enrolments = Beneficiary.objects.filter(person=OuterRef("pk")).filter(
        Q(status=Beneficiary.Status.ACTIVE) | not_anonymised(Beneficiary)
    )
    complaints = Complaint.objects.filter(person=OuterRef("pk"))
    nominations = Nomination.objects.filter(person=OuterRef("pk"), year__gte=today.year - 1)
    return (
        ~Q(Exists(cases))
        & ~Q(Exists(enrolments))
        & ~Q(Exists(complaints))
        & ~Q(Exists(nominations))
    )


def person_held(holds: Holds) -> Q:
    return Q(pk__in=holds.person_ids) | holds.area("village")


def anonymise_people(ids: list[int], now: datetime) -> list[str]:
    # the keyed NIK hash too (decision 0024): exact NIK search no longer finds the row
    Person.objects.filter(pk__in=ids).update(name=ANONYMISED, nik="", nik_hash="")
    # the household's card number and address once every member is blank
    households = Person.objects.filter(pk__in=ids).values("household_id")
    keeping = Person.objects.filter(household=OuterRef("pk")).filter(
        not_anonymised(Person, since="updated_at")
    )
    Household.objects.filter(pk__in=households).exclude(Exists(keeping)).update(
        kk_number="", address=""
    )
    return []


def record_people(ids: list[int], run, now: datetime) -> None:
    """The rows go into the ledger (again, for a row written since it was anonymised)."""
    AnonymisedRecord.objects.bulk_create(
        [AnonymisedRecord(kind=ledger_label(Person), object_id=i, run=run, at=now) for i in ids],
        update_conflicts=True,
        unique_fields=["kind", "object_id"],
        update_fields=["run", "at"],
    )


# --- cases ---------------------------------------------------------------------------------


def cases_ended(cutoff: datetime) -> QuerySet:
    closing = (
        CaseEvent.objects.filter(case=OuterRef("pk"), to_stage__in=ENDED_STAGES)
        .order_by("-at")
        .values("at")[:1]
    )
    follow_up_left = FollowUp.objects.filter(case=OuterRef("pk"), due_date__gte=cutoff.date())
    return (
        Case.objects.filter(stage__in=ENDED_STAGES)
        .annotate(ended_at=Coalesce(Subquery(closing), F("updated_at")))
        .filter(ended_at__lt=cutoff)
        .exclude(Exists(follow_up_left))
    )


def cases_held(holds: Holds) -> Q:
    return (
        Q(pk__in=holds.case_ids)
        | Q(child_id__in=holds.person_ids)
        | holds.area("area")
        | Q(
            pk__in=Complaint.objects.filter(pk__in=holds.complaint_ids, case__isnull=False).values(
                "case_id"
            )
        )
    )


def anonymise_cases(ids: list[int], now: datetime) -> list[str]:
    removed = list(
        Attachment.objects.filter(case__in=ids)
        .exclude(stored_name="")
        .values_list("stored_name", flat=True)
    )
    Case.objects.filter(pk__in=ids).update(
        summary=ANONYMISED,
        reporter_name="",
        reporter_phone="",
        reporter_relation="",
        consent_notes="",
        extra={},
        **_bump(Case),
    )
    Guardian.objects.filter(case__in=ids).update(name=ANONYMISED, phone="", relation="")
    CaseEvent.objects.filter(case__in=ids).update(text="")  # only people's words
    EmergencyAction.objects.filter(case__in=ids).update(notes="")
    PlanAction.objects.filter(case__in=ids).update(
        description=ANONYMISED, responsible="", **_bump(PlanAction)
    )
    FollowUp.objects.filter(case__in=ids).update(notes="")
    Assessment.objects.filter(case__in=ids).update(
        domains={}, summary="", extra={}, **_bump(Assessment)
    )
    CasePlan.objects.filter(case__in=ids).update(goals=ANONYMISED, **_bump(CasePlan))
    CaseConference.objects.filter(case__in=ids).update(agenda=ANONYMISED, decisions=ANONYMISED)
    ConferenceParticipant.objects.filter(conference__case__in=ids, user__isnull=True).update(
        name=ANONYMISED
    )
    Note.objects.filter(case__in=ids).update(text=ANONYMISED)
    Visit.objects.filter(case__in=ids).update(place="", seen="", observations=ANONYMISED, extra={})
    Attachment.objects.filter(case__in=ids).update(
        title=ANONYMISED,
        original_name="",
        sha256="",
        voided_at=Coalesce(F("voided_at"), Value(now)),
        void_reason="",
    )
    Alert.objects.filter(case__in=ids).update(text="")
    IntakeReport.objects.filter(case__in=ids).update(
        summary=ANONYMISED, reporter_name="", reporter_phone="", dismiss_reason=""
    )
    Referral.objects.filter(case__in=ids).update(
        reason=ANONYMISED,
        shared={},
        decline_reason="",
        provided="",
        outcome="",
        cancel_reason="",
        **_bump(Referral),
    )
    ReferralEvent.objects.filter(referral__case__in=ids).update(text="")
    Satisfaction.objects.filter(case__in=ids).update(comment="")
    # the consent ledger's people and words about this case (pksai.privacy)
    Consent.objects.filter(case__in=ids).update(
        given_by_name=ANONYMISED, how="", withdrawn_by_name="", withdrawal_reason=""
    )
    LegalGround.objects.filter(case__in=ids).update(explanation=ANONYMISED)
    return removed


def case_children(ids: list[int], today: date, holds: Holds) -> list[int]:
    """Children recorded at intake (not from a registry) whose every case is anonymised and
    whom nothing else needs: their row is blanked with the case."""
    return list(
        Person.objects.filter(
            pk__in=Case.objects.filter(pk__in=ids).values("child_id"), source=CASE_SOURCE
        )
        .filter(person_free(today))
        .filter(not_anonymised(Person, since="updated_at"))
        .exclude(person_held(holds))
        .values_list("pk", flat=True)
    )


# --- intake reports, complaints ------------------------------------------------------------


def intake_ended(cutoff: datetime) -> QuerySet:
    return IntakeReport.objects.filter(status=IntakeReport.Status.DISMISSED, handled_at__lt=cutoff)


def intake_held(holds: Holds) -> Q:
    return Q(pk__in=holds.intake_ids) | holds.area("area")


def anonymise_intake(ids: list[int], now: datetime) -> list[str]:
    IntakeReport.objects.filter(pk__in=ids).update(
        summary=ANONYMISED, reporter_name="", reporter_phone="", dismiss_reason=""
    )
    return []


def complaints_ended(cutoff: datetime) -> QuerySet:
    return (
        Complaint.objects.filter(status__in=RESOLVED)
        .annotate(ended_at=Coalesce("resolved_at", "created_at"))
        .filter(ended_at__lt=cutoff)
    )


def complaints_held(holds: Holds) -> Q:
    return (
        Q(pk__in=holds.complaint_ids)
        | Q(case_id__in=holds.case_ids)
        | Q(person_id__in=holds.person_ids)
        | holds.area("area")
    )


def anonymise_complaints(ids: list[int], now: datetime) -> list[str]:
    Complaint.objects.filter(pk__in=ids).update(
        description=ANONYMISED,
        complainant_name="",
        complainant_phone="",
        complainant_email="",
        resolution=ANONYMISED,
        remedy="",
        internal_notes="",
        rating_comment="",
        person=None,
        beneficiary=None,
        case=None,
        entitlement=None,
        **_bump(Complaint),
    )
    ComplaintEvent.objects.filter(complaint__in=ids).update(text="")
    return []


# --- registry rows, beneficiaries, payment lines --------------------------------------------


def registry_ended(cutoff: datetime) -> QuerySet:
    return Person.objects.filter(in_registry=False, updated_at__lt=cutoff).filter(
        person_free(timezone.localdate())
    )


def beneficiaries_ended(cutoff: datetime) -> QuerySet:
    return Beneficiary.objects.filter(status=Beneficiary.Status.EXITED, exit_date__lt=cutoff.date())


def beneficiaries_held(holds: Holds) -> Q:
    return Q(person_id__in=holds.person_ids) | holds.area("area")


def anonymise_beneficiaries(ids: list[int], now: datetime) -> list[str]:
    nominations = Nomination.objects.filter(
        pk__in=Beneficiary.objects.filter(pk__in=ids).values("nomination_id")
    )
    photos = [
        f"nominees/{name}" for name in nominations.exclude(photo="").values_list("photo", flat=True)
    ]
    Beneficiary.objects.filter(pk__in=ids).update(exit_notes="", **_bump(Beneficiary))
    FacilitationVisit.objects.filter(beneficiary__in=ids).update(notes="")
    ComplianceRecord.objects.filter(beneficiary__in=ids).update(notes="")
    Suspension.objects.filter(beneficiary__in=ids).update(reason=ANONYMISED)
    Sanction.objects.filter(beneficiary__in=ids).update(reason="")
    RoundEntry.objects.filter(nomination__in=nominations).update(
        verification_notes="", override_reason=""
    )
    nominations.update(notes="", photo="", choice_reason="", **_bump(Nomination))
    DeliveryPreference.objects.filter(beneficiary__in=ids).update(reason="")
    accounts = SavingsAccount.objects.filter(beneficiary__in=ids)
    FundPlan.objects.filter(account__in=accounts).update(needs_assessment="")
    accounts.update(
        guardian_name=ANONYMISED,
        number=Concat(Value("anon-"), Cast("pk", CharField())),
    )
    return photos


def lines_ended(cutoff: datetime) -> QuerySet:
    return BatchLine.objects.filter(batch__created_at__lt=cutoff)


def lines_held(holds: Holds) -> Q:
    return Q(entitlement__beneficiary__person_id__in=holds.person_ids) | holds.area(
        "entitlement__area"
    )


def anonymise_lines(ids: list[int], now: datetime) -> list[str]:
    BatchLine.objects.filter(pk__in=ids).update(name=ANONYMISED, nik="", address="")
    return []


SPECS: dict[str, KindSpec] = {
    s.kind: s
    for s in (
        KindSpec(Kind.CASE_CLOSED, Case, "area", cases_ended, cases_held, anonymise_cases),
        KindSpec(
            Kind.INTAKE_NOT_REGISTERED,
            IntakeReport,
            "area",
            intake_ended,
            intake_held,
            anonymise_intake,
        ),
        KindSpec(
            Kind.COMPLAINT_RESOLVED,
            Complaint,
            "area",
            complaints_ended,
            complaints_held,
            anonymise_complaints,
        ),
        KindSpec(
            Kind.REGISTRY_RETIRED,
            Person,
            "village",
            registry_ended,
            person_held,
            anonymise_people,
            since="updated_at",
        ),
        KindSpec(
            Kind.BENEFICIARY_EXITED,
            Beneficiary,
            "area",
            beneficiaries_ended,
            beneficiaries_held,
            anonymise_beneficiaries,
        ),
        KindSpec(
            Kind.PAYMENT_LINES,
            BatchLine,
            "entitlement__area",
            lines_ended,
            lines_held,
            anonymise_lines,
        ),
    )
}
