"""Reads for the retention page and API, always through accounts.scoping: holds by the
area they are filed under; the targets of a new hold inside the user's scope."""

from __future__ import annotations

from django.db.models import F, QuerySet

from pksai.accounts.scoping import get_scoped_or_404, require_perm, scoped
from pksai.retention.models import LegalHold, RetentionRule, RetentionRun

VIEW_RULES = "retention.view_retentionrule"
VIEW_HOLDS = "retention.view_legalhold"
ADD_HOLD = "retention.add_legalhold"
CHANGE_HOLD = "retention.change_legalhold"
VIEW_RUNS = "retention.view_retentionrun"


def retention_rules(*, user) -> QuerySet[RetentionRule]:
    """Every rule, current and past and future (the schedule is reference data)."""
    require_perm(user, VIEW_RULES)
    return RetentionRule.objects.order_by("kind", "-valid_from")


def legal_holds(*, user) -> QuerySet[LegalHold]:
    """Holds filed under the user's areas, active ones first."""
    return (
        scoped(LegalHold.objects.all(), user, perm=VIEW_HOLDS, area_field="area")
        .select_related("case", "complaint", "area", "created_by", "released_by")
        .order_by(F("released_at").desc(nulls_first=True), "-created_at", "-id")
    )


def legal_hold_get(*, user, pk: int, perm: str = CHANGE_HOLD) -> LegalHold:
    """One hold in the user's scope, else 404 (missing or out of scope: the same, audited)."""
    return get_scoped_or_404(
        LegalHold.objects.select_related("case", "complaint"),
        user,
        perm=perm,
        area_field="area",
        pk=pk,
    )


def retention_runs(*, user, limit: int = 20) -> QuerySet[RetentionRun]:
    """The latest runs (national counts, no personal data)."""
    require_perm(user, VIEW_RUNS)
    return RetentionRun.objects.order_by("-started_at", "-id")[:limit]


def hold_case(*, user, number: str):
    from pksai.cases.models import Case

    return (
        scoped(Case.objects.all(), user, perm=ADD_HOLD, area_field="area")
        .filter(number=number.strip())
        .first()
    )


def hold_person(*, user, pk: int):
    from pksai.registry.models import Person

    return (
        scoped(Person.objects.all(), user, perm=ADD_HOLD, area_field="village")
        .filter(pk=pk)
        .first()
    )


def hold_complaint(*, user, code: str):
    from pksai.grievances.models import Complaint

    return (
        scoped(Complaint.objects.all(), user, perm=ADD_HOLD, area_field="area")
        .filter(code=code.strip().upper())
        .first()
    )
