"""Programs over JSON: the programs and their benefits, quotas, nominations, selection rounds
(run, verify the sample, exclude, approve under a decree, enrol the list) and beneficiaries.

Scoped exactly like the pages: every read goes through selectors (a nomination, round or
beneficiary outside the caller's area is a 404) and every write calls one service, which checks
the permission and the area again and writes the audit row. An action the caller's role lacks
is a 403 before anything is looked up; a refusal of the rules (the triage protocol, an
unverified sample, a list already approved…) is a 400 with the message; approving a round one
ran oneself is a 403 with the reason (four eyes). Lists and pages that carry people's names are
audited as views.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from pksai.accounts.four_eyes import SelfApprovalRefused
from pksai.accounts.scoping import get_visible_or_404, require_perm, scoped
from pksai.areas.codes import area_q, normalise_area_code
from pksai.areas.models import Area
from pksai.audit.services import audit_record
from pksai.cases import selectors as case_selectors
from pksai.core.paging import ApiPages
from pksai.programs import selectors, services
from pksai.programs.models import (
    Beneficiary,
    BenefitRule,
    Nomination,
    Program,
    Quota,
    RoundEntry,
    SelectionRound,
)
from pksai.registry import selectors as registry_selectors

router = Router()

VIEW_PROGRAM = "programs.view_program"

# The code lists as plain strings in the OpenAPI schema (the model enums share class names).
SourceCode = Literal[tuple(Nomination.Source.values)]
DependencyCode = Literal[("", *Nomination.Dependency.values)]
VerificationCode = Literal[tuple(RoundEntry.Verification.values)]
RoundStatusCode = Literal[("", *SelectionRound.Status.values)]
BeneficiaryStatusCode = Literal[("", *Beneficiary.Status.values)]
FlagCode = Literal["", "duplicate", "other_assistance", "any"]


# --- Output: programs and quotas ---------------------------------------------------------


class BenefitOut(Schema):
    valid_from: date
    amount: int = Field(description="Cash per payment, whole rupiah.")
    frequency: str
    payments_per_year: int
    in_kind: str
    in_kind_value: int = Field(description="In-kind value per payment, whole rupiah.")
    yearly_total: int
    program: str = Field(description="The program whose rule applies (a sub-program's parent).")


class SubProgramOut(Schema):
    code: str
    name: str = Field(description="In the language of the request.")
    is_active: bool
    benefit: BenefitOut | None = Field(description="The rule valid today (own or the parent's).")


class ProgramOut(SubProgramOut):
    target: str
    permanent_assistance: bool
    subprograms: list[SubProgramOut]


class QuotaOut(Schema):
    id: int
    program: str
    year: int
    area_code: str
    area_name: str
    places: int


# --- Output: nominations -----------------------------------------------------------------


class PersonRef(Schema):
    id: int
    name: str
    nik: str
    sex: str
    birth_date: date
    village_code: str


class NominationOut(Schema):
    id: int
    program: str
    year: int
    person: PersonRef
    area_code: str
    source: str
    case_id: int | None
    partner_id: int | None
    dependency: str
    assistive_device_needed: bool | None
    bedridden: bool | None
    fixed_income: bool | None
    in_institution: bool | None
    notes: str
    flag_duplicate: bool
    flag_other_assistance: bool
    matches: list[str] = Field(description="Sub-programs the nominee matches (PKSA).")
    chosen: str | None = Field(description="The sub-program chosen.")
    choice_reason: str
    created_at: datetime
    created_by: str
    version: int


class NominationRoundOut(Schema):
    round_id: int
    status: str
    rank: int | None
    eligible: bool
    failed: list[str]
    selected: bool


class NominationDetailOut(NominationOut):
    rounds: list[NominationRoundOut]
    beneficiary_id: int | None = Field(description="The active enrolment from this nomination.")


def _person(person) -> dict:
    return {
        "id": person.pk,
        "name": person.name,
        "nik": person.nik,
        "sex": person.sex,
        "birth_date": person.birth_date,
        "village_code": person.village_id,
    }


def _nomination(nomination: Nomination) -> dict:
    return {
        "id": nomination.pk,
        "program": nomination.program.code,
        "year": nomination.year,
        "person": _person(nomination.person),
        "area_code": nomination.area_id,
        "source": nomination.source,
        "case_id": nomination.case_id,
        "partner_id": nomination.partner_id,
        **{field: getattr(nomination, field) for field in services.PROFILE_FIELDS},
        "flag_duplicate": nomination.flag_duplicate,
        "flag_other_assistance": nomination.flag_other_assistance,
        "matches": list(nomination.matches or []),
        "chosen": nomination.chosen.code if nomination.chosen_id else None,
        "choice_reason": nomination.choice_reason,
        "created_at": nomination.created_at,
        "created_by": nomination.created_by.get_username(),
        "version": nomination.version,
    }


def _failed(entry: RoundEntry) -> list[str]:
    return [f for f in entry.failed.split(";") if f]


def _nomination_detail(nomination: Nomination) -> dict:
    entries = nomination.entries.select_related("round").order_by("-round__created_at", "-id")
    beneficiary = (
        Beneficiary.objects.filter(nomination=nomination, status=Beneficiary.Status.ACTIVE)
        .values_list("pk", flat=True)
        .first()
    )
    return _nomination(nomination) | {
        "rounds": [
            {
                "round_id": e.round_id,
                "status": e.round.status,
                "rank": e.rank,
                "eligible": e.eligible,
                "failed": _failed(e),
                "selected": e.selected,
            }
            for e in entries
        ],
        "beneficiary_id": beneficiary,
    }


# --- Output: rounds and entries ---------------------------------------------------------


class ErrorOut(Schema):
    detail: str


class RoundOut(Schema):
    id: int
    program: str
    year: int
    area_code: str
    area_name: str
    status: str
    rules: str = Field(description="The rule set and version the round was scored with.")
    places: int
    seed: int
    sample_share: Decimal
    nominees: int
    eligible: int
    selected: int
    created_at: datetime
    created_by: str
    decree_number: str
    decree_date: date | None
    approved_at: datetime | None
    approved_by: str | None
    version: int


class RoundDetailOut(RoundOut):
    sample: int = Field(description="Selected nominees drawn for field verification.")
    verified: int
    not_confirmed: int
    pending_verification: int
    excluded: int = Field(description="Taken off the list by an officer, with a reason.")
    enrolled: int
    tier_labels: list[str] = Field(description="The priority tiers, in ranking order.")
    conditions: dict[str, str] = Field(description="Condition ids of `failed` → their labels.")


class RoundEntryOut(Schema):
    id: int
    rank: int | None
    nomination_id: int
    person_id: int
    person_name: str
    village_code: str
    tiers: list[int] = Field(description="Points per priority tier (see tier_labels).")
    eligible: bool
    failed: list[str] = Field(description="Conditions not met and exclusions that applied.")
    selected: bool
    in_sample: bool
    verification: str
    verification_notes: str
    override: str
    override_reason: str
    matches: list[str]
    chosen: str | None


class ExcludeOut(Schema):
    excluded: RoundEntryOut
    successor: RoundEntryOut | None = Field(
        description="The next eligible nominee, now on the list."
    )


class WaitingOut(Schema):
    nomination_id: int
    reason: str


class RoundEnrolOut(Schema):
    enrolled: int
    waiting: list[WaitingOut] = Field(description="Not enrolled yet, with the reason.")


def _round(selection: SelectionRound) -> dict:
    return {
        "id": selection.pk,
        "program": selection.program.code,
        "year": selection.year,
        "area_code": selection.area_id,
        "area_name": selection.area.name,
        "status": selection.status,
        "rules": f"{selection.ruleset.purpose} v{selection.ruleset.version}",
        "places": selection.places,
        "seed": selection.seed,
        "sample_share": selection.sample_share,
        "nominees": selection.nominees,
        "eligible": selection.eligible,
        "selected": selection.selected,
        "created_at": selection.created_at,
        "created_by": selection.created_by.get_username(),
        "decree_number": selection.decree_number,
        "decree_date": selection.decree_date,
        "approved_at": selection.approved_at,
        "approved_by": (selection.approved_by.get_username() if selection.approved_by_id else None),
        "version": selection.version,
    }


def _round_detail(selection: SelectionRound) -> dict:
    counts = selection.entries.aggregate(
        sample=Count("id", filter=Q(in_sample=True)),
        verified=Count("id", filter=Q(in_sample=True) & ~Q(verification="")),
        not_confirmed=Count("id", filter=Q(verification=RoundEntry.Verification.NOT_CONFIRMED)),
        pending=Count("id", filter=Q(in_sample=True, verification="")),
        excluded=Count("id", filter=Q(override="exclude")),
    )
    labels = services.compiled_rules(selection.ruleset).labels()
    return _round(selection) | {
        "sample": counts["sample"],
        "verified": counts["verified"],
        "not_confirmed": counts["not_confirmed"],
        "pending_verification": counts["pending"],
        "excluded": counts["excluded"],
        "enrolled": Beneficiary.objects.filter(round=selection).count(),
        "tier_labels": selectors.tier_labels(selection),
        "conditions": {k: str(v) for k, v in labels.items()},
    }


def _entry(entry: RoundEntry) -> dict:
    nomination = entry.nomination
    return {
        "id": entry.pk,
        "rank": entry.rank,
        "nomination_id": entry.nomination_id,
        "person_id": nomination.person_id,
        "person_name": nomination.person.name,
        "village_code": nomination.area_id,
        "tiers": [int(t or 0) for t in entry.tiers],
        "eligible": entry.eligible,
        "failed": _failed(entry),
        "selected": entry.selected,
        "in_sample": entry.in_sample,
        "verification": entry.verification,
        "verification_notes": entry.verification_notes,
        "override": entry.override,
        "override_reason": entry.override_reason,
        "matches": list(nomination.matches or []),
        "chosen": nomination.chosen.code if nomination.chosen_id else None,
    }


# --- Output: beneficiaries ---------------------------------------------------------------


class BeneficiaryOut(Schema):
    id: int
    program: str
    program_name: str
    person: PersonRef
    area_code: str
    start_date: date
    status: str
    exit_reason: str
    exit_date: date | None
    benefit: BenefitOut
    facilitator: str | None
    partner: str | None
    nomination_id: int | None
    round_id: int | None
    version: int


def _benefit(rule: BenefitRule | None) -> dict | None:
    if rule is None:
        return None
    return {
        "valid_from": rule.valid_from,
        "amount": rule.amount,
        "frequency": rule.frequency,
        "payments_per_year": rule.payments_per_year,
        "in_kind": rule.in_kind,
        "in_kind_value": rule.in_kind_value,
        "yearly_total": rule.yearly_total,
        "program": rule.program.code,
    }


def _beneficiary(beneficiary: Beneficiary) -> dict:
    return {
        "id": beneficiary.pk,
        "program": beneficiary.program.code,
        "program_name": beneficiary.program.name,
        "person": _person(beneficiary.person),
        "area_code": beneficiary.area_id,
        "start_date": beneficiary.start_date,
        "status": beneficiary.status,
        "exit_reason": beneficiary.exit_reason,
        "exit_date": beneficiary.exit_date,
        "benefit": _benefit(beneficiary.benefit_rule),
        "facilitator": (
            beneficiary.facilitator.get_username() if beneficiary.facilitator_id else None
        ),
        "partner": beneficiary.partner.name if beneficiary.partner_id else None,
        "nomination_id": beneficiary.nomination_id,
        "round_id": beneficiary.round_id,
        "version": beneficiary.version,
    }


# --- Input -------------------------------------------------------------------------------


class QuotaFilters(Schema):
    year: int | None = None
    program: str = Field("", description="A program code, e.g. jspaca.")


class NominationFilters(Schema):
    program: str = Field("", description="A program code, e.g. pksa.")
    year: int | None = None
    area: str = Field("", description="Nominees living in this area code.")
    flag: FlagCode = Field("", description="Only flagged nominations (`any`: either flag).")


class NominationIn(Schema):
    program: str = Field(description="A program code (not a sub-program), e.g. jslu.")
    year: int = Field(ge=2000, le=2100)
    person: int = Field(description="A registry person in the caller's area.")
    source: SourceCode
    case: int | None = Field(None, description="The child's case (case staff).")
    dependency: DependencyCode = ""
    assistive_device_needed: bool | None = None
    bedridden: bool | None = None
    fixed_income: bool | None = None
    in_institution: bool | None = None
    notes: str = Field("", max_length=2000)


class ChooseIn(Schema):
    subprogram: str = Field(description="A sub-program code, e.g. pks_ampk.")
    reason: str = Field("", description="Required when the nominee matches several.")


class StartDateIn(Schema):
    start_date: date


class RoundIn(Schema):
    program: str
    year: int = Field(ge=2000, le=2100)
    area: str = Field(description="The area code (usually a regency), e.g. 73.71.")
    places: int | None = Field(None, ge=0, description="Empty: the area's quota.")
    seed: int | None = Field(None, ge=0, lt=2**63, description="Empty: a random seed.")
    sample_share: Decimal = Field(Decimal("0.100"), ge=0, le=1, decimal_places=3)


class RoundFilters(Schema):
    program: str = ""
    year: int | None = None
    area: str = Field("", description="Rounds of this area or inside it.")
    status: RoundStatusCode = ""


class EntryFilters(Schema):
    selected: bool | None = None
    in_sample: bool | None = None
    eligible: bool | None = None


class VerifyIn(Schema):
    result: VerificationCode
    notes: str = Field("", max_length=300)


class ExcludeIn(Schema):
    reason: str = Field(min_length=1)


class ApproveIn(Schema):
    decree_number: str = Field(min_length=1, max_length=100)
    decree_date: date


class BeneficiaryFilters(Schema):
    program: str = Field("", description="A program code; a program includes its sub-programs.")
    status: BeneficiaryStatusCode = ""


# --- Helpers -----------------------------------------------------------------------------


class RowPagination(ApiPages):
    """Page through a queryset and turn each record of the page into its output row."""

    def __init__(self, *, row, **kwargs):
        self.row = row
        super().__init__(**kwargs)

    def paginate_queryset(self, queryset, pagination, request, **params):
        result = super().paginate_queryset(queryset, pagination, request, **params)
        items = list(result["items"])
        self.listed(request, items)
        return {**result, "items": [self.row(obj) for obj in items]}

    def listed(self, request, items: list) -> None:
        pass


class AuditedPagination(RowPagination):
    """Page through records that carry people's names and record which were listed."""

    def __init__(self, *, object_type: str, **kwargs):
        self.object_type = object_type
        super().__init__(**kwargs)

    def listed(self, request, items: list) -> None:
        audit_record(
            action="view",
            actor=request.auth,
            object_type=self.object_type,
            detail={
                "ids": [obj.pk for obj in items],
                "filters": {k: v for k, v in request.GET.items() if v},
            },
        )


