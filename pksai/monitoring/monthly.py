"""One report to hand over (issue 18 point 3, decision 0030): the indicators of one area for
one month or quarter, assembled once and written as a PDF (monthly_files.report_pdf) and an
XLSX workbook (monthly_files.report_xlsx) — from the dashboard's "Laporan bulanan" form and
from ``pksai report monthly|quarterly``.

``monthly_report`` reads everything in the reader's scope through the same code the
dashboard uses (tiles.py: value, change, goal, red/amber/green, twelve months of counts;
indicators.py: the values by the level below the area), so the report and the dashboard can
never disagree. The queries are per indicator (as the tiles'), never per area or per month.

Two editions:

- **internal** — the counts as they are, for staff whose scope covers the area;
- **publication** — small counts hidden as on every published table (suppression.py): a
  count below the threshold shows as "≤4", and complements ("—") are hidden so that no
  published total gives one away. The constraints a report publishes are the tables by area
  (each with its total: exports.indicator_table), the period's months adding up to the
  period's figure, and the previous period's months adding up to the figure the change is
  measured against. A month's value is hidden with its counts; a change is published only
  when the previous period's figure and all of its months are.

``monthly_report_file`` is the one entry point of the page and the command: it assembles,
renders and writes the export row on the audit log in one go.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from pksai.accounts.scoping import require_perm, scope_for
from pksai.areas.codes import normalise_area_code
from pksai.areas.models import Area
from pksai.audit.services import audit_record
from pksai.monitoring import exports
from pksai.monitoring.exports import COMPLEMENT, small
from pksai.monitoring.forms import Period, column_title, default_group
from pksai.monitoring.indicators import (
    VIEW,
    Value,
    active_indicators,
    definition,
    indicator_groups,
    indicator_values,
)
from pksai.monitoring.measures import MEASURES
from pksai.monitoring.models import Indicator
from pksai.monitoring.suppression import threshold
from pksai.monitoring.targets import targets_for
from pksai.monitoring.tiles import (
    TREND_MONTHS,
    Tile,
    _months,
    goal_area,
    indicator_tile,
    previous_period,
    shift_months,
)

FORMATS = ("pdf", "xlsx")


def format_error() -> str:
    return _("A report is a PDF or an XLSX file.")


PERIOD = re.compile(r"^(\d{4})-(?:(\d{2})|[Qq]([1-4]))$")

Published = int | Decimal | str | None  # a number, "≤4" / "—" where hidden, None: no figure


class SystemReader:
    """Who the command line reads as: the whole country, every permission (like
    ``finance.budget_lines(None)``). Not a user: the audit row names "system"."""

    pk = None
    is_authenticated = True
    is_active = True
    is_superuser = True
    is_national = True
    is_staff = False

    def has_perm(self, perm: str) -> bool:
        return True

    def get_username(self) -> str:
        return "system"

    def __str__(self) -> str:
        return "system"


SYSTEM = SystemReader()


@dataclass(frozen=True)
class ReportPeriod:
    """A month ("2026-03") or a quarter ("2026-Q1")."""

    kind: str  # "month" or "quarter"
    period: Period
    code: str

    def label(self) -> str:
        if self.kind == "month":
            return formats.date_format(self.period.start, "F Y")
        return _("Quarter %(n)s %(year)s") % {
            "n": (self.period.start.month - 1) // 3 + 1,
            "year": self.period.start.year,
        }

    def title(self) -> str:
        return _("Monthly report") if self.kind == "month" else _("Quarterly report")


def report_period(text: str) -> ReportPeriod:
    """ "2026-03" → March 2026; "2026-Q1" → January–March 2026. ValueError otherwise."""
    match = PERIOD.match((text or "").strip())
    if not match or not 2000 <= int(match.group(1)) <= 2100:
        raise ValueError(_("A period is a month (2026-03) or a quarter (2026-Q1)."))
    year = int(match.group(1))
    if match.group(2):
        month = int(match.group(2))
        if not 1 <= month <= 12:
            raise ValueError(_("A period is a month (2026-03) or a quarter (2026-Q1)."))
        start = date(year, month, 1)
        return ReportPeriod("month", Period(start, shift_months(start, 1)), f"{start:%Y-%m}")
    quarter = int(match.group(3))
    start = date(year, 3 * (quarter - 1) + 1, 1)
    return ReportPeriod("quarter", Period(start, shift_months(start, 3)), f"{year}-Q{quarter}")


@dataclass(frozen=True)
class Month:
    month: str  # "YYYY-MM"
    numerator: Published
    denominator: Published
    value: Published


@dataclass
class Section:
    """One indicator of the report: its figures as published in this edition."""

    indicator: Indicator
    tile: Tile
    numerator: Published
    denominator: Published
    value: Published
    change: Published
    months: list[Month]  # the trend: the last twelve months (dated indicators)
    table: exports.Table  # by the level below the area, with its total
    group: str
    definition: dict[str, Any]
    source: str
    hidden: int = 0  # cells hidden in this section (summary, trend, table)

    @property
    def suppressed(self) -> bool:
        return isinstance(self.value, str)

    @property
    def status(self) -> str:
        """red/amber/green — none when the value is hidden (it would tell the value)."""
        return "" if self.suppressed else self.tile.status

    @property
    def status_label(self) -> str:
        if self.suppressed:
            return _("Hidden (small count)")
        return self.tile.status_label


@dataclass
class MonthlyReport:
    period: ReportPeriod
    area: str  # "" = the whole country
    area_name: str
    publication: bool
    generated_at: datetime
    generated_by: str
    group: str  # the level of the tables ("national": the area alone)
    sections: list[Section] = field(default_factory=list)

    @property
    def hidden(self) -> int:
        return sum(s.hidden for s in self.sections)

    def edition(self) -> str:
        if self.publication:
            return _("Publication copy: small counts hidden")
        return _("Internal copy: not for publication (counts not suppressed)")

    def notes(self) -> list[str]:
        if not self.publication:
            return [
                _(
                    "Internal copy for staff whose area covers %(area)s: the counts are not "
                    "suppressed. Do not publish it; download the publication copy instead."
                )
                % {"area": self.area_name}
            ]
        return [
            exports.suppression_note(),
            _(
                "A value or a month is hidden with its counts, and a change only shows when "
                "the previous period's figure and each of its months are published. "
                "%(n)s cells are hidden in this copy."
            )
            % {"n": self.hidden},
        ]

    def filename(self, fmt: str) -> str:
        kind = "laporan-bulanan" if self.period.kind == "month" else "laporan-triwulanan"
        edition = "publikasi" if self.publication else "internal"
        place = self.area or "nasional"
        return f"{kind}-{place}-{self.period.code}-{edition}.{fmt}"


# --- the area -----------------------------------------------------------------------------


def report_area(reader: Any, raw: str) -> tuple[str, str]:
    """The area code and name the report is for: a code inside the reader's scope, or "" for
    the whole country (national readers only). A code that is not one is a ValueError; an
    area outside the scope — or unknown — is a 404, as if it did not exist (the attempt on
    an existing area is on the audit log)."""
    scope = scope_for(reader)
    raw = (raw or "").strip()
    if not raw:
        if scope.national:
            return "", _("Indonesia (national)")
        if len(scope.area_codes) == 1:
            raw = scope.area_codes[0]
        else:
            raise ValueError(_("Choose one of your areas."))
    code = normalise_area_code(raw)
    if code is None:
        raise ValueError(_("Not an area code (for example 73.71 or 7371)."))
    name = Area.objects.filter(code=code).values_list("name", flat=True).first()
    if name is None or not scope.covers(code):
        if name is not None:
            audit_record(
                action="permission_denied",
                actor=reader if getattr(reader, "pk", None) else None,
                object_type="areas.area",
                object_id=code,
                object_repr=name,
                detail={"reason": "out of scope", "what": "monitoring.monthly_report"},
            )
        raise Http404("No such area.")
    return code, name


# --- suppression of the summary and the trend -----------------------------------------------


def _hide_months(
    counts: dict[str, int], period: list[str], earlier: list[str], total: int
) -> tuple[dict[str, str], bool]:
    """One count column over the months: the hidden months ("≤4" small, "—" complement) and
    whether the previous period's figure may be published (the change)."""
    below = threshold()
    hidden = {m: small() for m, n in counts.items() if 0 < n < below}
    inside = [m for m in period if m in hidden]
    if len(inside) == 1 and not 0 < total < below:
        # the period's months add up to its published figure: one hidden month would be
        # that figure less the others — hide the smallest other month with a count as well
        pool = sorted((counts[m], m) for m in period if m not in hidden and counts[m] > 0)
        if pool:
            hidden[pool[0][1]] = COMPLEMENT
    before = sum(counts.get(m, 0) for m in earlier)
    previous_ok = not (0 < before < below) and not any(m in hidden for m in earlier)
    return hidden, previous_ok


