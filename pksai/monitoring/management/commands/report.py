import json
from decimal import Decimal
from pathlib import Path

import polars as pl
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils import translation

from pksai.core import exports
from pksai.monitoring import finance, monthly
from pksai.monitoring.finance_years import Trend, TrendRow, efficiency_trend
from pksai.programs.models import Program

REPORTS = ("efficiency", "efficiency-years", "execution", "execution-by-month")
HANDOVER = ("monthly", "quarterly")  # the indicators of an area as one PDF or XLSX (monthly.py)


def _flat(row: dict) -> dict:
    """The "of which" categories as columns of their own (of_which_salaries, …)."""
    categories = row.pop("categories", {})
    return {**row, **{f"of_which_{k}": v for k, v in categories.items()}}


def _text(value):
    return str(value) if isinstance(value, Decimal) else value


def _trend_row(trend: Trend, row: TrendRow) -> dict:
    values = zip(trend.years, row.values, strict=True)
    out = {"indicator": row.key, **{str(y): _text(v) for y, v in values}}
    out["change"] = _text(row.change)
    if trend.base_year is not None:
        for y, v in zip(trend.years, row.constant or [None] * len(trend.years), strict=True):
            out[f"{y}_at_{trend.base_year}_prices"] = v
        out["real_change"] = _text(row.real_change)
    return out


class Command(BaseCommand):
    help = (
        "Finance reports for a year, as JSON or CSV on standard output: efficiency (unit cost, "
        "administrative cost per beneficiary in whole rupiah; administrative overhead and cost "
        "of delivering benefits in percent; civil servants per 10,000 beneficiaries), "
        "with the non-benefit categories as of_which_* columns), efficiency-years (one "
        "program from --from-year to --year: a row per indicator, a column per year, the "
        "change, and with --base-year the amounts at that year's prices), "
        "execution (realised ÷ final revised budget by program and level) and "
        "execution-by-month (monthly and cumulative). Aggregates only: no personal data. "
        "monthly / quarterly: every indicator of --area for --period (2026-03, or 2026-Q1 for "
        "quarterly) as one PDF or XLSX file (--output, default named from area and period; "
        "--format pdf|xlsx, else from the file's name), internal unless --publication (small "
        "counts hidden), Bahasa Indonesia unless --language en; on the audit log."
    )

    def add_arguments(self, parser):
        parser.add_argument("report", choices=REPORTS + HANDOVER)
        parser.add_argument("--year", type=int, help="The finance reports' year (required).")
        parser.add_argument("--program", help="Program code (default: every program).")
        parser.add_argument("--from-year", type=int, help="efficiency-years: the first year.")
        parser.add_argument("--base-year", type=int, help="efficiency-years: constant prices.")
        parser.add_argument("--format", choices=("json", "csv", "pdf", "xlsx"))
        parser.add_argument("--area", help="monthly/quarterly: the area code (empty: national).")
        parser.add_argument("--period", help="monthly: YYYY-MM; quarterly: YYYY-Qn.")
        parser.add_argument("--publication", action="store_true", help="Small counts hidden.")
        parser.add_argument("--output", help="monthly/quarterly: the file to write.")
        parser.add_argument("--language", choices=("id", "en"), default="id")

    def handle(
        self,
        *args,
        report,
        year,
        program=None,
        format=None,  # noqa: A002
        from_year=None,
        base_year=None,
        **options,
    ):
        if report in HANDOVER:
            with translation.override(options.get("language") or "id"):
                return self.handover(report, fmt=format, **options)
        if format in ("pdf", "xlsx"):
            raise CommandError(f"{report} is written as json or csv.")
        format = format or "json"  # noqa: A001
        if year is None:
            raise CommandError(f"{report} needs --year.")
        chosen = None
        if program:
            chosen = Program.objects.filter(code=program).first()
            if chosen is None:
                raise CommandError(f"No program {program!r}.")
        if report == "efficiency":
            rows = [_flat(r.as_dict()) for r in finance.efficiency(year=year, program=chosen)]
        elif report == "efficiency-years":
            if chosen is None:
                raise CommandError("efficiency-years needs --program.")
            trend = efficiency_trend(
                program=chosen,
                first_year=from_year or year - 2,
                last_year=year,
                base_year=base_year,
            )
            rows = [_trend_row(trend, row) for row in trend.rows]
        elif report == "execution":
            rows = [
                {**r.__dict__, "ratio": None if r.ratio is None else str(r.ratio)}
                for r in finance.execution(year=year)
                if chosen is None or r.program == chosen.code
            ]
        else:
            rows = [
                {k: str(v) if k.endswith("share") and v is not None else v for k, v in r.items()}
                for r in finance.execution_by_month(year=year, program=chosen)
            ]
        if format == "json":
            self.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False))
        else:
            frame = pl.DataFrame(rows, infer_schema_length=None)
            self.stdout.write(exports.csv_text(frame), ending="")

    def handover(
        self, report, *, fmt=None, area=None, period=None, publication=False, output=None, **options
    ):
        """The monthly or quarterly report of one area, read as the system (national)."""
        if not period:
            raise CommandError(f"{report} needs --period.")
        try:
            chosen = monthly.report_period(period)
        except ValueError as error:
            raise CommandError(str(error)) from error
        if (chosen.kind == "month") != (report == "monthly"):
            raise CommandError("monthly takes --period YYYY-MM, quarterly --period YYYY-Qn.")
        fmt = fmt or (Path(output).suffix.lstrip(".").lower() if output else "pdf")
        if fmt not in monthly.FORMATS:
            raise CommandError("A monthly report is written as pdf or xlsx.")
        try:
            made, name, body = monthly.monthly_report_file(
                reader=monthly.SYSTEM,
                area=area or "",
                period=chosen,
                publication=publication,
                fmt=fmt,
            )
        except Http404 as error:
            raise CommandError(f"No area {area!r}.") from error
        except ValueError as error:
            raise CommandError(str(error)) from error
        target = Path(output or name)
        target.write_bytes(body)
        self.stdout.write(
            f"{target}: {len(made.sections)} indicators, {made.area_name}, "
            f"{chosen.code}, {'publication' if publication else 'internal'}"
            f" ({made.hidden} cells hidden)"
        )