def _program(code: str, *, field: str = "program", parent: Program | None = None) -> Program:
    """An active program (or a sub-program of ``parent``) by code, else a 400 naming it."""
    qs = Program.objects.filter(code=code, is_active=True)
    qs = qs.filter(parent=parent) if parent is not None else qs.filter(parent__isnull=True)
    program = qs.first()
    if program is None:
        raise ValidationError({field: [_("Unknown program %(code)s.") % {"code": code}]})
    return program


def _current_rule(program: Program, today: date) -> BenefitRule | None:
    """From prefetched rules: the program's rule valid today, else its parent's."""
    for candidate in (program, program.parent):
        if candidate is None:
            continue
        rules = [r for r in candidate.benefit_rules.all() if r.valid_from <= today]
        if rules:
            return max(rules, key=lambda r: r.valid_from)
    return None


def _nomination_out(request, pk: int) -> dict:
    """Re-read a nomination through the caller's scope after a write."""
    return _nomination(selectors.nomination_get(user=request.auth, pk=pk))


def _entries(selection: SelectionRound):
    """Eligible nominees by rank, then the others (NULL ranks last on every database)."""
    return selectors.round_entries(selection).order_by(F("rank").asc(nulls_last=True), "id")


def _round_out(request, pk: int) -> SelectionRound:
    return selectors.round_get(user=request.auth, pk=pk)


