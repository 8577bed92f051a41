"""Reading programs, nominations, rounds and beneficiaries — always through the user's scope
(the record's own area: the nominee's village, the round's regency)."""

from __future__ import annotations

import polars as pl
from django.db.models import QuerySet

from pksai.accounts.scoping import get_scoped_or_404, scoped
from pksai.programs.models import Beneficiary, Nomination, SelectionRound
from pksai.programs.rules import ProgramRulesSpec, label_text

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
        "nomination__chosen__code",
    )
    return pl.DataFrame(
        [
            (
                rank,
                name,
                nik,
                sex,
                birth.isoformat(),
                village,
                village_name,
                " · ".join(str(t) for t in tiers),
                chosen or "",
            )
            for rank, name, nik, sex, birth, village, village_name, tiers, chosen in rows
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
