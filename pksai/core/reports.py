"""What every report page shares: the ``Table`` a report becomes (the page, and the CSV, XLSX
and PDF downloads — so they can never disagree), small figure helpers, the period-and-area
filter form, and the audited download.

Reports live in their apps (referrals, payments, grievances, monitoring); their tables hold
aggregates only. A download is still an export: it is on the audit log with its filters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
from django import forms
from django.db.models import Q
from django.http import HttpResponse
from django.utils import formats, timezone
from django.utils.http import content_disposition_header
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pksai.areas.forms import AreaField, scope_area_fields
from pksai.audit.services import audit_record
from pksai.core import exports
from pksai.core.pdf import document, printed_at

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
HIDDEN_COLUMNS = {"group", "key"}  # codes only the downloads carry


@dataclass(frozen=True)
class Table:
    """Columns as (key, label); rows and the total as lists in column order. The keys name the
    columns of the CSV and XLSX downloads; the labels head the HTML table and the PDF."""

    columns: list[tuple[str, str]]
    rows: list[list[Any]]
    total: list[Any] | None = None

    def frame(self) -> pl.DataFrame:
        rows = self.rows + ([self.total] if self.total is not None else [])
        return pl.DataFrame(
            rows,
            schema=[key for key, _label in self.columns],
            orient="row",
            infer_schema_length=None,
        )


@dataclass(frozen=True)
class GroupedReport:
    """One report grouped one way: the measure columns as (key, label), one dict per group
    (with ``key`` and ``label``) and the total. The same object feeds the page, the downloads
    and the API. An app's reports subclass it to name their groupings (``group_labels``)."""

    name: str
    group: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]]
    total: dict[str, Any]
    heading: str = ""

    @staticmethod
    def group_labels() -> dict[str, str]:
        return {}

    def row(self, key: str) -> dict[str, Any] | None:
        return next((r for r in self.rows if r["key"] == key), None)

    def table(self) -> Table:
        keys = [key for key, _label in self.columns]
        return Table(
            columns=[
                ("group", _("Grouped by")),
                ("key", _("Code")),
                ("label", self.heading or self.group_labels().get(self.group, "")),
                *self.columns,
            ],
            rows=[[self.group, r["key"], r["label"], *(r[k] for k in keys)] for r in self.rows],
            total=["total", "", _("Total"), *(self.total[k] for k in keys)],
        )


# --- figures --------------------------------------------------------------------------------


def rate(part: int, whole: int) -> float | None:
    """A percentage with one decimal, or None when there is nothing to divide by."""
    return round(100 * part / whole, 1) if whole else None