# --- Programs and quotas -----------------------------------------------------------------


@router.get(
    "/",
    response=list[ProgramOut],
    summary="Programs with their sub-programs and the benefit valid today",
)
def list_programs(request):
    require_perm(request.auth, VIEW_PROGRAM)
    today = timezone.localdate()
    rules = Prefetch("benefit_rules", queryset=BenefitRule.objects.select_related("program"))
    programs = Program.objects.filter(parent__isnull=True).prefetch_related(
        rules,
        Prefetch(
            "subprograms",
            queryset=Program.objects.prefetch_related(rules),
        ),
    )
    out = []
    for program in programs:
        subprograms = []
        for sub in program.subprograms.all():
            sub.parent = program  # the parent's prefetched rules
            subprograms.append(
                {
                    "code": sub.code,
                    "name": sub.name,
                    "is_active": sub.is_active,
                    "benefit": _benefit(_current_rule(sub, today)),
                }
            )
        out.append(
            {
                "code": program.code,
                "name": program.name,
                "is_active": program.is_active,
                "target": program.target,
                "permanent_assistance": program.permanent_assistance,
                "benefit": _benefit(_current_rule(program, today)),
                "subprograms": subprograms,
            }
        )
    return out


@router.get("/quotas/", response=list[QuotaOut], summary="Quotas of areas in the caller's scope")
def list_quotas(request, filters: Query[QuotaFilters]):
    qs = scoped(
        Quota.objects.select_related("program", "area"),
        request.auth,
        perm=VIEW_PROGRAM,
        area_field="area",
    )
    if filters.year:
        qs = qs.filter(year=filters.year)
    if filters.program:
        qs = qs.filter(program__code=filters.program)
    return [
        {
            "id": q.pk,
            "program": q.program.code,
            "year": q.year,
            "area_code": q.area_id,
            "area_name": q.area.name,
            "places": q.places,
        }
        for q in qs.order_by("program__code", "-year", "area_id")
    ]


