"""Complaint reports — aggregates only, counted in the database.

- Volume: complaints received, still open and resolved (or closed), grouped by category,
  channel, regency/city or month received.
- Time to resolution: of those resolved, the average and median days from receipt to
  resolution and the share resolved within the SLA (by the due date, without escalation).
- Levels: per level (district, province, ministry) the complaints open there now, how many of
  them are past their due date, and how many reached that level by escalation.
- Satisfaction: the complainants' ratings (1–5): how many, the average, the distribution.

Every report counts the complaints *received* in the period (local dates, inclusive), within
the user's area scope, optionally one area prefix, one category and one channel.

Who may see them: ``grievances.view_complaint_report`` (coordinators, program officers,
complaint officers, national analysts). The reports read the complaint table through
``scoped(..., perm=view_complaint_report)`` — not through the handling selectors, so a
national analyst, who may not open a single complaint, still gets the figures. Restricted
complaints (misconduct, deductions by intermediaries) are counted only for users who may see
the restricted queue (``view_restricted_complaint``); for everyone else they are left out of
every figure, so that a count of "misconduct in district X" never leaks from the restricted
queue. Nothing here names a person: the rows are groups, not complaints.

A report is one grouped query (``values(...).annotate(...)``) plus its total (and, for the
median, one grouped count of days); Python only labels, orders and divides the grouped rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
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
from django.utils.translation import gettext as _

from pksai.accounts.scoping import scoped
from pksai.areas.codes import area_q
from pksai.areas.models import Area
from pksai.core.reports import GroupedReport, median, rate, within
from pksai.core.reports import days as in_days
from pksai.grievances.models import OPEN_STATUSES, Category, Channel, Complaint, Level, Status

VIEW_REPORT = "grievances.view_complaint_report"
VIEW_RESTRICTED = "grievances.view_restricted_complaint"
REGENCY_CODE_LENGTH = 5  # "73.71"
GROUPS = ("category", "channel", "area", "month")
REPORTS = ("volume", "resolution", "levels", "satisfaction")
SCORES = (1, 2, 3, 4, 5)  # the complainant's rating
RESOLVED_STATUSES = (Status.RESOLVED, Status.CLOSED)


@dataclass(frozen=True)
class Filters:
    """Complaints received in a period (inclusive local dates), in an area (code prefix), of a
    category and through a channel (empty: all)."""

    date_from: date
    date_to: date
    area: str = ""
    category: str = ""
    channel: str = ""

    @classmethod
    def this_year(cls, **kw: Any) -> Filters:
        year = timezone.localdate().year
        return cls(date_from=date(year, 1, 1), date_to=date(year, 12, 31), **kw)

    def as_dict(self) -> dict[str, str]:
        return {
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "area": self.area,
            "category": self.category,
            "channel": self.channel,
        }


def group_choices() -> list[tuple[str, str]]:
    """How the reports may be grouped, with the column heading of each."""
    return [
        ("category", _("Category")),
        ("channel", _("Channel")),
        ("area", _("Regency/city")),
        ("month", _("Month received")),
    ]


class Report(GroupedReport):
    @staticmethod
    def group_labels() -> dict[str, str]:
        return dict(group_choices())


# --- the complaints a report counts ------------------------------------------------------


def complaints_for_report(*, user, filters: Filters) -> QuerySet[Complaint]:
    """The complaints a report counts: received in the period, in the user's scope (403
    without the report permission), restricted ones only for the restricted queue's
    readers, narrowed by area prefix, category and channel."""
    qs = scoped(Complaint.objects.all(), user, perm=VIEW_REPORT, area_field="area")
    if not user.has_perm(VIEW_RESTRICTED):
        qs = qs.filter(restricted=False)
    qs = qs.filter(within("created_at", filters.date_from, filters.date_to))
    if filters.area:
        qs = qs.filter(area_q("area", filters.area))
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    return qs


def _group_value(group: str) -> Any:
    match group:
        case "category":
            return F("category")
        case "channel":
            return F("channel")
        case "area":
            return Substr("area_id", 1, REGENCY_CODE_LENGTH)
        case "month":
            return TruncMonth("created_at")
    raise ValueError(f"unknown group {group!r}")


def _labelled(group: str, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give each grouped row its ``key`` and ``label`` (from the ``g`` value) and order the
    rows: categories and channels in their listed order, areas by code, months in time."""
    if group == "area":
        names = Area.objects.in_bulk({r["g"] for r in found})
    for r in found:
        value = r.pop("g")
        match group:
            case "category":
                r["key"] = value
                r["label"] = str(Category(value).label) if value in Category.values else value
            case "channel":
                r["key"] = value
                r["label"] = str(Channel(value).label) if value in Channel.values else value
            case "area":
                r["key"] = value
                r["label"] = names[value].name if value in names else value
            case "month":
                r["key"] = f"{value:%Y-%m}"
                r["label"] = formats.date_format(value, "YEAR_MONTH_FORMAT")
    order = {
        "category": {v: i for i, v in enumerate(Category.values)},
        "channel": {v: i for i, v in enumerate(Channel.values)},
    }.get(group)
    if order is not None:
        found.sort(key=lambda r: order.get(r["key"], 99))
    else:
        found.sort(key=lambda r: r["key"])
    return found


