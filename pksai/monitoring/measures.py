"""Measures: the counts indicators are made of, each defined once over our records.

A measure names its model, the area column it is scoped and grouped by (area codes are
hierarchical, so a province, regency or district is a prefix of the code), the date that puts a
record in a period, the filter, and the columns that disaggregate it (sex, age at the period's
end, program). ``measure_counts`` returns one grouped query's counts — the national roll-up
and every disaggregation are ``GROUP BY`` in the database, never a Python loop over records.
Which measures make an indicator (numerator ÷ denominator), its baseline, target and SDG target
are data (``monitoring.Indicator``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db.models import Case as Cond
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    Min,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pksai.accounts.scoping import scope_for
from pksai.areas.codes import area_q
from pksai.cases.models import Case, CaseEvent, EmergencyAction
from pksai.grievances.models import Complaint
from pksai.grievances.models import Status as ComplaintStatus
from pksai.payments.models import Entitlement
from pksai.programs.models import Beneficiary, Nomination
from pksai.referrals.models import Referral, Satisfaction
from pksai.referrals.models import Status as ReferralStatus
from pksai.vulnerability.models import RuleSet, Score

GROUPS = (
    "national",
    "province",
    "regency",
    "district",
    "month",
    "sex",
    "age_group",
    "program",
    "type",
)
AREA_DIGITS = {"province": 2, "regency": 5, "district": 8}
AGE_GROUPS = ((0, 5, "0-4"), (5, 13, "5-12"), (13, 18, "13-17"), (18, 60, "18-59"))


@dataclass(frozen=True)
class Measure:
    code: str
    label: Any
    model: Any
    area: str  # a direct foreign key to Area (its value is the area code)
    date: str | None  # the date or datetime that puts a record in a period
    where: Callable[[int | None], Q] = lambda _param: Q()
    sex: str | None = None
    birth: str | None = None  # birth date (age at the period's end)
    age: str | None = None  # or an age column
    program: str | None = None
    kind: str | None = None  # a type column (the service of a referral): the "type" grouping
    aggregate: Callable[[], Any] = field(default=lambda: Count("pk"))
    # Disjoint filters that together mean ``where``, counted one query each and added up,
    # when one ORed filter would be slow (see ``_reached_parts``).
    parts: Callable[[int | None], tuple[Q, ...]] | None = None
    # a figure for today whose value at the end of a past month can be rebuilt from the
    # enrolment and exit dates (``facilitation_month_ends``): the facilitation measures
    at_month_end: bool = False

    def groups(self) -> list[str]:
        allowed = ["national", "province", "regency", "district"]
        allowed += ["month"] if self.date else []
        allowed += ["sex"] if self.sex else []
        allowed += ["age_group"] if (self.birth or self.age) else []
        allowed += ["program"] if self.program else []
        allowed += ["type"] if self.kind else []
        return allowed


def _not_void() -> Q:
    return ~Q(stage="void")


def _immediate_acted(hours: int | None) -> Q:
    started = EmergencyAction.objects.filter(
        case=OuterRef("pk"),
        started_at__lte=OuterRef("created_at") + timedelta(hours=hours or 24),
    )
    return Q(response=Case.Response.IMMEDIATE) & Q(Exists(started))


def _plan_approved(days: int | None) -> Q:
    approved = CaseEvent.objects.filter(
        case=OuterRef("pk"),
        kind="approve_plan",
        at__lte=OuterRef("created_at") + timedelta(days=days or 30),
    )
    return _not_void() & Q(Exists(approved))


def _active_vulnerability_children(_param: int | None) -> Q:
    return Q(
        ruleset__in=RuleSet.objects.filter(purpose="vulnerability", status="active"),
        risk_level__in=("high", "medium"),
        age__lt=18,
    )


def _live_cases():
    return Case.objects.exclude(stage="void")


def _reached(param: int | None) -> Q:
    """The meaning of ``vulnerable_reached`` (a live case or an enrolment); the counting runs
    as the two disjoint parts of ``_reached_parts``."""
    # A score belongs to an identity; its case or enrolment may sit on another record of the
    # same person (a child first recorded at case intake, linked to the registry later).
    with_case = _live_cases().filter(child__identity=OuterRef("identity_id"))
    enrolled = Beneficiary.objects.filter(person__identity=OuterRef("identity_id"))
    return _active_vulnerability_children(param) & (Q(Exists(with_case)) | Q(Exists(enrolled)))


def _reached_parts(param: int | None) -> tuple[Q, ...]:
    # ``EXISTS … OR EXISTS …`` cannot become a join: PostgreSQL probes both indexes once per
    # high/medium-risk child (1.5 million probes at 10 million people, ~4 s), and a UNION
    # inside ``IN`` hides its size from the planner (it guessed 200 rows and probed 1.3 million
    # times, ~10 s). Two disjoint parts — children with a live case; enrolled children without
    # one — are each a hash semi-join over the case or enrolment table (~1.3 s each).
    children = _active_vulnerability_children(param)
    live = _live_cases().values("child__identity_id")
    with_case = _live_cases().filter(child__identity=OuterRef("identity_id"))
    enrolled = Beneficiary.objects.values("person__identity_id")
    return (
        children & Q(identity_id__in=live),
        children & Q(identity_id__in=enrolled) & ~Q(Exists(with_case)),
    )


def _facilitators_loaded(within: str) -> Callable[[int | None], Q]:
    """Active enrolments of facilitators whose whole caseload (active beneficiaries, every
    area) is within the program's target range (``caseload_min``–``caseload_target``, data on
    the program) or above its maximum (``caseload_max``); a facilitator of several programs is
    held to the strictest. One grouped subquery (``HAVING``), never a loop per facilitator."""

    def where(_param: int | None) -> Q:
        loads = (
            Beneficiary.objects.filter(status="active", facilitator__isnull=False)
            .order_by()
            .values("facilitator")
            .annotate(
                load=Count("pk"),
                low=Min("program__caseload_min"),
                high=Min("program__caseload_target"),
                top=Min("program__caseload_max"),
            )
        )
        if within == "target":
            loads = loads.filter(load__gte=F("low"), load__lte=F("high"))
        else:
            loads = loads.filter(load__gt=F("top"))
        return Q(status="active", facilitator__in=loads.values("facilitator"))

    return where


DELIVERED = (ReferralStatus.DELIVERED, ReferralStatus.CLOSED)
RESOLVED = (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED)

MEASURES: dict[str, Measure] = {
    m.code: m
    for m in [
        Measure(
            "cases_reported",
            _("cases reported"),
            Case,
            "area",
            "created_at",
            lambda _p: _not_void(),
            sex="child__sex",
            birth="child__birth_date",
        ),
        Measure(
            "cases_responded",
            _("cases responded (triaged)"),
            Case,
            "area",
            "created_at",
            lambda _p: _not_void() & ~Q(response=""),
            sex="child__sex",
            birth="child__birth_date",
        ),
        Measure(
            "cases_immediate",
            _("immediate-response cases"),
            Case,
            "area",
            "created_at",
            lambda _p: Q(response=Case.Response.IMMEDIATE),
            sex="child__sex",
            birth="child__birth_date",
        ),
        Measure(
            "cases_immediate_acted",
            _("immediate-response cases acted on in time (hours: parameter, 24)"),
            Case,
            "area",
            "created_at",
            _immediate_acted,
            sex="child__sex",
            birth="child__birth_date",
        ),
        Measure(
            "cases_plan_approved",
            _("cases with a plan approved in time (days: parameter, 30)"),
            Case,
            "area",
            "created_at",
            _plan_approved,
            sex="child__sex",
            birth="child__birth_date",
        ),
        Measure(
            "referrals_sent",
            _("referrals for a service"),
            Referral,
            "area",
            "sent_at",
            lambda _p: Q(kind=Referral.Kind.REFERRAL),
            kind="service__code",
        ),
        Measure(
            "referrals_completed",
            _("referrals with the service delivered"),
            Referral,
            "area",
            "sent_at",
            lambda _p: Q(kind=Referral.Kind.REFERRAL, status__in=DELIVERED),
            kind="service__code",
        ),
        Measure(
            "birth_certificates",
            _("birth certificates obtained (referrals delivered)"),
            Referral,
            "area",
            "sent_at",
            lambda _p: Q(service__code="birth_certificate", status__in=DELIVERED),
        ),
        Measure(
            "vulnerable_children",
            _("high- and medium-risk children"),
            Score,
            "village",
            None,
            _active_vulnerability_children,
            sex="sex",
            age="age",
        ),
        Measure(
            "vulnerable_reached",
            _("high- and medium-risk children with a case or an enrolment"),
            Score,
            "village",
            None,
            _reached,
            sex="sex",
            age="age",
            parts=_reached_parts,
        ),
        Measure(
            "beneficiaries",
            _("beneficiaries enrolled"),
            Beneficiary,
            "area",
            "start_date",
            program="program__code",
            sex="person__sex",
            birth="person__birth_date",
        ),
        Measure(
            "active_beneficiaries",
            _("active beneficiaries (today)"),
            Beneficiary,
            "area",
            None,
            lambda _p: Q(status="active"),
            program="program__code",
            sex="person__sex",
            birth="person__birth_date",
        ),
        Measure(
            "people_nominated",
            _("eligible people identified (nominated, any year)"),
            Nomination,
            "area",
            None,
            # People no longer in the current registry leave the coverage denominator; each
            # person once, whichever of their records was nominated (issue 15).
            lambda _p: Q(person__in_registry=True),
            program="program__code",
            sex="person__sex",
            birth="person__birth_date",
            aggregate=lambda: Count("person__identity", distinct=True),
        ),
        Measure(
            "facilitators",
            _("facilitators with beneficiaries"),
            Beneficiary,
            "area",
            None,
            lambda _p: Q(status="active", facilitator__isnull=False),
            program="program__code",
            aggregate=lambda: Count("facilitator", distinct=True),
            at_month_end=True,
        ),
        Measure(
            "facilitators_in_target",
            _("facilitators within the program's caseload target range"),
            Beneficiary,
            "area",
            None,
            _facilitators_loaded("target"),
            program="program__code",
            aggregate=lambda: Count("facilitator", distinct=True),
            at_month_end=True,
        ),
        Measure(
            "facilitators_over_max",
            _("facilitators above the program's caseload maximum"),
            Beneficiary,
            "area",
            None,
            _facilitators_loaded("over"),
            program="program__code",
            aggregate=lambda: Count("facilitator", distinct=True),
            at_month_end=True,
        ),
        Measure(
            "facilitated_beneficiaries",
            _("active beneficiaries with a facilitator"),
            Beneficiary,
            "area",
            None,
            lambda _p: Q(status="active", facilitator__isnull=False),
            program="program__code",
        ),
        Measure(
            "payments_paid",
            _("payments made"),
            Entitlement,
            "area",
            "cycle__period",
            lambda _p: Q(status="paid"),
            program="cycle__program__code",
        ),
        Measure(
            "payments_on_time",
            _("payments made by the 15th"),
            Entitlement,
            "area",
            "cycle__period",
            lambda _p: Q(status="paid", days_late__lte=0),
            program="cycle__program__code",
        ),
        Measure(
            "complaints_resolved",
            _("complaints resolved"),
            Complaint,
            "area",
            "created_at",
            lambda _p: Q(status__in=RESOLVED),
        ),
        Measure(
            "complaints_resolved_on_time",
            _("complaints resolved by their due date"),
            Complaint,
            "area",
            "created_at",
            lambda _p: Q(status__in=RESOLVED, resolved_at__lte=F("due_at")),
        ),
        Measure(
            "satisfaction_answers",
            _("client satisfaction answers"),
            Satisfaction,
            "area",
            "answered_at",
            lambda _p: Q(score__isnull=False),
        ),
        Measure(
            "satisfaction_points",
            _("client satisfaction points (1–5 summed)"),
            Satisfaction,
            "area",
            "answered_at",
            lambda _p: Q(score__isnull=False),
            aggregate=lambda: Sum("score"),
        ),
    ]
}


def _bound(day: date, field_is_datetime: bool) -> date | datetime:
    if not field_is_datetime:
        return day
    return timezone.make_aware(datetime.combine(day, time.min))


def _is_datetime(measure: Measure) -> bool:
    return measure.date is not None and measure.date.endswith("_at")


def _age_group(measure: Measure, on: date) -> Any:
    if measure.age:
        whens = [
            When(**{f"{measure.age}__gte": low, f"{measure.age}__lt": high}, then=Value(label))
            for low, high, label in AGE_GROUPS
        ]
        return Cond(*whens, default=Value("60+"), output_field=CharField())
    whens = []
    for low, high, label in AGE_GROUPS:  # born after (end − high years] … [end − low years
        youngest = on.replace(year=on.year - low)
        oldest = on.replace(year=on.year - high)
        whens.append(
            When(
                **{f"{measure.birth}__lte": youngest, f"{measure.birth}__gt": oldest},
                then=Value(label),
            )
        )
    return Cond(
        *whens,
        When(**{f"{measure.birth}__isnull": True}, then=Value("?")),
        default=Value("60+"),
        output_field=CharField(),
    )


def measure_counts(
    code: str,
    *,
    user,
    start: date | None = None,
    end: date | None = None,
    group: str = "national",
    area: str = "",
    param: int | None = None,
) -> dict[str, int]:
    """The measure in [start, end) for the records in the user's area scope (and under the
    ``area`` prefix), one count per group key.

    Counts are kept for ``PKSAI_MONITORING_CACHE_SECONDS`` (300; 0 = never kept) in the
    "monitoring" cache, keyed by everything that decides them: the database, the measure, its
    parameter, the scope's area codes (not the user: two coordinators of one city share them),
    the period, the grouping, the area filter and, for age groups, the day ages are counted on.
    Counts are keys and numbers only (no names, no labels), so one entry serves both languages."""
    measure = MEASURES[code]
    if group not in measure.groups():
        raise ValueError(f"{code} cannot be grouped by {group}")
    seconds = settings.PKSAI_MONITORING_CACHE_SECONDS
    if seconds <= 0:
        return _counts(
            measure, user=user, start=start, end=end, group=group, area=area, param=param
        )
    scope = scope_for(user)
    on = (end - timedelta(days=1)) if end else timezone.localdate()
    database = settings.DATABASES["default"]
    where = (database.get("HOST"), database.get("PORT"), str(database["NAME"]))
    parts = (where, code, param, scope.national, scope.area_codes, start, end, group, area, on)
    key = "measure:" + hashlib.sha256(repr(parts).encode()).hexdigest()
    store = caches["monitoring"]
    counts = store.get(key)
    if counts is None:
        counts = _counts(
            measure, user=user, start=start, end=end, group=group, area=area, param=param
        )
        store.set(key, counts, seconds)
    return counts


def _counts(
    measure: Measure,
    *,
    user,
    start: date | None,
    end: date | None,
    group: str,
    area: str,
    param: int | None,
) -> dict[str, int]:
    qs = measure.model.objects.filter(scope_for(user).q(measure.area))
    area_id = f"{measure.area}_id"
    if area:
        qs = qs.filter(area_q(measure.area, area))
    if measure.date and start:
        qs = qs.filter(**{f"{measure.date}__gte": _bound(start, _is_datetime(measure))})
    if measure.date and end:
        qs = qs.filter(**{f"{measure.date}__lt": _bound(end, _is_datetime(measure))})
    if group == "national":
        key: Any = Value("")
    elif group in AREA_DIGITS:
        key = Substr(F(area_id), 1, AREA_DIGITS[group])
    elif group == "month":
        key = TruncMonth(measure.date)
    elif group == "sex":
        key = F(measure.sex)
    elif group == "program":
        key = F(measure.program)
    elif group == "type":
        key = F(measure.kind)
    else:
        on = (end - timedelta(days=1)) if end else timezone.localdate()
        key = _age_group(measure, on)
    out: dict[str, int] = {}
    for where in measure.parts(param) if measure.parts else (measure.where(param),):
        rows = qs.filter(where).order_by().values(key=key).annotate(n=measure.aggregate())
        for row in rows:  # one row per group: areas, months, sexes — never per record
            k = row["key"]
            label = k.strftime("%Y-%m") if hasattr(k, "strftime") else (k or "")
            out[label] = out.get(label, 0) + int(row["n"] or 0)
    return out


# --- the facilitation caseload at the end of past months (issue 18, point 6) -----------------

MONTH_END_MEASURES = ("facilitators", "facilitators_in_target", "facilitators_over_max")


def _active_at(end: date) -> Q:
    """An enrolment running at the end of the month before ``end`` (its first day): started
    before, and not exited by then (an exit is dated; an active enrolment has none)."""
    return Q(start_date__lt=end) & (
        Q(exit_date__gte=end) | Q(exit_date__isnull=True, status=Beneficiary.Status.ACTIVE)
    )


def facilitation_month_ends(
    *, user, months: list[date], area: str = ""
) -> dict[str, dict[str, int]]:
    """``facilitators``, ``facilitators_in_target`` and ``facilitators_over_max`` as they
    stood at the end of each month in ``months`` (first days), in the user's scope and under
    ``area``: measure code → "YYYY-MM" → count.

    Rebuilt from the enrolments' start and exit dates: a facilitator's caseload at a month's
    end is their enrolments running then (every area, as ``_facilitators_loaded`` counts
    today's), held to the strictest range of those enrolments' programs. The enrolment table
    keeps the facilitator assigned *now* (a reassignment is on the audit log only), so a past
    month counts each enrolment with today's facilitator, and the program's range as it is
    today. One grouped query — a row per facilitator, a filtered count per month — and the
    months counted by Polars; cached like ``measure_counts``."""
    if not months:
        return {code: {} for code in MONTH_END_MEASURES}
    seconds = settings.PKSAI_MONITORING_CACHE_SECONDS
    key = None
    if seconds > 0:
        scope = scope_for(user)
        database = settings.DATABASES["default"]
        where = (database.get("HOST"), database.get("PORT"), str(database["NAME"]))
        parts = (where, "month_ends", scope.national, scope.area_codes, tuple(months), area)
        key = "measure:" + hashlib.sha256(repr(parts).encode()).hexdigest()
        found = caches["monitoring"].get(key)
        if found is not None:
            return found
    counts = _month_ends(user=user, months=months, area=area)
    if key is not None:
        caches["monitoring"].set(key, counts, seconds)
    return counts


def _month_ends(*, user, months: list[date], area: str) -> dict[str, dict[str, int]]:
    import polars as pl

    mine = scope_for(user).q("area") & (area_q("area", area) if area else Q())
    aggregates: dict[str, Any] = {}
    for k, month in enumerate(months):
        end = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        running = _active_at(end)
        aggregates |= {
            f"load_{k}": Count("pk", filter=running),
            f"mine_{k}": Count("pk", filter=running & mine),
            f"low_{k}": Min("program__caseload_min", filter=running),
            f"high_{k}": Min("program__caseload_target", filter=running),
            f"top_{k}": Min("program__caseload_max", filter=running),
        }
    end_of_last = date(months[-1].year + months[-1].month // 12, months[-1].month % 12 + 1, 1)
    rows = list(
        Beneficiary.objects.filter(facilitator__isnull=False, start_date__lt=end_of_last)
        .exclude(exit_date__lt=months[0])
        .order_by()
        .values("facilitator")
        .annotate(**aggregates)
    )
    labels = [f"{m:%Y-%m}" for m in months]
    if not rows:
        return {code: dict.fromkeys(labels, 0) for code in MONTH_END_MEASURES}
    frame = pl.DataFrame(rows, infer_schema_length=None)
    totals = frame.select(
        [
            expr
            for k in range(len(months))
            for expr in (
                (pl.col(f"mine_{k}") > 0).sum().alias(f"facilitators_{k}"),
                (
                    (pl.col(f"mine_{k}") > 0)
                    & (pl.col(f"load_{k}") >= pl.col(f"low_{k}"))
                    & (pl.col(f"load_{k}") <= pl.col(f"high_{k}"))
                )
                .sum()
                .alias(f"facilitators_in_target_{k}"),
                ((pl.col(f"mine_{k}") > 0) & (pl.col(f"load_{k}") > pl.col(f"top_{k}")))
                .sum()
                .alias(f"facilitators_over_max_{k}"),
            )
        ]
    ).row(0, named=True)
    return {
        code: {label: int(totals[f"{code}_{k}"] or 0) for k, label in enumerate(labels)}
        for code in MONTH_END_MEASURES
    }