# --- Nominations -------------------------------------------------------------------------


@router.get(
    "/nominations/",
    response=list[NominationOut],
    summary="Nominations in the caller's scope (audited)",
)
@paginate(AuditedPagination, object_type="programs.nomination", row=_nomination)
def list_nominations(request, filters: Query[NominationFilters]):
    qs = selectors.nomination_list(user=request.auth, year=filters.year).select_related(
        "created_by"
    )
    if filters.program:
        qs = qs.filter(program__code=filters.program)
    if filters.area:
        qs = qs.filter(area_q("area", normalise_area_code(filters.area) or "-"))
    if filters.flag == "duplicate":
        qs = qs.filter(flag_duplicate=True)
    elif filters.flag == "other_assistance":
        qs = qs.filter(flag_other_assistance=True)
    elif filters.flag == "any":
        qs = qs.filter(Q(flag_duplicate=True) | Q(flag_other_assistance=True))
    return qs


@router.get(
    "/nominations/{int:pk}/",
    response=NominationDetailOut,
    summary="One nomination with its rounds (audited)",
)
def get_nomination(request, pk: int):
    nomination = selectors.nomination_get(user=request.auth, pk=pk)
    audit_record(action="view", actor=request.auth, obj=nomination)
    return _nomination_detail(nomination)