def _grouped(qs: QuerySet, group: str, measures: dict[str, Any]) -> list[dict[str, Any]]:
    return _labelled(group, list(qs.values(g=_group_value(group)).annotate(**measures)))


# --- 1. volume ---------------------------------------------------------------------------


def volume(*, user, filters: Filters, group: str = "category") -> Report:
    """Complaints received, still open and resolved (or closed), per group."""
    qs = complaints_for_report(user=user, filters=filters)
    measures = {
        "received": Count("id"),
        "open": Count("id", filter=Q(status__in=OPEN_STATUSES)),
        "resolved": Count("id", filter=Q(status__in=RESOLVED_STATUSES)),
    }
    rows = _grouped(qs, group, measures)
    total = {k: v or 0 for k, v in qs.aggregate(**measures).items()}
    for r in [*rows, total]:
        r["share"] = rate(r["received"], total["received"])
    return Report(
        name="volume",
        group=group,
        columns=[
            ("received", _("Received")),
            ("share", _("Share of all (%)")),
            ("open", _("Still open")),
            ("resolved", _("Resolved or closed")),
        ],
        rows=rows,
        total=total,
    )


# --- 2. time to resolution ---------------------------------------------------------------


def _to_resolution() -> ExpressionWrapper:
    """Whole days from the day received to the day resolved (local dates)."""
    return ExpressionWrapper(
        TruncDate("resolved_at") - TruncDate("created_at"), output_field=DurationField()
    )


WITHIN_SLA = Q(escalated_at__isnull=True, resolved_at__lte=F("due_at"))


def resolution_time(*, user, filters: Filters, group: str = "category") -> Report:
    """Of the complaints received in the period and resolved: how many, the average and
    median days to resolution, and how many were resolved within the SLA — before the due
    date of the level they started at, without being escalated."""
    qs = complaints_for_report(user=user, filters=filters).filter(resolved_at__isnull=False)
    days = _to_resolution()
    measures = {
        "resolved": Count("id"),
        "avg": Avg(days),
        "within": Count("id", filter=WITHIN_SLA),
    }
    rows = _grouped(qs, group, measures)
    total = qs.aggregate(**measures)
    # how many complaints took how many days, per group: a few rows, for the medians
    histogram: dict[str, dict[float, int]] = defaultdict(lambda: defaultdict(int))
    everyone: dict[float, int] = defaultdict(int)
    found = _labelled(group, list(qs.values(g=_group_value(group), d=days).annotate(n=Count("id"))))
    for r in found:
        d = in_days(r["d"])
        histogram[r["key"]][d] += r["n"]
        everyone[d] += r["n"]

    def finish(r: dict[str, Any], hist: dict[float, int]) -> dict[str, Any]:
        r["resolved"] = r["resolved"] or 0
        r["within_sla"] = r.pop("within") or 0
        r["within_sla_rate"] = rate(r["within_sla"], r["resolved"])
        r["avg_days"] = in_days(r.pop("avg"))
        r["median_days"] = median(hist)
        return r

    rows = [finish(r, histogram[r["key"]]) for r in rows]
    return Report(
        name="resolution",
        group=group,
        columns=[
            ("resolved", _("Resolved")),
            ("avg_days", _("Average days to resolution")),
            ("median_days", _("Median days to resolution")),
            ("within_sla", _("Resolved within the SLA")),
            ("within_sla_rate", _("Within the SLA (%)")),
        ],
        rows=rows,
        total=finish(total, everyone),
    )


