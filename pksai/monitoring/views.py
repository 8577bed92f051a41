"""The monitoring pages: the indicator dashboard, the period comparison, finance, and the
downloads of every table (CSV, XLSX, PDF). Thin: figures come from indicators.py and
finance.py (counted in the database, in the user's area scope); tables from exports.py.
Only aggregates are shown. Downloads are audited with their filters, and count tables are
suppressed for publication (small counts hidden with their complements)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from pksai.accounts.scoping import require_perm
from pksai.audit.services import audit_record
from pksai.monitoring import (
    charts,
    exports,
    finance,
    finance_years,
    maps,
    population,
    targets,
    tiles,
)
from pksai.monitoring import finance_tables as finance_tables_of
from pksai.monitoring.forms import (
    AREA_DIGITS,
    GROUP_LABELS,
    CompareForm,
    DashboardForm,
    Dhis2Form,
    FinanceForm,
    Period,
    area_groups,
    column_title,
)
from pksai.monitoring.indicators import (
    VIEW,
    active_indicators,
    compare_periods,
    definition,
    indicator_groups,
    indicator_values,
)
from pksai.monitoring.models import Dhis2Mapping, Indicator

FINANCE_REPORTS = (
    "efficiency",
    "efficiency_years",
    "execution",
    "by_source",
    "by_economic",
    "by_month",
    "coverage",
    "real_benefits",
    "projection",
)


@dataclass
class Card:
    indicator: Indicator
    group: str
    fallback: bool  # the chosen grouping does not apply: total only
    overall: Any
    table: exports.Table
    chart: charts.Chart | None
    values: list = field(default_factory=list)  # per group (empty for the total only)


def indicator_card(
    indicator: Indicator, *, user, period: Period, group: str, area: str, publish: bool = False
) -> Card:
    """One indicator for the dashboard or a download: the total for the period, the values
    per group (the chosen grouping if the indicator allows it, else the total only)."""
    allowed = indicator_groups(indicator)
    used = group if group in allowed else "national"
    args = {"user": user, "area": area, "start": period.start, "end": period.end}
    overall = next(iter(indicator_values(indicator, group="national", **args)), None)
    values = indicator_values(indicator, group=used, **args) if used != "national" else []
    table = exports.indicator_table(
        indicator,
        values if used != "national" else ([overall] if overall else []),
        overall,
        group_label=column_title(used),
        publish=publish,
    )
    chart = None
    if values and not publish:
        plotted = [v.value for v in values]
        unit = indicator.get_unit_display()
        description = _("%(name)s (%(unit)s) by %(group)s, %(period)s.") % {
            "name": indicator.name,
            "unit": unit,
            "group": GROUP_LABELS[used],
            "period": period.label(),
        }
        if used == "month":
            chart = charts.line_chart(
                title=indicator.name,
                description=description,
                labels=[v.label for v in values],
                series={str(unit): plotted},
            )
        else:
            chart = charts.bar_chart(
                title=indicator.name,
                description=description,
                labels=[v.label or _("(none)") for v in values],
                values=plotted,
                series=str(unit),
            )
    return Card(indicator, used, used != group, overall, table, chart, values)


def _number(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return "—" if value is None else value
    if isinstance(value, int):
        return formats.number_format(value, force_grouping=True)
    if hasattr(value, "quantize"):  # Decimal
        return formats.number_format(value, use_l10n=True)
    return value


def display(table: exports.Table) -> exports.Table:
    """The table with numbers formatted for the page (grouped thousands)."""
    return exports.Table(
        key=table.key,
        title=table.title,
        columns=table.columns,
        rows=[[_number(v) for v in row] for row in table.rows],
        total=[_number(v) for v in table.total] if table.total else None,
        notes=table.notes,
        suppressed=table.suppressed,
    )


# --- pages ------------------------------------------------------------------------------------


def _kept_minutes() -> int:
    return -(-settings.PKSAI_MONITORING_CACHE_SECONDS // 60)  # rounded up


def may_set_targets(user) -> bool:
    return user.is_staff and user.has_perm("monitoring.add_indicatortarget")


@login_required
@require_GET
def dashboard(request):
    """One screen of tiles: every active indicator's value, change, target and trend; each
    tile opens the indicator's page."""
    require_perm(request.user, VIEW)
    form = DashboardForm(request.GET, user=request.user)
    valid = form.is_valid()
    period, area = form.period(), form.area_code
    shown = tiles.dashboard_tiles(user=request.user, period=period, area=area) if valid else []
    context = {
        "form": form,
        "tiles": shown,
        "period": period,
        "previous": tiles.previous_period(period),
        "area": area,
        "area_name": _area_name(area),
        "query": request.GET.urlencode(),
        "may_set_targets": may_set_targets(request.user),
        "kept_minutes": _kept_minutes(),
    }
    return render(request, "monitoring/dashboard.html", context, status=200 if valid else 400)


def _area_name(code: str) -> str:
    from pksai.areas.models import Area

    return Area.objects.filter(code=code).values_list("name", flat=True).first() or code


def baseline_table(
    indicator: Indicator, values: list, *, user, group: str, area: str, period: Period
) -> exports.Table | None:
    """Per area: the baseline entered for it (with its year — e.g. PKSA 2016, before the
    system existed), the value counted for the period, the change, the target and the status.
    Every area of the level with a baseline or target is listed, with or without records."""
    if group not in AREA_DIGITS:
        return None
    goals = targets.area_targets(
        indicator,
        user=user,
        level_digits=AREA_DIGITS[group],
        area=area,
        year=period.last_month.year,
    )
    if not goals:
        return None
    counted = {v.key: v for v in values}
    names = {v.key: v.label for v in values} | {code: name for code, (name, _g) in goals.items()}
    empty = Decimal(0) if not indicator.denominator else None
    rows = []
    for code in sorted(names):
        goal = goals[code][1] if code in goals else targets.Goal()
        value = counted[code].value if code in counted else empty
        change = value - goal.baseline if value is not None and goal.baseline is not None else None
        status = tiles.rag(value, goal, higher_is_better=indicator.higher_is_better)
        rows.append(
            [
                names[code],
                str(goal.baseline_year or "—"),
                goal.baseline,
                value,
                change,
                goal.target,
                str(tiles.STATUS_LABELS[status]),
            ]
        )
    return exports.Table(
        key=f"{indicator.code}-baseline",
        title=_("Before and after: baseline and %(period)s by %(group)s")
        % {"period": period.label(), "group": GROUP_LABELS[group]},
        columns=[
            column_title(group),
            _("Baseline year"),
            _("Baseline"),
            period.label(),
            _("Change from the baseline"),
            _("Target"),
            _("Status"),
        ],
        rows=rows,
        notes=[s for s in dict.fromkeys(g.source for _n, g in goals.values()) if s],
    )


def indicator_map_parts(
    indicator: Indicator, card: Card, *, user, area: str, period: Period, allowed: list[str]
) -> tuple[str, maps.Choropleth | None, exports.Table | None]:
    """The map's level (the card's grouping if it is an area level, else the level below the
    user's or the chosen area), its choropleth (None without loaded outlines) and, when the
    card shows another grouping, the table of the mapped values (the map's text version)."""
    if card.group in AREA_DIGITS:
        group, values = card.group, card.values
    else:
        group = next((g for g in area_groups(user, area) if g in allowed), "")
        if not group:
            return "", None, None
        values = indicator_values(
            indicator, user=user, start=period.start, end=period.end, group=group, area=area
        )
    choropleth = maps.indicator_map(indicator, values, user=user, group=group, area=area)
    table = None
    if group != card.group:
        table = display(
            exports.indicator_table(
                indicator, values, card.overall, group_label=column_title(group), publish=False
            )
        )
    return group, choropleth, table


@login_required
@require_GET
def indicator_detail(request, code: str):
    """One indicator: its tile, definition, trend, the chosen grouping as chart and table,
    the other disaggregations as tables, and baselines and targets by area."""
    require_perm(request.user, VIEW)
    indicator = active_indicators().filter(code=code).first()
    if indicator is None:
        raise Http404(_("No such indicator."))
    form = DashboardForm(request.GET, user=request.user)
    valid = form.is_valid()
    period, area = form.period(), form.area_code
    context: dict[str, Any] = {
        "form": form,
        "indicator": indicator,
        "period": period,
        "area": area,
        "area_name": _area_name(area),
        "definition": definition(indicator),
        "may_set_targets": may_set_targets(request.user),
        "query": request.GET.urlencode(),
        "kept_minutes": _kept_minutes(),
    }
    if valid:
        allowed = indicator_groups(indicator)
        # the chosen grouping (fitted to the area), else by type where an indicator has
        # types ("Services provided by type"), else the level below the user's own
        group = (
            form.grouping if form.chosen_group else ("type" if "type" in allowed else form.grouping)
        )
        goal = targets.targets_for(
            [indicator], area=tiles.goal_area(request.user, area), year=period.last_month.year
        )[indicator.code]
        tile = tiles.indicator_tile(
            indicator, user=request.user, period=period, area=area, goal=goal
        )
        card = indicator_card(indicator, user=request.user, period=period, group=group, area=area)
        others = [
            display(
                exports.indicator_table(
                    indicator,
                    indicator_values(
                        indicator,
                        user=request.user,
                        start=period.start,
                        end=period.end,
                        group=other,
                        area=area,
                    ),
                    card.overall,
                    group_label=column_title(other),
                    publish=False,
                )
            )
            for other in allowed
            if other not in ("national", card.group) and other not in AREA_DIGITS
        ]
        trend_chart = None
        if tile.trend:
            trend_chart = charts.line_chart(
                title=indicator.name,
                description=tile.spark.description if tile.spark else indicator.name,
                labels=[m for m, _v in tile.trend],
                series={str(indicator.get_unit_display()): [v for _m, v in tile.trend]},
            )
        before_after = baseline_table(
            indicator, card.values, user=request.user, group=card.group, area=area, period=period
        )
        map_group, choropleth, map_table = indicator_map_parts(
            indicator, card, user=request.user, area=area, period=period, allowed=allowed
        )
        context.update(
            tile=tile,
            card=card,
            table=display(card.table),
            group_label=GROUP_LABELS[card.group],
            others=others,
            trend_chart=trend_chart,
            before_after=display(before_after) if before_after else None,
            map_group=map_group,
            map_group_label=GROUP_LABELS[map_group] if map_group else "",
            choropleth=choropleth,
            map_table=map_table,
        )
    return render(request, "monitoring/indicator.html", context, status=200 if valid else 400)


def _comparison(request, form: CompareForm) -> exports.Table:
    first, second = form.periods()
    measures = form.chosen_measures()
    rows = compare_periods(
        user=request.user,
        area=form.area_code,
        measures=measures,
        first=(first.start, first.end),
        second=(second.start, second.end),
        group=form.grouping,
    )
    return exports.comparison_table(
        rows,
        measures=measures,
        first_label=first.label(),
        second_label=second.label(),
        group_label=str(GROUP_LABELS[form.grouping]),
    )


@login_required
@require_GET
def compare(request):
    """Two periods side by side per area (e.g. last year vs this year to date), suppressed."""
    require_perm(request.user, VIEW)
    form = CompareForm(request.GET, user=request.user)
    valid = form.is_valid()
    context: dict[str, Any] = {"form": form}
    if valid:
        first, second = form.periods()
        context.update(table=display(_comparison(request, form)), first=first, second=second)
    return render(request, "monitoring/compare.html", context, status=200 if valid else 400)


def finance_tables(form: FinanceForm, user) -> dict[str, exports.Table]:
    """Every finance table of the page for the form's choices, in ``user``'s scope."""
    year = int(form.value("year"))
    program = form.chosen_program()
    code = program.code if program else ""
    base_year = form.value("base_year")
    first_year = min(int(form.value("from_year")), year)
    tables = {
        "efficiency": exports.efficiency_table(finance.efficiency(year=year, user=user), year),
        "efficiency_years": finance_tables_of.trend_table(
            finance_years.efficiency_trend(
                program=program,
                first_year=first_year,
                last_year=year,
                base_year=base_year,
                user=user,
            )
        )
        if program
        else None,
        "execution": exports.execution_table(finance.execution(year=year, user=user), year),
        "by_source": finance_tables_of.shares_table(
            finance.execution_by(year=year, by="source", user=user), year, "source"
        ),
        "by_economic": finance_tables_of.shares_table(
            finance.execution_by(year=year, by="economic", user=user), year, "economic"
        ),
        "by_month": exports.by_month_table(
            finance.execution_by_month(year=year, program=program, user=user) if program else [],
            year,
            code,
        ),
        "coverage": finance_tables_of.coverage_table(
            population.coverage(program=program, year=year, user=user)
        )
        if program
        else None,
        "real_benefits": exports.real_benefits_table(
            finance.real_benefits(program=program, base_year=base_year)
            if program and base_year
            else [],
            code,
            base_year,
        ),
        "projection": finance_tables_of.projection_table(
            finance.projection(
                program=program,
                from_year=year,
                years=int(form.value("years_ahead")),
                baseline_growth=form.value("baseline_growth"),
                expansion_growth=form.value("expansion_growth"),
                cost_growth=form.value("cost_growth"),
                coverage_targets=form.value("coverage_targets"),
                user=user,
            )
            if program
            else [],
            code,
        ),
    }
    return {key: table for key, table in tables.items() if table is not None}


@login_required
@require_GET
def finance_page(request):
    """Efficiency, budget execution (by level and by month), real benefits, projections."""
    require_perm(request.user, finance.VIEW)
    form = FinanceForm(request.GET)
    valid = form.is_valid()
    context: dict[str, Any] = {"form": form}
    if valid:
        tables = finance_tables(form, request.user)
        months = tables["by_month"].rows
        month_charts = []
        if months:
            labels = [row[0] for row in months]
            month_charts = [
                charts.bar_chart(
                    title=_("Realised each month (% of the year's budget)"),
                    description=_("Each month's realised spending as a share of the budget."),
                    labels=labels,
                    values=[row[3] for row in months],
                    series=_("monthly"),
                ),
                charts.line_chart(
                    title=_("Cumulative execution (% of the year's budget)"),
                    description=_("Realised spending to the end of each month, cumulative."),
                    labels=labels,
                    series={_("cumulative"): [row[4] for row in months]},
                ),
            ]
        real = tables["real_benefits"].rows
        real_chart = (
            charts.line_chart(
                title=tables["real_benefits"].title,
                description=_("The yearly benefit in nominal and in base-year rupiah."),
                labels=[str(row[0]) for row in real],
                series={
                    _("nominal"): [row[1] for row in real],
                    _("real"): [row[2] for row in real],
                },
            )
            if real
            else None
        )
        context.update(
            tables={key: display(table) for key, table in tables.items()},
            month_charts=month_charts,
            real_chart=real_chart,
            year=form.value("year"),
        )
    return render(request, "monitoring/finance.html", context, status=200 if valid else 400)


# --- downloads --------------------------------------------------------------------------------