@router.post(
    "/nominations/",
    response={200: NominationOut, 201: NominationOut},
    summary="Nominate a registry person for a program and year",
    description="201 for a new nomination; 200 when the person was already nominated for the "
    "program and year (the profile fields sent update it, nothing is duplicated). A child "
    "whose immediate-response case has no started emergency action is refused (400).",
)
def nominate(request, payload: NominationIn):
    user = request.auth
    require_perm(user, services.NOMINATE)
    program = _program(payload.program)
    person = registry_selectors.person_get(user=user, pk=payload.person)
    case = None
    if payload.case is not None:
        case = case_selectors.case_get(user=user, pk=payload.case)
    sent = payload.dict(exclude_unset=True)
    profile = {k: v for k, v in sent.items() if k in services.PROFILE_FIELDS}
    existed = Nomination.objects.filter(program=program, year=payload.year, person=person).exists()
    nomination = services.nominate(
        by=user,
        program=program,
        year=payload.year,
        person=person,
        source=payload.source,
        case=case,
        profile=profile,
    )
    return Status(200 if existed else 201, _nomination_out(request, nomination.pk))


@router.post(
    "/nominations/{int:pk}/choose/",
    response=NominationOut,
    summary="Choose the sub-program of a nominee (PKSA), with the reason",
)
def choose_subprogram(request, pk: int, payload: ChooseIn):
    user = request.auth
    require_perm(user, services.NOMINATE)
    nomination = selectors.nomination_get(user=user, pk=pk)
    subprogram = _program(payload.subprogram, field="subprogram", parent=nomination.program)
    services.nomination_choose(
        by=user, nomination=nomination, subprogram=subprogram, reason=payload.reason
    )
    return _nomination_out(request, pk)


