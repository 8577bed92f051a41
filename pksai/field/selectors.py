"""What a field worker may take offline, as compact JSON-ready dicts (decision 0032).

Three kinds, each read through the same selectors the pages use, so scope and masking are
the pages' own:

* ``cases``: her open cases (owner = her) from ``cases.selectors.case_list`` — restricted
  children masked and guardians' phones left out where ``sees_restricted_fields`` says so;
* ``beneficiaries``: the active beneficiaries she facilitates (the "my beneficiaries" page);
* ``outreach``: one village's outreach list (``vulnerability.selectors.outreach_list``), only
  for a village in her scope.

Codes (stage, risk, sex, concern) travel as codes; the app shows them with the labels of
``pksai.field.strings``. Each kind costs a fixed handful of queries whatever the count."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, Max, Prefetch
from django.http import Http404

from pksai.accounts.scoping import require_perm, scope_for
from pksai.areas.codes import normalise_area_code
from pksai.areas.models import Area
from pksai.audit.services import audit_refusal
from pksai.cases import selectors as case_selectors
from pksai.cases.models import Assessment, PlanAction, Visit
from pksai.cases.workflow import OPEN_STAGES
from pksai.programs.facilitation import LOG_VISIT
from pksai.programs.models import Beneficiary
from pksai.vulnerability import selectors as vulnerability_selectors
from pksai.vulnerability.services import compiled, ruleset_active

KINDS = ("cases", "beneficiaries", "outreach")
LAST_VISITS = 3  # visits of a case kept offline, newest first
OBSERVATION_CHARS = 280  # a visit's observations, cut to a summary


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _when(value) -> str | None:
    return value.isoformat() if value else None


def _case_item(case, user) -> dict[str, Any]:
    full = case_selectors.sees_restricted_fields(case, user)
    assessments = sorted(case.assessments.all(), key=lambda a: (a.created_at, a.pk))
    latest = assessments[-1] if assessments else None
    open_actions = [
        a
        for a in case.plan_actions.all()
        if a.status in {PlanAction.Status.PLANNED, PlanAction.Status.IN_PROGRESS}
    ]
    open_actions.sort(key=lambda a: (a.due_date, a.pk))
    visits = sorted(case.visits.all(), key=lambda v: (v.visited_on, v.pk), reverse=True)
    masked = case.restricted and not full
    return {
        "id": case.pk,
        "number": case.number,
        "version": case.version,
        "stage": case.stage,
        "due": _when(case.stage_due_at),
        "restricted": case.restricted,
        "concerns": sorted(c.category for c in case.concerns.all()),
        "child": {
            "name": case_selectors.display_name(case, user),
            "sex": "" if masked else case.child.sex,
            "birth": None if masked else _day(case.child.birth_date),
        },
        "place": case.area.name,
        # the case's own text (the field a device may change); not for a masked child
        **({} if masked else {"summary": case.summary}),
        "guardians": [
            {"name": g.name, "relation": g.relation, "phone": g.phone if full else ""}
            for g in case.guardians.all()
        ]
        if not masked
        else [],
        "assessment": {
            "kind": latest.kind,
            "risk": latest.risk,
            "done": _when(latest.completed_at),
        }
        if latest
        else None,
        "visits": [
            {
                "id": v.pk,
                "version": v.version,  # a device corrects its place or who was seen on it
                "on": _day(v.visited_on),
                "place": v.place,
                "seen": v.seen,
                "notes": v.observations[:OBSERVATION_CHARS] if full else "",
            }
            for v in visits[:LAST_VISITS]
        ],
        "next": {"text": open_actions[0].description, "due": _day(open_actions[0].due_date)}
        if open_actions
        else None,
    }


def field_cases(*, user) -> list[dict[str, Any]]:
    """Her open cases (she is the owner), oldest due first: 6 queries for any number."""
    qs = (
        case_selectors.case_list(user=user)
        .filter(owner=user, stage__in=OPEN_STAGES)
        .prefetch_related(
            "guardians",
            Prefetch("assessments", queryset=Assessment.objects.order_by()),
            Prefetch("plan_actions", queryset=PlanAction.objects.order_by()),
            Prefetch("visits", queryset=Visit.objects.order_by()),
        )
        .order_by("stage_due_at", "id")
    )
    return [_case_item(case, user) for case in qs]


def field_beneficiaries(*, user) -> list[dict[str, Any]]:
    """The active beneficiaries she facilitates (as /facilitation/mine/), with the last visit
    and the number of visits: one query."""
    require_perm(user, LOG_VISIT)
    qs = (
        Beneficiary.objects.filter(facilitator=user, status=Beneficiary.Status.ACTIVE)
        .select_related("person", "person__household", "program", "area")
        .annotate(last_visit=Max("visits__visited_on"), visit_count=Count("visits"))
        .order_by("person__name", "id")
    )
    return [
        {
            "id": b.pk,
            "version": b.version,
            "name": b.person.name,
            "sex": b.person.sex,
            "birth": _day(b.person.birth_date),
            "program": b.program.name,
            "place": b.area.name,
            "address": b.person.household.address,
            "since": _day(b.start_date),
            "last_visit": _day(b.last_visit),
            "visits": b.visit_count,
        }
        for b in qs
    ]


def field_village(*, user, code: str) -> Area:
    """A village in the user's scope, else Http404 (the same for a missing one; a village
    out of scope is audited as refused, as accounts.scoping does for records)."""
    normalised = normalise_area_code(code or "") or "-"
    village = Area.objects.filter(code=normalised, level=4).first()
    if village is not None and scope_for(user).covers(village.code):
        return village
    refused = Http404("No village matches the given query.")
    if village is not None:
        # kept by the API's 404 handler if the taking's transaction rolls it back
        refused.pksai_refusal = audit_refusal(
            object_type="areas.area",
            object_id=village.code,
            detail={"reason": "field outreach list out of scope"},
        )
    raise refused


def field_outreach(*, user, village: Area) -> list[dict[str, Any]]:
    """The village's outreach list as on /vulnerability/outreach/<code>/: one query plus the
    active rule set."""
    active = ruleset_active()
    labels = compiled(active).labels() if active else {}
    return [
        {
            "id": s.person_id,
            "name": s.person.name,
            "sex": s.person.sex,
            "age": s.age,
            "risk": s.risk_level,
            "head": s.head_name or "",
            "address": s.person.household.address,
            "why": [labels.get(i, i) for i in s.fired.split(";") if i],
        }
        for s in vulnerability_selectors.outreach_list(user=user, village=village)
    ]
