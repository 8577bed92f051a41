"""Filters of the monitoring pages (GET forms): periods in months, an area inside the user's
scope, a grouping that fits the user's level; the finance page's year and scenario inputs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.http import Http404
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from pksai.accounts.scoping import scope_for
from pksai.areas.codes import normalise_area_code
from pksai.areas.forms import AreaField, scope_area_fields
from pksai.monitoring.measures import AREA_DIGITS, GROUPS, MEASURES
from pksai.monitoring.models import BudgetLine, PriceIndex
from pksai.programs.models import Program

MONTH = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
MONTH_FORMATS = ["%Y-%m", "%Y-%m-%d"]
GROUP_LABELS = {
    "national": _("total"),
    "province": _("province"),
    # the area kinds' own words ("kabupaten/kota", "kecamatan"): the plain msgid "district"
    # is a regency elsewhere in the catalogue
    "regency": pgettext_lazy("area kind", "regency or city"),
    "district": pgettext_lazy("area kind", "district"),
    "month": _("month"),
    "sex": _("sex"),
    "age_group": _("age group"),
    "program": _("program"),
    "type": _("type of service"),
}
OTHER_GROUPS = ("month", "sex", "age_group", "program", "type")


def shift_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after (or, negative, before) ``day``'s month."""
    index = max(day.year * 12 + day.month - 1 + months, 12)  # never before year 1
    return date(index // 12, index % 12 + 1, 1)


def next_month(day: date) -> date:
    return shift_months(day, 1)


def first_of_month(day: date) -> date:
    return day.replace(day=1)


@dataclass(frozen=True)
class Period:
    """[start, end): whole months, ``end`` the first day after the last month."""

    start: date
    end: date

    @property
    def last_month(self) -> date:
        return shift_months(self.end, -1)

    def label(self) -> str:
        return f"{self.start:%Y-%m} – {self.last_month:%Y-%m}"

    def as_dict(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def this_year_to_date() -> Period:
    today = timezone.localdate()
    return Period(date(today.year, 1, 1), next_month(today))


def last_year() -> Period:
    today = timezone.localdate()
    return Period(date(today.year - 1, 1, 1), date(today.year, 1, 1))


def area_groups(user: Any, area: str = "") -> list[str]:
    """Area levels below the chosen area (or the user's own level): a regency user sees
    districts, a national user provinces, regencies and districts."""
    scope = scope_for(user)
    if area:
        base = len(area)
    elif scope.national:
        base = 0
    else:
        base = min((len(code) for code in scope.area_codes), default=8)
    return [level for level, digits in AREA_DIGITS.items() if digits > base]


def column_title(group: str) -> str:
    """A grouping as a table's first column title: "Kecamatan", "Kabupaten/kota"."""
    return str(capfirst(str(GROUP_LABELS[group])))


def fit_group(user: Any, area: str, group: str) -> str:
    """The area grouping that answers ``group`` for a filter to ``area``: a level above the
    user's own becomes the user's level, and a level at or above the chosen area becomes the
    area's own level (one row: the area), so any grouping with any area in scope answers
    (never a 400, never a province row holding one kecamatan's counts)."""
    if group not in AREA_DIGITS:
        return group
    own = area_groups(user)
    if own and group not in own:
        group = own[0]
    if area and AREA_DIGITS[group] < len(area):
        fitting = [g for g, digits in AREA_DIGITS.items() if digits <= len(area)]
        group = fitting[-1] if fitting else group
    return group


def default_group(user: Any, area: str = "") -> str:
    levels = area_groups(user, area)
    return levels[0] if levels else "national"


def clean_area_code(raw: str, user: Any) -> str:
    """An area code inside the user's scope, or "" (the whole scope). A code outside the scope
    is a 404, as if the area did not exist."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    code = normalise_area_code(raw)
    if code is None:
        raise forms.ValidationError(_("Not an area code (for example 73.71 or 7371)."))
    if not scope_for(user).covers(code):
        raise Http404("No such area.")
    return code


class GroupField(forms.ChoiceField):
    """The offered groupings, and any other grouping code too (a link made for another level
    or area): it is fitted to the user and area (``fit_group``), never refused with a 400."""

    def valid_value(self, value: Any) -> bool:
        return value in GROUPS or super().valid_value(value)


class _Scoped(forms.Form):
    area = AreaField(label=_("Area"), required=False, help_text=_("Empty: your whole area."))
    group = GroupField(label=_("Group by"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        scope_area_fields(self, user)
        if self.is_bound:
            field = self.fields["area"]
            typed = field.widget.value_from_datadict(self.data, self.files, self.add_prefix("area"))
            try:  # a code out of scope: Http404 here already
                clean_area_code(typed, user)
            except forms.ValidationError:  # a name: the field resolves it (or says why not)
                pass
        # every level below the user's own, whichever area is chosen: a filter to one
        # kecamatan with "by kecamatan" (or by regency) answers with that kecamatan's row
        choices = [*area_groups(user), *self.other_groups]
        self.fields["group"].choices = [("", _("(default)"))] + [
            (g, column_title(g)) for g in choices
        ]

    other_groups: tuple[str, ...] = OTHER_GROUPS

    def clean_area(self) -> str:
        return clean_area_code(self.cleaned_data.get("area", ""), self.user)

    @property
    def grouping(self) -> str:
        data = self.cleaned_data if self.is_valid() else {}
        area = data.get("area", "")
        return fit_group(self.user, area, data.get("group") or default_group(self.user, area))

    @property
    def chosen_group(self) -> str:
        """The grouping the user picked ("" for the default)."""
        return (self.cleaned_data if self.is_valid() else {}).get("group") or ""

    @property
    def area_code(self) -> str:
        return (self.cleaned_data if self.is_valid() else {}).get("area", "")


def _month_field(label) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=MONTH, input_formats=MONTH_FORMATS)


class DashboardForm(_Scoped):
    start = _month_field(_("From (month)"))
    end = _month_field(_("Until (month)"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data

    def period(self) -> Period:
        default = this_year_to_date()
        data = self.cleaned_data if self.is_valid() else {}
        start = first_of_month(data["start"]) if data.get("start") else default.start
        end = next_month(data["end"]) if data.get("end") else default.end
        return Period(start, end)

    def describe(self) -> dict[str, str]:
        return {**self.period().as_dict(), "area": self.area_code, "group": self.grouping}


class CompareForm(_Scoped):
    other_groups = ()
    first_start = _month_field(_("First period from"))
    first_end = _month_field(_("First period until"))
    second_start = _month_field(_("Second period from"))
    second_end = _month_field(_("Second period until"))
    measures = forms.MultipleChoiceField(
        label=_("Measures"), required=False, widget=forms.CheckboxSelectMultiple
    )

    DEFAULT_MEASURES = ["cases_reported", "cases_responded"]

    def clean_group(self) -> str:
        """Only area levels compare two periods; another grouping means the default."""
        group = self.cleaned_data.get("group") or ""
        return group if group in AREA_DIGITS or group == "national" else ""

    @property
    def grouping(self) -> str:
        """Per regency unless the user or the chosen area is below that level."""
        data = self.cleaned_data if self.is_valid() else {}
        area = data.get("area", "")
        levels = area_groups(self.user, area)
        group = data.get("group") or (
            "regency" if "regency" in levels else default_group(self.user, area)
        )
        return fit_group(self.user, area, group)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measures"].choices = [(code, m.label) for code, m in MEASURES.items()]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for which in ("first", "second"):
            start, end = data.get(f"{which}_start"), data.get(f"{which}_end")
            if start and end and start > end:
                raise forms.ValidationError(_("A period ends before it starts."))
        area = data.get("area", "")
        levels = area_groups(self.user, area)
        group = fit_group(
            self.user,
            area,
            data.get("group")
            or ("regency" if "regency" in levels else (levels or ["national"])[0]),
        )
        refused = [c for c in self.chosen_measures(data) if group not in MEASURES[c].groups()]
        if refused:
            raise forms.ValidationError(
                _("These measures cannot be counted by that grouping: %(m)s")
                % {"m": ", ".join(refused)}
            )
        return data

    def chosen_measures(self, data: dict | None = None) -> list[str]:
        data = data if data is not None else (self.cleaned_data if self.is_valid() else {})
        return list(data.get("measures") or self.DEFAULT_MEASURES)

    def _period(self, which: str, default: Period) -> Period:
        data = self.cleaned_data if self.is_valid() else {}
        start, end = data.get(f"{which}_start"), data.get(f"{which}_end")
        return Period(
            first_of_month(start) if start else default.start,
            next_month(end) if end else default.end,
        )

    def periods(self) -> tuple[Period, Period]:
        return self._period("first", last_year()), self._period("second", this_year_to_date())

    def describe(self) -> dict[str, Any]:
        first, second = self.periods()
        return {
            "first": first.as_dict(),
            "second": second.as_dict(),
            "area": self.area_code,
            "group": self.grouping,
            "measures": self.chosen_measures(),
        }


def _years() -> list[int]:
    years = set(BudgetLine.objects.values_list("year", flat=True).distinct())
    years.add(timezone.localdate().year)
    return sorted(years, reverse=True)


def coverage_targets(text: str) -> list[Decimal]:
    """'25, 75, 100' → [25, 75, 100]: percentages of the eligible population, one a year."""
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    targets = []
    for part in parts:
        try:
            value = Decimal(part.replace("%", ""))
        except ArithmeticError:
            value = Decimal(-1)
        if not value.is_finite() or not 0 <= value <= 100:
            raise forms.ValidationError(
                _("Percentages from 0 to 100 separated by commas, e.g. 25, 75, 100.")
            )
        targets.append(value)
    if len(targets) > 15:
        raise forms.ValidationError(_("At most 15 yearly targets."))
    return targets


class FinanceForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False)
    from_year = forms.TypedChoiceField(
        label=_("Several years: from"),
        coerce=int,
        required=False,
        help_text=_("The efficiency table shows every year from this one to the chosen year."),
    )
    program = forms.ChoiceField(label=_("Program"), required=False)
    base_year = forms.TypedChoiceField(label=_("Base year (prices)"), coerce=int, required=False)
    baseline_growth = forms.DecimalField(
        label=_("Baseline: beneficiaries grow (% a year)"),
        required=False,
        initial=Decimal("0"),
        min_value=Decimal("-50"),
        max_value=Decimal("100"),
        decimal_places=1,
    )
    expansion_growth = forms.DecimalField(
        label=_("Expansion: beneficiaries grow (% a year)"),
        required=False,
        initial=Decimal("20"),
        min_value=Decimal("-50"),
        max_value=Decimal("200"),
        decimal_places=1,
    )
    cost_growth = forms.DecimalField(
        label=_("Unit cost grows (% a year)"),
        required=False,
        initial=Decimal("5"),
        min_value=Decimal("-50"),
        max_value=Decimal("100"),
        decimal_places=1,
    )
    years_ahead = forms.IntegerField(
        label=_("Years ahead"), required=False, initial=5, min_value=1, max_value=15
    )
    coverage_targets = forms.CharField(
        label=_("Coverage targets (% of the eligible population, one a year)"),
        required=False,
        max_length=120,
        help_text=_("For example 25, 75, 100: needs an imported eligible-population estimate."),
    )

    def clean_coverage_targets(self) -> list[Decimal]:
        return coverage_targets(self.cleaned_data.get("coverage_targets") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        year, first = data.get("year"), data.get("from_year")
        if year and first and first > year:
            self.add_error("from_year", _("The first year comes after the chosen year."))
        return data

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, y) for y in _years()]
        self.fields["from_year"].choices = [("", _("(two years before)"))] + [
            (y, y) for y in _years()
        ]
        programs = Program.objects.filter(parent__isnull=True).order_by("code")
        self.fields["program"].choices = [(p.code, f"{p.code.upper()} — {p}") for p in programs]
        index_years = list(PriceIndex.objects.values_list("year", flat=True))
        self.fields["base_year"].choices = [(y, y) for y in sorted(index_years, reverse=True)]

    def value(self, name: str) -> Any:
        data = self.cleaned_data if self.is_valid() else {}
        got = data.get(name)
        if got not in (None, ""):
            return got
        if name == "year":
            return _years()[0] if BudgetLine.objects.exists() else timezone.localdate().year
        if name == "program":
            choices = self.fields["program"].choices
            return choices[0][0] if choices else ""
        if name == "base_year":
            choices = self.fields["base_year"].choices
            return choices[0][0] if choices else None
        if name == "from_year":
            return int(self.value("year")) - 2
        if name == "coverage_targets":
            return []
        return self.fields[name].initial

    def chosen_program(self) -> Program | None:
        code = self.value("program")
        return Program.objects.filter(code=code).first() if code else None

    def describe(self) -> dict[str, Any]:
        def text(value: Any) -> str:
            return ", ".join(map(str, value)) if isinstance(value, list) else str(value)

        return {
            name: text(self.value(name))
            for name in (
                "year",
                "program",
                "base_year",
                "baseline_growth",
                "expansion_growth",
                "cost_growth",
                "years_ahead",
                "from_year",
                "coverage_targets",
            )
        }


# --- the monthly report (monthly.py) ------------------------------------------------------------

REPORT_MONTHS = 24
REPORT_QUARTERS = 8


def report_period_choices(today: date | None = None) -> list[tuple[str, str]]:
    """The last 24 whole months and the last 8 whole quarters, newest first, as
    (code, label): ("2026-11", "November 2026"), ("2026-Q3", "Triwulan 3 2026")."""
    from pksai.monitoring.monthly import report_period

    today = today or timezone.localdate()
    months = [f"{shift_months(today, -back):%Y-%m}" for back in range(1, REPORT_MONTHS + 1)]
    quarter = (today.month - 1) // 3  # the last whole quarter: this one's number - 1
    year = today.year
    quarters = []
    for _i in range(REPORT_QUARTERS):
        if quarter == 0:
            year, quarter = year - 1, 4
        quarters.append(f"{year}-Q{quarter}")
        quarter -= 1
    return [(code, report_period(code).label()) for code in [*months, *quarters]]


class MonthlyReportForm(forms.Form):
    """The dashboard's "Laporan bulanan": period, area and edition; the format is the button
    pressed."""

    period = forms.ChoiceField(label=_("Month or quarter"))
    area = AreaField(label=_("Area"), required=False, help_text=_("Empty: your whole area."))
    edition = forms.ChoiceField(
        label=_("Copy"),
        choices=[
            ("internal", _("Internal (counts not suppressed, for staff)")),
            ("publication", _("Publication (small counts hidden)")),
        ],
        initial="internal",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        scope_area_fields(self, user)
        self.fields["period"].choices = report_period_choices()
        self.fields["period"].initial = self.fields["period"].choices[0][0]


def last_full_month() -> str:
    return f"{shift_months(timezone.localdate(), -1):%Y-%m}"


class Dhis2Form(forms.Form):
    """Area, period (a month or a quarter) and level of a DHIS2 data value set."""

    area = AreaField(label=_("Area"), required=False, help_text=_("Empty: your own area."))
    period = forms.CharField(
        label=_("Period"),
        required=False,
        max_length=8,
        help_text=_("A month (2026-03) or a quarter (2026-Q1)."),
    )
    level = forms.ChoiceField(
        label=_("Values for"),
        required=False,
        choices=[("below", _("each area one level down")), ("self", _("the area itself"))],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        scope_area_fields(self, user)
        if self.is_bound:
            typed = self.fields["area"].widget.value_from_datadict(self.data, self.files, "area")
            try:  # a code out of scope: Http404 here already
                clean_area_code(typed, user)
            except forms.ValidationError:
                pass

    def clean_area(self) -> str:
        code = clean_area_code(self.cleaned_data.get("area", ""), self.user)
        if not code:
            scope = scope_for(self.user)
            if not scope.national and len(scope.area_codes) == 1:
                return scope.area_codes[0]
            raise forms.ValidationError(_("Choose an area."))
        return code

    def clean_period(self) -> str:
        from pksai.monitoring.dhis2 import Dhis2Error, parse_period

        text = self.cleaned_data.get("period") or last_full_month()
        try:
            parse_period(text)
        except Dhis2Error as exc:
            raise forms.ValidationError(str(exc)) from exc
        return text.strip().upper()

    def clean_level(self) -> str:
        return self.cleaned_data.get("level") or "below"

    def clean(self):
        data = super().clean()
        from pksai.monitoring.dhis2 import Dhis2Error, export_level

        if data.get("area"):
            try:
                export_level(data["area"], data.get("level") or "below")
            except Dhis2Error as exc:
                self.add_error("level", str(exc))
        return data