@router.post(
    "/nominations/{int:pk}/enrol/",
    response={201: BeneficiaryOut},
    summary="Enrol one nominee (in the chosen or only matching sub-program)",
    description="Refused (400) while the child has an immediate-response case whose "
    "emergency action has not started, or before a sub-program is chosen.",
)
def enrol_nominee(request, pk: int, payload: StartDateIn):
    user = request.auth
    require_perm(user, services.ENROL)
    nomination = selectors.nomination_get(user=user, pk=pk)
    beneficiary = services.enrol(by=user, nomination=nomination, start_date=payload.start_date)
    return Status(201, _beneficiary(_beneficiary_qs(user).get(pk=beneficiary.pk)))


# --- Selection rounds --------------------------------------------------------------------


@router.post(
    "/rounds/",
    response={201: RoundDetailOut},
    summary="Score and rank the nominees of a program, year and area (program officers)",
    description="The first `places` eligible nominees (the area's quota unless given) are "
    "selected and a reproducible sample (`sample_share`, from `seed`) is drawn for field "
    "verification. Nothing is approved yet.",
)
def run_round(request, payload: RoundIn):
    user = request.auth
    require_perm(user, services.RUN_ROUND)
    program = _program(payload.program)
    code = normalise_area_code(payload.area)
    if code is None or not Area.objects.filter(code=code).exists():
        raise ValidationError({"area": [_("Unknown area %(code)s.") % {"code": payload.area}]})
    result = services.round_run(
        by=user,
        program=program,
        year=payload.year,
        area_code=code,
        places=payload.places,
        seed=payload.seed,
        sample_share=payload.sample_share,
    )
    return Status(201, _round_detail(_round_out(request, result.round.pk)))


@router.get("/rounds/", response=list[RoundOut], summary="Selection rounds in the caller's scope")
@paginate(RowPagination, row=_round)
def list_rounds(request, filters: Query[RoundFilters]):
    qs = selectors.round_list(user=request.auth).select_related(
        "ruleset", "created_by", "approved_by"
    )
    if filters.program:
        qs = qs.filter(program__code=filters.program)
    if filters.year:
        qs = qs.filter(year=filters.year)
    if filters.area:
        qs = qs.filter(area_q("area", normalise_area_code(filters.area) or "-"))
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs


@router.get(
    "/rounds/{int:pk}/",
    response=RoundDetailOut,
    summary="One round: header, counts, priority tiers",
)
def get_round(request, pk: int):
    return _round_detail(_round_out(request, pk))


@router.get(
    "/rounds/{int:pk}/entries/",
    response=list[RoundEntryOut],
    summary="A round's nominees in rank order (audited)",
    description="Eligible nominees by rank, then those not eligible.",
)
@paginate(AuditedPagination, object_type="programs.roundentry", row=_entry)
def list_entries(request, pk: int, filters: Query[EntryFilters]):
    qs = _entries(_round_out(request, pk))
    for field in ("selected", "in_sample", "eligible"):
        value = getattr(filters, field)
        if value is not None:
            qs = qs.filter(**{field: value})
    return qs


