import json

import polars as pl
from django.core.management.base import BaseCommand, CommandError

from pksai.core import exports
from pksai.monitoring import finance
from pksai.programs.models import Program

REPORTS = ("efficiency", "execution", "execution-by-month")


class Command(BaseCommand):
    help = (
        "Finance reports for a year, as JSON or CSV on standard output: efficiency (unit cost, "
        "administrative cost per beneficiary in whole rupiah; administrative overhead and cost "
        "of delivering benefits in percent; civil servants per 10,000 beneficiaries), "
        "execution (realised ÷ final revised budget by program and level) and "
        "execution-by-month (monthly and cumulative). Aggregates only: no personal data."
    )

    def add_arguments(self, parser):
        parser.add_argument("report", choices=REPORTS)
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--program", help="Program code (default: every program).")
        parser.add_argument("--format", choices=("json", "csv"), default="json")

    def handle(self, *args, report, year, program=None, format="json", **options):  # noqa: A002
        chosen = None
        if program:
            chosen = Program.objects.filter(code=program).first()
            if chosen is None:
                raise CommandError(f"No program {program!r}.")
        if report == "efficiency":
            rows = [r.as_dict() for r in finance.efficiency(year=year, program=chosen)]
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
