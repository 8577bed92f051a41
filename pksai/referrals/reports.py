"""Reports on the service-provider network: services provided, referral performance and client
satisfaction — aggregates only, counted in the database.

Pure reads. Every report needs ``referrals.view_report`` and counts only the records whose own
``area`` lies in the user's scope (national users see all). Transfers of a case to another
district are not services and are left out of the referral figures.

- Services provided: delivered referrals (status delivered or closed, with a delivery date),
  counted by the date of delivery within the period, grouped by service, sector, provider,
  regency or month.
- Referral performance: the referrals *sent* in the period, per provider and overall — how many
  were accepted or declined, how many delivered, how long delivery took and how many are
  overdue now.
- Satisfaction: answered ratings (1–5) given in the period, by moment and by provider.

A report row is computed by one grouped query (``values(...).annotate(...)``); Python only
labels, orders and divides the grouped rows, so the number of queries does not grow with the
number of referrals.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
)
from django.db.models.functions import Substr, TruncDate, TruncMonth
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from pksai.accounts.scoping import require_perm, scope_for
from pksai.areas.codes import area_q as _area_q
from pksai.areas.models import Area
from pksai.core.reports import Table, within
from pksai.core.reports import days as _days
from pksai.core.reports import median as _median
from pksai.core.reports import rate as _rate
from pksai.referrals.models import Referral, Satisfaction, Sector, Status
from pksai.referrals.selectors import overdue_q

VIEW_REPORT = "referrals.view_report"

DELIVERED = (Status.DELIVERED, Status.CLOSED)
REGENCY_CODE_LENGTH = 5  # "73.71"
SCORES = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Filters:
    """What every report is limited to: a period (inclusive dates), an area (code prefix) and a
    provider sector."""

    date_from: date
    date_to: date
    area: str = ""
    sector: str = ""

    @classmethod
    def this_year(cls, **kw: Any) -> Filters:
        year = timezone.localdate().year
        return cls(date_from=date(year, 1, 1), date_to=date(year, 12, 31), **kw)


def _referrals(user, filters: Filters) -> QuerySet[Referral]:
    """Referrals (not transfers) in the user's scope, the area and the sector."""
    require_perm(user, VIEW_REPORT)
    qs = Referral.objects.filter(kind=Referral.Kind.REFERRAL).filter(scope_for(user).q("area"))
    qs = qs.filter(_area_q("area", filters.area))
    if filters.sector:
        qs = qs.filter(to_organisation__provider__sector=filters.sector)
    return qs


def _sector_label(value: str | None) -> str:
    if value in Sector.values:
        return str(Sector(value).label)
    return _("(not a registered provider)")


# --- 1. services provided ----------------------------------------------------------------

GROUPS = ("service", "sector", "provider", "area", "month")


@dataclass(frozen=True)
class ServiceRow:
    key: str  # service code, sector, organisation id, regency code or YYYY-MM
    label: str
    delivered: int  # referrals delivered
    children: int  # distinct children served


@dataclass(frozen=True)
class ServicesReport:
    group: str
    rows: list[ServiceRow]
    total: ServiceRow

    def row(self, label: str) -> ServiceRow | None:
        return next((r for r in self.rows if r.label == label), None)

    def table(self) -> Table:
        heading = dict(group_choices())[self.group]
        return Table(
            columns=[
                ("group", _("Grouped by")),
                ("key", _("Code")),
                ("label", heading),
                ("delivered", _("Services delivered")),
                ("children", _("Children served")),
            ],
            rows=[[self.group, r.key, r.label, r.delivered, r.children] for r in self.rows],
            total=["total", "", _("Total"), self.total.delivered, self.total.children],
        )


def group_choices() -> list[tuple[str, str]]:
    """How the services table may be grouped, with the column heading of each."""
    return [
        ("service", _("Service")),
        ("sector", _("Sector")),
        ("provider", _("Provider")),
        ("area", _("Regency/city")),
        ("month", _("Month")),
    ]


