"""Reading programs, nominations, rounds and beneficiaries — always through the user's scope
(the record's own area: the nominee's village, the round's regency)."""

from __future__ import annotations

from datetime import date

import polars as pl
from django.db.models import Func, IntegerField, Q, QuerySet
from django.http import Http404
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext

from pksai.accounts.scoping import get_scoped_or_404, get_visible_or_404, require_perm, scoped
from pksai.areas.codes import area_q
from pksai.programs.models import (
    Beneficiary,
    BenefitRule,
    Nomination,
    Program,
    Quota,
    RoundEntry,
    SelectionRound,
)
from pksai.programs.rules import ProgramRulesSpec, label_text
from pksai.registry.models import Person

VIEW_NOMINATION = "programs.view_nomination"
VIEW_ROUND = "programs.view_selectionround"
VIEW_BENEFICIARY = "programs.view_beneficiary"


def nomination_list(*, user, program=None, year: int | None = None) -> QuerySet[Nomination]:
    qs = scoped(Nomination.objects.all(), user, perm=VIEW_NOMINATION, area_field="area")
    if program is not None:
        qs = qs.filter(program=program)
    if year:
        qs = qs.filter(year=year)
    return qs.select_related("person", "program", "chosen", "area")


def nomination_get(*, user, pk: int) -> Nomination:
    return get_scoped_or_404(
        Nomination.objects.select_related("person", "program", "chosen", "case"),
        user,
        perm=VIEW_NOMINATION,
        area_field="area",
        pk=pk,
    )


def round_list(*, user) -> QuerySet[SelectionRound]:
    return scoped(SelectionRound.objects.select_related("program", "area"), user, perm=VIEW_ROUND)


def round_get(*, user, pk: int) -> SelectionRound:
    return get_scoped_or_404(
        SelectionRound.objects.select_related("program", "area", "ruleset", "approved_by"),
        user,
        perm=VIEW_ROUND,
        pk=pk,
    )


def round_entries(selection: SelectionRound, *, only_selected: bool = False):
    qs = selection.entries.select_related(
        "nomination__person", "nomination__area", "nomination__chosen"
    ).order_by("rank", "id")
    if only_selected:
        qs = qs.filter(selected=True)
    return qs


def tier_labels(selection: SelectionRound) -> list[str]:
    spec = ProgramRulesSpec.model_validate(selection.ruleset.spec)
    return [label_text(t.label) for t in spec.priority]


def decree_frame(selection: SelectionRound) -> pl.DataFrame:
    """The approval list as a table: rank, name, NIK, sex, birth date, village, priority."""
    rows = round_entries(selection, only_selected=True).values_list(
        "rank",
        "nomination__person__name",
        "nomination__person__nik",
        "nomination__person__sex",
        "nomination__person__birth_date",
        "nomination__area_id",
        "nomination__area__name",
        "tiers",
        "nomination__chosen__name_id",
        "nomination__chosen__name_en",
    )
    # sex and sub-program as words in the reader's language, not codes
    sexes = {code: str(capfirst(label)) for code, label in Person._meta.get_field("sex").choices}
    english = get_language() == "en"
    return pl.DataFrame(
        [
            (
                rank,
                name,
                nik,
                sexes.get(sex, sex),
                birth.isoformat(),
                village,
                place,
                " · ".join(str(t) for t in tiers),
                (english and chosen_en) or chosen_id or "",
            )
            for rank, name, nik, sex, birth, village, place, tiers, chosen_id, chosen_en in rows
        ],
        schema=[
            "rank",
            "name",
            "nik",
            "sex",
            "birth_date",
            "village_code",
            "village",
            "priority",
            "subprogram",
        ],
        orient="row",
    )


def beneficiary_list(*, user, program=None) -> QuerySet[Beneficiary]:
    qs = scoped(Beneficiary.objects.all(), user, perm=VIEW_BENEFICIARY, area_field="area")
    if program is not None:
        qs = qs.filter(program=program)
    return qs.select_related("person", "program", "facilitator", "partner")


# --- for the programs pages (views.py) ----------------------------------------------------
# Additive: small reads of the program pages (index, nominations filters, round labels).

VIEW_PROGRAM = "programs.view_program"


def program_tree(*, user) -> list[Program]:
    """Active top-level programs, each with ``subs`` (its active sub-programs)."""
    require_perm(user, VIEW_PROGRAM)
    programs = list(Program.objects.filter(is_active=True).order_by("code"))
    by_parent: dict[int, list[Program]] = {}
    for program in programs:
        if program.parent_id:
            by_parent.setdefault(program.parent_id, []).append(program)
    top = [p for p in programs if p.parent_id is None]
    for program in top:
        program.subs = by_parent.get(program.pk, [])
    return top


def program_get(*, user, code: str, top_level: bool = False) -> Program:
    require_perm(user, VIEW_PROGRAM)
    qs = Program.objects.select_related("parent")
    if top_level:
        qs = qs.filter(parent__isnull=True)
    program = qs.filter(code=code).first()
    if program is None:
        raise Http404("No program matches the given query.")
    return program


def program_names() -> dict[str, str]:
    """Program code → name (in the active language): reference data, not personal."""
    return {p.code: p.name for p in Program.objects.all()}


def current_benefits(on: date) -> dict[int, BenefitRule]:
    """Program id → the benefit rule valid on ``on`` (a sub-program without its own rule
    gets its program's)."""
    rules: dict[int, BenefitRule] = {}
    for rule in BenefitRule.objects.filter(valid_from__lte=on).order_by("program", "-valid_from"):
        rules.setdefault(rule.program_id, rule)
    for program in Program.objects.filter(parent__isnull=False).exclude(pk__in=list(rules)):
        if program.parent_id in rules:
            rules[program.pk] = rules[program.parent_id]
    return rules


def quota_list(*, user, year: int) -> QuerySet[Quota]:
    return scoped(
        Quota.objects.filter(year=year).select_related("program", "area"),
        user,
        perm=VIEW_PROGRAM,
        area_field="area",
    ).order_by("program__code", "area_id")


class _JsonArrayLength(Func):
    function = "JSON_ARRAY_LENGTH"
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="JSONB_ARRAY_LENGTH", **extra)


NOMINATION_FLAGS = ("duplicate", "other_assistance", "several")


def nomination_search(
    *, user, program, year: int, area: str = "", flag: str = "", source: str = ""
) -> QuerySet[Nomination]:
    """The nominations page: a program's nominees of a year in scope, filtered by area code
    prefix, flag (duplicate, other assistance, several sub-programs) and source."""
    qs = nomination_list(user=user, program=program, year=year)
    area = area.strip().rstrip(".")
    if area:
        qs = qs.filter(area_q("area", area))
    if flag == "duplicate":
        qs = qs.filter(flag_duplicate=True)
    elif flag == "other_assistance":
        qs = qs.filter(flag_other_assistance=True)
    elif flag == "several":
        qs = qs.annotate(n_matches=_JsonArrayLength("matches")).filter(n_matches__gt=1)
    if source:
        qs = qs.filter(source=source)
    return qs.order_by("area_id", "person__name", "id")


def nomination_rounds(nomination: Nomination) -> QuerySet[RoundEntry]:
    """The nominee's results in selection rounds (the nomination is already scoped)."""
    return nomination.entries.select_related("round").order_by("-round__created_at")


def nomination_beneficiary(nomination: Nomination) -> Beneficiary | None:
    return (
        Beneficiary.objects.filter(nomination=nomination)
        .select_related("program")
        .order_by("-start_date")
        .first()
    )


def nominations_named(*, user, ids) -> dict[int, Nomination]:
    """Nominations by id (in scope), with the person: e.g. those still waiting to be enrolled."""
    return {n.pk: n for n in nomination_list(user=user).filter(pk__in=list(ids))}


def round_list_for(*, user, program, year: int | None = None) -> QuerySet[SelectionRound]:
    qs = round_list(user=user).filter(program=program)
    if year:
        qs = qs.filter(year=year)
    return qs


def round_labels(selection: SelectionRound) -> dict[str, str]:
    """Condition, exclusion and tier id → label (active language) of the round's rules."""
    spec = ProgramRulesSpec.model_validate(selection.ruleset.spec)
    out = {"population": gettext("Not in the program's target group")}
    out |= {c.id: label_text(c.label) for c in spec.eligibility}
    out |= {c.id: label_text(c.label) for c in spec.exclusions}
    out |= {t.id: label_text(t.label) for t in spec.priority}
    return out


def round_ranked(selection: SelectionRound):
    return round_entries(selection).filter(eligible=True)


def round_ineligible(selection: SelectionRound):
    return (
        selection.entries.filter(eligible=False)
        .select_related("nomination__person", "nomination__area")
        .order_by("nomination__person__name", "id")
    )


def beneficiary_search(*, user, program, status: str = "") -> QuerySet[Beneficiary]:
    """A program's beneficiaries in scope, its sub-programs' included."""
    qs = scoped(Beneficiary.objects.all(), user, perm=VIEW_BENEFICIARY, area_field="area")
    qs = qs.filter(Q(program=program) | Q(program__parent=program))
    if status:
        qs = qs.filter(status=status)
    return qs.select_related(
        "person", "program", "area", "facilitator", "partner", "benefit_rule"
    ).order_by("-start_date", "-id")


def round_entry_get(selection: SelectionRound, pk: int) -> RoundEntry:
    """One entry of a round (the round is already scoped), else Http404; an entry of another
    round is audited as permission_denied."""
    return get_visible_or_404(
        selection.entries.select_related("round", "nomination__person", "nomination__area"),
        pk=pk,
    )


def round_pending_verification(selection: SelectionRound) -> int:
    return selection.entries.filter(in_sample=True, verification="").count()


def subprograms(program: Program) -> list[Program]:
    return list(program.subprograms.filter(is_active=True).order_by("code"))