def _download(request, table: exports.Table, fmt: str, subtitle: str, detail: dict) -> HttpResponse:
    audit_record(
        action="export",
        actor=request.user,
        object_type=f"monitoring.report.{table.key}",
        detail={
            "format": fmt,
            **detail,
            "rows": len(table.rows),
            "suppressed": table.suppressed,
        },
    )
    body = exports.render(table, fmt, subtitle=subtitle, user=request.user)
    response = HttpResponse(body, content_type=exports.FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{table.key}.{fmt}"'
    return response


@login_required
@require_GET
def export(request):
    """?report=indicator|comparison|efficiency|…&format=csv|xlsx|pdf with the page's filters.
    Count tables are suppressed; every download is audited with its filters."""
    report, fmt = request.GET.get("report", ""), request.GET.get("format", "")
    if fmt not in exports.FORMATS:
        raise Http404("No such format.")
    if report == "indicator":
        require_perm(request.user, VIEW)
        indicator = active_indicators().filter(code=request.GET.get("indicator", "")).first()
        if indicator is None:
            raise Http404("No such indicator.")
        form = DashboardForm(request.GET, user=request.user)
        if not form.is_valid():
            return render(request, "monitoring/dashboard.html", {"form": form}, status=400)
        period = form.period()
        card = indicator_card(
            indicator,
            user=request.user,
            period=period,
            group=form.grouping,
            area=form.area_code,
            publish=True,
        )
        subtitle = _("Period %(period)s, area %(area)s, by %(group)s") % {
            "period": period.label(),
            "area": form.area_code or _("all in scope"),
            "group": GROUP_LABELS[card.group],
        }
        detail = {"indicator": indicator.code, **form.describe(), "group": card.group}
        return _download(request, card.table, fmt, subtitle, detail)
    if report == "comparison":
        require_perm(request.user, VIEW)
        form = CompareForm(request.GET, user=request.user)
        if not form.is_valid():
            return render(request, "monitoring/compare.html", {"form": form}, status=400)
        first, second = form.periods()
        subtitle = _("%(first)s vs %(second)s, area %(area)s") % {
            "first": first.label(),
            "second": second.label(),
            "area": form.area_code or _("all in scope"),
        }
        return _download(request, _comparison(request, form), fmt, subtitle, form.describe())
    if report in FINANCE_REPORTS:
        require_perm(request.user, finance.VIEW)
        form = FinanceForm(request.GET)
        if not form.is_valid():
            return render(request, "monitoring/finance.html", {"form": form}, status=400)
        table = finance_tables(form, request.user).get(report)
        if table is None:
            raise Http404("No such report.")
        return _download(request, table, fmt, "", form.describe())
    raise Http404("No such report.")


@login_required
@require_GET
def dhis2_page(request):
    """The DHIS2 data value set of an area and period: what it holds (values, suppressed
    cells, unmapped areas and indicators) and its download (?download=json, audited)."""
    from pksai.monitoring import dhis2

    require_perm(request.user, VIEW)
    form = Dhis2Form(request.GET or None, user=request.user)
    if request.GET and not form.is_valid():
        return render(request, "monitoring/dhis2.html", {"form": form}, status=400)
    if not request.GET:
        form = Dhis2Form({"period": "", "level": "below"}, user=request.user)
        if not form.is_valid():  # no single own area: ask for one
            form = Dhis2Form(user=request.user)
            return render(request, "monitoring/dhis2.html", {"form": form})
    args = {
        "user": request.user,
        "area": form.cleaned_data["area"],
        "period": form.cleaned_data["period"],
        "level": form.cleaned_data["level"],
    }
    fmt = request.GET.get("download", "")
    if fmt in ("json", "adx"):
        try:
            built, body = dhis2.dhis2_export_download(**args, fmt=fmt)
        except dhis2.Dhis2Error as exc:  # ADX without a configured data set
            return render(
                request, "monitoring/dhis2.html", {"form": form, "problem": str(exc)}, status=400
            )
        kind = "application/adx+xml" if fmt == "adx" else "application/json"
        response = HttpResponse(body, content_type=kind)
        name = f"dhis2-{built.area}-{built.period.code}.{'adx.xml' if fmt == 'adx' else 'json'}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    built = dhis2.dhis2_export_build(**args)
    query = request.GET.copy()
    query.update({k: args[k] for k in ("area", "period", "level")})
    query["download"] = "json"
    adx_query = query.copy()
    adx_query["download"] = "adx"
    names = {i.code: i.name for i in active_indicators()}
    parts = dict(Dhis2Mapping.Part.choices)
    context = {
        "form": form,
        "built": built,
        "unmapped_indicators": [names.get(c, c) for c in built.unmapped_indicators],
        "undated_indicators": [names.get(c, c) for c in built.undated_indicators],
        "withheld": [
            (names.get(w.indicator, w.indicator), parts.get(w.part, w.part), w.area)
            for w in built.suppressed
        ],
        "download_query": query.urlencode(),
        "adx_query": adx_query.urlencode() if settings.PKSAI_DHIS2_DATA_SET else "",
        "area_name": _area_name(built.area),
        "level_label": GROUP_LABELS[built.level],
    }
    return render(request, "monitoring/dhis2.html", context)