def services_provided(*, user, filters: Filters, group: str = "service") -> ServicesReport:
    """Delivered referrals with a delivery date in the period, grouped by ``group``."""
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}")
    qs = _referrals(user, filters).filter(
        status__in=DELIVERED,
        delivered_on__isnull=False,
        delivered_on__gte=filters.date_from,
        delivered_on__lte=filters.date_to,
    )
    measures = {"delivered": Count("id"), "children": Count("case__child", distinct=True)}
    total = qs.aggregate(**measures)
    total_row = ServiceRow("", _("Total"), total["delivered"] or 0, total["children"] or 0)
    rows: list[ServiceRow]
    match group:
        case "service":
            english = get_language() == "en"
            found = qs.values("service__code", "service__name_id", "service__name_en").annotate(
                **measures
            )
            rows = [
                ServiceRow(
                    r["service__code"] or "",
                    (r["service__name_en"] if english and r["service__name_en"] else None)
                    or r["service__name_id"]
                    or _("(no service recorded)"),
                    r["delivered"],
                    r["children"],
                )
                for r in found
            ]
        case "sector":
            found = qs.values(value=F("to_organisation__provider__sector")).annotate(**measures)
            rows = [
                ServiceRow(
                    r["value"] or "", _sector_label(r["value"]), r["delivered"], r["children"]
                )
                for r in found
            ]
        case "provider":
            found = qs.values("to_organisation_id", "to_organisation__name").annotate(**measures)
            rows = [
                ServiceRow(
                    str(r["to_organisation_id"]),
                    r["to_organisation__name"],
                    r["delivered"],
                    r["children"],
                )
                for r in found
            ]
        case "area":
            found = list(
                qs.values(regency=Substr("area_id", 1, REGENCY_CODE_LENGTH)).annotate(**measures)
            )
            names = Area.objects.in_bulk({r["regency"] for r in found})
            rows = [
                ServiceRow(
                    r["regency"],
                    names[r["regency"]].name if r["regency"] in names else r["regency"],
                    r["delivered"],
                    r["children"],
                )
                for r in found
            ]
            rows.sort(key=lambda r: r.key)
            return ServicesReport(group, rows, total_row)
        case "month":
            found = qs.values(month=TruncMonth("delivered_on")).annotate(**measures)
            rows = [
                ServiceRow(
                    f"{r['month']:%Y-%m}",
                    formats.date_format(r["month"], "YEAR_MONTH_FORMAT"),
                    r["delivered"],
                    r["children"],
                )
                for r in found
            ]
            rows.sort(key=lambda r: r.key)
            return ServicesReport(group, rows, total_row)
    rows.sort(key=lambda r: (-r.delivered, r.label.casefold()))
    return ServicesReport(group, rows, total_row)


# --- 2. referral performance -------------------------------------------------------------


@dataclass(frozen=True)
class PerformanceRow:
    key: str  # organisation id ("" for the overall row)
    label: str
    sector: str
    sent: int
    accepted: int
    declined: int
    delivered: int
    avg_days: float | None  # from sending to delivery
    median_days: float | None
    overdue: int  # still open and overdue now

    @property
    def acceptance_rate(self) -> float | None:
        """Accepted of those answered (accepted or declined), in percent."""
        return _rate(self.accepted, self.accepted + self.declined)

    @property
    def completion_rate(self) -> float | None:
        """Delivered of those accepted, in percent."""
        return _rate(self.delivered, self.accepted)


@dataclass(frozen=True)
class PerformanceReport:
    rows: list[PerformanceRow]
    total: PerformanceRow

    def row(self, label: str) -> PerformanceRow | None:
        return next((r for r in self.rows if r.label == label), None)

    def table(self) -> Table:
        def cells(group: str, r: PerformanceRow) -> list[Any]:
            return [
                group,
                r.key,
                r.label,
                r.sector,
                r.sent,
                r.accepted,
                r.declined,
                r.acceptance_rate,
                r.delivered,
                r.completion_rate,
                r.avg_days,
                r.median_days,
                r.overdue,
            ]

        return Table(
            columns=[
                ("group", _("Grouped by")),
                ("key", _("Code")),
                ("label", _("Provider")),
                ("sector", _("Sector")),
                ("sent", _("Sent")),
                ("accepted", _("Accepted")),
                ("declined", _("Declined")),
                ("acceptance_rate", _("Acceptance rate (%)")),
                ("delivered", _("Delivered")),
                ("completion_rate", _("Completion rate (%)")),
                ("avg_days", _("Average days to service")),
                ("median_days", _("Median days to service")),
                ("overdue", _("Overdue now")),
            ],
            rows=[cells("provider", r) for r in self.rows],
            total=cells("total", self.total),
        )


ACCEPTED_Q = Q(responded_at__isnull=False, decline_reason="") & ~Q(status=Status.DECLINED)
DECLINED_Q = Q(status=Status.DECLINED) | ~Q(decline_reason="")


def _within(field: str, filters: Filters) -> Q:
    return within(field, filters.date_from, filters.date_to)


def referral_performance(*, user, filters: Filters) -> PerformanceReport:
    """Per provider and overall, for the referrals sent in the period: sent, accepted,
    declined, acceptance rate, delivered, completion rate, average and median days from
    sending to delivery, and those now overdue."""
    qs = _referrals(user, filters).filter(_within("sent_at", filters))
    to_service = ExpressionWrapper(
        F("delivered_on") - TruncDate("sent_at"), output_field=DurationField()
    )
    done = Q(delivered_on__isnull=False)
    measures = {
        "sent": Count("id"),
        "accepted": Count("id", filter=ACCEPTED_Q),
        "declined": Count("id", filter=DECLINED_Q),
        "delivered": Count("id", filter=done),
        "avg": Avg(to_service, filter=done),
        "overdue": Count("id", filter=overdue_q()),
    }
    grouped = list(
        qs.values(
            "to_organisation_id", "to_organisation__name", "to_organisation__provider__sector"
        ).annotate(**measures)
    )
    overall = qs.aggregate(**measures)
    # How many referrals took how many days, per provider: a few rows, for the medians.
    histogram: dict[int, dict[float, int]] = defaultdict(lambda: defaultdict(int))
    everyone: dict[float, int] = defaultdict(int)
    for r in qs.filter(done).values("to_organisation_id", days=to_service).annotate(n=Count("id")):
        days = _days(r["days"])
        histogram[r["to_organisation_id"]][days] += r["n"]
        everyone[days] += r["n"]

    rows = [
        PerformanceRow(
            key=str(r["to_organisation_id"]),
            label=r["to_organisation__name"],
            sector=_sector_label(r["to_organisation__provider__sector"]),
            sent=r["sent"],
            accepted=r["accepted"],
            declined=r["declined"],
            delivered=r["delivered"],
            avg_days=_days(r["avg"]),
            median_days=_median(histogram[r["to_organisation_id"]]),
            overdue=r["overdue"],
        )
        for r in grouped
    ]
    rows.sort(key=lambda r: r.label.casefold())
    total = PerformanceRow(
        key="",
        label=_("All providers"),
        sector="",
        sent=overall["sent"] or 0,
        accepted=overall["accepted"] or 0,
        declined=overall["declined"] or 0,
        delivered=overall["delivered"] or 0,
        avg_days=_days(overall["avg"]),
        median_days=_median(everyone),
        overdue=overall["overdue"] or 0,
    )
    return PerformanceReport(rows, total)


# --- 3. satisfaction ---------------------------------------------------------------------


@dataclass(frozen=True)
class SatisfactionRow:
    key: str  # moment, organisation id, or "" for the total
    label: str
    answers: int
    average: float | None  # one decimal
    scores: dict[int, int] = field(default_factory=dict)  # 1..5 → how many

    @property
    def distribution(self) -> list[int]:
        return [self.scores.get(s, 0) for s in SCORES]


