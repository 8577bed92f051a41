"""Programs: rules, nominations, selection rounds (score, rank, quota, verification sample,
approval under a decree) and enrolment. Bulk work is Polars over one SQL read and bulk writes;
no query per nominee.

Every write checks the permission and the area scope, and writes its audit row in the same
transaction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import polars as pl
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from pksai.accounts.four_eyes import refuse_self_approval, self_approval_refusal
from pksai.accounts.models import User
from pksai.accounts.scoping import require_perm, scope_for
from pksai.areas.models import Area
from pksai.audit.models import AuditEvent
from pksai.audit.services import audit_record
from pksai.cases.models import Case
from pksai.cases.services import IMMEDIATE_FIRST
from pksai.core import files
from pksai.core.bulk import bulk_upsert
from pksai.programs.models import (
    Beneficiary,
    BenefitRule,
    Nomination,
    Program,
    Quota,
    RoundEntry,
    SelectionRound,
)
from pksai.programs.rules import (
    CompiledProgramRules,
    ProgramRulesSpec,
    parse_program_rules,
    used_names,
)
from pksai.registry.codes import COLUMN_BY_NAME, HOUSEHOLD_COLUMNS
from pksai.registry.models import Person
from pksai.vulnerability.models import RuleSet
from pksai.vulnerability.services import _typed, ruleset_activate, ruleset_active, ruleset_create
from pksai.webhooks.services import event_emit, events_emit_bulk

RULES_DIR = Path(__file__).parent / "rules"
NOMINATE = "programs.add_nomination"
RUN_ROUND = "programs.add_selectionround"
APPROVE = "programs.approve_selectionround"
ENROL = "programs.add_beneficiary"
PERMANENT_CODES = ("pksa", "jslu", "jspaca")  # registry other_programs codes that are permanent


# --- rules ------------------------------------------------------------------------------


def program_rules(program: Program, *, by=None) -> RuleSet:
    """The program's active rule set, creating and activating the shipped default if none."""
    active = ruleset_active(program.rules_purpose)
    if active is not None:
        return active
    path = RULES_DIR / f"{program.code}.yaml"
    if not path.exists():
        raise ValidationError(_("Program %(p)s has no selection rules yet.") % {"p": program})
    ruleset = ruleset_create(
        text=path.read_text(), by=by, purpose=program.rules_purpose, parse=parse_program_rules
    )
    return ruleset_activate(ruleset=ruleset, by=by)


def compiled_rules(ruleset: RuleSet, as_of: date | None = None) -> CompiledProgramRules:
    return CompiledProgramRules(ProgramRulesSpec.model_validate(ruleset.spec), as_of)


# --- nominations ------------------------------------------------------------------------


def _check_area(by: User, area_code: str) -> None:
    if not scope_for(by).covers(area_code):
        raise PermissionDenied("area outside the user's scope")


def _other_codes(program: Program) -> list[str]:
    """Registry ``other_programs`` codes that mean another permanent assistance."""
    own = {program.code, program.parent.code if program.parent_id else ""}
    return [c for c in PERMANENT_CODES if c not in own]


def _other_beneficiaries(program: Program, year: int) -> set[int]:
    """Nominees of the program and year who are active beneficiaries of another permanent
    program (one query, with the nominees as a subquery)."""
    family = {program.pk, program.parent_id} - {None}
    nominees = Nomination.objects.filter(program=program, year=year).values("person_id")
    return set(
        Beneficiary.objects.filter(
            person_id__in=nominees,
            status=Beneficiary.Status.ACTIVE,
            program__permanent_assistance=True,
        )
        .exclude(program_id__in=family)
        .exclude(program__parent_id__in=family)
        .values_list("person_id", flat=True)
    )


@transaction.atomic
def nominate(
    *,
    by: User,
    program: Program,
    year: int,
    person: Person,
    source: str,
    case: Case | None = None,
    partner=None,
    profile: dict | None = None,
) -> Nomination:
    """Nominate one person (or update their profile if already nominated this year)."""
    require_perm(by, NOMINATE)
    _check_area(by, person.village_id)
    if program.parent_id is not None:
        raise ValidationError(_("Nominate for the program; the sub-program is chosen later."))
    if case is not None:
        if case.child_id != person.pk:
            raise ValidationError(_("That case is about another child."))
        if case.emergency_pending:
            raise ValidationError(IMMEDIATE_FIRST)
    profile = {k: v for k, v in (profile or {}).items() if k in PROFILE_FIELDS}
    nomination, created = Nomination.objects.get_or_create(
        program=program,
        year=year,
        person=person,
        defaults={
            "area_id": person.village_id,
            "source": source,
            "case": case,
            "partner": partner,
            "created_by": by,
            **profile,
        },
    )
    if not created and profile:
        for key, value in profile.items():
            setattr(nomination, key, value)
        nomination.version += 1
        nomination.save(update_fields=[*profile, "version"])
    nominations_flag(program=program, year=year, ids=[nomination.pk])
    nomination.refresh_from_db()
    audit_record(
        action="create" if created else "update",
        actor=by,
        obj=nomination,
        detail={"program": program.code, "year": year, "source": source},
    )
    return nomination


PROFILE_FIELDS = (
    "dependency",
    "assistive_device_needed",
    "bedridden",
    "fixed_income",
    "in_institution",
    "notes",
)


@transaction.atomic
def nomination_profile_update(
    *, by: User, nomination: Nomination, expected_version: int, profile: dict
) -> Nomination:
    """Edit the enumerator's profile, refused (ConflictError, nothing written) if someone
    saved the nomination since ``expected_version`` was loaded."""
    from pksai.cases.services import ConflictError, compare_and_set

    require_perm(by, NOMINATE)
    _check_area(by, nomination.area_id)
    fields = [k for k in PROFILE_FIELDS if k in profile]
    for key in fields:
        setattr(nomination, key, profile[key])
    if not compare_and_set(nomination, fields, expected_version):
        raise ConflictError(
            _(
                "Someone else changed this nomination since you opened it; nothing was saved. "
                "Reload the page to see their change."
            )
        )
    audit_record(
        action="update",
        actor=by,
        obj=nomination,
        detail={"profile": {k: str(profile[k]) for k in fields}},
    )
    return nomination


@transaction.atomic
def nominate_from_vulnerability(
    *, by: User, program: Program, year: int, area_code: str, risk_levels=("high", "medium")
) -> int:
    """Nominate, in bulk, every child of the area whose active vulnerability score is at one
    of ``risk_levels``; people already nominated stay as they are. Returns how many new."""
    from pksai.vulnerability.services import ruleset_active as vulnerability_active

    require_perm(by, NOMINATE)
    _check_area(by, area_code)
    active = vulnerability_active()
    if active is None:
        raise ValidationError(_("No active vulnerability rules: score the registry first."))
    rows = list(
        active.scores.filter(risk_level__in=risk_levels)
        .filter(village__code__startswith=area_code.rstrip(".") + ".")
        .values_list("person_id", "village_id")
    )
    before = Nomination.objects.filter(program=program, year=year).count()
    Nomination.objects.bulk_create(
        [
            Nomination(
                program=program,
                year=year,
                person_id=person_id,
                area_id=village_id,
                source=Nomination.Source.VULNERABILITY,
                created_by=by,
            )
            for person_id, village_id in rows
        ],
        ignore_conflicts=True,
        batch_size=5000,
    )
    added = Nomination.objects.filter(program=program, year=year).count() - before
    nominations_flag(program=program, year=year, area_code=area_code)
    audit_record(
        action="create",
        actor=by,
        object_type="programs.nomination",
        detail={"program": program.code, "year": year, "area": area_code, "added": added},
    )
    return added


def nominations_flag(
    *, program: Program, year: int, area_code: str = "", ids: list[int] | None = None
) -> None:
    """Set the duplicate and other-assistance flags of nominations (vectorised): a duplicate
    is another nominee of the program and year with the same NIK, or the same name, birth
    date and village (two registry records of one person)."""
    qs = Nomination.objects.filter(program=program, year=year)
    if area_code:
        qs = qs.filter(area__code__startswith=area_code.rstrip(".") + ".")
    frame = pl.DataFrame(
        list(
            Nomination.objects.filter(program=program, year=year).values_list(
                "pk",
                "person_id",
                "person__nik_hash",  # the keyed hash: compared, never opened (decision 0024)
                "person__name",
                "person__birth_date",
                "area_id",
                "flag_duplicate",
                "flag_other_assistance",
                "person__other_programs",
            )
        ),
        schema=[
            "id",
            "person_id",
            "nik",
            "name",
            "birth_date",
            "area",
            "was_dup",
            "was_other",
            "other_programs",
        ],
        orient="row",
    )
    if frame.is_empty():
        return
    frame = frame.with_columns(pl.col("name").str.to_uppercase().str.strip_chars())
    by_nik = pl.when(pl.col("nik") != "").then(pl.len().over("nik")).otherwise(1) > 1
    by_name = pl.len().over("name", "birth_date", "area") > 1
    frame = frame.with_columns((by_nik | by_name).alias("duplicate"))
    wanted = set(ids) if ids is not None else set(qs.values_list("pk", flat=True))
    frame = frame.filter(pl.col("id").is_in(list(wanted)) | pl.col("duplicate"))
    other = _other_beneficiaries(program, year)
    registry_says = (
        pl.col("other_programs")
        .fill_null("")
        .str.split(";")
        .list.eval(pl.element().is_in(_other_codes(program)))
        .list.any()
    )
    frame = frame.with_columns(
        (pl.col("person_id").is_in(list(other)) | registry_says).alias("other")
    )
    # write only the flags that change (a re-run, or a fresh nominee without flags, writes
    # nothing; huge id lists cost more than the update)
    frame = frame.filter(
        (pl.col("duplicate") != pl.col("was_dup")) | (pl.col("other") != pl.col("was_other"))
    )
    for (duplicate, other_flag), group in frame.group_by("duplicate", "other"):
        Nomination.objects.filter(pk__in=group["id"].to_list()).update(
            flag_duplicate=duplicate, flag_other_assistance=other_flag
        )


# --- selection rounds -------------------------------------------------------------------


def _nominee_frame(program: Program, year: int, area_code: str, names: set[str]) -> pl.DataFrame:
    """Nominees of the program, year and area with the registry facts, the enumerator's
    profile, the active vulnerability score and case concerns: one query, plus one for
    concerns."""
    from pksai.vulnerability.services import ruleset_active as vulnerability_active

    qn = connection.ops.quote_name
    registry = sorted((names & set(COLUMN_BY_NAME)) | {"birth_date", "welfare_decile"})
    columns = ["n.id", "n.person_id", "n.dependency", "n.assistive_device_needed"]
    columns += ["n.bedridden", "n.fixed_income", "n.in_institution", "n.flag_other_assistance"]
    labels = ["nomination_id", "person_id", "dependency", "assistive_device_needed"]
    labels += ["bedridden", "fixed_income", "in_institution", "other_assistance"]
    for column in registry:
        columns.append(f"{'h' if column in HOUSEHOLD_COLUMNS else 'p'}.{qn(column)}")
        labels.append(column)
    columns += ["s.risk_level", "s.neglect", "s.pmt_score", "s.criteria_count"]
    labels += ["risk_level", "neglect", "pmt_score", "criteria_count"]
    active = vulnerability_active()
    sql = (
        f"SELECT {', '.join(columns)} FROM programs_nomination n "  # noqa: S608 (our names)
        "JOIN registry_person p ON p.id = n.person_id "
        "JOIN registry_household h ON h.id = p.household_id "
        "LEFT JOIN vulnerability_score s ON s.person_id = n.person_id AND s.ruleset_id = %s "
        "WHERE n.program_id = %s AND n.year = %s AND (n.area_id = %s OR n.area_id LIKE %s)"
    )
    params = [active.pk if active else -1, program.pk, year, area_code, area_code + ".%"]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    frame = pl.DataFrame(rows, schema=labels, orient="row", infer_schema_length=None)
    if frame.is_empty():
        return frame
    bools = ["assistive_device_needed", "bedridden", "fixed_income", "in_institution"]
    typed = _typed(frame.select(registry))  # registry columns only ("person_id" is ours)
    frame = (
        frame.drop(registry)
        .hstack(typed)
        .with_columns(
            *[pl.col(c).cast(pl.Boolean) for c in [*bools, "other_assistance"]],
            pl.when(pl.col("dependency") == "").then(None).otherwise(pl.col("dependency")),
        )
    )
    concern_sql = (
        "SELECT c.child_id, cc.category FROM cases_case c "
        "JOIN cases_caseconcern cc ON cc.case_id = c.id "
        "JOIN programs_nomination n ON n.person_id = c.child_id "
        "WHERE c.stage <> 'void' AND n.program_id = %s AND n.year = %s "
        "AND (n.area_id = %s OR n.area_id LIKE %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(concern_sql, params[1:])
        concerns = pl.DataFrame(cursor.fetchall(), schema=["person_id", "category"], orient="row")
    from pksai.cases.models import Concern

    flags = [f"concern_{c}" for c in Concern.values]
    if concerns.height:
        wide = (
            concerns.unique()
            .with_columns(pl.lit(True).alias("v"), ("concern_" + pl.col("category")).alias("c"))
            .pivot(on="c", index="person_id", values="v")
        )
        frame = frame.join(wide, on="person_id", how="left")
    frame = frame.with_columns(
        [
            (pl.col(f).fill_null(False) if f in frame.columns else pl.lit(False)).alias(f)
            for f in flags
        ]
    )
    has_case = concerns["person_id"].unique().to_list() if concerns.height else []
    return frame.with_columns(pl.col("person_id").is_in(has_case).alias("has_case"))


def _sample(selected_ids: list[int], share: Decimal, seed: int) -> set[int]:
    """A reproducible random sample: the same ids, share and seed give the same sample."""
    if not selected_ids or share <= 0:
        return set()
    size = max(1, round(len(selected_ids) * float(share)))
    rng = np.random.default_rng(seed)
    return set(
        rng.choice(sorted(selected_ids), size=min(size, len(selected_ids)), replace=False).tolist()
    )


@dataclass(frozen=True)
class RoundResult:
    round: SelectionRound
    nominees: int
    eligible: int
    selected: int
    sample: int


def round_run(
    *,
    by: User,
    program: Program,
    year: int,
    area_code: str,
    places: int | None = None,
    seed: int | None = None,
    sample_share: Decimal = Decimal("0.100"),
    as_of: date | None = None,
) -> RoundResult:
    """Score and rank every nominee of the program, year and area with the active rules;
    the first ``places`` eligible (the area's quota unless given) are selected; a random
    sample of the selected (``sample_share``, from ``seed``) is marked for field
    verification. Nothing is approved yet."""
    require_perm(by, RUN_ROUND)
    _check_area(by, area_code)
    area = Area.objects.get(code=area_code)
    if places is None:
        quota = Quota.objects.filter(program=program, year=year, area=area).first()
        if quota is None:
            raise ValidationError(
                _("No quota for %(p)s in %(a)s for %(y)s.") % {"p": program, "a": area, "y": year}
            )
        places = quota.places
    ruleset = program_rules(program, by=by)
    rules = compiled_rules(ruleset, as_of)
    seed = seed if seed is not None else secrets.randbelow(2**31)
    frame = _nominee_frame(program, year, area_code, used_names(rules.spec))
    if frame.is_empty():
        raise ValidationError(_("Nobody is nominated for this program, year and area."))
    results = rules.apply(frame.lazy()).collect()
    ranked = rules.rank(results)
    tiers = [f"t_{t.id}" for t, _expr in rules.tiers]
    ranked = ranked.with_columns((pl.col("rank") <= places).alias("selected"))
    selected_ids = ranked.filter(pl.col("selected"))["nomination_id"].to_list()
    sample = _sample(selected_ids, sample_share, seed)
    entries = results.join(
        ranked.select("nomination_id", "rank", "selected"), on="nomination_id", how="left"
    ).with_columns(pl.col("selected").fill_null(False))
    with transaction.atomic():
        selection = SelectionRound.objects.create(
            program=program,
            year=year,
            area=area,
            ruleset=ruleset,
            places=places,
            seed=seed,
            sample_share=sample_share,
            nominees=results.height,
            eligible=ranked.height,
            selected=len(selected_ids),
            created_by=by,
        )
        # one frame, written with COPY / executemany (no model instance per nominee)
        bulk_upsert(
            table=RoundEntry._meta.db_table,
            frame=entries.select(
                pl.lit(selection.pk, dtype=pl.Int64).alias("round_id"),
                pl.col("nomination_id").cast(pl.Int64),
                pl.col("eligible").fill_null(False),
                pl.col("failed").fill_null("").str.slice(0, 300),
                pl.format(
                    "[{}]",
                    pl.concat_list([pl.col(t).cast(pl.String) for t in tiers]).list.join(", ")
                    if tiers
                    else pl.lit(""),
                ).alias("tiers"),
                pl.col("rank").cast(pl.Int64),
                pl.col("selected"),
                pl.col("nomination_id").is_in(list(sample)).alias("in_sample"),
                *[
                    pl.lit("").alias(c)
                    for c in ("verification", "verification_notes", "override", "override_reason")
                ],
            ),
            key=["round_id", "nomination_id"],
            update=[],
        )
        # sub-program matches (PKSA): shown on every nomination, chosen later
        if rules.subprograms:
            for matches, group in entries.group_by("matches"):
                codes = [c for c in (matches[0] or "").split(";") if c]
                Nomination.objects.filter(pk__in=group["nomination_id"].to_list()).update(
                    matches=codes
                )
        audit_record(
            action="create",
            actor=by,
            obj=selection,
            detail={
                "program": program.code,
                "year": year,
                "area": area_code,
                "rules": f"{ruleset.purpose} v{ruleset.version}",
                "places": places,
                "seed": seed,
                "nominees": results.height,
                "eligible": ranked.height,
                "selected": len(selected_ids),
                "sample": len(sample),
            },
        )
    return RoundResult(selection, results.height, ranked.height, len(selected_ids), len(sample))


def _round_for_change(selection: SelectionRound, by: User, perm: str) -> None:
    require_perm(by, perm)
    _check_area(by, selection.area_id)
    if selection.status == SelectionRound.Status.APPROVED:
        raise ValidationError(_("The round is approved: its list can no longer change."))


@transaction.atomic
def entry_verify(*, by: User, entry: RoundEntry, result: str, notes: str = "") -> RoundEntry:
    """Record the field verification of a sampled nominee."""
    _round_for_change(entry.round, by, RUN_ROUND)
    if not entry.in_sample:
        raise ValidationError(_("Only nominees in the verification sample are verified."))
    if result not in RoundEntry.Verification.values:
        raise ValidationError(_("Choose confirmed or not confirmed."))
    entry.verification, entry.verification_notes = result, notes.strip()[:300]
    entry.save(update_fields=["verification", "verification_notes"])
    audit_record(
        action="update", actor=by, obj=entry, detail={"verification": result, "notes": notes}
    )
    return entry


@transaction.atomic
def entry_exclude(*, by: User, entry: RoundEntry, reason: str) -> RoundEntry | None:
    """An officer takes a selected nominee off the list (e.g. not confirmed in the field),
    with a reason; the next eligible nominee by rank takes the place. Returns that one."""
    _round_for_change(entry.round, by, RUN_ROUND)
    if not reason.strip():
        raise ValidationError(_("Give a reason."))
    if not entry.selected:
        raise ValidationError(_("This nominee is not on the list."))
    entry.selected, entry.override, entry.override_reason = False, "exclude", reason.strip()
    entry.save(update_fields=["selected", "override", "override_reason"])
    successor = (
        RoundEntry.objects.filter(round=entry.round, eligible=True, selected=False, override="")
        .order_by("rank")
        .first()
    )
    if successor is not None:
        successor.selected = True
        successor.override = "include"
        successor.override_reason = _("Takes the place of rank %(r)s (%(why)s)") % {
            "r": entry.rank,
            "why": reason.strip(),
        }
        successor.save(update_fields=["selected", "override", "override_reason"])
    else:
        SelectionRound.objects.filter(pk=entry.round_id).update(selected=F("selected") - 1)
    audit_record(
        action="update",
        actor=by,
        obj=entry,
        detail={
            "override": "exclude",
            "reason": reason,
            "replaced_by": successor.nomination_id if successor else None,
        },
    )
    return successor


def round_makers(selection: SelectionRound) -> set[int]:
    """Who made the round's list (user ids): the officer who ran it — scored and ranked it; a
    re-run is a new round with its own maker — and every officer who took a nominee off it,
    putting the next one on (the entry keeps no author: the audit row of the override does).
    Recording the field verification of the sample does not make the list."""
    makers = {selection.created_by_id}
    excluded = [
        str(pk) for pk in selection.entries.filter(override="exclude").values_list("pk", flat=True)
    ]
    if excluded:
        makers |= set(
            AuditEvent.objects.filter(
                object_type=RoundEntry._meta.label_lower,
                object_id__in=excluded,
                action=AuditEvent.Action.UPDATE,
                detail__has_key="override",
                actor__isnull=False,
            ).values_list("actor_id", flat=True)
        )
    return makers


def round_approval_refusal(*, selection: SelectionRound, user: User) -> str:
    """Why ``user`` may not approve the round under four eyes (pksai.accounts.four_eyes), in
    the active language; "" when they may approve as far as four eyes go."""
    message = _("Another program officer must approve this round.")
    if self_approval_refusal(user=user, makers=[selection.created_by_id], message=message):
        return _("You ran this round.") + " " + message
    if self_approval_refusal(user=user, makers=round_makers(selection), message=message):
        return _("You changed this round's list.") + " " + message
    return ""


def round_approve(
    *, by: User, selection: SelectionRound, decree_number: str, decree_date: date
) -> SelectionRound:
    """A program officer with authority over the area approves the list under a decree.
    Four eyes: not the officer who ran the round or changed its list (``round_makers``)
    unless ``PKSAI_ALLOW_SELF_APPROVAL`` is on — a refusal is audited and raised as
    ``SelfApprovalRefused`` before anything is written. Every nominee in the verification
    sample must have a field result first."""
    _round_for_change(selection, by, APPROVE)
    refusal = round_approval_refusal(selection=selection, user=by)
    if refusal:  # audited outside the approval's transaction, so the attempt stays on record
        refuse_self_approval(by=by, obj=selection, message=refusal, rule="selection_round")
    with transaction.atomic():
        return _round_approve(
            by=by, selection=selection, decree_number=decree_number, decree_date=decree_date
        )


def _round_approve(
    *, by: User, selection: SelectionRound, decree_number: str, decree_date: date
) -> SelectionRound:
    if not decree_number.strip():
        raise ValidationError(_("Give the decree number."))
    pending = selection.entries.filter(in_sample=True, verification="").count()
    if pending:
        raise ValidationError(
            _("%(n)s nominees of the verification sample are not verified yet.") % {"n": pending}
        )
    selection.status = SelectionRound.Status.APPROVED
    selection.decree_number, selection.decree_date = decree_number.strip(), decree_date
    selection.approved_at, selection.approved_by = timezone.now(), by
    selection.version += 1
    selection.save()
    audit_record(
        action="update",
        actor=by,
        obj=selection,
        detail={"approved": True, "decree": decree_number, "decree_date": str(decree_date)},
    )
    return selection


# --- sub-program choice and enrolment ----------------------------------------------------


@transaction.atomic
def nomination_choose(
    *, by: User, nomination: Nomination, subprogram: Program, reason: str = ""
) -> Nomination:
    """For a nominee matching several sub-programs, the officer picks one; the reason is
    kept (required when there was a choice)."""
    require_perm(by, NOMINATE)
    _check_area(by, nomination.area_id)
    if subprogram.parent_id != nomination.program_id:
        raise ValidationError(_("That is not a sub-program of %(p)s.") % {"p": nomination.program})
    if nomination.matches and subprogram.code not in nomination.matches:
        raise ValidationError(_("The nominee does not match that sub-program."))
    if len(nomination.matches) > 1 and not reason.strip():
        raise ValidationError(
            _("The nominee matches several sub-programs: say why this one was chosen.")
        )
    nomination.chosen, nomination.choice_reason = subprogram, reason.strip()
    nomination.version += 1
    nomination.save(update_fields=["chosen", "choice_reason", "version"])
    audit_record(
        action="update",
        actor=by,
        obj=nomination,
        detail={"chosen": subprogram.code, "matches": nomination.matches, "reason": reason},
    )
    return nomination


def benefit_rule_on(program: Program, on: date) -> BenefitRule | None:
    """The benefit rule valid on a day: the (sub-)program's own, else its program's."""
    for candidate in (program, program.parent):
        if candidate is None:
            continue
        rule = candidate.benefit_rules.filter(valid_from__lte=on).order_by("-valid_from").first()
        if rule is not None:
            return rule
    return None


def _benefit_rule(program: Program, on: date) -> BenefitRule:
    rule = benefit_rule_on(program, on)
    if rule is None:
        raise ValidationError(
            _("%(p)s has no benefit rule valid on %(d)s.") % {"p": program, "d": on}
        )
    return rule


def _enrol_program(nomination: Nomination) -> Program:
    if nomination.chosen_id:
        return nomination.chosen
    if len(nomination.matches) == 1:
        return Program.objects.get(code=nomination.matches[0])
    if nomination.program.subprograms.exists():
        raise ValidationError(
            _("Choose the sub-program for %(name)s first.") % {"name": nomination.person.name}
        )
    return nomination.program


def _emergency_first(nomination: Nomination) -> None:
    """The triage protocol: social assistance only after an immediate-response child's
    emergency action has started."""
    if _awaiting_emergency([nomination.person_id]):
        raise ValidationError(IMMEDIATE_FIRST)


@transaction.atomic
def enrol(
    *,
    by: User,
    nomination: Nomination,
    start_date: date,
    facilitator: User | None = None,
    partner=None,
    selection: SelectionRound | None = None,
) -> Beneficiary:
    """Enrol one nominee: in the chosen (or only matching) sub-program; refused while the
    child has an immediate-response case whose emergency action has not started."""
    require_perm(by, ENROL)
    _check_area(by, nomination.area_id)
    _emergency_first(nomination)
    program = _enrol_program(nomination)
    if Beneficiary.objects.filter(
        person_id=nomination.person_id, program=program, status=Beneficiary.Status.ACTIVE
    ).exists():
        raise ValidationError(_("Already an active beneficiary of %(p)s.") % {"p": program})
    beneficiary = Beneficiary.objects.create(
        program=program,
        person_id=nomination.person_id,
        area_id=nomination.area_id,
        nomination=nomination,
        round=selection,
        start_date=start_date,
        benefit_rule=_benefit_rule(program, start_date),
        facilitator=facilitator,
        partner=partner or nomination.partner,
    )
    audit_record(
        action="create",
        actor=by,
        obj=beneficiary,
        detail={"program": program.code, "nomination": nomination.pk},
    )
    event_emit(kind="beneficiary.enrolled", obj=beneficiary)
    return beneficiary


def _awaiting_emergency(person_ids) -> set[int]:
    """Children with an open immediate-response case whose emergency action has not started
    (one query)."""
    from django.db.models import Exists, OuterRef

    from pksai.cases.models import EmergencyAction

    started = EmergencyAction.objects.filter(case=OuterRef("pk"), started_at__isnull=False)
    return set(
        Case.objects.filter(child_id__in=person_ids, response=Case.Response.IMMEDIATE)
        .exclude(stage__in=["closed", "void"])
        .exclude(Exists(started))
        .values_list("child_id", flat=True)
    )


@transaction.atomic
def round_enrol(*, by: User, selection: SelectionRound, start_date: date) -> dict:
    """Enrol, in bulk, everyone on an approved round's list who is not enrolled yet. Those
    who cannot be enrolled yet (a sub-program to choose, an emergency action not started,
    already a beneficiary) are returned with the reason, never skipped silently."""
    if selection.status != SelectionRound.Status.APPROVED:
        raise ValidationError(_("Approve the round before enrolling its list."))
    require_perm(by, ENROL)
    _check_area(by, selection.area_id)
    rows = list(
        selection.entries.filter(selected=True)
        .exclude(nomination_id__in=Beneficiary.objects.filter(round=selection).values("nomination"))
        .values_list(
            "nomination_id",
            "nomination__person_id",
            "nomination__area_id",
            "nomination__chosen__code",
            "nomination__matches",
            "nomination__partner_id",
        )
    )
    programs = {p.code: p for p in Program.objects.filter(parent=selection.program)}
    programs[selection.program.code] = selection.program
    has_subprograms = len(programs) > 1
    emergency = _awaiting_emergency([r[1] for r in rows])
    active = set(
        Beneficiary.objects.filter(
            person_id__in=[r[1] for r in rows],
            status=Beneficiary.Status.ACTIVE,
            program__in=list(programs.values()),
        ).values_list("person_id", flat=True)
    )
    rules: dict[str, BenefitRule] = {}
    new, waiting = [], []
    for nomination_id, person_id, area_id, chosen, matches, partner_id in rows:
        code = chosen or (matches[0] if len(matches or []) == 1 else None)
        code = code or (None if has_subprograms else selection.program.code)
        if code is None:
            waiting.append((nomination_id, _("a sub-program must be chosen")))
            continue
        if person_id in emergency:
            waiting.append((nomination_id, _("emergency action not yet started")))
            continue
        if person_id in active:
            waiting.append((nomination_id, _("already an active beneficiary")))
            continue
        if code not in rules:
            rules[code] = _benefit_rule(programs[code], start_date)
        new.append(
            Beneficiary(
                program=programs[code],
                person_id=person_id,
                area_id=area_id,
                nomination_id=nomination_id,
                round=selection,
                start_date=start_date,
                benefit_rule=rules[code],
                partner_id=partner_id,
            )
        )
    Beneficiary.objects.bulk_create(new, batch_size=5000)
    audit_record(
        action="create",
        actor=by,
        object_type="programs.beneficiary",
        detail={"round": selection.pk, "enrolled": len(new), "waiting": len(waiting)},
    )
    events_emit_bulk(
        kind="beneficiary.enrolled", queryset=Beneficiary.objects.filter(round=selection), once=True
    )
    return {"enrolled": len(new), "waiting": waiting}


# --- the nominee's photo ------------------------------------------------------------------


PHOTOS = "attachments"  # shared storage (pksai.core.files), under nominees/


def photo_name(nomination: Nomination) -> str:
    return f"nominees/{nomination.photo}"


@transaction.atomic
def nomination_photo_save(*, by: User, nomination: Nomination, upload) -> Nomination:
    """The enumerator's full-body photo of the nominee: JPEG or PNG (recognised by its bytes),
    stored outside the web root under a random name, served only by a scoped, audited view."""
    import uuid

    from django.conf import settings

    from pksai.cases.records import _sniff

    require_perm(by, NOMINATE)
    _check_area(by, nomination.area_id)
    limit = settings.ATTACHMENT_MAX_BYTES
    data = upload.read(limit + 1)
    if not data:
        raise ValidationError(_("The file is empty."))
    if len(data) > limit:
        raise ValidationError(
            _("The file is too large (at most %(mb)s MB).") % {"mb": limit // 2**20}
        )
    sniffed = _sniff(data[:16])
    if sniffed is None or not sniffed[0].startswith("image/"):
        raise ValidationError(_("The photo must be a JPEG or PNG image."))
    name = uuid.uuid4().hex + sniffed[1]
    previous = nomination.photo
    nomination.photo = name
    files.save_bytes(PHOTOS, photo_name(nomination), data)
    nomination.version += 1
    nomination.save(update_fields=["photo", "version"])
    audit_record(
        action="update",
        actor=by,
        obj=nomination,
        detail={"photo": name, "replaced": previous or None, "bytes": len(data)},
    )
    return nomination