def _hidden_value(numerator: Published, has_denominator: bool) -> str:
    """A hidden value: a count's value is its numerator ("≤4" or "—"); a ratio's is "—"."""
    if not has_denominator and isinstance(numerator, str):
        return numerator
    return COMPLEMENT


def _shown(count: int, hidden: str | None) -> Published:
    return hidden if hidden is not None else count


def _summary(
    indicator: Indicator, tile: Tile, period: Period, publication: bool
) -> tuple[Published, Published, Published, Published, list[Month], int]:
    """The published numerator, denominator, value, change and the trend months, and how
    many cells are hidden."""
    has_den = bool(indicator.denominator)
    trend_months = [m for m, _v in tile.trend][-TREND_MONTHS:]
    values = dict(tile.trend)
    if not publication:
        months = [
            Month(m, *tile.monthly.get(m, (0, 0 if has_den else None)), values.get(m))
            for m in trend_months
        ]
        return tile.numerator, tile.denominator, tile.value, tile.change, months, 0
    below = threshold()

    def small_total(n: int | None) -> bool:
        return n is not None and 0 < n < below

    hidden_total = small_total(tile.numerator) or small_total(tile.denominator)
    numerator: Published = small() if small_total(tile.numerator) else tile.numerator
    denominator: Published = small() if small_total(tile.denominator) else tile.denominator
    if not tile.dated:  # a figure for today: no change; months only as at their ends
        value = _hidden_value(numerator, has_den) if hidden_total else tile.value
        count = sum(isinstance(c, str) for c in (numerator, denominator, value))
        months = []
        for m in trend_months:  # stocks, not flows: no month adds up to another figure
            n, d = tile.monthly.get(m, (0, 0 if has_den else None))
            shown_n = small() if small_total(n) else n
            shown_d = (small() if small_total(d) else d) if has_den else None
            hide = isinstance(shown_n, str) or isinstance(shown_d, str)
            shown_v = _hidden_value(shown_n, has_den) if hide else values.get(m)
            count += sum(isinstance(c, str) for c in (shown_n, shown_d, shown_v))
            months.append(Month(m, shown_n, shown_d, shown_v))
        return numerator, denominator, value, None, months, count
    inside = _months(period.start, period.end)
    earlier = previous_period(period)
    before = _months(earlier.start, earlier.end)
    num_hidden, num_previous = _hide_months(
        {m: c[0] for m, c in tile.monthly.items()}, inside, before, tile.numerator
    )
    den_hidden: dict[str, str] = {}
    den_previous = True
    if has_den:
        den_hidden, den_previous = _hide_months(
            {m: c[1] or 0 for m, c in tile.monthly.items()}, inside, before, tile.denominator or 0
        )
    value = _hidden_value(numerator, has_den) if hidden_total else tile.value
    change: Published = tile.change
    if hidden_total or not (num_previous and den_previous):
        change = COMPLEMENT if tile.change is not None else None
    months = []
    count = sum(isinstance(c, str) for c in (numerator, denominator, value, change))
    for m in trend_months:
        n, d = tile.monthly.get(m, (0, 0 if has_den else None))
        shown_n = _shown(n, num_hidden.get(m))
        shown_d = _shown(d, den_hidden.get(m)) if has_den else None
        hide_value = isinstance(shown_n, str) or isinstance(shown_d, str)
        shown_v = _hidden_value(shown_n, has_den) if hide_value else values.get(m)
        count += sum(isinstance(c, str) for c in (shown_n, shown_d, shown_v))
        months.append(Month(m, shown_n, shown_d, shown_v))
    return numerator, denominator, value, change, months, count


# --- assembling -------------------------------------------------------------------------------


def _source(indicator: Indicator) -> str:
    """Where the figures come from, in words: the records each measure counts."""
    models = [MEASURES[indicator.numerator].model]
    if indicator.denominator:
        models.append(MEASURES[indicator.denominator].model)
    names = dict.fromkeys(str(m._meta.verbose_name_plural) for m in models)
    return _("PKSAI records: %(records)s") % {"records": ", ".join(names)}


def monthly_report(
    *, reader: Any, area: str, period: ReportPeriod, publication: bool
) -> MonthlyReport:
    """Every active indicator for ``area`` (in ``reader``'s scope) and ``period``: the
    summary, twelve months of trend, a table by the level below the area and the
    definitions — suppressed when ``publication``."""
    require_perm(reader, VIEW)
    code, name = report_area(reader, area)
    span = period.period
    indicators = list(active_indicators())
    goals = targets_for(indicators, area=goal_area(reader, code), year=span.last_month.year)
    level = default_group(reader, code)
    report = MonthlyReport(
        period=period,
        area=code,
        area_name=name,
        publication=publication,
        generated_at=timezone.now(),
        generated_by=reader.get_username(),
        group=level,
    )
    for indicator in indicators:
        tile = indicator_tile(
            indicator, user=reader, period=span, area=code, goal=goals[indicator.code]
        )
        overall = Value("", "", tile.numerator, tile.denominator, tile.value)
        group = level if level in indicator_groups(indicator) else "national"
        values = (
            indicator_values(
                indicator, user=reader, start=span.start, end=span.end, group=group, area=code
            )
            if group != "national"
            else [Value("", name, tile.numerator, tile.denominator, tile.value)]
        )
        table = exports.indicator_table(
            indicator, values, overall, group_label=column_title(group), publish=publication
        )
        numerator, denominator, value, change, months, hidden = _summary(
            indicator, tile, span, publication
        )
        report.sections.append(
            Section(
                indicator=indicator,
                tile=tile,
                numerator=numerator,
                denominator=denominator,
                value=value,
                change=change,
                months=months,
                table=table,
                group=group,
                definition=definition(indicator),
                source=_source(indicator),
                hidden=hidden + table.suppressed,
            )
        )
    return report