def days(value: timedelta | float | None) -> float | None:
    """A duration (or a number of days) as days with one decimal."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        value = value.total_seconds() / 86400
    return round(float(value), 1)


def median(histogram: dict[float, int]) -> float | None:
    """The median of values given as {value: how many}."""
    n = sum(histogram.values())
    if not n:
        return None
    wanted = [(n - 1) // 2, n // 2]  # the middle one, or the two middle ones
    found: list[float] = []
    seen = 0
    for value in sorted(histogram):  # distinct values: days, scores — never one per record
        seen += histogram[value]
        while wanted and wanted[0] < seen:
            found.append(value)
            wanted.pop(0)
    return round(sum(found) / 2, 1)


def within(field: str, date_from: date, date_to: date) -> Q:
    """A time stamp inside the period's days (local time): a range on the column itself, so
    the database uses it as is — no conversion per row."""
    start = timezone.make_aware(datetime.combine(date_from, time.min))
    end = timezone.make_aware(datetime.combine(date_to + timedelta(days=1), time.min))
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


# --- the page -------------------------------------------------------------------------------


def shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        return formats.number_format(value, 1)
    if isinstance(value, int) and not isinstance(value, bool):
        return formats.number_format(value, force_grouping=True)
    return str(value)


def display(table: Table) -> dict:
    """The table for the page: headings and cells as text, without the codes that only the
    downloads carry."""
    keep = [i for i, (key, _label) in enumerate(table.columns) if key not in HIDDEN_COLUMNS]
    return {
        "columns": [table.columns[i][1] for i in keep],
        "rows": [[shown(row[i]) for i in keep] for row in table.rows],
        "total": [shown(table.total[i]) for i in keep] if table.total else None,
    }


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PeriodAreaForm(forms.Form):
    """The filters every report starts from: a period (days) and an area of any level inside
    the user's scope (the area picker: by name or code; the cleaned value is the code)."""

    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=DATE)
    date_to = forms.DateField(label=gettext_lazy("Until"), required=False, widget=DATE)
    area = AreaField(label=gettext_lazy("Area"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        scope_area_fields(self, user)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data


def this_year() -> tuple[date, date]:
    year = timezone.localdate().year
    return date(year, 1, 1), date(year, 12, 31)


def with_period_defaults(request) -> dict:
    """The request's filters with this year as the default period."""
    data = request.GET.copy()
    start, end = this_year()
    data.setdefault("date_from", start.isoformat())
    data.setdefault("date_to", end.isoformat())
    return data


# --- downloads ------------------------------------------------------------------------------


def latin1(text: str) -> str:
    """Text for HTTP headers (Latin-1): dashes and ≤ become their plain forms, anything else
    outside Latin-1 a question mark. (PDFs are set in a Unicode font: pksai.core.pdf.)"""
    replaced = (text or "").replace("—", "-").replace("–", "-").replace("≤", "<=")
    return replaced.encode("latin-1", "replace").decode("latin-1")


def pdf_cell(value: Any) -> str:
    """A cell of a report PDF: text as it is, numbers in the reader's format (grouped
    thousands, decimal comma), nothing as a dash — as the page shows them."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int):
        return formats.number_format(value, force_grouping=True)
    if isinstance(value, float | Decimal):
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    return str(value)


def grid_pdf(
    *,
    title: str,
    headings: Sequence[str],
    rows: Sequence[Sequence[Any]],
    total: Sequence[Any] | None = None,
    subtitle: str = "",
    notes: Sequence[str] = (),
    user: Any = None,
) -> bytes:
    """A landscape A4 in the shipped Unicode font: the title, the filters, who printed it and
    when, the table and its notes. Cells wrap in columns sized from their contents, numbers
    stand flush right, the total row is in bold, the headings are repeated on every page and
    the pages are numbered (pksai.core.pdf)."""
    pdf = document(landscape=True)
    pdf.heading(str(title))
    if subtitle:
        pdf.paragraph(str(subtitle))
    printed = _("Printed by %(user)s at %(when)s") % {
        "user": user.get_username() if user is not None else "—",
        "when": printed_at(),
    }
    pdf.paragraph(printed, grey=True)
    pdf.ln(2)
    pdf.data_table(
        [capfirst(str(label)) for label in headings],
        [[pdf_cell(value) for value in row] for row in rows],
        total=[pdf_cell(value) for value in total] if total is not None else None,
        stripes=True,
    )
    for note in notes:
        pdf.paragraph(str(note), size=8)
    return bytes(pdf.output())


def table_pdf(table: Table, *, title: str, subtitle: str = "", user: Any = None) -> bytes:
    """The table as the page shows it (formatted cells, no codes), as a PDF."""
    page = display(table)
    return grid_pdf(
        title=title,
        headings=page["columns"],
        rows=page["rows"],
        total=page["total"],
        subtitle=subtitle,
        user=user,
    )


def table_file(
    table: Table, fmt: str, *, sheet: str, title: str = "", subtitle: str = "", user: Any = None
) -> bytes:
    if fmt == "csv":
        return exports.csv_bytes(table.frame())
    if fmt == "xlsx":
        return exports.xlsx_bytes(table.frame(), worksheet=sheet)
    return table_pdf(table, title=title or sheet, subtitle=subtitle, user=user)


def filters_line(detail: dict) -> str:
    """The period and area of a report's filters (as its download's detail holds them: days
    as ``from``/``to``, months as ``period_from``/``period_to``, an area code) in words, for
    the PDF under its title: "Periode 1 Jan 2026 – 31 Des 2026, wilayah Kota Makassar"."""
    from pksai.areas.models import Area

    def day(value: str, pattern: str) -> str:
        try:
            return formats.date_format(date.fromisoformat(value), pattern)
        except (TypeError, ValueError):
            return ""

    start = day(detail.get("from", ""), "j M Y")
    end = day(detail.get("to", ""), "j M Y")
    if not (start or end):
        start = day(f"{detail.get('period_from', '')}-01", "M Y")
        end = day(f"{detail.get('period_to', '')}-01", "M Y")
    code = detail.get("area", "")
    area = Area.objects.filter(code=code).values_list("name", flat=True).first() if code else ""
    if not (start or end or code):
        return ""
    return _("Period %(start)s – %(end)s, area %(area)s") % {
        "start": start or "…",
        "end": end or "…",
        "area": area or code or _("all in scope"),
    }


def download(
    request,
    table: Table,
    *,
    fmt: str,
    filename: str,
    object_type: str,
    detail: dict,
    title: str = "",
) -> HttpResponse:
    """The table as a CSV, XLSX or PDF download, on the audit log (action export, the
    filters in the detail; the PDF names the period and area under its title)."""
    audit_record(
        action="export",
        actor=request.user,
        object_type=object_type,
        detail={"format": fmt, **detail, "rows": len(table.rows)},
    )
    body = table_file(
        table,
        fmt,
        sheet=object_type.rsplit(".", 1)[-1],
        title=title,
        subtitle=filters_line(detail) if fmt == "pdf" else "",
        user=request.user,
    )
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{filename}.{fmt}"
    )
    response["Cache-Control"] = "no-store"
    return response