@dataclass(frozen=True)
class SatisfactionReport:
    by_moment: list[SatisfactionRow]
    by_provider: list[SatisfactionRow]
    total: SatisfactionRow

    def table(self, part: str = "all") -> Table:
        """Both breakdowns and the total (``all``), or only ``moment`` (with the total) or
        ``provider``."""

        def cells(group: str, r: SatisfactionRow) -> list[Any]:
            return [group, r.key, r.label, r.answers, r.average, *r.distribution]

        moments = [cells("moment", r) for r in self.by_moment]
        providers = [cells("provider", r) for r in self.by_provider]
        heading = {"moment": _("When answered"), "provider": _("Provider")}.get(
            part, _("When answered or provider")
        )
        return Table(
            columns=[
                ("group", _("Grouped by")),
                ("key", _("Code")),
                ("label", heading),
                ("answers", _("Answers")),
                ("average", _("Average score")),
                *((f"score_{s}", _("Score %(score)d") % {"score": s}) for s in SCORES),
            ],
            rows={"moment": moments, "provider": providers}.get(part, moments + providers),
            total=None if part == "provider" else cells("total", self.total),
        )


def _satisfaction_measures() -> dict[str, Any]:
    return {
        "answers": Count("id"),
        "average": Avg("score"),
        **{f"s{s}": Count("id", filter=Q(score=s)) for s in SCORES},
    }


def _satisfaction_row(key: str, label: str, r: dict[str, Any]) -> SatisfactionRow:
    average = r["average"]
    return SatisfactionRow(
        key=key,
        label=label,
        answers=r["answers"] or 0,
        average=round(float(average), 1) if average is not None else None,
        scores={s: r[f"s{s}"] or 0 for s in SCORES},
    )


def satisfaction(*, user, filters: Filters) -> SatisfactionReport:
    """Answered ratings given in the period, by moment (after a service, at case closure) and
    by the provider of the rated service. Scoped by the record's own area. With a sector
    filter only ratings of that sector's services count (closure ratings have no sector)."""
    require_perm(user, VIEW_REPORT)
    qs = Satisfaction.objects.filter(score__isnull=False).filter(scope_for(user).q("area"))
    qs = qs.filter(
        _area_q("area", filters.area),
        _within("answered_at", filters),
    )
    if filters.sector:
        qs = qs.filter(referral__to_organisation__provider__sector=filters.sector)
    measures = _satisfaction_measures()
    moments = dict(Satisfaction.Moment.choices)
    by_moment = [
        _satisfaction_row(r["moment"], str(moments.get(r["moment"], r["moment"])), r)
        for r in qs.values("moment").annotate(**measures).order_by("moment")
    ]
    order = {m: i for i, m in enumerate(Satisfaction.Moment.values)}
    by_moment.sort(key=lambda r: order.get(r.key, 99))
    by_provider = [
        _satisfaction_row(
            str(r["referral__to_organisation_id"]), r["referral__to_organisation__name"], r
        )
        for r in qs.filter(referral__isnull=False)
        .values("referral__to_organisation_id", "referral__to_organisation__name")
        .annotate(**measures)
    ]
    by_provider.sort(key=lambda r: r.label.casefold())
    total = _satisfaction_row("", _("Total"), qs.aggregate(**measures))
    return SatisfactionReport(by_moment, by_provider, total)


REPORTS = ("services", "performance", "satisfaction")


def report_table(*, user, report: str, filters: Filters, group: str = "service") -> Table:
    """One report as a table (for the downloads)."""
    match report:
        case "services":
            return services_provided(user=user, filters=filters, group=group).table()
        case "performance":
            return referral_performance(user=user, filters=filters).table()
        case "satisfaction":
            return satisfaction(user=user, filters=filters).table()
    raise ValueError(f"unknown report {report!r}")