# --- 3. open, overdue and escalated by level ---------------------------------------------


def levels(*, user, filters: Filters, now=None) -> Report:
    """Per level: complaints open there now, those of them past their due date, those that
    reached the level by escalation (open or not), and those resolved there."""
    now = now or timezone.now()
    qs = complaints_for_report(user=user, filters=filters)
    open_q = Q(status__in=OPEN_STATUSES)
    measures = {
        "open": Count("id", filter=open_q),
        "overdue": Count("id", filter=open_q & Q(due_at__lt=now)),
        "escalated": Count("id", filter=Q(escalated_at__isnull=False)),
        "resolved": Count("id", filter=Q(status__in=RESOLVED_STATUSES)),
    }
    found = {r["level"]: r for r in qs.values("level").annotate(**measures).order_by("level")}
    rows = []
    for level in Level:
        r = found.get(level.value, dict.fromkeys(measures, 0))
        rows.append(
            {"key": str(level.value), "label": str(level.label)} | {k: r[k] or 0 for k in measures}
        )
    total = {k: sum(r[k] for r in rows) for k in measures}
    return Report(
        name="levels",
        group="level",
        heading=_("Level"),
        columns=[
            ("open", _("Open now")),
            ("overdue", _("Open past the due date")),
            ("escalated", _("Reached by escalation")),
            ("resolved", _("Resolved or closed")),
        ],
        rows=rows,
        total=total,
    )


# --- 4. satisfaction ---------------------------------------------------------------------


def satisfaction(*, user, filters: Filters, group: str = "category") -> Report:
    """The complainants' ratings of the resolution (1–5): how many, the average, the
    distribution, per group."""
    qs = complaints_for_report(user=user, filters=filters).filter(rating__isnull=False)
    measures = {
        "ratings": Count("id"),
        "avg": Avg("rating"),
        **{f"score_{s}": Count("id", filter=Q(rating=s)) for s in SCORES},
    }

    def finish(r: dict[str, Any]) -> dict[str, Any]:
        average = r.pop("avg")
        r["average"] = round(float(average), 1) if average is not None else None
        for key in ("ratings", *(f"score_{s}" for s in SCORES)):
            r[key] = r[key] or 0
        return r

    rows = [finish(r) for r in _grouped(qs, group, measures)]
    return Report(
        name="satisfaction",
        group=group,
        columns=[
            ("ratings", _("Ratings")),
            ("average", _("Average rating")),
            *((f"score_{s}", _("Rated %(score)d") % {"score": s}) for s in SCORES),
        ],
        rows=rows,
        total=finish(qs.aggregate(**measures)),
    )


def report(*, user, name: str, filters: Filters, group: str = "category") -> Report:
    """One report by name (for the downloads and the API)."""
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}")
    match name:
        case "volume":
            return volume(user=user, filters=filters, group=group)
        case "resolution":
            return resolution_time(user=user, filters=filters, group=group)
        case "levels":
            return levels(user=user, filters=filters)
        case "satisfaction":
            return satisfaction(user=user, filters=filters, group=group)
    raise ValueError(f"unknown report {name!r}")