def monthly_report_export(
    *, reader: Any, area: str, period: ReportPeriod, publication: bool, fmt: str
) -> MonthlyReport:
    """The report, with its export on the audit log (who, area, period, edition, format —
    "pdf", "xlsx" or "json" for the API —, cells hidden) in the same transaction."""
    with transaction.atomic():
        report = monthly_report(reader=reader, area=area, period=period, publication=publication)
        audit_record(
            action="export",
            actor=reader if getattr(reader, "pk", None) else None,
            username=reader.get_username(),
            object_type="monitoring.report.monthly",
            object_repr=report.filename(fmt),
            detail={
                "format": fmt,
                "area": report.area,
                "period": period.code,
                "edition": "publication" if publication else "internal",
                "indicators": len(report.sections),
                "suppressed": report.hidden,
            },
        )
    return report


def monthly_report_file(
    *, reader: Any, area: str, period: ReportPeriod, publication: bool, fmt: str
) -> tuple[MonthlyReport, str, bytes]:
    """The report as a file (``fmt`` "pdf" or "xlsx"): the report, its file name and bytes;
    audited (``monthly_report_export``)."""
    from pksai.monitoring.monthly_files import report_pdf, report_xlsx

    if fmt not in FORMATS:
        raise ValueError(format_error())
    with transaction.atomic():
        report = monthly_report_export(
            reader=reader, area=area, period=period, publication=publication, fmt=fmt
        )
        body = report_pdf(report) if fmt == "pdf" else report_xlsx(report)
    return report, report.filename(fmt), body