def _entry_for_change(request, pk: int, entry_id: int) -> RoundEntry:
    require_perm(request.auth, services.RUN_ROUND)
    selection = _round_out(request, pk)
    return get_visible_or_404(_entries(selection), pk=entry_id)


@router.post(
    "/rounds/{int:pk}/entries/{int:entry_id}/verify/",
    response=RoundEntryOut,
    summary="Record the field verification of a sampled nominee",
)
def verify_entry(request, pk: int, entry_id: int, payload: VerifyIn):
    entry = _entry_for_change(request, pk, entry_id)
    services.entry_verify(by=request.auth, entry=entry, result=payload.result, notes=payload.notes)
    return _entry(entry)


@router.post(
    "/rounds/{int:pk}/entries/{int:entry_id}/exclude/",
    response=ExcludeOut,
    summary="Take a selected nominee off the list, with a reason",
    description="The next eligible nominee by rank takes the place (`successor`).",
)
def exclude_entry(request, pk: int, entry_id: int, payload: ExcludeIn):
    entry = _entry_for_change(request, pk, entry_id)
    successor = services.entry_exclude(by=request.auth, entry=entry, reason=payload.reason)
    if successor is not None:
        successor = _entries(entry.round).get(pk=successor.pk)
    return {"excluded": _entry(entry), "successor": _entry(successor) if successor else None}


@router.post(
    "/rounds/{int:pk}/approve/",
    response={200: RoundDetailOut, 403: ErrorOut},
    summary="Approve the list under a decree (program officers with approval authority)",
    description="Every nominee of the verification sample must be verified first (400). "
    "Four eyes: the officer who ran the round or took a nominee off its list may not approve "
    "it (403 with the reason; the attempt is audited) unless the installation allows "
    "self-approval (`PKSAI_ALLOW_SELF_APPROVAL`, for offices with one program officer).",
)
def approve_round(request, pk: int, payload: ApproveIn):
    user = request.auth
    require_perm(user, services.APPROVE)
    selection = _round_out(request, pk)
    try:
        services.round_approve(
            by=user,
            selection=selection,
            decree_number=payload.decree_number,
            decree_date=payload.decree_date,
        )
    except SelfApprovalRefused as refused:  # audited by the service
        raise HttpError(403, refused.message) from refused
    return _round_detail(_round_out(request, pk))


@router.post(
    "/rounds/{int:pk}/enrol/",
    response=RoundEnrolOut,
    summary="Enrol everyone on an approved list who is not enrolled yet",
    description="Those who cannot be enrolled yet (a sub-program to choose, an emergency "
    "action not started, already a beneficiary) are returned in `waiting` with the reason.",
)
def enrol_round(request, pk: int, payload: StartDateIn):
    user = request.auth
    require_perm(user, services.ENROL)
    selection = _round_out(request, pk)
    result = services.round_enrol(by=user, selection=selection, start_date=payload.start_date)
    return {
        "enrolled": result["enrolled"],
        "waiting": [
            {"nomination_id": nomination_id, "reason": str(reason)}
            for nomination_id, reason in result["waiting"]
        ],
    }


# --- Beneficiaries -----------------------------------------------------------------------


def _beneficiary_qs(user):
    return selectors.beneficiary_list(user=user).select_related(
        "benefit_rule__program", "program__parent"
    )


@router.get(
    "/beneficiaries/",
    response=list[BeneficiaryOut],
    summary="Beneficiaries in the caller's scope (audited)",
)
@paginate(AuditedPagination, object_type="programs.beneficiary", row=_beneficiary)
def list_beneficiaries(request, filters: Query[BeneficiaryFilters]):
    qs = _beneficiary_qs(request.auth)
    if filters.program:
        qs = qs.filter(Q(program__code=filters.program) | Q(program__parent__code=filters.program))
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs
