"""Indicator values from their definitions (``monitoring.Indicator``): numerator and
denominator measures counted in the database per group, in the user's scope, and the
period-vs-period comparison (e.g. cases reported and responded per regency, PKSA 2016 vs PKSAI
January–October 2017)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from pksai.accounts.scoping import require_perm
from pksai.areas.models import Area
from pksai.monitoring.measures import AGE_GROUPS, AREA_DIGITS, MEASURES, measure_counts
from pksai.monitoring.models import Indicator

VIEW = "monitoring.view_dashboard"


@dataclass(frozen=True)
class Value:
    key: str
    label: str
    numerator: int
    denominator: int | None
    value: Decimal | None


def ratio(indicator: Indicator, numerator: int, denominator: int | None) -> Decimal | None:
    if not indicator.denominator:
        return Decimal(numerator)
    if not denominator:
        return None
    scale = 100 if indicator.unit == Indicator.Unit.PERCENT else 1
    return (Decimal(scale * numerator) / Decimal(denominator)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def type_names(keys: list[str]) -> dict[str, str]:
    """Service names for "type" group keys (service codes; one query)."""
    from pksai.referrals.models import Service

    return {s.code: str(s) for s in Service.objects.filter(code__in=[k for k in keys if k])}


AGE_ORDER = {label: i for i, (_low, _high, label) in enumerate(AGE_GROUPS)} | {"60+": 98, "?": 99}


def ordered_keys(group: str, keys: set[str] | list[str]) -> list[str]:
    """Group keys in reading order: age groups youngest first (0-4, 5-12, 13-17, …, not as
    text), everything else as sorted text (area codes, months, codes)."""
    if group == "age_group":
        return sorted(keys, key=lambda k: (AGE_ORDER.get(k, 97), k))
    return sorted(keys)


def _labels(group: str, keys: list[str]) -> dict[str, str]:
    if group in AREA_DIGITS:
        return area_names(keys)
    if group == "type":
        return type_names(keys)
    if group == "sex":
        return sex_names()
    if group == "program":
        return program_names(keys)
    if group == "age_group":
        return {"?": str(_("age unknown"))}
    return {}


def sex_names() -> dict[str, str]:
    """ "F"/"M" group keys as words in the reader's language (Perempuan/Laki-laki)."""
    from pksai.registry.models import Person

    return {code: str(capfirst(label)) for code, label in Person._meta.get_field("sex").choices}


def program_names(keys: list[str]) -> dict[str, str]:
    """Program names for "program" group keys (program codes; one query)."""
    from pksai.programs.models import Program

    return {p.code: str(p) for p in Program.objects.filter(code__in=[k for k in keys if k])}


def area_names(keys: list[str]) -> dict[str, str]:
    """Area names for group keys that are area codes (one query)."""
    codes = [k for k in keys if k]
    return dict(Area.objects.filter(code__in=codes).values_list("code", "name"))


def indicator_values(
    indicator: Indicator,
    *,
    user,
    start: date | None,
    end: date | None,
    group: str = "national",
    area: str = "",
) -> list[Value]:
    """The indicator per group: numerator, denominator, value (rounded to 0.1)."""
    require_perm(user, VIEW)
    args = {"user": user, "start": start, "end": end, "group": group, "area": area}
    param = indicator.parameter
    numerators = measure_counts(indicator.numerator, param=param, **args)
    denominators = (
        measure_counts(indicator.denominator, param=param, **args) if indicator.denominator else {}
    )
    keys = ordered_keys(group, set(numerators) | set(denominators))
    names = _labels(group, keys)
    return [
        Value(
            key=k,
            label=names.get(k, k),
            numerator=numerators.get(k, 0),
            denominator=denominators.get(k, 0) if indicator.denominator else None,
            value=ratio(
                indicator,
                numerators.get(k, 0),
                denominators.get(k, 0) if indicator.denominator else None,
            ),
        )
        for k in keys
    ]


def indicator_groups(indicator: Indicator) -> list[str]:
    """Groupings both of the indicator's measures allow, limited to its disaggregations
    ("area" stands for the province, regency and district levels)."""
    allowed = MEASURES[indicator.numerator].groups()
    if indicator.denominator:
        allowed = [g for g in allowed if g in MEASURES[indicator.denominator].groups()]
    chosen = set(indicator.disaggregations or [])
    if chosen:
        if "area" in chosen:
            chosen |= {"province", "regency", "district"}
        allowed = [g for g in allowed if g == "national" or g in chosen]
    return allowed


def definition(indicator: Indicator) -> dict[str, Any]:
    """The indicator in words: what is counted above and below the line."""
    numerator = MEASURES[indicator.numerator]
    denominator = MEASURES[indicator.denominator] if indicator.denominator else None
    if denominator is None:
        formula = _("the number of %(num)s") % {"num": numerator.label}
    elif indicator.unit == Indicator.Unit.PERCENT:
        formula = _("%(num)s ÷ %(den)s × 100") % {"num": numerator.label, "den": denominator.label}
    else:
        formula = _("%(num)s ÷ %(den)s") % {"num": numerator.label, "den": denominator.label}
    return {
        "numerator": numerator.label,
        "denominator": denominator.label if denominator else None,
        "formula": formula,
        "dated": numerator.date is not None
        and (denominator is None or denominator.date is not None),
    }


@dataclass(frozen=True)
class Comparison:
    key: str
    label: str
    first: dict[str, int]  # measure code → count in the first period
    second: dict[str, int]


def compare_periods(
    *,
    user,
    measures: list[str],
    first: tuple[date, date],
    second: tuple[date, date],
    group: str = "regency",
    area: str = "",
) -> list[Comparison]:
    """The measures counted in two periods ([start, end) each), per group — every area of the
    level in scope that has a record in either period."""
    require_perm(user, VIEW)
    counts = {
        (which, code): measure_counts(
            code, user=user, start=period[0], end=period[1], group=group, area=area
        )
        for which, period in (("first", first), ("second", second))
        for code in measures
    }
    keys = sorted({k for c in counts.values() for k in c})
    names = _labels(group, keys)
    return [
        Comparison(
            key=k,
            label=names.get(k, k),
            first={code: counts["first", code].get(k, 0) for code in measures},
            second={code: counts["second", code].get(k, 0) for code in measures},
        )
        for k in keys
    ]


def active_indicators():
    return Indicator.objects.filter(is_active=True).filter(
        Q(numerator__in=list(MEASURES)) & (Q(denominator="") | Q(denominator__in=list(MEASURES)))
    )
