"""The dashboard at a glance: one tile per active indicator — the value for the period, the
change against the previous period of the same length, the baseline and target that fit the
area and year (targets.py), red/amber/green against the target with a word for it, and the
last twelve months as a small trend line. Counted in the database in the user's scope
(indicators.py → measures.py, whose counts are cached per scope); nothing here loops over
records.

A measure without a date (active beneficiaries, facilitators, children scored) is a figure for
today: its tile says so and has no change. Its trend line exists only where the figure at the
end of a past month can be rebuilt from dates: the facilitation caseload indicators
(``measures.facilitation_month_ends``, from enrolment and exit dates).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pksai.accounts.scoping import require_perm, scope_for
from pksai.monitoring import charts
from pksai.monitoring.forms import Period, next_month, shift_months
from pksai.monitoring.indicators import VIEW, active_indicators, indicator_values, ratio
from pksai.monitoring.measures import MEASURES, facilitation_month_ends, measure_counts
from pksai.monitoring.models import Indicator
from pksai.monitoring.targets import Goal, targets_for

NEAR = Decimal("0.10")  # amber: within 10 % of the target
TREND_MONTHS = 12

STATUS_LABELS = {
    "green": gettext_lazy("On target"),
    "amber": gettext_lazy("Close to target"),
    "red": gettext_lazy("Off target"),
    "": gettext_lazy("No target set"),
}
STATUS_COLOURS = {"green": "#2f9e44", "amber": "#b76e00", "red": "#c92a2a", "": "#1f6feb"}


@dataclass
class Tile:
    indicator: Indicator
    value: Decimal | None
    numerator: int
    denominator: int | None
    previous: Decimal | None
    goal: Goal
    status: str  # green, amber, red, or "" (no target)
    dated: bool  # False: a figure for today (no previous period, no trend)
    trend: list[tuple[str, Decimal | None]] = field(default_factory=list)
    spark: charts.Chart | None = None
    # numerator and denominator per month ("YYYY-MM") from the previous period's first month
    # to the period's last (dated indicators): what a published report suppresses month by
    # month (monthly.py)
    monthly: dict[str, tuple[int, int | None]] = field(default_factory=dict)

    @property
    def change(self) -> Decimal | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def shown_value(self) -> str:
        return number(self.value)

    @property
    def shown_change(self) -> str:
        change = self.change
        if change is None:
            return ""
        sign = "+" if change > 0 else ("−" if change < 0 else "±")
        return sign + number(abs(change))

    @property
    def direction(self) -> str:
        """up, down or flat (for the arrow beside the change)."""
        change = self.change
        return "" if change is None else ("up" if change > 0 else "down" if change < 0 else "flat")

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def code(self) -> str:
        return self.indicator.code


def number(value: Decimal | int | None) -> str:
    """A figure as the reader writes it: 1.811 and 12,5 in Indonesian; "—" for none."""
    if value is None:
        return "—"
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    return formats.number_format(value, use_l10n=True, force_grouping=True)


def months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def previous_period(period: Period) -> Period:
    """The period of the same length just before (Jan–Oct 2026 → Mar–Dec 2025)."""
    length = months_between(period.start, period.end)
    return Period(shift_months(period.start, -length), period.start)


def is_dated(indicator: Indicator) -> bool:
    codes = [indicator.numerator, *([indicator.denominator] if indicator.denominator else [])]
    return all(MEASURES[c].date is not None for c in codes)


def at_month_ends(indicator: Indicator) -> bool:
    """A figure for today whose past months can be rebuilt (the facilitation caseload)."""
    codes = [indicator.numerator, *([indicator.denominator] if indicator.denominator else [])]
    return all(MEASURES[c].at_month_end for c in codes)


def rag(value: Decimal | None, goal: Goal, *, higher_is_better: bool) -> str:
    """green: the target is met; amber: within 10 % of it; red: further; "" without a target."""
    if value is None or goal.target is None:
        return ""
    target = goal.target
    margin = abs(target) * NEAR
    if higher_is_better:
        return "green" if value >= target else ("amber" if value >= target - margin else "red")
    return "green" if value <= target else ("amber" if value <= target + margin else "red")


def goal_area(user, area: str) -> str:
    """The area whose targets apply: the chosen area, else the user's one scope area (a city
    coordinator: the city), else "" (national, or several areas)."""
    if area:
        return area
    scope = scope_for(user)
    if not scope.national and len(scope.area_codes) == 1:
        return scope.area_codes[0]
    return ""


def _by_month(indicator: Indicator, *, user, start: date, end: date, area: str) -> tuple:
    """Numerator and denominator counts per month ("YYYY-MM") in [start, end): one grouped
    query per measure. Dated measures are plain counts or sums, so months add up to any
    period inside the range (the period, the one before, the trend)."""
    args = {"user": user, "start": start, "end": end, "group": "month", "area": area}
    param = indicator.parameter
    numerators = measure_counts(indicator.numerator, param=param, **args)
    denominators = (
        measure_counts(indicator.denominator, param=param, **args) if indicator.denominator else {}
    )
    return numerators, denominators


def _months(start: date, end: date) -> list[str]:
    out, month = [], start
    while month < end:
        out.append(f"{month:%Y-%m}")
        month = next_month(month)
    return out


def _value_of(indicator: Indicator, numerators: dict, denominators: dict, months: list[str]):
    numerator = sum(numerators.get(m, 0) for m in months)
    denominator = sum(denominators.get(m, 0) for m in months) if indicator.denominator else None
    return numerator, denominator, ratio(indicator, numerator, denominator)


def indicator_tile(
    indicator: Indicator, *, user, period: Period, area: str, goal: Goal, with_trend: bool = True
) -> Tile:
    require_perm(user, VIEW)
    dated = is_dated(indicator)
    if dated:
        earlier = previous_period(period)
        first = min(earlier.start, shift_months(period.end, -TREND_MONTHS))
        numerators, denominators = _by_month(
            indicator, user=user, start=first, end=period.end, area=area
        )
        numerator, denominator, value = _value_of(
            indicator, numerators, denominators, _months(period.start, period.end)
        )
        previous = _value_of(
            indicator, numerators, denominators, _months(earlier.start, earlier.end)
        )[2]
        monthly = {
            m: (numerators.get(m, 0), denominators.get(m, 0) if indicator.denominator else None)
            for m in _months(first, period.end)
        }
    else:
        now = next(
            iter(
                indicator_values(
                    indicator, user=user, start=None, end=None, group="national", area=area
                )
            ),
            None,
        )
        numerator = now.numerator if now else 0
        denominator = (now.denominator or 0) if indicator.denominator else None
        value = ratio(indicator, numerator, denominator)
        previous = None
        monthly = {}
    tile = Tile(
        indicator=indicator,
        value=value,
        numerator=numerator,
        denominator=denominator,
        previous=previous,
        goal=goal,
        status=rag(value, goal, higher_is_better=indicator.higher_is_better),
        dated=dated,
        monthly=monthly,
    )
    if with_trend and (dated or at_month_ends(indicator)):
        first_month = shift_months(period.end, -TREND_MONTHS)
        months = _months(first_month, period.end)
        if not dated:  # each month as it stood at its end, rebuilt from enrolment dates
            numerators, denominators = _month_ends(
                indicator, user=user, start=first_month, end=period.end, area=area
            )
            tile.monthly = {
                m: (numerators[m], denominators[m] if indicator.denominator else None)
                for m in months
            }
        tile.trend = [(m, _value_of(indicator, numerators, denominators, [m])[2]) for m in months]
        points = [v for _m, v in tile.trend]
        if any(v is not None for v in points):
            words = (
                _("%(name)s each month, %(first)s to %(last)s.")
                if dated
                else _(
                    "%(name)s at the end of each month, %(first)s to %(last)s (rebuilt from "
                    "enrolment and exit dates)."
                )
            )
            tile.spark = charts.sparkline(
                title=indicator.name,
                description=words
                % {"name": indicator.name, "first": months[0], "last": months[-1]},
                values=points,
                colour=STATUS_COLOURS[tile.status],
            )
    return tile


def _month_ends(indicator: Indicator, *, user, start: date, end: date, area: str) -> tuple:
    """Numerator and denominator at the end of each month in [start, end) (one query for
    both: measures.facilitation_month_ends)."""
    month_starts, month = [], start
    while month < end:
        month_starts.append(month)
        month = next_month(month)
    counts = facilitation_month_ends(user=user, months=month_starts, area=area)
    return counts[indicator.numerator], counts.get(indicator.denominator, {})


def dashboard_tiles(*, user, period: Period, area: str) -> list[Tile]:
    """A tile per active indicator in dashboard order, for the user's scope (and ``area``)."""
    require_perm(user, VIEW)
    indicators = list(active_indicators())
    goals = targets_for(indicators, area=goal_area(user, area), year=period.last_month.year)
    return [
        indicator_tile(i, user=user, period=period, area=area, goal=goals[i.code])
        for i in indicators
    ]
