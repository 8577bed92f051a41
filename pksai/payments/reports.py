"""Payment reports — aggregates only, counted in the database.

- Timeliness: payments made, the share paid by the due date (the 15th), the distribution of
  days late (on time, 1–7, 8–30, 31–90, over 90) and the average lateness of late payments, plus
  the entitlements still unpaid past their due date.
- Held / undelivered: what has not reached the beneficiary — held at the post office, failed
  (attempted, not yet held), sent without a result past the due date, not yet sent — with the
  amounts and the oldest due date still outstanding.
- Lump sums: payments covering several periods (arrears carried into a later cycle), their
  amount and arrears part and how many periods they cover (2, 3, 4 or more).
- The payer's monthly delivery report of one cycle, per regency and channel.

Lateness is ``days_late`` as maintained by services.py: paid_on minus the 15th of the EARLIEST
period a payment covers, so a lump sum shows its real delay. Carried entitlements were never
sent (their money moved into a later entitlement's arrears): they are never counted as
payments, only shown apart.

Every report reads entitlements (or their batch lines and delivery events) through
``scoped(..., perm="payments.view_entitlement")`` on the entitlement's own area: a user without
the permission gets a PermissionDenied (403), and only the areas in scope are counted. A report
is one or a few grouped queries (``values(...).annotate(...)``); Python only labels, merges and
divides the grouped rows, so the number of queries does not grow with the number of payments.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Avg, Count, F, Min, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from pksai.accounts.scoping import scoped
from pksai.areas.models import Area
from pksai.core.reports import GroupedReport
from pksai.payments.models import (
    BatchLine,
    Channel,
    DeliveryEvent,
    Entitlement,
    PaymentCycle,
)
from pksai.programs.models import Program

VIEW_ENTITLEMENT = "payments.view_entitlement"
PROVINCE_CODE_LENGTH = 2  # "73"
REGENCY_CODE_LENGTH = 5  # "73.71"
TOP_REASONS = 3

S = Entitlement.Status
OUTSTANDING = (S.DUE, S.SENT, S.FAILED, S.HELD)  # not paid, not carried
PAID = Q(status=S.PAID)
NOT_CARRIED = ~Q(status=S.CARRIED)

GROUPS = ("program", "province", "regency", "month")
REPORTS = ("timeliness", "held", "lump_sums", "delivery")


@dataclass(frozen=True)
class Filters:
    """What the grouped reports are limited to: a program (code), cycles whose period lies in
    [period_from, period_to] (first days of months, inclusive) and an area code prefix (on top
    of the user's scope, never widening it)."""

    program: str = ""
    period_from: date | None = None
    period_to: date | None = None
    area: str = ""

    def as_dict(self) -> dict[str, str]:
        """For the audit trail and the API answer."""
        return {
            "program": self.program,
            "period_from": f"{self.period_from:%Y-%m}" if self.period_from else "",
            "period_to": f"{self.period_to:%Y-%m}" if self.period_to else "",
            "area": self.area,
        }


def group_choices() -> list[tuple[str, str]]:
    """How the grouped reports may be grouped, with the column heading of each."""
    return [
        ("program", _("Program")),
        ("province", _("Province")),
        ("regency", _("Regency/city")),
        ("month", _("Cycle month")),
    ]


def _rate(part: int, whole: int) -> float | None:
    """A percentage with one decimal, or None when there is nothing to divide by."""
    return round(100 * part / whole, 1) if whole else None


def _one_decimal(value: Any) -> float | None:
    return round(float(value), 1) if value is not None else None


def _area_q(area_field: str, code: str) -> Q:
    """The area itself or anything below it (the code is the area's key: no join)."""
    if not code:
        return Q()
    path = f"{area_field}__code"
    return Q(**{path: code}) | Q(**{f"{path}__startswith": code + "."})


def _entitlements(user, filters: Filters) -> QuerySet[Entitlement]:
    """Entitlements in the user's scope, limited by the filters (carried ones included: each
    measure says which statuses it counts)."""
    qs = scoped(Entitlement.objects.all(), user, perm=VIEW_ENTITLEMENT, area_field="area")
    qs = qs.filter(_area_q("area", filters.area))
    if filters.program:
        qs = qs.filter(cycle__program__code=filters.program)
    if filters.period_from:
        qs = qs.filter(cycle__period__gte=filters.period_from)
    if filters.period_to:
        qs = qs.filter(cycle__period__lte=filters.period_to)
    return qs


# --- a grouped report --------------------------------------------------------------------


class Report(GroupedReport):
    @staticmethod
    def group_labels() -> dict[str, str]:
        return dict(group_choices())


def _group_value(group: str) -> Any:
    match group:
        case "program":
            return F("cycle__program__code")
        case "province":
            return Substr("area_id", 1, PROVINCE_CODE_LENGTH)
        case "regency":
            return Substr("area_id", 1, REGENCY_CODE_LENGTH)
        case "month":
            return F("cycle__period")
    raise ValueError(f"unknown group {group!r}")


def _labels(group: str, keys: set[Any]) -> dict[Any, tuple[str, str]]:
    """Group value → (key as text, label), with one query for the names."""
    match group:
        case "program":
            programs = {p.code: p.name for p in Program.objects.filter(code__in=keys)}
            return {k: (k, programs.get(k, k)) for k in keys}
        case "province" | "regency":
            names = dict(Area.objects.filter(code__in=keys).values_list("code", "name"))
            return {k: (k, names.get(k, k)) for k in keys}
        case _:  # month: the cycle's period (its first day)
            return {
                k: (f"{k:%Y-%m}", formats.date_format(k, "YEAR_MONTH_FORMAT")) for k in keys if k
            }


def _grouped(
    qs: QuerySet, group: str, measures: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One grouped query and one total: rows labelled and ordered by their key."""
    found = list(qs.values(value=_group_value(group)).annotate(**measures).order_by("value"))
    labels = _labels(group, {r["value"] for r in found})
    rows = []
    for r in found:
        key, label = labels.get(r.pop("value"), ("", ""))
        rows.append({"key": key, "label": label, **r})
    rows.sort(key=lambda r: r["key"])
    return rows, qs.aggregate(**measures)


def _check(group: str) -> None:
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}")


# --- 1. timeliness -----------------------------------------------------------------------


def timeliness(
    *, user, filters: Filters, group: str = "program", as_of: date | None = None
) -> Report:
    """Payments made and how late: share paid by the due date, days late in buckets, the
    average lateness of the late ones; and the entitlements still unpaid past their due date
    (as of ``as_of``, today by default)."""
    _check(group)
    as_of = as_of or timezone.localdate()
    measures = {
        "paid": Count("id", filter=PAID),
        "paid_amount": Sum("amount", filter=PAID),
        "on_time": Count("id", filter=PAID & Q(days_late__lte=0)),
        "late_1_7": Count("id", filter=PAID & Q(days_late__gte=1, days_late__lte=7)),
        "late_8_30": Count("id", filter=PAID & Q(days_late__gte=8, days_late__lte=30)),
        "late_31_90": Count("id", filter=PAID & Q(days_late__gte=31, days_late__lte=90)),
        "late_over_90": Count("id", filter=PAID & Q(days_late__gt=90)),
        "avg_days_late": Avg("days_late", filter=PAID & Q(days_late__gt=0)),
        "unpaid_overdue": Count("id", filter=Q(status__in=OUTSTANDING, cycle__due_date__lt=as_of)),
        "unpaid_overdue_amount": Sum(
            "amount", filter=Q(status__in=OUTSTANDING, cycle__due_date__lt=as_of)
        ),
    }

    def finish(r: dict[str, Any]) -> dict[str, Any]:
        r = {**r, **{k: r[k] or 0 for k in measures if k != "avg_days_late"}}
        r["on_time_share"] = _rate(r["on_time"], r["paid"])
        r["avg_days_late"] = _one_decimal(r["avg_days_late"])
        return r

    rows, total = _grouped(_entitlements(user, filters), group, measures)
    return Report(
        name="timeliness",
        group=group,
        columns=[
            ("paid", _("Payments made")),
            ("paid_amount", _("Paid (Rp)")),
            ("on_time", _("Paid by the due date")),
            ("on_time_share", _("Paid by the due date (%)")),
            ("late_1_7", _("1–7 days late")),
            ("late_8_30", _("8–30 days late")),
            ("late_31_90", _("31–90 days late")),
            ("late_over_90", _("Over 90 days late")),
            ("avg_days_late", _("Average days late (late payments)")),
            ("unpaid_overdue", _("Unpaid past the due date")),
            ("unpaid_overdue_amount", _("Unpaid past the due date (Rp)")),
        ],
        rows=[finish(r) for r in rows],
        total=finish({"key": "", "label": _("Total"), **total}),
    )


# --- 2. held / undelivered ---------------------------------------------------------------


def held(*, user, filters: Filters, group: str = "program", as_of: date | None = None) -> Report:
    """What has not reached the beneficiaries: held at the post office, failed (attempted,
    not yet held), sent with no result past the due date, not yet sent; amounts, the oldest due
    date still outstanding, and the entitlements carried into a later payment (apart)."""
    _check(group)
    as_of = as_of or timezone.localdate()
    sent_overdue = Q(status=S.SENT, cycle__due_date__lt=as_of)
    measures = {
        "held": Count("id", filter=Q(status=S.HELD)),
        "held_amount": Sum("amount", filter=Q(status=S.HELD)),
        "failed": Count("id", filter=Q(status=S.FAILED)),
        "failed_amount": Sum("amount", filter=Q(status=S.FAILED)),
        "sent_overdue": Count("id", filter=sent_overdue),
        "sent_overdue_amount": Sum("amount", filter=sent_overdue),
        "not_sent": Count("id", filter=Q(status=S.DUE)),
        "not_sent_amount": Sum("amount", filter=Q(status=S.DUE)),
        "oldest_due": Min("cycle__due_date", filter=Q(status__in=OUTSTANDING)),
        "carried": Count("id", filter=Q(status=S.CARRIED)),
    }

    def finish(r: dict[str, Any]) -> dict[str, Any]:
        return {**r, **{k: r[k] or 0 for k in measures if k != "oldest_due"}}

    rows, total = _grouped(_entitlements(user, filters), group, measures)
    return Report(
        name="held",
        group=group,
        columns=[
            ("held", _("Held at the post office")),
            ("held_amount", _("Held (Rp)")),
            ("failed", _("Failed, not yet held")),
            ("failed_amount", _("Failed (Rp)")),
            ("sent_overdue", _("Sent, no result past the due date")),
            ("sent_overdue_amount", _("Sent, no result (Rp)")),
            ("not_sent", _("Not sent")),
            ("not_sent_amount", _("Not sent (Rp)")),
            ("oldest_due", _("Oldest due date outstanding")),
            ("carried", _("Carried into a later payment")),
        ],
        rows=[finish(r) for r in rows],
        total=finish({"key": "", "label": _("Total"), **total}),
    )


# --- 3. lump sums ------------------------------------------------------------------------


def lump_sums(*, user, filters: Filters, group: str = "program") -> Report:
    """Payments covering several periods (a lump sum of arrears and this period): how many,
    their share of all payments due, amount and arrears part, how many were paid, and how many
    periods they cover."""
    _check(group)
    lump = NOT_CARRIED & Q(periods__gt=1)
    measures = {
        "entitlements": Count("id", filter=NOT_CARRIED),
        "lump_sums": Count("id", filter=lump),
        "lump_amount": Sum("amount", filter=lump),
        "lump_arrears": Sum("arrears", filter=lump),
        "lump_paid": Count("id", filter=lump & PAID),
        "periods_2": Count("id", filter=lump & Q(periods=2)),
        "periods_3": Count("id", filter=lump & Q(periods=3)),
        "periods_4_plus": Count("id", filter=lump & Q(periods__gte=4)),
    }

    def finish(r: dict[str, Any]) -> dict[str, Any]:
        r = {**r, **{k: r[k] or 0 for k in measures}}
        r["lump_share"] = _rate(r["lump_sums"], r["entitlements"])
        return r

    rows, total = _grouped(_entitlements(user, filters), group, measures)
    return Report(
        name="lump_sums",
        group=group,
        columns=[
            ("entitlements", _("Payments due")),
            ("lump_sums", _("Lump sums")),
            ("lump_share", _("Lump sums (%)")),
            ("lump_amount", _("Lump sums (Rp)")),
            ("lump_arrears", _("Of which arrears (Rp)")),
            ("lump_paid", _("Lump sums paid")),
            ("periods_2", _("Covering 2 periods")),
            ("periods_3", _("Covering 3 periods")),
            ("periods_4_plus", _("Covering 4 or more periods")),
        ],
        rows=[finish(r) for r in rows],
        total=finish({"key": "", "label": _("Total"), **total}),
    )


# --- 4. the payer's monthly delivery report ------------------------------------------------


@dataclass
class _Cell:
    lines: int = 0
    lines_amount: int = 0
    paid: int = 0
    paid_amount: int = 0
    paid_by_due: int = 0
    failed_attempts: int = 0
    failed: int = 0
    held: int = 0
    no_result: int = 0
    countersigned: int = 0
    reasons: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, r: dict[str, Any]) -> None:
        for name in (
            "lines",
            "lines_amount",
            "paid",
            "paid_amount",
            "paid_by_due",
            "failed_attempts",
            "failed",
            "held",
            "no_result",
            "countersigned",
        ):
            if name in r:
                setattr(self, name, getattr(self, name) + (r[name] or 0))

    def out(self, key: str, label: str, channel: str) -> dict[str, Any]:
        top = sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_REASONS]
        return {
            "key": key,
            "label": label,
            "channel": channel,
            "lines": self.lines,
            "lines_amount": self.lines_amount,
            "paid": self.paid,
            "paid_amount": self.paid_amount,
            "paid_by_due": self.paid_by_due,
            "paid_by_due_share": _rate(self.paid_by_due, self.paid),
            "failed_attempts": self.failed_attempts,
            "top_reasons": "; ".join(f"{reason} ({n})" for reason, n in top),
            "failed": self.failed,
            "held": self.held,
            "no_result": self.no_result,
            "countersigned": self.countersigned,
            "countersigned_share": _rate(self.countersigned, self.paid),
        }


def delivery(*, user, cycle: PaymentCycle, area: str = "") -> Report:
    """The payer's monthly delivery report for one cycle, per regency and channel (the
    entitlement's channel): lines in the latest batch, paid (count, amount, by the 15th),
    failed attempts (events) and their top reasons, currently failed, held, no result yet,
    and the share of payments countersigned by the beneficiary."""
    regency = Substr("entitlement__area_id", 1, REGENCY_CODE_LENGTH)
    entitlements = scoped(
        cycle.entitlements.exclude(status=S.CARRIED),
        user,
        perm=VIEW_ENTITLEMENT,
        area_field="area",
    ).filter(_area_q("area", area))
    latest = cycle.batches.order_by("-version").first()
    lines = scoped(
        BatchLine.objects.filter(batch=latest) if latest else BatchLine.objects.none(),
        user,
        perm=VIEW_ENTITLEMENT,
        area_field="entitlement__area",
    ).filter(_area_q("entitlement__area", area))
    events = scoped(
        DeliveryEvent.objects.filter(entitlement__cycle=cycle),
        user,
        perm=VIEW_ENTITLEMENT,
        area_field="entitlement__area",
    ).filter(_area_q("entitlement__area", area))
    failed_event = Q(result=DeliveryEvent.Result.FAILED)

    cells: dict[tuple[str, str], _Cell] = defaultdict(_Cell)
    for r in lines.values(regency=regency, ch=F("entitlement__channel")).annotate(
        lines=Count("id"), lines_amount=Sum("amount")
    ):
        cells[r.pop("regency"), r.pop("ch")].add(r)
    for r in entitlements.values(
        regency=Substr("area_id", 1, REGENCY_CODE_LENGTH), ch=F("channel")
    ).annotate(
        paid=Count("id", filter=PAID),
        paid_amount=Sum("amount", filter=PAID),
        paid_by_due=Count("id", filter=PAID & Q(paid_on__lte=cycle.due_date)),
        failed=Count("id", filter=Q(status=S.FAILED)),
        held=Count("id", filter=Q(status=S.HELD)),
        no_result=Count("id", filter=Q(status=S.SENT)),
    ):
        cells[r.pop("regency"), r.pop("ch")].add(r)
    for r in events.values(regency=regency, ch=F("entitlement__channel")).annotate(
        failed_attempts=Count("id", filter=failed_event),
        countersigned=Count(
            "entitlement",
            distinct=True,
            filter=Q(result=DeliveryEvent.Result.PAID, countersigned=True),
        ),
    ):
        cells[r.pop("regency"), r.pop("ch")].add(r)
    for r in (
        events.filter(failed_event)
        .values(regency=regency, ch=F("entitlement__channel"), why=F("reason"))
        .annotate(n=Count("id"))
    ):
        cells[r["regency"], r["ch"]].reasons[r["why"] or _("(no reason given)")] += r["n"]

    names = dict(Area.objects.filter(code__in={k[0] for k in cells}).values_list("code", "name"))
    channels = dict(Channel.choices)
    total = _Cell()
    rows = []
    for (code, channel), cell in sorted(cells.items()):
        rows.append(
            cell.out(
                f"{code}/{channel}",
                names.get(code, code),
                str(channels.get(channel, channel)),
            )
        )
        total.add(rows[-1])
        for reason, n in cell.reasons.items():
            total.reasons[reason] += n
    return Report(
        name="delivery",
        group="regency_channel",
        heading=_("Regency/city"),
        columns=[
            ("channel", _("Channel")),
            ("lines", _("Lines in the latest batch")),
            ("lines_amount", _("Lines (Rp)")),
            ("paid", _("Paid")),
            ("paid_amount", _("Paid (Rp)")),
            ("paid_by_due", _("Paid by the 15th")),
            ("paid_by_due_share", _("Paid by the 15th (%)")),
            ("failed_attempts", _("Failed attempts")),
            ("top_reasons", _("Top reasons")),
            ("failed", _("Failed, not yet held")),
            ("held", _("Held")),
            ("no_result", _("No result yet")),
            ("countersigned", _("Countersigned")),
            ("countersigned_share", _("Countersigned (% of paid)")),
        ],
        rows=rows,
        total=total.out("", _("Total"), ""),
    )


def report(
    *,
    user,
    name: str,
    filters: Filters,
    group: str = "program",
    cycle: PaymentCycle | None = None,
) -> Report:
    """One report by name (for the downloads and the API)."""
    match name:
        case "timeliness":
            return timeliness(user=user, filters=filters, group=group)
        case "held":
            return held(user=user, filters=filters, group=group)
        case "lump_sums":
            return lump_sums(user=user, filters=filters, group=group)
        case "delivery" if cycle is not None:
            return delivery(user=user, cycle=cycle, area=filters.area)
    raise ValueError(f"unknown report {name!r}")
