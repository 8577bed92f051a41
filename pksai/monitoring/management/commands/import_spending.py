from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from pksai.accounts.models import User
from pksai.monitoring.finance import spending_import
from pksai.registry.importer import ExtractError


class Command(BaseCommand):
    help = (
        "Import budget lines (final revised budget, realised, realised by month, beneficiaries "
        "and civil servants per program-year) from a CSV or XLSX file "
        "(docs/finance-format.md). Rejected cells are reported with their reasons; the good "
        "rows are kept, and re-running the same file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="Import as this user (the audit actor).")
        parser.add_argument(
            "--errors", help="Write the rejected cells (row, column, value, reason) to this CSV."
        )

    def handle(self, *args, file, user, errors=None, **options):
        by = User.objects.filter(username=user, is_active=True).first()
        if by is None:
            raise CommandError(f"No active user {user!r}.")
        if not Path(file).is_file():
            raise CommandError(f"Nothing imported: {file} does not exist.")
        try:
            result = spending_import(by=by, path=file)
        except ExtractError as exc:
            raise CommandError(f"Nothing imported: {exc}") from exc
        except PermissionDenied as exc:
            raise CommandError(f"Nothing imported: {user} may not import spending.") from exc
        summary = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in result.summary().items())
        self.stdout.write(self.style.SUCCESS(f"{Path(file).name}: {summary}."))
        if not result.rejected:
            return
        if errors:
            Path(errors).write_text(result.errors.write_csv(), encoding="utf-8")
            self.stdout.write(f"Rejected cells (with their reasons): {errors}")
        else:
            self.stdout.write("Rejected cells (row, column, value, reason):")
            for e in result.errors.iter_rows(named=True):
                self.stdout.write(f"  {e['row']}\t{e['column']}\t{e['value'] or ''}\t{e['reason']}")
